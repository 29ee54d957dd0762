"""The centre's side of the cycle: starting an assessment (first or
re-certification), the profile, answers, submitting and withdrawing."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from assessments.deadlines import review_year_of
from assessments.evaluation import evaluate, readiness_problems
from assessments.exceptions import AnswerConflict, CriterionNotInCatalogue, TransitionRefused
from assessments.models import (
    OPEN_STATES,
    Answer,
    Assessment,
    AssessmentKind,
    AssessmentState,
    EventAction,
    EvidenceLink,
    ItemStatus,
    Submission,
)
from assessments.services.common import (
    check_profile_areas,
    check_transition,
    criterion_of,
    current_catalogue,
    lock_assessment,
    record_event,
    require_editable,
    require_reason,
    run_transition,
)
from assessments.services.deadlines import Step, set_step_dates
from assessments.snapshots import freeze_submission
from certification.models import Area, AreaKind, CatalogueVersion, Criterion, Familienzentrum, LogAction
from certification.services import log_action
from evidence.selectors import documents_available_to
from register.selectors import valid_for_recertification


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
    check_profile_areas(catalogue, profile_areas)
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
            if not user.has_perm("assessments.edit_assessment", assessment):
                raise PermissionError("not a Leitung of this Familienzentrum")
            assessment.profile_areas.set(profile_areas)
            record_event(
                assessment, user, EventAction.START, "", AssessmentState.DRAFT, note=assessment.get_kind_display()
            )
            set_step_dates(assessment, Step.START)
    except IntegrityError:
        # The partial unique index refused a second open assessment (also
        # when two start requests raced each other).
        raise ValidationError(_("Für dieses Familienzentrum läuft bereits eine Selbstbewertung.")) from None
    return assessment


@transaction.atomic
def change_profile_areas(*, user, assessment_id: int, profile_areas: list[Area]) -> Assessment:
    assessment = lock_assessment(assessment_id)
    require_editable(user, assessment)
    if assessment.state != AssessmentState.DRAFT:
        raise TransitionRefused(_("Das Profil kann nur im Entwurf geändert werden."))
    check_profile_areas(assessment.catalogue, profile_areas)
    before = sorted(assessment.profile_areas.values_list("code", flat=True))
    assessment.profile_areas.set(profile_areas)
    record_event(
        assessment,
        user,
        EventAction.PROFILE,
        assessment.state,
        assessment.state,
        note=", ".join(area.code for area in profile_areas),
    )
    after = sorted(area.code for area in profile_areas)
    if before != after:
        log_action(
            assessment,
            LogAction.PROFILE_CHANGED,
            user=user,
            familienzentrum=assessment.familienzentrum,
            data={"before": before, "after": after},
        )
    return assessment


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
    assessment = lock_assessment(assessment_id)
    require_editable(user, assessment)
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
    is_verbund = assessment.familienzentrum.is_verbund
    before = {
        "item_statuses": dict(answer.item_statuses),
        "narrative": answer.narrative,
        "site_ids": sorted(answer.delivering_sites.values_list("pk", flat=True)) if answer.pk and is_verbund else [],
    }
    after = {**submitted, "site_ids": submitted["site_ids"] if is_verbund else []}
    answer.item_statuses = clean_statuses
    answer.narrative = narrative
    answer.to_confirm = False
    answer.version += 1
    answer.updated_by = user
    answer.save()
    if is_verbund:
        answer.delivering_sites.set(site_ids)
    if before != after:
        log_action(
            assessment,
            LogAction.ANSWER_CHANGED,
            user=user,
            familienzentrum=assessment.familienzentrum,
            criterion=criterion,
            data={"before": before, "after": after},
        )
    return answer


@transaction.atomic
def submit(*, user, assessment_id: int) -> Submission:
    assessment = lock_assessment(assessment_id)
    check_transition(assessment, "submit", user)
    # One evaluation serves both the check and the snapshot.
    evaluation = evaluate(assessment)
    problems = readiness_problems(assessment, evaluation)
    if problems:
        raise TransitionRefused(_("Die Selbstbewertung ist noch nicht vollständig."), problems)
    assessment.checked_problems = problems  # the transition's condition reads it
    submission = freeze_submission(assessment, user, evaluation=evaluation)
    run_transition(assessment, "submit", user, submission=submission, note=submission.sha256)
    set_step_dates(assessment, Step.SUBMIT)
    return submission


@transaction.atomic
def withdraw(*, user, assessment_id: int, reason: str) -> Assessment:
    assessment = lock_assessment(assessment_id)
    check_transition(assessment, "withdraw", user)
    run_transition(assessment, "withdraw", user, note=require_reason(reason))
    return assessment


def last_certified_assessment(familienzentrum: Familienzentrum) -> Assessment | None:
    """The centre's last closed assessment, if it ended certified."""
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
        set_step_dates(assessment, Step.START)  # due before the previous seal ends
        prefill_answers(assessment, snapshot.payload, user=user)
        relink_previous_evidence(assessment, snapshot)
        link_register_evidence(assessment)
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


def link_register_evidence(assessment: Assessment) -> int:
    """Link the standing register's documents (qualifications, cooperation
    agreements) that are still valid at the end of the assessment's review
    year to their criteria: they are submitted again at every
    re-certification after checking that they are still valid
    (shared/DOMAIN.md). Returns the number of links made."""
    criteria = dict(Criterion.objects.filter(catalogue=assessment.catalogue).values_list("code", "pk"))
    linked = set(assessment.evidence_links.values_list("criterion_id", "evidence_id"))
    wanted = {
        (criteria[code], evidence.pk)
        for code, evidence in valid_for_recertification(assessment.familienzentrum, review_year_of(assessment))
        if code in criteria
    }
    links = EvidenceLink.objects.bulk_create(
        EvidenceLink(
            assessment=assessment, criterion_id=criterion_id, evidence_id=evidence_id, linked_by=assessment.created_by
        )
        for criterion_id, evidence_id in sorted(wanted - linked)
    )
    return len(links)
