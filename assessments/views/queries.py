"""The centre's side of a review round: the queries, replies and the
resubmission."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from assessments import services
from assessments.forms import (
    ReplyForm,
)
from assessments.models import AssessmentState
from assessments.rules import get_assessment_for_user
from assessments.selectors import (
    queried_verdicts,
)
from assessments.views.review import anchor_for


def _queries_context(request, assessment, *, problems=None, forms=None) -> dict:
    verdicts = queried_verdicts(assessment)
    latest = assessment.latest_submission
    open_round = assessment.state == AssessmentState.CHANGES_REQUESTED
    can_reply = open_round and request.user.has_perm("assessments.edit_assessment", assessment)
    forms = forms or {}
    current, earlier = [], []
    for verdict in verdicts:
        is_current = open_round and latest is not None and verdict.submission_id == latest.pk
        form = None
        if is_current and can_reply:
            form = forms.get(verdict.criterion.code) or ReplyForm(initial={"reply": verdict.reply})
        anchor = anchor_for(verdict.criterion.code)
        if not is_current:  # the same criterion may be queried in several rounds
            anchor = f"{anchor}-einreichung-{verdict.submission.number}"
        item = {"verdict": verdict, "anchor": anchor, "form": form}
        (current if is_current else earlier).append(item)
    return {
        "assessment": assessment,
        "current": current,
        "earlier": earlier,
        "can_reply": can_reply,
        "unanswered": sum(1 for item in current if not item["verdict"].reply),
        "problems": problems or [],
    }


@login_required
def queries(request, pk: int):
    assessment = get_assessment_for_user(request.user, pk)
    return render(request, "assessments/review/queries.html", _queries_context(request, assessment))


@login_required
@require_POST
def reply(request, pk: int, criterion_code: str):
    assessment = get_assessment_for_user(request.user, pk, "assessments.edit_assessment")
    form = ReplyForm(request.POST)
    if form.is_valid():
        try:
            services.reply_to_query(
                user=request.user,
                assessment_id=assessment.pk,
                criterion_code=criterion_code,
                reply=form.cleaned_data["reply"],
            )
        except services.CriterionNotInCatalogue:
            raise Http404 from None
        except services.TransitionRefused as refused:
            form.add_error("reply", refused.message)
    if request.htmx:
        context = _queries_context(request, assessment, forms={criterion_code: form} if form.errors else None)
        item = next((item for item in context["current"] if item["verdict"].criterion.code == criterion_code), None)
        if item is None:
            # A stale tab: the query round is over. Say so instead of a bare 404.
            messages.error(
                request, " ".join(form.errors.get("reply", [])) or _("Diese Rückfrage ist nicht mehr offen.")
            )
            return HttpResponseClientRedirect(reverse("assessments:detail", args=[assessment.pk]))
        context.update({"item": item, "saved": not form.errors, "oob": True})
        return render(request, "assessments/review/_reply_saved.html", context)
    if form.errors:
        context = _queries_context(request, assessment, forms={criterion_code: form})
        return render(request, "assessments/review/queries.html", context, status=400)
    messages.success(request, _("Antwort zu %(code)s gespeichert.") % {"code": criterion_code})
    return redirect(f"{reverse('assessments:queries', args=[assessment.pk])}#{anchor_for(criterion_code)}")


@login_required
@require_POST
def resubmit(request, pk: int):
    assessment = get_assessment_for_user(request.user, pk, "assessments.edit_assessment")
    try:
        submission = services.resubmit(user=request.user, assessment_id=assessment.pk)
    except services.TransitionRefused as refused:
        assessment.refresh_from_db()
        if assessment.state != AssessmentState.CHANGES_REQUESTED:
            messages.info(request, _("Die Selbstbewertung ist bereits erneut eingereicht."))
            return redirect("assessments:detail", assessment.pk)
        messages.error(request, refused.message)
        context = _queries_context(request, assessment, problems=refused.problems)
        return render(request, "assessments/review/queries.html", context, status=200)
    messages.success(
        request,
        _("Die Selbstbewertung ist erneut eingereicht. Prüfsumme: %(sha)s") % {"sha": submission.sha256[:16]},
    )
    return redirect("assessments:detail", assessment.pk)
