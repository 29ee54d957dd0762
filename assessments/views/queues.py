"""The work queues and centre lists (issue 12): the office's queue of
assessments between submission and decision, a reviewer's own queue, and
the office's and a Träger's list of centres. Each is searchable,
filterable and sortable on the server (assessments.filters) and paginated
by Django's paginator, 50 rows a page. A filter value or page the list does
not know is named in a message and left out; the list shows its first page
(also for a page beyond the end), never an error.

Every list must stay within 3x the login page's server time at 3,300
centres: the rows reach the template as plain strings (translated, dated
and linked here once per row), so the template prints values instead of
running translation tags, date filters and URL lookups per cell."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db.models import Count, Window
from django.http import Http404, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from assessments import queue_selectors
from assessments.assignment_selectors import reviewers_for_queue
from assessments.deadlines import deadline_status
from assessments.filters import CentreListFilter, OfficeQueueFilter, QueueFilter, ReviewerQueueFilter
from assessments.models import AssessmentKind, AssessmentState, DeadlineStatus
from assessments.queue_html import bulk_options_html, centre_rows_html, filter_fields_html, queue_rows_html
from certification.models import FamilienzentrumForm
from certification.selectors import roles_for
from certification.services import ENDING_SOON_MONTHS, add_months

PAGE_SIZE = 50
PAGE_PARAM = "page"


# ---------------------------------------------------------------- paging and bad input


@dataclass
class Listing:
    """One page of a list with the filters that made it. `params` is the
    query string without what was not recognised: the page links, the sort
    and the bulk form's way back keep exactly these."""

    filterset: QueueFilter
    page: Page
    params: QueryDict
    page_range: list
    people: list | None = None  # the reviewers the reviewer filter offers, when the view has read them

    @property
    def filters_html(self):
        return filter_fields_html(self.filterset.form, people=self.people)

    @property
    def is_filtered(self) -> bool:
        return any(value for key, value in self.params.items() if key not in (PAGE_PARAM, "o"))


def _unrecognised(request, label: str, value: str) -> None:
    messages.warning(
        request,
        _("„%(value)s“ wurde als %(filter)s nicht erkannt; die Liste wird ohne diese Angabe gezeigt.")
        % {"value": Truncator(value).chars(40), "filter": label},
    )


def _page_unrecognised(request, value: str) -> None:
    messages.warning(
        request,
        _("Die Seite „%(page)s“ wurde nicht erkannt; gezeigt wird die erste Seite.")
        % {"page": Truncator(value).chars(20)},
    )


class KeyPaginator(Paginator):
    """Cuts a queryset into pages of primary keys, and counts the rows with
    the first page it reads (COUNT(*) OVER (), in the same query): a queue's
    page costs one query on the assessments' table alone, sorted before
    anything is joined (queue_selectors.page_rows reads the rows). Only a
    page beyond the end (no rows come back) costs a COUNT as well."""

    def page(self, number):
        if "count" not in self.__dict__:
            try:
                wanted = int(number)
            except (TypeError, ValueError):
                raise PageNotAnInteger(self.error_messages["invalid_page"]) from None
            if wanted >= 1 and str(wanted) == str(number).strip():
                bottom = (wanted - 1) * self.per_page
                counted = self.object_list.annotate(listed=Window(Count("pk"))).values_list("pk", "listed")
                rows = list(counted[bottom : bottom + self.per_page])
                if rows:
                    self.__dict__["count"] = rows[0][1]
                    return self._get_page([pk for pk, _listed in rows], wanted, self)
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        keys = self.object_list.values_list("pk", flat=True)[bottom : bottom + self.per_page]
        return self._get_page(list(keys), number, self)


def _listing(request, filterset_class, queryset, *, keys: bool = False, **options) -> Listing:
    """The page the request asks for: of the filtered queryset's rows, or
    with `keys` of their primary keys (the queues, see KeyPaginator)."""
    # Only the list's own parameters travel on (into page links and `next`).
    known = filterset_class.param_names(**options) | {PAGE_PARAM}
    params = QueryDict(mutable=True)
    for key in request.GET:
        values = [value for value in request.GET.getlist(key) if value]
        if key in known and values:  # the filter form sends its empty fields too
            params.setlist(key, values)
    filterset = filterset_class(params, queryset, request=request, **options)
    if not filterset.is_valid():
        for name in filterset.errors:
            label = str(filterset.filters[name].label) if name in filterset.filters else name
            _unrecognised(request, label, ", ".join(params.getlist(name)))
            del params[name]
        params.pop(PAGE_PARAM, None)
        filterset = filterset_class(params, queryset, request=request, **options)
    paginator = (KeyPaginator if keys else Paginator)(filterset.qs, PAGE_SIZE)
    number = params.get(PAGE_PARAM, "1")
    try:
        page = paginator.page(number)
    except (PageNotAnInteger, EmptyPage):
        _page_unrecognised(request, number)
        params.pop(PAGE_PARAM, None)
        page = paginator.page(1)
    page_range = list(paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1))
    return Listing(filterset=filterset, page=page, params=params, page_range=page_range)


# ---------------------------------------------------------------- the rows, ready to print


def column_labels() -> dict[str, str]:
    """The words every row repeats (column names, which the cards at 390 px
    print beside each value), translated once per page."""
    return {
        "centre": _("Familienzentrum"),
        "state": _("Status"),
        "seal": _("Gütesiegel bis"),
        "assessment": _("Selbstbewertung"),
        "submitted": _("eingereicht"),
        "deadline": _("Frist"),
        "waiting": _("Wartezeit"),
        "progress": _("Fortschritt"),
        "reviewers": _("Gutachter:innen"),
        "reviewer": _("Gutachter:in"),
        "second_reviewer": _("Zweitgutachter:in"),
        "no_seal": _("keines"),
        "no_assessment": _("noch keine"),
        "pick": _("Auswählen:"),
    }


class _Urls:
    """Each URL name reversed once per page; a row's URL is that with its key."""

    SLOT = 987654321

    def __init__(self):
        self._parts: dict[str, tuple[str, str]] = {}

    def __call__(self, name: str, pk: int) -> str:
        if name not in self._parts:
            head, tail = reverse(name, args=[self.SLOT]).split(str(self.SLOT))
            self._parts[name] = (head, tail)
        head, tail = self._parts[name]
        return f"{head}{pk}{tail}"


@dataclass(frozen=True)
class Action:
    url: str
    label: str
    primary: bool = False


@dataclass(frozen=True)
class Row:
    """An assessment's row, every cell as text."""

    pk: int
    centre_name: str
    centre_line: str  # Träger · town · certification number
    url: str
    state_label: str
    kind_label: str
    submitted_on: str
    deadline_on: str
    deadline_status: str  # "overdue", "approaching" or ""
    deadline_mark: str
    waiting: str
    progress: str
    progress_percent: int
    reviewer: str
    second_reviewer: str
    action: Action | None = None


class RowBuilder:
    """Turns a page of annotated assessments into Rows: the translations
    read once per page, not once per cell."""

    def __init__(self, user, *, today: date | None = None):
        self.user = user
        self.today = today or timezone.localdate()
        self.url = _Urls()
        self.states = {value: str(label) for value, label in AssessmentState.choices}
        self.kinds = {value: str(label) for value, label in AssessmentKind.choices}
        self.marks = {DeadlineStatus.OVERDUE: _("überfällig"), DeadlineStatus.APPROACHING: _("bald fällig")}
        self.you = _("Sie")
        self.number = _("Nr.")
        self.verbund = str(FamilienzentrumForm.VERBUND.label)
        self.progress_text = _("%(given)d von %(total)d beurteilt")
        # The actions' words, translated once per page.
        self.assign, self.decide, self.look, self.judge = (
            _("Zuweisen"),
            _("Entscheiden"),
            _("Ansehen"),
            _("Begutachten"),
        )
        self._waiting: dict[int, str] = {}

    def waiting_text(self, days: int) -> str:
        # Many rows share a number of days: each plural form looked up once.
        if days not in self._waiting:
            self._waiting[days] = ngettext("%(days)d Tag", "%(days)d Tage", days) % {"days": days}
        return self._waiting[days]

    def centre_line(self, traeger: str, form: str, number: str, town: str | None) -> str:
        parts = [self.verbund] if form == FamilienzentrumForm.VERBUND else []
        parts.append(traeger)
        if town:
            parts.append(town)
        if number:
            parts.append(f"{self.number} {number}")
        return " · ".join(parts)

    def _person(self, values: dict, role: str) -> str:
        person_id = values[f"{role}_id"]
        if person_id is None:
            return "–"
        name = values[f"{role}__full_name"] or values[f"{role}__email"]
        return f"{name} ({self.you})" if person_id == self.user.pk else name

    def row(self, values: dict, *, url: str, action: Action | None = None) -> Row:
        """`values`: one of queue_selectors.page_rows()."""
        deadline, submitted = values["deadline"], values["submitted_at"]
        status = deadline_status(deadline, self.today) or ""
        waiting = queue_selectors.days_waiting(values["state"], submitted, self.today)
        total = values["criteria_in_scope"] or 0
        given = values["verdicts_given"]
        return Row(
            pk=values["pk"],
            centre_name=values["familienzentrum__name"],
            # The centre list reads its centres' towns itself (page_rows without the town).
            centre_line=self.centre_line(
                values["familienzentrum__traeger__name"],
                values["familienzentrum__form"],
                values["familienzentrum__certification_number"],
                values.get("town"),
            ),
            url=url,
            state_label=self.states.get(values["state"], values["state"]),
            kind_label=self.kinds.get(values["kind"], values["kind"]),
            submitted_on=timezone.localtime(submitted).strftime("%d.%m.%Y") if submitted else "",
            deadline_on=deadline.strftime("%d.%m.%Y") if deadline else "",
            deadline_status=status,
            deadline_mark=self.marks.get(status, ""),
            waiting="" if waiting is None else self.waiting_text(waiting),
            progress=self.progress_text % {"given": given, "total": total} if total else "",
            progress_percent=round(100 * given / total) if total else 0,
            reviewer=self._person(values, "reviewer"),
            second_reviewer=self._person(values, "second_reviewer"),
            action=action,
        )

    # The office's next step on each row.
    def office_row(self, values: dict) -> Row:
        pk, state = values["pk"], values["state"]
        detail = self.url("assessments:detail", pk)
        if state == AssessmentState.SUBMITTED:
            action = Action(self.url("assessments:assign", pk), self.assign, primary=True)
        elif state == AssessmentState.RECOMMENDED:
            action = Action(self.url("assessments:decision", pk), self.decide, primary=True)
        elif state == AssessmentState.DRAFT:
            action = Action(detail, self.look)
        else:
            action = Action(self.url("assessments:review", pk), self.look)
        return self.row(values, url=detail, action=action)

    # The reviewer's: judge, decide as second reviewer, or look.
    def reviewer_row(self, values: dict) -> Row:
        me, pk, state = self.user.pk, values["pk"], values["state"]
        if state == AssessmentState.RECOMMENDED and values["second_reviewer_id"] == me:
            url = self.url("assessments:decision", pk)
            action = Action(url, self.decide, primary=True)
        else:
            url = self.url("assessments:review", pk)
            judging = state == AssessmentState.IN_REVIEW and values["reviewer_id"] == me
            action = Action(url, self.judge if judging else self.look, primary=judging)
        return self.row(values, url=url, action=action)


@dataclass(frozen=True)
class CentreEntry:
    """A centre's row on the centre list; `current` is its current assessment's row (None: none yet)."""

    pk: int
    centre_name: str
    centre_line: str
    url: str
    seal_until: str
    seal_status: str  # "expired", "ending" (within ENDING_SOON_MONTHS) or ""
    seal_mark: str
    current: Row | None


def centre_entries(centres, builder: RowBuilder) -> list[CentreEntry]:
    centres = list(centres)
    assessments = queue_selectors.current_assessments(centres)
    ending = add_months(builder.today, ENDING_SOON_MONTHS)
    marks = {"expired": _("abgelaufen"), "ending": _("endet bald")}
    entries = []
    for centre in centres:
        values = assessments.get(centre.current_id)
        current = None
        if values is not None:
            current = builder.row(values, url=builder.url("assessments:detail", values["pk"]))
        until = centre.seal_until
        seal_status = ""
        if until is not None:
            seal_status = "expired" if until < builder.today else "ending" if until <= ending else ""
        entries.append(
            CentreEntry(
                pk=centre.pk,
                centre_name=centre.name,
                centre_line=builder.centre_line(
                    centre.traeger.name, centre.form, centre.certification_number, centre.town
                ),
                url=current.url if current else "",
                seal_until=until.strftime("%d.%m.%Y") if until else "",
                seal_status=seal_status,
                seal_mark=marks.get(seal_status, ""),
                current=current,
            )
        )
    return entries


# ---------------------------------------------------------------- the pages


@login_required
def office_queue(request):
    """The office's work queue, with the bulk assignment around its rows."""
    if not request.user.has_perm("assessments.see_review_queue"):
        raise Http404
    # One read of the pool for the reviewer filter and the bulk assignment's
    # choice; the choice's workloads follow the page (views.assignment.reviewer_workloads).
    everyone, pool = reviewers_for_queue()
    listing = _listing(request, OfficeQueueFilter, queue_selectors.office_queue(columns=False), keys=True)
    listing.people = everyone
    builder = RowBuilder(request.user)
    rows = [builder.office_row(values) for values in queue_selectors.page_rows(listing.page.object_list)]
    labels = column_labels()
    # Without JavaScript, "select all on this page" is a link that shows the page with every box ticked.
    select_all = request.GET.get("auswahl") == "alle"
    empty = (
        _("Keine Selbstbewertung passt zu Suche und Filtern.")
        if listing.is_filtered
        else _("Keine Selbstbewertung wartet auf Begutachtung.")
    )
    context = {
        "listing": listing,
        "rows": rows,
        "rows_html": queue_rows_html(rows, labels, pickable=True, select_all=select_all, empty_text=empty),
        "labels": labels,
        "bulk_options": bulk_options_html(pool),
        "workloads_later": True,
    }
    return render(request, "assessments/queues/office_queue.html", context)


@login_required
def my_reviews(request):
    """The assessments the user reviews or confirms, the open ones by default."""
    if not request.user.has_perm("assessments.see_own_reviews"):
        raise Http404
    listing = _listing(
        request,
        ReviewerQueueFilter,
        queue_selectors.reviewer_queue(request.user, columns=False),
        keys=True,
        user=request.user,
    )
    builder = RowBuilder(request.user)
    rows = [builder.reviewer_row(values) for values in queue_selectors.page_rows(listing.page.object_list)]
    labels = column_labels()
    empty = (
        _("Keine Ihrer Begutachtungen passt zu Suche und Filtern.")
        if listing.is_filtered
        else _("Ihnen sind derzeit keine offenen Begutachtungen zugewiesen.")
    )
    context = {
        "listing": listing,
        "rows": rows,
        "rows_html": queue_rows_html(rows, labels, pickable=False, select_all=False, empty_text=empty),
        "labels": labels,
    }
    return render(request, "assessments/queues/my_reviews.html", context)


@login_required
def centre_list(request):
    """Every centre for the office; a Träger's staff see their own."""
    if not request.user.has_perm("assessments.see_centre_list"):
        raise Http404
    is_office = roles_for(request.user).is_office
    listing = _listing(
        request, CentreListFilter, queue_selectors.centres_for_list(request.user), show_reviewers=is_office
    )
    entries = centre_entries(listing.page.object_list, RowBuilder(request.user))
    labels = column_labels()
    empty = (
        _("Kein Familienzentrum passt zu Suche und Filtern.")
        if listing.is_filtered
        else _("Noch keine Familienzentren.")
    )
    context = {
        "listing": listing,
        "rows": entries,
        "rows_html": centre_rows_html(entries, labels, show_reviewers=is_office, empty_text=empty),
        "labels": labels,
        "show_reviewers": is_office,
    }
    return render(request, "assessments/queues/centre_list.html", context)
