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
from assessments.evaluation import (
    Evaluation,
    Problem,
    evaluate,
    readiness_problems,
    review_problems,
    reviewer_conflict,
)
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
    SubmissionRevision,
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


def build_snapshot(assessment: Assessment, *, number: int, user, evaluation: Evaluation | None = None) -> dict:
    """Everything a reviewer judges, copied out of the live rows: answers,
    evidence (the latest revision of each linked document, with its sha256)
    and the validity warnings at this moment."""
    from assessments.evidence import evidence_by_criterion, warnings_by_criterion

    evaluation = evaluation or evaluate(assessment)
    centre = assessment.familienzentrum
    catalogue = assessment.catalogue
    site_links = list(centre.site_links.all())
    linked = evidence_by_criterion(assessment)
    warnings = warnings_by_criterion(assessment, evaluation.scope_criteria, linked)
    criteria = []
    for area in evaluation.scope_areas:
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
                    "evidence": [evidence_entry(entry) for entry in linked.get(criterion.pk, [])],
                    "warnings": warnings.get(criterion.pk, []),
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
                    "title": entry.area.title,
                    "answered": entry.answered,
                    "fulfilled": entry.fulfilled,
                    "points": entry.points,
                    "max_points": entry.max_points,
                    "total": entry.total,
                }
                for entry in evaluation.scope_progress
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


def evidence_entry(entry) -> dict:
    """A linked document as the snapshot records it (also used for live lists)."""
    evidence, revision = entry.evidence, entry.revision
    return {
        "evidence_id": evidence.pk,
        "revision_id": revision.pk,
        "revision": revision.number,
        "title": evidence.title,
        "kind": evidence.kind,
        "filename": revision.original_name,
        "content_type": revision.content_type,
        "size": revision.size,
        "sha256": revision.sha256,
        "effective_date": evidence.effective_date.isoformat(),
        "valid_until": evidence.valid_until.isoformat() if evidence.valid_until else None,
        "owner": str(evidence.owner),
        "warnings": entry.warnings,
    }


def freeze_submission(assessment: Assessment, user, *, evaluation: Evaluation | None = None) -> Submission:
    number = assessment.submissions.count() + 1
    payload = build_snapshot(assessment, number=number, user=user, evaluation=evaluation)
    submission = Submission.objects.create(
        assessment=assessment,
        number=number,
        payload=payload,
        sha256=hashlib.sha256(_canonical_json(payload)).hexdigest(),
        submitted_by=user,
    )
    # These rows PROTECT the named revisions: a frozen file can never be deleted.
    criterion_ids = dict(Criterion.objects.filter(catalogue_id=assessment.catalogue_id).values_list("code", "pk"))
    SubmissionRevision.objects.bulk_create(
        SubmissionRevision(
            submission=submission, criterion_id=criterion_ids[entry["code"]], revision_id=item["revision_id"]
        )
        for entry in payload["criteria"]
        for item in entry["evidence"]
    )
    return submission


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
    from assessments.tasks import enqueue, notify_assessment_event

    if event.action in NOTIFIED_ACTIONS:
        transaction.on_commit(lambda: enqueue(notify_assessment_event, event.pk))


NOTIFIED_ACTIONS = {
    EventAction.SUBMIT,
    EventAction.WITHDRAW,
    EventAction.REQUEST_CHANGES,
    EventAction.APPROVE,
    EventAction.DECLINE,
}


def _require_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise TransitionRefused(_("Bitte geben Sie eine Begründung an."))
    return reason


@transaction.atomic
def submit(*, user, assessment_id: int) -> Submission:
    assessment = _lock(assessment_id)
    _check_transition(assessment, "submit", user)
    # One evaluation serves both the check and the snapshot.
    evaluation = evaluate(assessment)
    problems = readiness_problems(assessment, evaluation)
    if problems:
        raise TransitionRefused(_("Die Selbstbewertung ist noch nicht vollständig."), problems)
    submission = freeze_submission(assessment, user, evaluation=evaluation)
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
    from certification.selectors import reviewer_pool, users_tied_to_traeger

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
    # Names, not addresses: the centre sees the timeline too.
    _transition(assessment, "assign", user, note=f"{reviewer.get_full_name()} / {second_reviewer.get_full_name()}")
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
    # One evaluation serves both the check and the snapshot.
    evaluation = evaluate(assessment)
    problems = readiness_problems(assessment, evaluation)
    if problems:
        raise TransitionRefused(_("Die Selbstbewertung ist noch nicht vollständig."), problems)
    previous = assessment.latest_submission
    submission = freeze_submission(assessment, user, evaluation=evaluation)
    # An acceptance carries over only where the criterion is unchanged
    # between the two snapshots; a changed or queried criterion is judged again.
    from assessments.review_diff import diff_submissions

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
    _transition(assessment, "resubmit", user, submission=submission, note=submission.sha256)
    return submission


@transaction.atomic
def schedule_site_visit(*, user, assessment_id: int, scheduled_for, site_ids: list[int], notes: str = "") -> SiteVisit:
    assessment = _lock(assessment_id)
    if not rules.can_review(user, assessment):
        raise TransitionRefused(_("Sie sind dieser Selbstbewertung nicht als Gutachter:in zugewiesen."))
    if assessment.state not in (AssessmentState.IN_REVIEW, AssessmentState.CHANGES_REQUESTED):
        raise TransitionRefused(_("Eine Begehung wird während der Begutachtung geplant."))
    from certification.services import validate_site_visit_sites

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
    _record(assessment, user, EventAction.VISIT_SCHEDULED, assessment.state, assessment.state, note=f"{when} · {names}")
    # The invitation reads the saved visit, so it may only go out after the commit.
    from assessments.tasks import enqueue, send_site_visit_invitation

    transaction.on_commit(lambda: enqueue(send_site_visit_invitation, visit.pk))
    return visit


@transaction.atomic
def record_site_visit_done(*, user, assessment_id: int, notes: str = "") -> SiteVisit:
    assessment = _lock(assessment_id)
    if not rules.can_review(user, assessment):
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
    if assessment.recommended_by_id == user.pk:
        # Also enforced by the transition's permission; checked first and
        # stated here because it is the heart of the four-eyes principle.
        raise TransitionRefused(_("Wer empfohlen hat, darf nicht selbst bestätigen."))
    _check_transition(assessment, "approve", user)
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


# ---------------------------------------------------------------- re-certification


def last_certified_assessment(familienzentrum: Familienzentrum) -> Assessment | None:
    """The centre's last closed assessment, if it ended certified."""
    from assessments.models import OPEN_STATES

    closed = (
        Assessment.objects.filter(familienzentrum=familienzentrum)
        .exclude(state__in=OPEN_STATES)
        .select_related("seal")
        .order_by("-created_at", "-pk")
        .first()
    )
    return closed if closed is not None and closed.state == AssessmentState.CERTIFIED else None


def certified_submission(assessment: Assessment) -> Submission | None:
    """The snapshot the decision named: the one whose sha256 the seal carries."""
    if assessment.seal is not None:
        named = assessment.submissions.filter(sha256=assessment.seal.snapshot_sha256).order_by("-number").first()
        if named is not None:
            return named
    return assessment.latest_submission


def start_recertification(
    *,
    user,
    familienzentrum: Familienzentrum,
    review_period_start: date,
    review_period_end: date,
    catalogue: CatalogueVersion | None = None,
) -> Assessment:
    """A re-certification pre-filled from the last certified snapshot: the
    same profile areas, every answer copied and marked to_confirm (the
    readiness check makes the Leitung confirm or change each one). Criteria
    and items the new catalogue no longer has are left out; evidence is
    re-linked by `relink_previous_evidence`."""
    from assessments.models import AssessmentKind

    previous = last_certified_assessment(familienzentrum)
    if previous is None:
        raise ValidationError(
            _("Eine Re-Zertifizierung setzt eine abgeschlossene, erfolgreiche Zertifizierung voraus.")
        )
    snapshot = certified_submission(previous)
    catalogue = catalogue or current_catalogue() or previous.catalogue
    chosen_codes = set(snapshot.payload.get("profile_areas", []))
    profile_areas = [
        area
        for area in Area.objects.filter(catalogue=catalogue, kind=AreaKind.PROFILE, code__in=chosen_codes)
        if not area.always_required
    ]
    with transaction.atomic():
        assessment = start_assessment(
            user=user,
            familienzentrum=familienzentrum,
            catalogue=catalogue,
            kind=AssessmentKind.RECERTIFICATION,
            profile_areas=profile_areas,
            review_period_start=review_period_start,
            review_period_end=review_period_end,
        )
        assessment.previous = previous
        assessment.save(update_fields=["previous"])
        prefill_answers(assessment, snapshot.payload, user=user)
        relink_previous_evidence(assessment, snapshot)
    return assessment


def prefill_answers(assessment: Assessment, payload: dict, *, user) -> int:
    """Copy the answers of a frozen snapshot into `assessment`, each marked
    to_confirm; returns how many were copied. Only criteria, items and sites
    that still exist are taken over."""
    criteria = {
        criterion.code: criterion
        for criterion in Criterion.objects.filter(catalogue=assessment.catalogue).prefetch_related("items")
    }
    site_ids = {link.site_id for link in assessment.familienzentrum.site_links.all()}
    copied = []
    sites_by_code = {}
    for entry in payload.get("criteria", []):
        criterion = criteria.get(entry["code"])
        if criterion is None:
            continue
        item_codes = {item.code for item in criterion.items.all()}
        statuses = {
            item["code"]: item["status"]
            for item in entry.get("items", [])
            if item["code"] in item_codes and item.get("status") in ItemStatus.values
        }
        copied.append(
            Answer(
                assessment=assessment,
                criterion=criterion,
                item_statuses=statuses,
                narrative=entry.get("narrative", ""),
                to_confirm=True,
                version=1,
                updated_by=user,
            )
        )
        sites_by_code[criterion.code] = [pk for pk in entry.get("delivering_sites", []) if pk in site_ids]
    answers = Answer.objects.bulk_create(copied)
    if assessment.familienzentrum.is_verbund:
        through = Answer.delivering_sites.through
        through.objects.bulk_create(
            through(answer_id=answer.pk, einrichtung_id=site_id)
            for answer in answers
            for site_id in sites_by_code.get(answer.criterion.code, [])
        )
    return len(answers)


def relink_previous_evidence(assessment: Assessment, snapshot: Submission) -> int:
    """Link the documents named in the certified snapshot to the same
    criteria of the new assessment, where the centre still has them (its own,
    or a partner's grant still active). Returns the number of links made."""
    from assessments.evidence import documents_available_to
    from assessments.models import EvidenceLink

    criteria = dict(Criterion.objects.filter(catalogue=assessment.catalogue).values_list("code", "pk"))
    wanted = {
        (criteria[entry["code"]], item["evidence_id"])
        for entry in snapshot.payload.get("criteria", [])
        if entry["code"] in criteria
        for item in entry.get("evidence", [])
    }
    available = set(
        documents_available_to(assessment.familienzentrum)
        .filter(pk__in={evidence_id for _criterion, evidence_id in wanted})
        .values_list("pk", flat=True)
    )
    links = EvidenceLink.objects.bulk_create(
        EvidenceLink(
            assessment=assessment, criterion_id=criterion_id, evidence_id=evidence_id, linked_by=assessment.created_by
        )
        for criterion_id, evidence_id in sorted(wanted)
        if evidence_id in available
    )
    return len(links)
