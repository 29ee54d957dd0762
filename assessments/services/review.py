"""The review (the assignment lives in assignment.py): verdicts and queries, the centre's
replies and resubmission, the site visit, the recommendation and the
four-eyes decision."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from assessments import handoffs
from assessments.calendars import calendar_token_hash
from assessments.evaluation import Problem, evaluate, readiness_problems, review_problems
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
from assessments.services.deadlines import Step, set_step_dates
from assessments.snapshots import diff_submissions, freeze_submission
from certification.models import LogAction, Reviewer
from certification.services import issue_seal, log_action, seal_valid_until, validate_site_visit_sites


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


@dataclass(frozen=True)
class AreaAccepted:
    accepted: list[str]  # the codes accepted now
    skipped: list[str]  # confirmed, but judged meanwhile: left as they are


@transaction.atomic
def accept_area(
    *, user, assessment_id: int, area_code: str, submission_number: int, criterion_codes: list[str]
) -> AreaAccepted:
    """Accept, in one go, those of `criterion_codes` in the area that have no
    verdict yet on the latest submission: the list the reviewer confirmed.
    A criterion judged meanwhile (a query above all) is never touched; a
    submission other than the confirmed one (resubmitted meanwhile) refuses
    the whole step. A fixed number of queries however many criteria."""
    assessment = lock_assessment(assessment_id)
    if not user.has_perm("assessments.review_assessment", assessment):
        raise TransitionRefused(_("Sie sind dieser Selbstbewertung nicht als Gutachter:in zugewiesen."))
    if assessment.state != AssessmentState.IN_REVIEW:
        raise TransitionRefused(_("Urteile sind nur während der Begutachtung möglich."))
    submission = assessment.latest_submission
    if submission is None or submission.number != submission_number:
        raise TransitionRefused(
            _(
                "Die Selbstbewertung wurde inzwischen erneut eingereicht. Es wurde nichts angenommen; "
                "bitte prüfen Sie den Bereich in der neuen Einreichung."
            )
        )
    in_area = [entry["code"] for entry in submission.payload["criteria"] if entry["area"] == area_code]
    if not in_area:
        raise CriterionNotInCatalogue(area_code)
    judged = set(submission.verdicts.filter(criterion__code__in=in_area).values_list("criterion__code", flat=True))
    confirmed = set(criterion_codes)
    accepted = [code for code in in_area if code in confirmed and code not in judged]
    skipped = [code for code in in_area if code in confirmed and code in judged]
    if not accepted:
        raise TransitionRefused(_("In diesem Bereich ist kein bestätigtes Kriterium mehr ohne Urteil."))
    # The same rows set_verdict writes, in one INSERT; the assessment lock
    # keeps a simultaneous single verdict out until this commits.
    CriterionVerdict.objects.bulk_create(
        CriterionVerdict(
            submission=submission,
            criterion=criterion_of(assessment, code),
            verdict=Verdict.ACCEPTED,
            comment="",
            reviewer=user,
        )
        for code in accepted
    )
    log_action(
        submission,
        LogAction.AREA_ACCEPTED,
        user=user,
        familienzentrum=assessment.familienzentrum,
        data={"area": area_code, "submission": submission.number, "criteria": accepted},
    )
    return AreaAccepted(accepted=accepted, skipped=skipped)


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
    set_step_dates(assessment, Step.REQUEST_CHANGES)
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
    set_step_dates(assessment, Step.RESUBMIT)
    return submission


@transaction.atomic
def schedule_site_visit(*, user, assessment_id: int, scheduled_for, site_ids: list[int], notes: str = "") -> SiteVisit:
    assessment = lock_assessment(assessment_id)
    if not user.has_perm("assessments.review_assessment", assessment):
        raise TransitionRefused(_("Sie sind dieser Selbstbewertung nicht als Gutachter:in zugewiesen."))
    if assessment.state not in (AssessmentState.IN_REVIEW, AssessmentState.CHANGES_REQUESTED):
        raise TransitionRefused(_("Eine Begehung wird während der Begutachtung geplant."))
    # Planned, or moved, only to a time still ahead (the form says so first).
    if scheduled_for <= timezone.now():
        raise ValidationError({"date": _("Die Begehung kann nur für einen künftigen Zeitpunkt geplant werden.")})
    # A single centre: its site; a Verbund: exactly two, one the grant recipient.
    validate_site_visit_sites(assessment.familienzentrum, site_ids)
    if SiteVisit.objects.filter(assessment=assessment, done_at__isnull=False).exists():
        raise TransitionRefused(_("Die Begehung ist bereits durchgeführt."))
    visit, _created = SiteVisit.objects.update_or_create(
        assessment=assessment, defaults={"scheduled_for": scheduled_for, "notes": notes}
    )
    visit.sites.set(site_ids)
    set_step_dates(assessment, Step.VISIT_PLANNED)
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
    if not visit_day_reached(visit):
        raise TransitionRefused(
            _("Die Begehung ist für den %(day)s geplant; als durchgeführt vermerken können Sie sie ab diesem Tag.")
            % {"day": timezone.localdate(visit.scheduled_for).strftime("%d.%m.%Y")}
        )
    visit.done_at = timezone.now()
    if notes:
        visit.notes = notes
    visit.save(update_fields=["done_at", "notes"])
    record_event(assessment, user, EventAction.VISIT_DONE, assessment.state, assessment.state, note=notes)
    return visit


def visit_day_reached(visit: SiteVisit) -> bool:
    """A visit is marked done on or after its day (local time), never before."""
    return timezone.localdate() >= timezone.localdate(visit.scheduled_for)


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


def seal_terms() -> tuple[date, date]:
    """The validity a seal issued today gets: what the decider confirms."""
    valid_from = timezone.localdate()
    return valid_from, seal_valid_until(valid_from)


@transaction.atomic
def approve(
    *,
    user,
    assessment_id: int,
    note: str = "",
    confirmation_required: bool = False,
    confirmed_submission: str = "",
    confirmed_valid_until: date | None = None,
) -> Assessment:
    """Issues the seal. The decision view requires what its confirmation
    step showed (the submission's SHA-256 and the validity): without it the
    approval is refused, and so is a change meanwhile (a new submission, a
    new day moving the end)."""
    assessment = lock_assessment(assessment_id)
    if assessment.recommended_by_id == user.pk:
        # Also enforced by the transition's permission; checked first and
        # stated here because it is the heart of the four-eyes principle.
        raise TransitionRefused(_("Wer empfohlen hat, darf nicht selbst bestätigen."))
    check_transition(assessment, "approve", user)
    submission = assessment.latest_submission
    valid_from, valid_until = seal_terms()
    if confirmation_required and (not confirmed_submission or confirmed_valid_until is None):
        raise TransitionRefused(_("Bitte bestätigen Sie zuerst die Erteilung des Gütesiegels."))
    if confirmation_required and (confirmed_submission != submission.sha256 or confirmed_valid_until != valid_until):
        raise TransitionRefused(
            _("Die Grundlage der Entscheidung hat sich geändert. Bitte bestätigen Sie die Erteilung erneut.")
        )
    assessment.seal = issue_seal(
        familienzentrum=assessment.familienzentrum,
        valid_from=valid_from,
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


# ---------------------------------------------------------------- the calendar feed


@transaction.atomic
def create_calendar_token(*, user) -> str:
    """A new secret for the reviewer's feed; returned once, stored only as
    its SHA-256. It replaces the previous one, whose URL stops working."""
    reviewer = Reviewer.objects.select_for_update().filter(user=user, is_active=True).first()
    if reviewer is None:
        raise TransitionRefused(_("Ein Kalender-Abo haben nur Gutachter:innen des aktiven Pools."))
    token = secrets.token_urlsafe(32)
    reviewer.calendar_token_hash = calendar_token_hash(token)
    reviewer.calendar_token_created_at = timezone.now()
    reviewer.save(update_fields=["calendar_token_hash", "calendar_token_created_at"])
    return token


@transaction.atomic
def revoke_calendar_token(*, user) -> bool:
    """Ends the feed: its URL answers 404 from now on. False if there was none."""
    return bool(
        Reviewer.objects.filter(user=user)
        .exclude(calendar_token_hash="")
        .update(calendar_token_hash="", calendar_token_created_at=None)
    )
