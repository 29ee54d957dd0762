"""Every write of the assessments app, one function per use case.

Each transition runs in one transaction: lock the assessment row, check
state, permission and condition, do the work, let the thin @transition
method move the state, save, record the event, and schedule side effects
(e-mails, reports) for after the commit.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition

from assessments import rules
from assessments.evaluation import Problem, evaluate, readiness_problems, review_problems, reviewer_conflict
from assessments.models import (
    Answer,
    Assessment,
    AssessmentEvent,
    AssessmentState,
    CriterionVerdict,
    EventAction,
    ItemStatus,
    SiteVisit,
    Submission,
    Verdict,
)
from certification.models import Area, AreaKind, CatalogueVersion, Criterion, Familienzentrum
from certification.services import issue_seal


class TransitionRefused(Exception):
    """A transition that is not allowed now or not for this user. Carries a
    message for the user and, where useful, the list of what is missing."""

    def __init__(self, message: str, problems: list[Problem] | None = None):
        super().__init__(message)
        self.message = message
        self.problems = problems or []


class CriterionNotInCatalogue(Exception):
    """A criterion code (or item code) that the pinned catalogue version does not have."""


@dataclass
class AnswerConflict(Exception):
    """The answer changed since the user loaded it; nothing was saved."""

    current: Answer
    submitted: dict = field(default_factory=dict)


# ---------------------------------------------------------------- starting


def current_catalogue() -> CatalogueVersion | None:
    today = timezone.localdate()
    return CatalogueVersion.objects.filter(valid_from__lte=today).order_by("-valid_from", "-loaded_at").first()


def _check_profile_areas(catalogue: CatalogueVersion, profile_areas: list[Area]) -> None:
    chosen = [area for area in profile_areas if not area.always_required]
    if any(area.catalogue_id != catalogue.pk or area.kind != AreaKind.PROFILE for area in profile_areas):
        raise ValidationError(_("Wählen Sie nur Profilbereiche dieser Katalogversion."))
    if not catalogue.min_profile_areas <= len(chosen) <= catalogue.max_profile_areas:
        raise ValidationError(
            _("Wählen Sie zwischen %(min)d und %(max)d Profilbereiche.")
            % {"min": catalogue.min_profile_areas, "max": catalogue.max_profile_areas}
        )


def start_assessment(
    *,
    user,
    familienzentrum: Familienzentrum,
    catalogue: CatalogueVersion,
    kind: str,
    profile_areas: list[Area],
    review_period_start: date,
    review_period_end: date,
) -> Assessment:
    if review_period_end < review_period_start:
        raise ValidationError(_("Der Prüfzeitraum endet vor seinem Beginn."))
    _check_profile_areas(catalogue, profile_areas)
    try:
        with transaction.atomic():
            assessment = Assessment.objects.create(
                familienzentrum=familienzentrum,
                catalogue=catalogue,
                kind=kind,
                review_period_start=review_period_start,
                review_period_end=review_period_end,
                created_by=user,
            )
            if not rules.can_edit(user, assessment):
                raise PermissionError("not a Leitung of this Familienzentrum")
            assessment.profile_areas.set(profile_areas)
            _record(assessment, user, EventAction.START, "", AssessmentState.DRAFT, note=assessment.get_kind_display())
    except IntegrityError:
        # The partial unique index refused a second open assessment (also
        # when two start requests raced each other).
        raise ValidationError(_("Für dieses Familienzentrum läuft bereits eine Selbstbewertung.")) from None
    return assessment


@transaction.atomic
def change_profile_areas(*, user, assessment_id: int, profile_areas: list[Area]) -> Assessment:
    assessment = _lock(assessment_id)
    _require_editable(user, assessment)
    if assessment.state != AssessmentState.DRAFT:
        raise TransitionRefused(_("Das Profil kann nur im Entwurf geändert werden."))
    _check_profile_areas(assessment.catalogue, profile_areas)
    assessment.profile_areas.set(profile_areas)
    _record(
        assessment,
        user,
        EventAction.PROFILE,
        assessment.state,
        assessment.state,
        note=", ".join(area.code for area in profile_areas),
    )
    return assessment


# ---------------------------------------------------------------- answers


def _require_editable(user, assessment: Assessment) -> None:
    if not rules.can_edit(user, assessment):
        raise TransitionRefused(_("Sie dürfen diese Selbstbewertung nicht bearbeiten."))
    if not assessment.is_editable:
        raise TransitionRefused(
            _("Die Selbstbewertung ist %(state)s und kann nicht mehr bearbeitet werden.")
            % {"state": assessment.get_state_display()}
        )


def criterion_of(assessment: Assessment, code: str) -> Criterion:
    criterion = (
        Criterion.objects.filter(catalogue_id=assessment.catalogue_id, code=code)
        .select_related("area")
        .prefetch_related("items")
        .first()
    )
    if criterion is None:
        raise CriterionNotInCatalogue(code)
    return criterion


@transaction.atomic
def save_answer(
    *,
    user,
    assessment_id: int,
    criterion_code: str,
    item_statuses: dict[str, str],
    narrative: str,
    site_ids: list[int],
    expected_version: int,
) -> Answer:
    """Save one criterion's answer if nobody else saved it since the user
    loaded version `expected_version`; otherwise raise AnswerConflict and
    keep both versions so the user can choose."""
    assessment = _lock(assessment_id)
    _require_editable(user, assessment)
    criterion = criterion_of(assessment, criterion_code)
    item_codes = {item.code for item in criterion.items.all()}
    unknown = set(item_statuses) - item_codes
    if unknown:
        raise CriterionNotInCatalogue(", ".join(sorted(unknown)))
    clean_statuses = {code: status for code, status in item_statuses.items() if status}
    if any(status not in ItemStatus.values for status in clean_statuses.values()):
        raise ValidationError(_("Unbekannte Antwort."))
    centre_site_ids = {link.site_id for link in assessment.familienzentrum.site_links.all()}
    if not set(site_ids) <= centre_site_ids:
        raise ValidationError(_("Nur Standorte dieses Familienzentrums können ein Kriterium erbringen."))

    answer = Answer.objects.select_for_update().filter(assessment=assessment, criterion=criterion).first()
    if answer is None:
        answer = Answer(assessment=assessment, criterion=criterion)
    submitted = {"item_statuses": clean_statuses, "narrative": narrative, "site_ids": sorted(site_ids)}
    if answer.version != expected_version:
        raise AnswerConflict(current=answer, submitted=submitted)
    answer.item_statuses = clean_statuses
    answer.narrative = narrative
    answer.to_confirm = False
    answer.version += 1
    answer.updated_by = user
    answer.save()
    if assessment.familienzentrum.is_verbund:
        answer.delivering_sites.set(site_ids)
    return answer


# ---------------------------------------------------------------- snapshots


def _canonical_json(payload: dict) -> bytes:
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def build_snapshot(assessment: Assessment, *, number: int, user) -> dict:
    """Everything a reviewer judges, copied out of the live rows."""
    evaluation = evaluate(assessment)
    centre = assessment.familienzentrum
    catalogue = assessment.catalogue
    site_links = list(centre.site_links.all())
    criteria = []
    for area in evaluation.areas:
        if area.pk not in evaluation.scope_area_ids:
            continue
        for criterion in area.criteria.all():
            answer = evaluation.answers.get(criterion.pk)
            statuses = answer.item_statuses if answer else {}
            criteria.append(
                {
                    "code": criterion.code,
                    "area": area.code,
                    "title": criterion.title,
                    "level": criterion.level,
                    "points": criterion.points,
                    "logic": criterion.logic,
                    "items": [
                        {"code": item.code, "text": item.text, "status": statuses.get(item.code, "")}
                        for item in criterion.items.all()
                    ],
                    "fulfilled": criterion.pk in evaluation.fulfilled_criterion_ids,
                    "narrative": answer.narrative if answer else "",
                    "delivering_sites": sorted(site.pk for site in answer.delivering_sites.all()) if answer else [],
                    "evidence": [],
                }
            )
    return {
        "schema": 1,
        "number": number,
        "submitted_at": timezone.now().isoformat(),
        "submitted_by": user.email,
        "assessment": {
            "id": assessment.pk,
            "kind": assessment.kind,
            "review_period": [assessment.review_period_start.isoformat(), assessment.review_period_end.isoformat()],
        },
        "familienzentrum": {
            "id": centre.pk,
            "name": centre.name,
            "form": centre.form,
            "traeger": centre.traeger.name,
            "sites": [
                {
                    "id": link.site_id,
                    "name": link.site.name,
                    "city": link.site.city,
                    "grant_recipient": link.is_grant_recipient,
                }
                for link in site_links
            ],
        },
        "catalogue": {
            "id": catalogue.pk,
            "code": catalogue.code,
            "version": catalogue.version,
            "title": catalogue.title,
            "source_sha256": catalogue.source_sha256,
        },
        "profile_areas": sorted(area.code for area in assessment.profile_areas.all()),
        "criteria": criteria,
        "evaluation": {
            "areas": [
                {
                    "code": entry.area.code,
                    "answered": entry.answered,
                    "fulfilled": entry.fulfilled,
                    "points": entry.points,
                    "total": entry.total,
                }
                for entry in evaluation.progress
                if entry.area.pk in evaluation.scope_area_ids
            ],
            "rules": [
                {
                    "code": result.rule.code,
                    "title": result.rule.title,
                    "met": result.met,
                    "basis": result.basis,
                    "aufbau": result.aufbau,
                    "points": result.points,
                    "missing": result.missing,
                }
                for result in evaluation.rules
            ],
        },
    }


def freeze_submission(assessment: Assessment, user) -> Submission:
    number = assessment.submissions.count() + 1
    payload = build_snapshot(assessment, number=number, user=user)
    return Submission.objects.create(
        assessment=assessment,
        number=number,
        payload=payload,
        sha256=hashlib.sha256(_canonical_json(payload)).hexdigest(),
        submitted_by=user,
    )


# ---------------------------------------------------------------- transitions


def _lock(assessment_id: int) -> Assessment:
    # select_for_update makes a second, simultaneous request wait here until
    # the first commits; it then sees the new state and is refused.
    return (
        Assessment.objects.select_for_update(of=("self",))
        .select_related("familienzentrum__traeger", "catalogue")
        .prefetch_related("familienzentrum__site_links__site")
        .get(pk=assessment_id)
    )


def _record(assessment, user, action, from_state, to_state, *, note="", submission=None) -> AssessmentEvent:
    return AssessmentEvent.objects.create(
        assessment=assessment,
        actor=user,
        action=action,
        from_state=from_state,
        to_state=to_state,
        note=note,
        submission=submission,
    )


def _check_transition(assessment: Assessment, name: str, user) -> None:
    method = getattr(assessment, name)
    meta = method._django_fsm
    state = assessment.state
    if not meta.has_transition(state):
        raise TransitionRefused(
            _("Das ist im Status „%(state)s“ nicht möglich.") % {"state": assessment.get_state_display()}
        )
    if not meta.has_transition_perm(assessment, state, user):
        raise TransitionRefused(_("Dazu sind Sie bei dieser Selbstbewertung nicht berechtigt."))


def _transition(assessment: Assessment, name: str, user, *, note: str = "", submission=None) -> AssessmentEvent:
    from_state = assessment.state
    getattr(assessment, name)()
    try:
        assessment.save()
    except ConcurrentTransition:
        raise TransitionRefused(_("Die Selbstbewertung wurde gerade von jemand anderem geändert.")) from None
    event = _record(assessment, user, name, from_state, assessment.state, note=note, submission=submission)
    _notify_after_commit(event)
    return event


def _notify_after_commit(event: AssessmentEvent) -> None:
    # The task reads the event row, so it must not run before the commit.
    from assessments.tasks import notify_assessment_event

    if event.action in NOTIFIED_ACTIONS:
        transaction.on_commit(lambda: notify_assessment_event.delay(event.pk))


NOTIFIED_ACTIONS = {EventAction.SUBMIT, EventAction.WITHDRAW}


def _require_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise TransitionRefused(_("Bitte geben Sie eine Begründung an."))
    return reason


@transaction.atomic
def submit(*, user, assessment_id: int) -> Submission:
    assessment = _lock(assessment_id)
    _check_transition(assessment, "submit", user)
    problems = readiness_problems(assessment)
    if problems:
        raise TransitionRefused(_("Die Selbstbewertung ist noch nicht vollständig."), problems)
    submission = freeze_submission(assessment, user)
    _transition(assessment, "submit", user, submission=submission, note=submission.sha256)
    return submission


@transaction.atomic
def withdraw(*, user, assessment_id: int, reason: str) -> Assessment:
    assessment = _lock(assessment_id)
    _check_transition(assessment, "withdraw", user)
    _transition(assessment, "withdraw", user, note=_require_reason(reason))
    return assessment


@transaction.atomic
def assign_reviewers(*, user, assessment_id: int, reviewer, second_reviewer) -> Assessment:
    assessment = _lock(assessment_id)
    _check_transition(assessment, "assign", user)
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
    _transition(assessment, "assign", user, note=f"{reviewer.email} / {second_reviewer.email}")
    return assessment


@transaction.atomic
def set_verdict(*, user, assessment_id: int, criterion_code: str, verdict: str, comment: str) -> CriterionVerdict:
    assessment = _lock(assessment_id)
    if not rules.can_review(user, assessment):
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
    assessment = _lock(assessment_id)
    _check_transition(assessment, "request_changes", user)
    if (
        not assessment.submissions.exists()
        or not assessment.latest_submission.verdicts.filter(verdict=Verdict.QUERIED).exists()
    ):
        raise TransitionRefused(_("Stellen Sie zuerst zu mindestens einem Kriterium eine Rückfrage mit Kommentar."))
    _transition(assessment, "request_changes", user, note=note)
    return assessment


@transaction.atomic
def reply_to_query(*, user, assessment_id: int, criterion_code: str, reply: str) -> CriterionVerdict:
    assessment = _lock(assessment_id)
    if not rules.can_edit(user, assessment):
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
    assessment = _lock(assessment_id)
    _check_transition(assessment, "resubmit", user)
    unanswered = assessment.latest_submission.verdicts.filter(verdict=Verdict.QUERIED, reply="").select_related(
        "criterion"
    )
    if unanswered:
        raise TransitionRefused(
            _("Beantworten Sie zuerst alle Rückfragen."),
            [Problem(_("Rückfrage noch nicht beantwortet."), verdict.criterion.code) for verdict in unanswered],
        )
    problems = readiness_problems(assessment)
    if problems:
        raise TransitionRefused(_("Die Selbstbewertung ist noch nicht vollständig."), problems)
    previous = assessment.latest_submission
    submission = freeze_submission(assessment, user)
    # Accepted verdicts carry over to the new snapshot; queried ones stay open
    # until the reviewer judges the changed answer again.
    CriterionVerdict.objects.bulk_create(
        CriterionVerdict(
            submission=submission,
            criterion_id=verdict.criterion_id,
            verdict=verdict.verdict,
            comment=verdict.comment,
            reviewer_id=verdict.reviewer_id,
        )
        for verdict in previous.verdicts.filter(verdict=Verdict.ACCEPTED)
    )
    _transition(assessment, "resubmit", user, submission=submission, note=submission.sha256)
    return submission


@transaction.atomic
def schedule_site_visit(*, user, assessment_id: int, scheduled_for, site_ids: list[int], notes: str = "") -> SiteVisit:
    assessment = _lock(assessment_id)
    if not rules.can_review(user, assessment):
        raise TransitionRefused(_("Sie sind dieser Selbstbewertung nicht als Gutachter:in zugewiesen."))
    centre_sites = {link.site_id for link in assessment.familienzentrum.site_links.all()}
    if not site_ids or not set(site_ids) <= centre_sites:
        raise ValidationError(_("Wählen Sie Standorte dieses Familienzentrums."))
    visit, _created = SiteVisit.objects.update_or_create(
        assessment=assessment, defaults={"scheduled_for": scheduled_for, "notes": notes}
    )
    visit.sites.set(site_ids)
    _record(assessment, user, EventAction.VISIT_SCHEDULED, assessment.state, assessment.state, note=str(scheduled_for))
    return visit


@transaction.atomic
def record_site_visit_done(*, user, assessment_id: int, notes: str = "") -> SiteVisit:
    assessment = _lock(assessment_id)
    if not rules.can_review(user, assessment):
        raise TransitionRefused(_("Sie sind dieser Selbstbewertung nicht als Gutachter:in zugewiesen."))
    visit = SiteVisit.objects.filter(assessment=assessment).first()
    if visit is None:
        raise TransitionRefused(_("Planen Sie zuerst die Begehung."))
    visit.done_at = timezone.now()
    if notes:
        visit.notes = notes
    visit.save(update_fields=["done_at", "notes"])
    _record(assessment, user, EventAction.VISIT_DONE, assessment.state, assessment.state, note=notes)
    return visit


@transaction.atomic
def recommend(*, user, assessment_id: int, note: str = "") -> Assessment:
    assessment = _lock(assessment_id)
    _check_transition(assessment, "recommend", user)
    problems = review_problems(assessment)
    if problems:
        raise TransitionRefused(_("Eine Empfehlung ist noch nicht möglich."), problems)
    assessment.recommended_by = user
    _transition(assessment, "recommend", user, note=note, submission=assessment.latest_submission)
    return assessment


@transaction.atomic
def send_back(*, user, assessment_id: int, reason: str) -> Assessment:
    assessment = _lock(assessment_id)
    _check_transition(assessment, "send_back", user)
    reason = _require_reason(reason)
    assessment.recommended_by = None
    _transition(assessment, "send_back", user, note=reason)
    return assessment


@transaction.atomic
def approve(*, user, assessment_id: int, note: str = "") -> Assessment:
    assessment = _lock(assessment_id)
    _check_transition(assessment, "approve", user)
    if assessment.recommended_by_id == user.pk:
        # Also enforced by the transition's permission; stated here because it
        # is the heart of the four-eyes principle.
        raise TransitionRefused(_("Wer empfohlen hat, darf nicht selbst bestätigen."))
    submission = assessment.latest_submission
    assessment.seal = issue_seal(
        familienzentrum=assessment.familienzentrum,
        valid_from=timezone.localdate(),
        snapshot_sha256=submission.sha256,
    )
    _transition(assessment, "approve", user, note=note or submission.sha256, submission=submission)
    return assessment


@transaction.atomic
def decline(*, user, assessment_id: int, reason: str) -> Assessment:
    assessment = _lock(assessment_id)
    _check_transition(assessment, "decline", user)
    _transition(assessment, "decline", user, note=_require_reason(reason), submission=assessment.latest_submission)
    return assessment
