"""The centre's side of a review round: the queries with the reviewer's
cover note, replies and the resubmission. A reply answers at the reply,
with the script and without: saved, or refused with the reason and the
typed text kept."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django_htmx.http import HttpResponseClientRedirect

from accounts.decorators import post_only
from assessments import services
from assessments.forms import ReplyForm
from assessments.models import AssessmentState
from assessments.rules import get_assessment_for_user
from assessments.selectors import cover_notes, queried_verdicts
from assessments.views.review import anchor_for

SAVED_PARAM = "gespeichert"  # ?gespeichert=<code>: the reply just saved without the script


def _to_queries(request, pk: int, **kwargs) -> str:
    # A GET here is mostly the browser coming back from the login page.
    return reverse("assessments:queries", args=[pk])


def _queries_context(request, assessment, *, problems=None, forms=None, saved_code: str = "") -> dict:
    verdicts = queried_verdicts(assessment)
    latest = assessment.latest_submission
    open_round = assessment.state == AssessmentState.CHANGES_REQUESTED
    can_reply = open_round and request.user.has_perm("assessments.edit_assessment", assessment)
    notes = cover_notes(assessment)
    forms = forms or {}
    current, earlier = [], []
    for verdict in verdicts:
        is_current = open_round and latest is not None and verdict.submission_id == latest.pk
        code = verdict.criterion.code
        form = None
        if is_current and can_reply:
            form = forms.get(code) or ReplyForm(initial={"reply": verdict.reply})
        anchor = anchor_for(code)
        if not is_current:  # the same criterion may be queried in several rounds
            anchor = f"{anchor}-einreichung-{verdict.submission.number}"
        item = {"verdict": verdict, "anchor": anchor, "form": form, "saved": is_current and code == saved_code}
        if is_current:
            current.append(item)
        elif earlier and earlier[-1]["submission"].pk == verdict.submission_id:
            earlier[-1]["items"].append(item)
        else:
            earlier.append(
                {"submission": verdict.submission, "note": notes.get(verdict.submission_id), "items": [item]}
            )
    return {
        "assessment": assessment,
        "current": current,
        "earlier": earlier,
        "cover_note": notes.get(latest.pk) if open_round and latest is not None else None,
        "can_reply": can_reply,
        "unanswered": sum(1 for item in current if not item["verdict"].reply),
        "problems": problems or [],
    }


@login_required
def queries(request, pk: int):
    assessment = get_assessment_for_user(request.user, pk)
    saved_code = request.GET.get(SAVED_PARAM, "")
    return render(
        request, "assessments/review/queries.html", _queries_context(request, assessment, saved_code=saved_code)
    )


def _closed_item(assessment, criterion_code: str, form: ReplyForm) -> dict | None:
    """The query a refused reply was meant for, after its round ended (a stale
    tab): shown with the reason and the typed text, so nothing is lost."""
    verdicts = (verdict for verdict in queried_verdicts(assessment) if verdict.criterion.code == criterion_code)
    verdict = next(verdicts, None)
    if verdict is None:
        return None
    return {"verdict": verdict, "anchor": anchor_for(criterion_code), "form": form, "closed": True, "saved": False}


@post_only(_to_queries)
@login_required
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
    assessment.refresh_from_db()
    context = _queries_context(request, assessment, forms={criterion_code: form} if form.errors else None)
    item = next((item for item in context["current"] if item["verdict"].criterion.code == criterion_code), None)
    if item is None:
        # The round is over (another tab resubmitted, the assessment was
        # withdrawn): the reason and the typed text stay at the reply.
        if not form.errors:
            form.add_error("reply", _("Diese Rückfrage ist nicht mehr offen."))
        item = _closed_item(assessment, criterion_code, form)
        if item is None:  # nothing was ever queried here
            messages.error(request, " ".join(form.errors["reply"]))
            if request.htmx:
                return HttpResponseClientRedirect(reverse("assessments:queries", args=[assessment.pk]))
            return render(request, "assessments/review/queries.html", context, status=400)
        context["refused"] = item
    if request.htmx:
        # 200 also for a refusal: htmx swaps only successful responses.
        context.update({"item": item, "saved": not form.errors, "oob": True})
        return render(request, "assessments/review/_reply_saved.html", context)
    if form.errors:
        return render(request, "assessments/review/queries.html", context, status=400)
    url = reverse("assessments:queries", args=[assessment.pk])
    return redirect(f"{url}?{SAVED_PARAM}={criterion_code}#{anchor_for(criterion_code)}")


@post_only(_to_queries)
@login_required
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
    # No checksum: fingerprints are the reviewers' and the office's tool.
    messages.success(
        request,
        _(
            "Die Selbstbewertung ist erneut eingereicht (Einreichung #%(number)d); "
            "die Gutachter:in prüft jetzt Ihre Antworten."
        )
        % {"number": submission.number},
    )
    return redirect("assessments:detail", assessment.pk)
