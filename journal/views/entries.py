"""The journal's pages: the journal with its coverage, recording an offer
(one date or a series in one go), changing and removing it."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from certification.templatetags.catalogue_tags import localized
from evidence.files import UploadRejected, check_files
from journal import selectors, services
from journal.coverage import coverage_of
from journal.forms import EntryForm
from journal.models import Recurrence
from journal.rules import get_centre_for_journal, get_entry_for_user

PAGE_SIZE = 25
LAST_CRITERIA = "journal_last_criteria"


def new_token() -> str:
    """The one-time token of a new-entry form (kept by the entry it records)."""
    return uuid.uuid4().hex


def already_recorded(request, url: str):
    messages.info(request, _("Dieser Eintrag ist bereits gespeichert."))
    return redirect(url)


def entry_form(
    request, familienzentrum, *, data=None, files=None, initial=None, criteria=None, as_partner=False
) -> EntryForm:
    """The entry form of `familienzentrum`'s journal. A new form starts on
    today with the criteria used last (or those of `initial`) and carries
    a one-time token. `criteria`: (code, label) choices, by default every
    criterion of the catalogue in force; a partner's form names no partner
    (it is the partner)."""
    today = timezone.localdate()
    sites = [(link.site_id, str(link.site)) for link in familienzentrum.site_links.select_related("site")]
    partners = None if as_partner else list(selectors.partners_for_journal(familienzentrum).values_list("pk", "name"))
    if criteria is None:
        criteria = selectors.criteria_choices(
            selectors.journal_criteria(selectors.catalogue_for_journal(familienzentrum, today))
        )
    if data is None:
        offered = {code for code, _label in criteria}
        last = [code for code in request.session.get(LAST_CRITERIA, []) if code in offered]
        initial = {"first_date": today, "criteria": last, **(initial or {})}
        initial["token"] = new_token()
    return EntryForm(data, files, criteria=criteria, sites=sites, partners=partners, initial=initial)


def remember_criteria(request, form: EntryForm) -> None:
    """The next offer is most often for the same criteria: the form starts with them."""
    request.session[LAST_CRITERIA] = form.cleaned_data.get("criteria") or []


def save_entry(request, form: EntryForm, record) -> object | None:
    """Run `record(data, upload)`; on refusal put the messages on the form's fields."""
    try:
        return record(form.entry_data(), form.cleaned_data.get("attachment"))
    except services.JournalError as error:
        form.add_service_errors(error.by_field)
    except UploadRejected as error:
        form.add_error("attachment", error.message)
    except ValidationError as error:
        form.add_error("attachment", error.messages)
    return None


def name_refused_attachment(request, form: EntryForm) -> None:
    """A form refused for other reasons names a bad attachment too, so the
    user does not choose the file again only to learn it is refused."""
    upload = request.FILES.get("attachment")
    if upload is not None and "attachment" not in form.errors:
        try:
            check_files([upload])
        except ValidationError as error:
            form.add_error("attachment", error.messages)


def saved_message(entry) -> str:
    count = entry.sessions.count()
    if entry.recurrence == Recurrence.ONCE or count == 1:
        return _("„%(title)s“ ist im Journal gespeichert.") % {"title": entry.title}
    return ngettext(
        "Serie „%(title)s“ mit %(count)d Termin gespeichert.",
        "Serie „%(title)s“ mit %(count)d Terminen gespeichert.",
        count,
    ) % {"title": entry.title, "count": count}


@login_required
def journal(request, pk: int):
    familienzentrum = get_centre_for_journal(request.user, pk)
    today = timezone.localdate()
    year = selectors.review_year_for_journal(today, request.GET.get("jahr"))
    catalogue = selectors.catalogue_for_journal(familienzentrum, today)
    criteria = selectors.journal_criteria(catalogue)
    choices = selectors.criteria_choices(criteria)
    titles = {criterion.code: localized(criterion, "title") for criterion in criteria}
    coverage = coverage_of(familienzentrum, catalogue, year, today) if catalogue else []
    half = request.GET.get("halbjahr", "")
    if half not in ("1", "2"):
        half = ""
    period = {"1": year.first_half, "2": year.second_half}.get(half, year.period)
    criterion = request.GET.get("kriterium", "")
    if criterion not in titles:
        criterion = ""
    entries = selectors.entries_of(familienzentrum, period, criterion)
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("seite"))
    may_keep = request.user.has_perm("journal.keep_journal", familienzentrum)
    form = None
    if may_keep:
        form = entry_form(
            request, familienzentrum, criteria=choices, initial={"criteria": [criterion]} if criterion else None
        )
    context = {
        "familienzentrum": familienzentrum,
        "year": year,
        "years": selectors.journal_years(today),
        "coverage": [(item, titles.get(item.criterion_code, item.criterion_code)) for item in coverage],
        "page": page,
        "half": half,
        "criterion": criterion,
        "criteria": choices,
        "may_keep": may_keep,
        "form": form,
    }
    return render(request, "journal/journal.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def entry_new(request, pk: int):
    familienzentrum = get_centre_for_journal(request.user, pk, "journal.keep_journal")
    journal_url = reverse("journal:journal", args=[familienzentrum.pk])
    if request.method == "GET":
        initial = {"criteria": [request.GET["kriterium"]]} if request.GET.get("kriterium") else None
        form = entry_form(request, familienzentrum, initial=initial)
        return render(request, "journal/entry_form.html", {"familienzentrum": familienzentrum, "form": form})
    form = entry_form(request, familienzentrum, data=request.POST, files=request.FILES)
    if services.recorded_with_token(request.POST.get("token", "")):
        return already_recorded(request, journal_url)
    entry = None
    if form.is_valid():
        try:
            entry = save_entry(
                request,
                form,
                lambda data, upload: services.record_entry(
                    user=request.user, familienzentrum=familienzentrum, data=data, upload=upload
                ),
            )
        except services.EntryAlreadyRecorded:
            return already_recorded(request, journal_url)
    else:
        name_refused_attachment(request, form)
    if entry is None:
        return render(
            request, "journal/entry_form.html", {"familienzentrum": familienzentrum, "form": form}, status=400
        )
    remember_criteria(request, form)
    messages.success(request, saved_message(entry))
    return redirect(journal_url)


@login_required
@require_http_methods(["GET", "POST"])
def entry_edit(request, entry_pk: int):
    entry = get_entry_for_user(request.user, entry_pk, "journal.keep_journal")
    familienzentrum = entry.familienzentrum
    context = {"familienzentrum": familienzentrum, "entry": entry}
    if request.method == "GET":
        data = services.entry_data_of(entry)
        initial = {
            "title": data.title,
            "first_date": data.first_date,
            "criteria": data.criterion_codes,
            "participants": data.participants,
            "recurrence": data.recurrence,
            "until": data.until,
            "dates": ", ".join(day.strftime("%d.%m.%Y") for day in data.dates),
            "kind": data.kind,
            "target_group": data.target_group,
            "site": data.site_id,
            "partner": data.partner_id,
            "note": data.note,
        }
        context["form"] = entry_form(request, familienzentrum, initial=initial)
        return render(request, "journal/entry_form.html", context)
    form = entry_form(request, familienzentrum, data=request.POST, files=request.FILES)
    saved = None
    if form.is_valid():
        saved = save_entry(
            request,
            form,
            lambda data, upload: services.update_entry(user=request.user, entry=entry, data=data, upload=upload),
        )
    else:
        name_refused_attachment(request, form)
    if saved is None:
        context["form"] = form
        return render(request, "journal/entry_form.html", context, status=400)
    messages.success(request, saved_message(saved))
    return redirect("journal:journal", familienzentrum.pk)


@login_required
@require_http_methods(["GET", "POST"])
def entry_delete(request, entry_pk: int):
    entry = get_entry_for_user(request.user, entry_pk, "journal.keep_journal")
    if request.method == "POST":
        services.delete_entry(user=request.user, entry=entry)
        messages.success(request, _("„%(title)s“ ist aus dem Journal entfernt.") % {"title": entry.title})
        return redirect("journal:journal", entry.familienzentrum_id)
    return render(request, "journal/entry_delete.html", {"entry": entry, "familienzentrum": entry.familienzentrum})
