"""The review: reviewers assigned, verdicts and queries, the centre's
replies and resubmission, the site visit, the recommendation and the
four-eyes decision."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from assessments import handoffs
from assessments.evaluation import Problem, evaluate, readiness_problems, review_problems, reviewer_conflict
from assessments.exceptions import CriterionNotInCatalogue, TransitionRefused
from assessments.models import (
    Assessment,
    AssessmentState,
    CriterionVerdict,
    EventAction,
    SiteVisit,
    Submission,
    Verdict,
)
from assessments.services.common import (
    check_transition,
    criterion_of,
    lock_assessment,
    record_event,
    require_reason,
    run_transition,
)
from assessments.snapshots import diff_submissions, freeze_submission
from certification.selectors import reviewer_pool, users_tied_to_traeger
from certification.services import issue_seal, validate_site_visit_sites


@transaction.atomic
def assign_reviewers(*, user, assessment_id: int, reviewer, second_reviewer) -> Assessment:
    assessment = lock_assessment(assessment_id)
    check_transition(assessment, "assign", user)
    if reviewer is None or second_reviewer is None:
        raise TransitionRefused(_("Bitte benennen Sie Gutachter:in und Zweitgutachter:in."))
    if reviewer.pk == second_reviewer.pk:
        raise TransitionRefused(_("Gutachter:in und Zweitgutachter:in müssen verschiedene Personen sein."))
    assessment.reviewer = reviewer
    assessment.second_reviewer = second_reviewer
    if reviewer_conflict(assessment):
        raise TransitionRefused(
            _("%(reviewer)s ist mit dem Träger dieses Familienzentrums verbunden und darf nicht begutachten.")
            % {"reviewer": reviewer}
        )
    # The confirming second pair of eyes must be as independent as the first.
    if users_tied_to_traeger(assessment.familienzentrum.traeger_id).filter(user_id=second_reviewer.pk).exists():
        raise TransitionRefused(
            _("%(reviewer)s ist mit dem Träger dieses Familienzentrums verbunden und darf nicht bestätigen.")
            % {"reviewer": second_reviewer}
        )
    if not reviewer_pool().filter(pk=reviewer.pk).exists():
        raise TransitionRefused(
            _("%(reviewer)s gehört nicht zum aktiven Gutachter:innen-Pool.") % {"reviewer": reviewer}
        )
    if not reviewer_pool(confirmers=True).filter(pk=second_reviewer.pk).exists():
        raise TransitionRefused(
            _("%(reviewer)s darf nicht als Zweitgutachter:in bestätigen.") % {"reviewer": second_reviewer}
        )
    assessment.checked_problems = []  # the transition's condition reads it
    # Names, not addresses: the centre sees the timeline too.
    run_transition(assessment, "assign", user, note=f"{reviewer.get_full_name()} / {second_reviewer.get_full_name()}")
    return assessment


@transaction.atomic
def set_verdict(*, user, assessment_id: int, criterion_code: str, verdict: str, comment: str) -> CriterionVerdict:
    assessment = lock_assessment(assessment_id)
    if not user.has_perm("assessments.review_assessment", assessment):
        raise TransitionRefused(_("Sie sind dieser Selbstbewertung nicht als Gutachter:in zugewiesen."))
    if assessment.state != AssessmentState.IN_REVIEW:
        raise TransitionRefused(_("Urteile sind nur während der Begutachtung möglich."))
    if verdict not in Verdict.values:
        raise ValidationError(_("Unbekanntes Urteil."))
    comment = (comment or "").strip()
    if verdict == Verdict.QUERIED and not comment:
        raise TransitionRefused(_("Eine Rückfrage braucht einen Kommentar."))
    criterion = criterion_of(assessment, criterion_code)
    submission = assessment.latest_submission
    if criterion_code not in {entry["code"] for entry in submission.payload["criteria"]}:
        raise CriterionNotInCatalogue(criterion_code)
    result, _created = CriterionVerdict.objects.update_or_create(
        submission=submission,
        criterion=criterion,
        defaults={"verdict": verdict, "comment": comment, "reviewer": user},
    )
    return result


@transaction.atomic
def request_changes(*, user, assessment_id: int, note: str = "") -> Assessment:
    assessment = lock_assessment(assessment_id)
    check_transition(assessment, "request_changes", user)
    if (
        not assessment.submissions.exists()
        or not assessment.latest_submission.verdicts.filter(verdict=Verdict.QUERIED).exists()
    ):
        raise TransitionRefused(_("Stellen Sie zuerst zu mindestens einem Kriterium eine Rückfrage mit Kommentar."))
    run_transition(assessment, "request_changes", user, note=note)
    return assessment


@transaction.atomic
def reply_to_query(*, user, assessment_id: int, criterion_code: str, reply: str) -> CriterionVerdict:
    assessment = lock_assessment(assessment_id)
    if not user.has_perm("assessments.edit_assessment", assessment):
        raise TransitionRefused(_("Sie dürfen diese Selbstbewertung nicht bearbeiten."))
    if assessment.state != AssessmentState.CHANGES_REQUESTED:
        raise TransitionRefused(_("Rückfragen können nur beantwortet werden, solange sie offen sind."))
    reply = (reply or "").strip()
    if not reply:
        raise TransitionRefused(_("Bitte schreiben Sie eine Antwort."))
    verdict = assessment.latest_submission.verdicts.filter(
        criterion__code=criterion_code, verdict=Verdict.QUERIED
    ).first()
    if verdict is None:
        raise CriterionNotInCatalogue(criterion_code)
    verdict.reply = reply
    verdict.replied_at = timezone.now()
    verdict.save(update_fields=["reply", "replied_at", "updated_at"])
    return verdict


@transaction.atomic
def resubmit(*, user, assessment_id: int) -> Submission:
    assessment = lock_assessment(assessment_id)
    check_transition(assessment, "resubmit", user)
    unanswered = assessment.latest_submission.verdicts.filter(verdict=Verdict.QUERIED, reply="").select_related(
        "criterion"
    )
    if unanswered:
        raise TransitionRefused(
            _("Beantworten Sie zuerst alle Rückfragen."),
            [Problem(_("Rückfrage noch nicht beantwortet."), verdict.criterion.code) for verdict in unanswered],
        )
    # One evaluation serves both the check and the snapshot.
    evaluation = evaluate(assessment)
    problems = readiness_problems(assessment, evaluation)
    if problems:
        raise TransitionRefused(_("Die Selbstbewertung ist noch nicht vollständig."), problems)
    assessment.checked_problems = problems  # the transition's condition reads it
    previous = assessment.latest_submission
    submission = freeze_submission(assessment, user, evaluation=evaluation)
    # An acceptance carries over only where the criterion is unchanged
    # between the two snapshots; a changed or queried criterion is judged again.
    changed = set(diff_submissions(previous.payload, submission.payload))
    CriterionVerdict.objects.bulk_create(
        CriterionVerdict(
            submission=submission,
            criterion_id=verdict.criterion_id,
            verdict=verdict.verdict,
            comment=verdict.comment,
            reviewer_id=verdict.reviewer_id,
        )
        for verdict in previous.verdicts.filter(verdict=Verdict.ACCEPTED).select_related("criterion")
        if verdict.criterion.code not in changed
    )
    run_transition(assessment, "resubmit", user, submission=submission, note=submission.sha256)
    return submission


@transaction.atomic
def schedule_site_visit(*, user, assessment_id: int, scheduled_for, site_ids: list[int], notes: str = "") -> SiteVisit:
    assessment = lock_assessment(assessment_id)
    if not user.has_perm("assessments.review_assessment", assessment):
        raise TransitionRefused(_("Sie sind dieser Selbstbewertung nicht als Gutachter:in zugewiesen."))
    if assessment.state not in (AssessmentState.IN_REVIEW, AssessmentState.CHANGES_REQUESTED):
        raise TransitionRefused(_("Eine Begehung wird während der Begutachtung geplant."))
    # A single centre: its site; a Verbund: exactly two, one the grant recipient.
    validate_site_visit_sites(assessment.familienzentrum, site_ids)
    if SiteVisit.objects.filter(assessment=assessment, done_at__isnull=False).exists():
        raise TransitionRefused(_("Die Begehung ist bereits durchgeführt."))
    visit, _created = SiteVisit.objects.update_or_create(
        assessment=assessment, defaults={"scheduled_for": scheduled_for, "notes": notes}
    )
    visit.sites.set(site_ids)
    when = timezone.localtime(scheduled_for).strftime("%d.%m.%Y %H:%M")
    links = assessment.familienzentrum.site_links.all()
    names = ", ".join(link.site.name for link in links if link.site_id in site_ids)
    record_event(
        assessment, user, EventAction.VISIT_SCHEDULED, assessment.state, assessment.state, note=f"{when} · {names}"
    )
    handoffs.site_visit_planned(visit)
    return visit


@transaction.atomic
def record_site_visit_done(*, user, assessment_id: int, notes: str = "") -> SiteVisit:
    assessment = lock_assessment(assessment_id)
    if not user.has_perm("assessments.review_assessment", assessment):
        raise TransitionRefused(_("Sie sind dieser Selbstbewertung nicht als Gutachter:in zugewiesen."))
    if assessment.state not in (AssessmentState.IN_REVIEW, AssessmentState.CHANGES_REQUESTED):
        raise TransitionRefused(_("Eine Begehung wird während der Begutachtung vermerkt."))
    visit = SiteVisit.objects.filter(assessment=assessment).first()
    if visit is None:
        raise TransitionRefused(_("Planen Sie zuerst die Begehung."))
    if visit.is_done:
        raise TransitionRefused(_("Die Begehung ist bereits als durchgeführt vermerkt."))
    visit.done_at = timezone.now()
    if notes:
        visit.notes = notes
    visit.save(update_fields=["done_at", "notes"])
    record_event(assessment, user, EventAction.VISIT_DONE, assessment.state, assessment.state, note=notes)
    return visit


@transaction.atomic
def recommend(*, user, assessment_id: int, note: str = "") -> Assessment:
    assessment = lock_assessment(assessment_id)
    check_transition(assessment, "recommend", user)
    problems = review_problems(assessment)
    if problems:
        raise TransitionRefused(_("Eine Empfehlung ist noch nicht möglich."), problems)
    assessment.checked_problems = problems  # the transition's condition reads it
    assessment.recommended_by = user
    run_transition(assessment, "recommend", user, note=note, submission=assessment.latest_submission)
    return assessment


@transaction.atomic
def send_back(*, user, assessment_id: int, reason: str) -> Assessment:
    assessment = lock_assessment(assessment_id)
    check_transition(assessment, "send_back", user)
    reason = require_reason(reason)
    assessment.recommended_by = None
    run_transition(assessment, "send_back", user, note=reason)
    return assessment


@transaction.atomic
def approve(*, user, assessment_id: int, note: str = "") -> Assessment:
    assessment = lock_assessment(assessment_id)
    if assessment.recommended_by_id == user.pk:
        # Also enforced by the transition's permission; checked first and
        # stated here because it is the heart of the four-eyes principle.
        raise TransitionRefused(_("Wer empfohlen hat, darf nicht selbst bestätigen."))
    check_transition(assessment, "approve", user)
    submission = assessment.latest_submission
    assessment.seal = issue_seal(
        familienzentrum=assessment.familienzentrum,
        valid_from=timezone.localdate(),
        snapshot_sha256=submission.sha256,
    )
    run_transition(assessment, "approve", user, note=note or submission.sha256, submission=submission)
    return assessment


@transaction.atomic
def decline(*, user, assessment_id: int, reason: str) -> Assessment:
    assessment = lock_assessment(assessment_id)
    check_transition(assessment, "decline", user)
    run_transition(assessment, "decline", user, note=require_reason(reason), submission=assessment.latest_submission)
    return assessment
