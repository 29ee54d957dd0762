"""The filters, search and sort keys of the work queues and centre lists
(issue 12), as django-filter FilterSets over the annotated querysets of
assessments.queue_selectors. The office's queue and a reviewer's queue list
assessments; the centre lists list centres annotated under the same names
(state, kind, submitted_at, deadline, reviewer_id, seal_until), so one set of
filters serves both: only the path from a row to its centre differs.

A value a filter does not know leaves the form invalid for that field only;
the view names it in a message and lists without it (never a 500)."""

from __future__ import annotations

from datetime import date, timedelta

import django_filters
from django.contrib.auth import get_user_model
from django.db.models import F, Q, QuerySet
from django.forms import Select
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from assessments.deadlines import APPROACHING_DAYS, approaching_q, overdue_q
from assessments.models import REVIEW_QUEUE_STATES, AssessmentKind, AssessmentState
from assessments.queue_selectors import OPEN_REVIEW_STATES, state_rank, with_current, with_seal_until
from certification.models import FamilienzentrumForm, FamilienzentrumSite
from certification.services import add_months

SEARCH_MAX_WORDS = 5
NO_REVIEWER = "null"


def reviewers(request=None) -> QuerySet:
    """Everyone in the reviewer pool (also those who left it: their reviews
    still stand in the queue), as the reviewer filter offers them."""
    return (
        get_user_model()
        .objects.filter(reviewer__isnull=False)
        .only("pk", "full_name", "email")
        .order_by("full_name", "email")
    )


class QueueOrdering(django_filters.OrderingFilter):
    """Sort keys given as {parameter: expression} (two keys may sort by the
    same column); rows without a value (no submission, no deadline) come last
    in both directions; "waiting" (days since submission) runs against the
    submission date. The primary key breaks ties, so pages never overlap."""

    inverted = {"waiting"}

    def __init__(self, *args, params: dict[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        self.param_map = dict(params)

    def get_ordering_value(self, param):
        descending = param.startswith("-")
        param = param.removeprefix("-")
        if param in self.inverted:
            descending = not descending
        expression = F(self.param_map[param])
        return expression.desc(nulls_last=True) if descending else expression.asc(nulls_last=True)

    def filter(self, qs, value):
        if value in django_filters.constants.EMPTY_VALUES:
            return qs
        params = [param for param in value if param]
        qs = self.parent.needs(qs, *[self.param_map[param.removeprefix("-")] for param in params])
        return qs.order_by(*[self.get_ordering_value(param) for param in params], "pk")


SORT_KEYS = {
    "centre": "familienzentrum__name",
    "submitted": "submitted_at",
    "waiting": "submitted_at",
    "deadline": "deadline",
    "state": "state_rank",
}
SORT_CHOICES = [
    ("submitted", _("eingereicht: älteste zuerst")),
    ("-submitted", _("eingereicht: neueste zuerst")),
    ("waiting", _("Wartezeit: kürzeste zuerst")),
    ("-waiting", _("Wartezeit: längste zuerst")),
    ("deadline", _("Frist: früheste zuerst")),
    ("-deadline", _("Frist: späteste zuerst")),
    ("centre", _("Familienzentrum: A–Z")),
    ("-centre", _("Familienzentrum: Z–A")),
    ("state", _("Status: im Ablauf vorn zuerst")),
    ("-state", _("Status: im Ablauf hinten zuerst")),
]


class QueueFilter(django_filters.FilterSet):
    """What every list offers. Subclasses say how a row reaches its centre
    (`centre`, a lookup prefix, and `centre_key`, the centre's id), which
    states the state filter knows and which it lists by default."""

    centre = "familienzentrum__"
    centre_key = "familienzentrum_id"
    default_states: list[str] | None = None

    q = django_filters.CharFilter(
        method="search",
        label=_("Suche"),
        max_length=100,
        help_text=_("Familienzentrum, Träger, Zertifizierungsnummer oder Ort"),
    )
    state = django_filters.ChoiceFilter(method="by_state", label=_("Status"))
    reviewer = django_filters.ModelChoiceFilter(
        queryset=reviewers,
        method="by_reviewer",
        label=_("Gutachter:in"),
        empty_label=_("alle"),
        null_label=_("noch niemand zugewiesen"),
        null_value=NO_REVIEWER,
    )
    kind = django_filters.ChoiceFilter(
        choices=AssessmentKind.choices, method="by_kind", label=_("Verfahren"), empty_label=_("alle")
    )
    verbund = django_filters.ChoiceFilter(
        choices=[("yes", _("nur Verbünde")), ("no", _("nur Einzeleinrichtungen"))],
        method="by_form",
        label=_("Form"),
        empty_label=_("alle"),
    )
    deadline = django_filters.ChoiceFilter(
        choices=[("overdue", _("überfällig")), ("approaching", _("bald fällig (14 Tage)"))],
        method="by_deadline",
        label=_("Frist"),
        empty_label=_("alle"),
    )
    seal = django_filters.ChoiceFilter(
        choices=[("6", _("endet in 6 Monaten")), ("12", _("endet in 12 Monaten"))],
        method="by_seal",
        label=_("Gütesiegel"),
        empty_label=_("alle"),
    )
    o = QueueOrdering(params=SORT_KEYS, choices=SORT_CHOICES, label=_("Sortierung"), empty_label=None)

    state_choices: list = []
    all_states_label = _("alle")

    @classmethod
    def param_names(cls, *, show_reviewers: bool = True, **options) -> set[str]:
        """The query parameters the list knows (its filters' names), read off
        the class: an instance deep-copies every filter."""
        names = set(cls.base_filters)
        if not show_reviewers:
            names.discard("reviewer")
        return names

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None, show_reviewers: bool = True):
        super().__init__(data, queryset, request=request, prefix=prefix)
        self.filters["state"].extra["choices"] = self.state_choices
        self.filters["state"].extra["empty_label"] = self.all_states_label
        if not show_reviewers:
            # Träger staff see their centres, not the office's reviewer pool.
            del self.filters["reviewer"]

    @property
    def form(self):
        # Bootstrap's classes on the widgets. The page writes the fields with
        # assessments.queue_html.filter_fields_html, in Python (through the
        # widgets' templates a select of 40 reviewers cost milliseconds a visit).
        form = super().form
        if not getattr(form, "styled", False):
            for name, field in form.fields.items():
                if isinstance(field.widget, Select):
                    field.widget.attrs["class"] = "form-select"
                else:
                    field.widget.attrs["class"] = "form-control"
                if field.help_text:
                    field.widget.attrs["aria-describedby"] = f"{name}-help"
            form.styled = True
        return form

    def needs(self, queryset, *names: str):
        """The queryset with the values `names` to filter or sort by: the
        queues' assessments have them all but the state's rank in the cycle
        and their centre's seal (the centre list adds what it asks for, see
        CentreListFilter)."""
        if "state_rank" in names and "state_rank" not in queryset.query.annotations:
            queryset = queryset.annotate(state_rank=state_rank())
        if "seal_until" in names:
            queryset = with_seal_until(queryset)
        return queryset

    @property
    def today(self) -> date:
        return timezone.localdate()

    # ---------------------------------------------------------------- the filters

    def filter_queryset(self, queryset):
        if self.default_states is not None and not self.form.cleaned_data.get("state"):
            queryset = self.needs(queryset, "state").filter(state__in=self.default_states)
        return super().filter_queryset(queryset)

    def search(self, queryset, name, value):
        """Every word must match the centre's name, its Träger's, its
        certification number or the town of one of its sites."""
        for word in value.split()[:SEARCH_MAX_WORDS]:
            towns = FamilienzentrumSite.objects.filter(site__city__icontains=word).values("familienzentrum_id")
            queryset = queryset.filter(
                Q(**{f"{self.centre}name__icontains": word})
                | Q(**{f"{self.centre}traeger__name__icontains": word})
                | Q(**{f"{self.centre}certification_number__icontains": word})
                | Q(**{f"{self.centre_key}__in": towns})
            )
        return queryset

    def by_state(self, queryset, name, value):
        return self.needs(queryset, "state").filter(state=value)

    def by_reviewer(self, queryset, name, value):
        queryset = self.needs(queryset, "reviewer_id", "second_reviewer_id")
        if value == NO_REVIEWER:
            return queryset.filter(reviewer_id__isnull=True)
        return queryset.filter(Q(reviewer_id=value.pk) | Q(second_reviewer_id=value.pk))

    def by_kind(self, queryset, name, value):
        return self.needs(queryset, "kind").filter(kind=value)

    def by_form(self, queryset, name, value):
        form = FamilienzentrumForm.VERBUND if value == "yes" else FamilienzentrumForm.SINGLE
        return queryset.filter(**{f"{self.centre}form": form})

    def by_deadline(self, queryset, name, value):
        queryset = self.needs(queryset, "deadline")
        return queryset.filter(overdue_q(self.today) if value == "overdue" else approaching_q(self.today))

    def by_seal(self, queryset, name, value):
        return self.needs(queryset, "seal_until").filter(
            seal_until__gte=self.today, seal_until__lte=add_months(self.today, int(value))
        )


def _states(states) -> list[tuple[str, str]]:
    return [(state.value, state.label) for state in states]


class OfficeQueueFilter(QueueFilter):
    """The office's queue: between submission and decision by default;
    state=draft lists the drafts near or over their submission date."""

    default_states = REVIEW_QUEUE_STATES
    all_states_label = _("alle eingereichten")
    state_choices = _states([*REVIEW_QUEUE_STATES, AssessmentState.DRAFT])

    def by_state(self, queryset, name, value):
        queryset = queryset.filter(state=value)
        if value == AssessmentState.DRAFT:
            horizon = self.today + timedelta(days=APPROACHING_DAYS)
            queryset = queryset.filter(submission_due__isnull=False, submission_due__lte=horizon)
        return queryset


class ReviewerQueueFilter(QueueFilter):
    """A reviewer's queue: the open reviews by default, every state on
    request ("all"), and whether the user reviews or confirms."""

    ALL = "all"
    default_states = OPEN_REVIEW_STATES
    all_states_label = _("alle offenen")
    state_choices = [
        *_states(OPEN_REVIEW_STATES),
        *_states([AssessmentState.CERTIFIED, AssessmentState.NOT_CERTIFIED, AssessmentState.WITHDRAWN]),
        (ALL, _("alle, auch abgeschlossene")),
    ]
    role = django_filters.ChoiceFilter(
        choices=[("reviewer", _("als Gutachter:in")), ("second", _("als Zweitgutachter:in"))],
        method="by_role",
        label=_("Ihre Rolle"),
        empty_label=_("beide"),
    )

    @classmethod
    def param_names(cls, **options) -> set[str]:
        return super().param_names(show_reviewers=False)

    def __init__(self, data=None, queryset=None, *, user, **kwargs):
        self.user = user
        super().__init__(data, queryset, show_reviewers=False, **kwargs)

    def by_state(self, queryset, name, value):
        return queryset if value == self.ALL else queryset.filter(state=value)

    def by_role(self, queryset, name, value):
        if value == "reviewer":
            return queryset.filter(reviewer_id=self.user.pk)
        return queryset.filter(second_reviewer_id=self.user.pk)


class CentreListFilter(QueueFilter):
    """The centre lists: rows are centres, annotated with their current
    assessment under the queue's names; every centre by default, by name."""

    centre = ""
    centre_key = "pk"
    state_choices = _states(AssessmentState)

    def needs(self, queryset, *names: str):
        return with_current(queryset, *names)

    o = QueueOrdering(
        params={**SORT_KEYS, "centre": "name", "seal": "seal_until"},
        choices=[
            *SORT_CHOICES[6:8],
            ("seal", _("Gütesiegel: endet zuerst")),
            ("-seal", _("Gütesiegel: endet zuletzt")),
            *SORT_CHOICES[:6],
            *SORT_CHOICES[8:],
        ],
        label=_("Sortierung"),
        empty_label=None,
    )
