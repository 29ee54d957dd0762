"""Evidence in the cycle: the centre uploads documents for a criterion,
links documents of its library (its own and those partners granted it) and
unlinks them from a draft."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from assessments.exceptions import TransitionRefused
from assessments.models import EDITABLE_STATES, Assessment, EvidenceLink
from assessments.services.common import criterion_of
from certification.models import LogAction
from certification.services import log_action
from evidence.files import check_files
from evidence.models import Evidence
from evidence.selectors import documents_available_to
from evidence.services import EvidenceDetails, atomic_with_files, create_documents


def lock_editable_assessment(user, assessment_id: int) -> Assessment:
    assessment = (
        Assessment.objects.select_for_update(of=("self",))
        .select_related("familienzentrum", "catalogue")
        .prefetch_related("familienzentrum__site_links")
        .get(pk=assessment_id)
    )
    if not user.has_perm("assessments.edit_assessment", assessment):
        raise TransitionRefused(_("Sie dürfen diese Selbstbewertung nicht bearbeiten."))
    if assessment.state not in EDITABLE_STATES:
        raise TransitionRefused(_("Die Selbstbewertung kann nicht mehr bearbeitet werden."))
    return assessment


def upload_for_criterion(
    *, user, assessment_id: int, criterion_code: str, files: list, details: EvidenceDetails
) -> list[Evidence]:
    """The centre uploads one or more files as evidence for a criterion."""
    checked_files = check_files(files)

    def work(stored):
        assessment = lock_editable_assessment(user, assessment_id)
        criterion = criterion_of(assessment, criterion_code)
        centre_sites = {link.site_id for link in assessment.familienzentrum.site_links.all()}
        if not set(details.site_ids) <= centre_sites:
            raise ValidationError(_("Nur Standorte dieses Familienzentrums."))
        created = create_documents(
            checked_files, details, user, stored, owner_familienzentrum=assessment.familienzentrum
        )
        for evidence in created:
            EvidenceLink.objects.create(assessment=assessment, criterion=criterion, evidence=evidence, linked_by=user)
            log_link(assessment, criterion, evidence, LogAction.EVIDENCE_LINKED, user=user)
        return created

    return atomic_with_files(work)


@transaction.atomic
def link_evidence(*, user, assessment_id: int, criterion_code: str, evidence_id: int) -> EvidenceLink:
    assessment = lock_editable_assessment(user, assessment_id)
    criterion = criterion_of(assessment, criterion_code)
    evidence = documents_available_to(assessment.familienzentrum).filter(pk=evidence_id).first()
    if evidence is None:
        raise ValidationError(_("Dieser Nachweis steht Ihrem Familienzentrum nicht zur Verfügung."))
    link, created = EvidenceLink.objects.get_or_create(
        assessment=assessment, criterion=criterion, evidence=evidence, defaults={"linked_by": user}
    )
    if created:
        log_link(assessment, criterion, evidence, LogAction.EVIDENCE_LINKED, user=user)
    return link


@transaction.atomic
def unlink_evidence(*, user, assessment_id: int, criterion_code: str, evidence_id: int) -> bool:
    """Removes the evidence from this draft only; the document and its
    revisions stay (and frozen submissions keep naming them)."""
    assessment = lock_editable_assessment(user, assessment_id)
    criterion = criterion_of(assessment, criterion_code)
    deleted, _rows = EvidenceLink.objects.filter(
        assessment=assessment, criterion=criterion, evidence_id=evidence_id
    ).delete()
    if deleted:
        evidence = Evidence.objects.get(pk=evidence_id)
        log_link(assessment, criterion, evidence, LogAction.EVIDENCE_UNLINKED, user=user)
    return deleted > 0


def log_link(assessment: Assessment, criterion, evidence: Evidence, action: str, *, user) -> None:
    """The log entry for a document linked to or unlinked from a criterion;
    the title is copied because documents can be renamed later."""
    log_action(
        assessment,
        action,
        user=user,
        familienzentrum=assessment.familienzentrum,
        criterion=criterion,
        data={"evidence_id": evidence.pk, "title": evidence.title},
    )
