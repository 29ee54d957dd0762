"""A partner's road into a centre's offer journal: through its invitation,
for the criteria it was invited to. The invitation is the assessments app's
to check; the entry is the journal's to record (journal.services), with the
journal's own form restricted to those criteria."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from assessments.rules import get_partner_access_for_user
from journal import selectors as journal_selectors
from journal import services as journal_services
from journal.views.entries import already_recorded, entry_form, remember_criteria, save_entry, saved_message

# The partner sees its own entries for the centre, the latest first; the
# journal itself stays the centre's.
OWN_ENTRIES_SHOWN = 20


@login_required
@require_http_methods(["GET", "POST"])
def partner_journal(request, access_pk: int):
    access = get_partner_access_for_user(request.user, access_pk)
    if not request.user.has_perm("assessments.contribute_as_partner", access):
        raise Http404
    familienzentrum = access.assessment.familienzentrum
    invited = list(access.criteria.select_related("area").order_by("area__order", "order"))
    allowed_codes = {criterion.code for criterion in invited}
    choices = journal_selectors.criteria_choices(invited)
    if request.method == "POST":
        here = reverse("assessments:partner_journal", args=[access.pk])
        if journal_services.recorded_with_token(request.POST.get("token", "")):
            return already_recorded(request, here)
        form = entry_form(
            request, familienzentrum, data=request.POST, files=request.FILES, criteria=choices, as_partner=True
        )
        entry = None
        if form.is_valid():
            try:
                entry = save_entry(
                    request,
                    form,
                    lambda data, upload: journal_services.record_entry(
                        user=request.user,
                        familienzentrum=familienzentrum,
                        data=data,
                        upload=upload,
                        partner=access.partner,
                        allowed_codes=allowed_codes,
                    ),
                )
            except journal_services.EntryAlreadyRecorded:
                return already_recorded(request, here)
        if entry is not None:
            remember_criteria(request, form)
            messages.success(request, saved_message(entry))
            return redirect("assessments:partner_journal", access.pk)
        status = 400
    else:
        initial = {"criteria": [request.GET["kriterium"]]} if request.GET.get("kriterium") in allowed_codes else None
        form = entry_form(request, familienzentrum, criteria=choices, as_partner=True, initial=initial)
        status = 200
    own = journal_selectors.entries_of(familienzentrum).filter(partner=access.partner)[:OWN_ENTRIES_SHOWN]
    context = {"access": access, "familienzentrum": familienzentrum, "form": form, "own_entries": own}
    return render(request, "assessments/partner_journal.html", context, status=status)
