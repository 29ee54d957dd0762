"""The centre's pages: starting an assessment (first or re-certification),
the overview, the checklist per area with autosave, the profile, the
readiness check with submit, and withdrawing."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_htmx.http import reswap, retarget

from accounts.decorators import post_only
from assessments import services
from assessments.checklist import build_cards, sites_for_answers
from assessments.evaluation import evaluate, evaluate_counts, group_readiness, readiness_problems
from assessments.forms import (
    AnswerForm,
    ProfileForm,
    ReasonForm,
    RecertificationForm,
    StartAssessmentForm,
    default_review_period,
)
from assessments.history import criterion_history as history_rows
from assessments.history import profile_history
from assessments.journal_evidence import coverage_warnings
from assessments.models import AssessmentState
from assessments.rules import get_assessment_for_user
from assessments.selectors import (
    evidence_by_criterion,
    open_assessment_of,
    timeline,
    warnings_by_criterion,
)
from assessments.views.common import card_url, criterion_or_404
from assessments.views.evidence import region_tag
from certification.rules import get_familienzentrum_for_user


@login_required
def start(request, familienzentrum_pk: int):
    familienzentrum = get_familienzentrum_for_user(
        request.user, familienzentrum_pk, "certification.lead_familienzentrum"
    )
    existing = open_assessment_of(familienzentrum)
    if existing is not None:
        messages.info(request, _("Für dieses Familienzentrum läuft bereits eine Selbstbewertung."))
        return redirect("assessments:detail", existing.pk)
    if services.last_certified_assessment(familienzentrum) is not None:
        # With a certified cycle on record the next one starts pre-filled from it.
        return redirect("assessments:recertify", familienzentrum.pk)
    catalogue = services.current_catalogue()
    if catalogue is None:
        messages.error(
            request, _("Es ist noch kein Kriterienkatalog geladen. Bitte wenden Sie sich an die Zertifizierungsstelle.")
        )
        return redirect("home")
    start_date, end_date = default_review_period(timezone.localdate())
    form = StartAssessmentForm(
        request.POST or None,
        catalogue=catalogue,
        initial={"kind": "first", "review_period_start": start_date, "review_period_end": end_date},
    )
    if request.method == "POST" and form.is_valid():
        try:
            assessment = services.start_assessment(
                user=request.user,
                familienzentrum=familienzentrum,
                catalogue=catalogue,
                kind=form.cleaned_data["kind"],
                profile_areas=list(form.cleaned_data["profile_areas"]),
                review_period_start=form.cleaned_data["review_period_start"],
                review_period_end=form.cleaned_data["review_period_end"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Die Selbstbewertung ist angelegt. Beginnen Sie mit dem ersten Bereich."))
            return redirect("assessments:detail", assessment.pk)
    return render(
        request, "assessments/start.html", {"form": form, "familienzentrum": familienzentrum, "catalogue": catalogue}
    )


@login_required
def detail(request, pk: int):
    assessment = get_assessment_for_user(request.user, pk)
    evaluation = evaluate(assessment)
    context = {
        "assessment": assessment,
        "evaluation": evaluation,
        "progress": evaluation.scope_progress,
        "events": timeline(assessment),
        "profile_changes": profile_history(assessment),
        "submissions": assessment.submissions.order_by("-number"),
    }
    return render(request, "assessments/detail.html", context)


def _area_or_404(assessment, evaluation, area_code: str):
    for area in evaluation.scope_areas:
        if area.code == area_code:
            return area
    raise Http404


def _area_context(request, assessment, area_code: str, *, conflicts: dict | None = None):
    # The progress panel counts every answer; the cards read their own in full.
    evaluation = evaluate_counts(assessment)
    area = _area_or_404(assessment, evaluation, area_code)
    editable = request.user.has_perm("assessments.edit_assessment", assessment) and assessment.is_editable
    cards = build_cards(request, assessment, area, evaluation, editable=editable, conflicts=conflicts or {})
    return {
        "assessment": assessment,
        "area": area,
        "cards": cards,
        "editable": editable,
        "evaluation": evaluation,
        "progress": evaluation.scope_progress,
        "area_progress": evaluation.progress_for(area),
    }


@login_required
def criterion_history(request, pk: int, criterion_code: str):
    """One criterion's history: loaded into its card when opened (htmx), or
    a page of its own without JavaScript."""
    assessment = get_assessment_for_user(request.user, pk)
    criterion = criterion_or_404(assessment, criterion_code)
    context = {
        "assessment": assessment,
        "criterion": criterion,
        "history": history_rows(assessment, [criterion.pk]).get(criterion.pk, []),
        "card_url": card_url(assessment, criterion),
    }
    template = "assessments/_criterion_history.html" if request.htmx else "assessments/criterion_history.html"
    return render(request, template, context)


@login_required
def area(request, pk: int, area_code: str):
    assessment = get_assessment_for_user(request.user, pk)
    return render(request, "assessments/area.html", _area_context(request, assessment, area_code))


def _answer_landing(request, pk: int, criterion_code: str) -> str:
    """A GET of the save URL (after signing in again, the login's ?next=
    names it) lands on the criterion's card, where the browser offers back
    what it kept."""
    assessment = get_assessment_for_user(request.user, pk)
    try:
        criterion = services.criterion_of(assessment, criterion_code)
    except services.CriterionNotInCatalogue:
        return reverse("assessments:detail", args=[assessment.pk])
    url = reverse("assessments:area", args=[assessment.pk, criterion.area.code])
    return f"{url}#kriterium-{criterion.pk}"


@login_required
@post_only(_answer_landing)
def save_answer(request, pk: int, criterion_code: str):
    assessment = get_assessment_for_user(request.user, pk, "assessments.edit_assessment")
    try:
        criterion = services.criterion_of(assessment, criterion_code)
    except services.CriterionNotInCatalogue:
        return HttpResponseBadRequest(_("Dieses Kriterium gibt es in der Katalogversion der Selbstbewertung nicht."))
    sites = sites_for_answers(assessment)
    form = AnswerForm(request.POST, criterion=criterion, sites=sites)
    if not form.is_valid():
        return HttpResponseBadRequest(_("Die Antwort ist unvollständig oder ungültig. Bitte laden Sie die Seite neu."))
    try:
        answer = services.save_answer(
            user=request.user,
            assessment_id=assessment.pk,
            criterion_code=criterion.code,
            item_statuses=form.item_statuses(),
            narrative=form.cleaned_data["narrative"],
            site_ids=form.site_ids(),
            expected_version=form.cleaned_data["version"],
        )
    except services.CriterionNotInCatalogue:
        return HttpResponseBadRequest(_("Diesen Punkt gibt es bei diesem Kriterium nicht."))
    except services.TransitionRefused as refused:
        messages.error(request, refused.message)
        return redirect("assessments:detail", assessment.pk)
    except ValidationError as error:
        return HttpResponseBadRequest(" ".join(error.messages))
    except services.AnswerConflict as conflict:
        return _conflict_response(request, assessment, criterion, form, conflict)

    if request.htmx:
        # The answer just saved is the only change: the panel's counts need
        # the other answers' statuses, not the answers themselves.
        evaluation = evaluate_counts(assessment)
        context = {
            "assessment": assessment,
            "criterion": criterion,
            "answer": answer,
            "evaluation": evaluation,
            "progress": evaluation.scope_progress,
            "area_progress": evaluation.progress_for(criterion.area),
            "area": criterion.area,
        }
        response = render(request, "assessments/_answer_saved.html", context)
        # autosave.js forgets the copy it kept in the browser on this header only.
        response["X-Answer-Saved"] = "1"
        return response
    messages.success(
        request,
        _("Antwort zu %(code)s gespeichert.") % {"code": criterion.code},
        extra_tags=region_tag(f"antwort-{criterion.pk}"),
    )
    url = reverse("assessments:area", args=[assessment.pk, criterion.area.code])
    return redirect(f"{url}#kriterium-{criterion.pk}")


def _conflict_response(request, assessment, criterion, form, conflict):
    """Show both versions: the user's (kept in the form, now based on the
    current version so that saving it is a conscious overwrite) and the one
    saved meanwhile."""
    current = conflict.current
    data = request.POST.copy()
    data[form.add_prefix("version")] = str(current.version)
    sites = sites_for_answers(assessment)
    mine = AnswerForm(data, criterion=criterion, sites=sites)
    mine.is_valid()
    conflict_info = {
        "form": mine,
        "theirs": current,
        "theirs_statuses": [(item, current.item_statuses.get(item.code, "")) for item in criterion.items.all()],
        "theirs_sites": [site.name for site in current.delivering_sites.all()] if current.pk else [],
    }
    if request.htmx:
        response = render(
            request,
            "assessments/_criterion_card.html",
            {
                "assessment": assessment,
                "card": {"criterion": criterion, "form": mine, "answer": current, "conflict": conflict_info},
                "editable": True,
            },
        )
        return reswap(retarget(response, f"#kriterium-{criterion.pk}"), "outerHTML")
    context = _area_context(request, assessment, criterion.area.code, conflicts={criterion.code: conflict_info})
    return render(request, "assessments/area.html", context, status=409)


@login_required
def profile(request, pk: int):
    assessment = get_assessment_for_user(request.user, pk, "assessments.edit_assessment")
    form = ProfileForm(
        request.POST or None,
        catalogue=assessment.catalogue,
        initial={"profile_areas": list(assessment.profile_areas.all())},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.change_profile_areas(
                user=request.user, assessment_id=assessment.pk, profile_areas=list(form.cleaned_data["profile_areas"])
            )
        except ValidationError as error:
            form.add_error("profile_areas", error)
        except services.TransitionRefused as refused:
            messages.error(request, refused.message)
            return redirect("assessments:detail", assessment.pk)
        else:
            messages.success(request, _("Das Profil ist gespeichert."))
            return redirect("assessments:detail", assessment.pk)
    return render(request, "assessments/profile.html", {"assessment": assessment, "form": form})


@login_required
def ready(request, pk: int):
    """The 'ready to submit' page: what is still missing, grouped by area and
    each linked to its criterion; and the submit button when nothing is."""
    assessment = get_assessment_for_user(request.user, pk, "assessments.edit_assessment")
    if request.method == "POST":
        try:
            services.submit(user=request.user, assessment_id=assessment.pk)
        except services.TransitionRefused as refused:
            assessment.refresh_from_db()
            if assessment.state != AssessmentState.DRAFT:
                # Typically a double click: the first request already submitted.
                messages.info(request, _("Die Selbstbewertung ist bereits eingereicht."))
                return redirect("assessments:detail", assessment.pk)
            messages.error(request, refused.message)
        else:
            # No checksum here: fingerprints are the reviewers' and the
            # office's working tool (assessments.see_fingerprints).
            messages.success(
                request,
                _(
                    "Die Selbstbewertung ist eingereicht. Die Zertifizierungsstelle weist ihr jetzt eine "
                    "Gutachterin oder einen Gutachter zu; was danach geschieht, steht unten unter „Wie es weitergeht“."
                ),
            )
            return redirect("assessments:detail", assessment.pk)
    evaluation = evaluate(assessment)
    linked = evidence_by_criterion(assessment)
    problems = (
        readiness_problems(assessment, evaluation, evidenced_criterion_ids=set(linked))
        if assessment.state == AssessmentState.DRAFT
        else []
    )
    in_scope = evaluation.scope_criteria
    warnings_by_pk = warnings_by_criterion(assessment, in_scope, linked)
    warnings = [
        {"criterion": criterion, "messages": warnings_by_pk[criterion.pk]}
        for criterion in in_scope
        if criterion.pk in warnings_by_pk
    ]
    # The journal's frequencies not met in the review year: warnings, never blockers.
    coverage = coverage_warnings(assessment, in_scope, timezone.localdate())
    journal_gaps = [
        {"criterion": criterion, "messages": coverage[criterion.pk]}
        for criterion in in_scope
        if criterion.pk in coverage
    ]
    context = {
        "assessment": assessment,
        "journal_gaps": journal_gaps,
        "readiness": group_readiness(problems, evaluation),
        "problems": problems,
        "warnings": warnings,
        "evaluation": evaluation,
        "can_submit": assessment.state == AssessmentState.DRAFT and not problems,
    }
    return render(request, "assessments/ready.html", context)


@login_required
def withdraw(request, pk: int):
    assessment = get_assessment_for_user(request.user, pk, "assessments.withdraw_assessment")
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.withdraw(user=request.user, assessment_id=assessment.pk, reason=form.cleaned_data["reason"])
        except services.TransitionRefused as refused:
            messages.error(request, refused.message)
        else:
            messages.success(request, _("Die Selbstbewertung ist zurückgezogen."))
        return redirect("assessments:detail", assessment.pk)
    return render(request, "assessments/withdraw.html", {"assessment": assessment, "form": form})


@login_required
def recertify(request, familienzentrum_pk: int):
    familienzentrum = get_familienzentrum_for_user(
        request.user, familienzentrum_pk, "certification.lead_familienzentrum"
    )
    previous = services.last_certified_assessment(familienzentrum)
    start, end = default_review_period(timezone.localdate())
    form = RecertificationForm(request.POST or None, initial={"review_period_start": start, "review_period_end": end})
    if request.method == "POST" and form.is_valid():
        try:
            assessment = services.start_recertification(
                user=request.user,
                familienzentrum=familienzentrum,
                review_period_start=form.cleaned_data["review_period_start"],
                review_period_end=form.cleaned_data["review_period_end"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _(
                    "Die Re-Zertifizierung ist angelegt. Die Antworten der letzten Zertifizierung sind übernommen: "
                    "bitte bestätigen oder ändern Sie jede einzelne."
                ),
            )
            return redirect("assessments:detail", assessment.pk)
    context = {"familienzentrum": familienzentrum, "previous": previous, "form": form}
    return render(request, "assessments/review/recertify.html", context)
