"""The end of the review: the recommendation and the four-eyes decision
(confirm, send back, decline)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from accounts.decorators import landing_at, post_only, require_recent_second_factor
from assessments import services
from assessments.evaluation import review_problems
from assessments.forms import (
    NoteForm,
    ReasonForm,
)
from assessments.models import AssessmentState, EventAction
from assessments.rules import get_assessment_for_user
from assessments.views.review import _review_data, _site_visit, anchor_for


@login_required
def recommend(request, pk: int):
    assessment = get_assessment_for_user(request.user, pk, "assessments.review_assessment")
    form = NoteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.recommend(user=request.user, assessment_id=assessment.pk, note=form.cleaned_data["note"])
        except services.TransitionRefused as refused:
            messages.error(request, refused.message)
        else:
            messages.success(
                request, _("Zur Zertifizierung empfohlen. Die zweite Person entscheidet nun (Vier-Augen-Prinzip).")
            )
            return redirect("assessments:review", assessment.pk)
    problems = review_problems(assessment) if assessment.state == AssessmentState.IN_REVIEW else []
    for problem in problems:
        problem.anchor = anchor_for(problem.criterion_code) if problem.criterion_code else ""
    context = {
        "assessment": assessment,
        "form": form,
        "problems": problems,
        "submission": assessment.latest_submission,
        "can_recommend": assessment.state == AssessmentState.IN_REVIEW and not problems,
    }
    return render(request, "assessments/review/recommend.html", context)


def _decision_context(request, assessment) -> dict:
    data = _review_data(assessment)
    events = {
        event.action: event
        for event in assessment.events.filter(
            action__in=[EventAction.RECOMMEND, EventAction.APPROVE, EventAction.DECLINE, EventAction.SEND_BACK]
        )
        .select_related("actor", "submission")
        .order_by("created_at", "pk")
    }
    is_recommender = assessment.recommended_by_id == request.user.pk
    return {
        "assessment": assessment,
        "data": data,
        "submission": data.latest if data else None,
        "progress": data.progress if data else None,
        "visit": _site_visit(assessment),
        "recommend_event": events.get(EventAction.RECOMMEND),
        "decision_event": events.get(EventAction.APPROVE) or events.get(EventAction.DECLINE),
        "is_recommender": is_recommender,
        "can_decide": assessment.state == AssessmentState.RECOMMENDED
        and request.user.has_perm("assessments.confirm_assessment", assessment),
        "approve_form": NoteForm(),
        "send_back_form": ReasonForm(),
    }


@login_required
def decision(request, pk: int):
    assessment = get_assessment_for_user(request.user, pk, "assessments.read_review")
    return render(request, "assessments/review/decision.html", _decision_context(request, assessment))


@login_required
@post_only(landing_at("assessments:decision", "pk"))
@require_recent_second_factor(back_to="assessments:decision")
def approve(request, pk: int):
    assessment = get_assessment_for_user(request.user, pk, "assessments.read_review")
    form = NoteForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        confirmed_valid_until = parse_date(request.POST.get("valid_until", ""))
    except ValueError:
        confirmed_valid_until = None
    try:
        # Refused unless the POST carries what the confirmation step showed
        # (review_tools.confirm_approval): the submission and the validity.
        approved = services.approve(
            user=request.user,
            assessment_id=assessment.pk,
            note=note,
            confirmation_required=True,
            confirmed_submission=request.POST.get("confirm", ""),
            confirmed_valid_until=confirmed_valid_until,
        )
    except services.TransitionRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(
            request,
            _("Bestätigt: das Familienzentrum ist zertifiziert. Gütesiegel %(number)s.")
            % {"number": approved.seal.number},
        )
    return redirect("assessments:decision", assessment.pk)


@login_required
@post_only(landing_at("assessments:decision", "pk"))
def send_back(request, pk: int):
    assessment = get_assessment_for_user(request.user, pk, "assessments.read_review")
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Bitte geben Sie eine Begründung an."))
        return redirect("assessments:decision", assessment.pk)
    try:
        services.send_back(user=request.user, assessment_id=assessment.pk, reason=form.cleaned_data["reason"])
    except services.TransitionRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, _("Die Empfehlung ist an die Gutachter:in zurückgegeben."))
    return redirect("assessments:decision", assessment.pk)


@login_required
@require_recent_second_factor()
def decline(request, pk: int):
    assessment = get_assessment_for_user(request.user, pk, "assessments.decline_assessment")
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.decline(user=request.user, assessment_id=assessment.pk, reason=form.cleaned_data["reason"])
        except services.TransitionRefused as refused:
            messages.error(request, refused.message)
        else:
            messages.success(request, _("Die Zertifizierung ist abgelehnt."))
            return redirect("assessments:decision", assessment.pk)
    return render(
        request,
        "assessments/review/decline.html",
        {"assessment": assessment, "form": form, "submission": assessment.latest_submission},
    )
