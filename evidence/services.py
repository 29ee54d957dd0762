"""Every write of the document library: storing uploaded files (streamed,
hashed, into private storage, never half-stored), new revisions, the
partner's own library and the grants by which it shares documents. Linking
documents to criteria is the assessments app's business."""

from __future__ import annotations

import hashlib
import logging
import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from certification.models import Kooperationspartner, LogAction
from certification.selectors import roles_for
from certification.services import log_action
from evidence.exceptions import NotAllowed
from evidence.files import CheckedFile, check_files
from evidence.models import Evidence, EvidenceGrant, EvidenceGrantLog, EvidenceKind, EvidenceRevision, GrantLogAction

logger = logging.getLogger(__name__)

CHUNK = 64 * 1024


def store_revision(evidence: Evidence, checked: CheckedFile, user, number: int, stored: list) -> EvidenceRevision:
    """Stream the file to private storage while hashing it; the upload is
    read in chunks, never whole into memory."""
    digest = hashlib.sha256()
    checked.upload.seek(0)
    for chunk in checked.upload.chunks(CHUNK):
        digest.update(chunk)
    checked.upload.seek(0)
    revision = EvidenceRevision(
        evidence=evidence,
        number=number,
        storage_key=f"{uuid.uuid4().hex}{checked.file_type.extension}",
        original_name=checked.display_name,
        content_type=checked.file_type.content_type,
        size=checked.size,
        sha256=digest.hexdigest(),
        uploaded_by=user,
    )
    revision.file.save(revision.storage_key, checked.upload, save=False)
    stored.append(revision.file.name)
    revision.save()
    return revision


def _delete_stored(names: list[str]) -> None:
    for name in names:
        try:
            default_storage.delete(name)
        except OSError:
            logger.exception("Could not remove %s after a failed upload", name)


def atomic_with_files(work):
    """Run `work(stored)` in a transaction; if it fails, remove the files it
    already wrote, so that a failed upload leaves neither rows nor files."""
    stored: list[str] = []
    try:
        with transaction.atomic():
            return work(stored)
    except BaseException:
        _delete_stored(stored)
        raise


@dataclass
class EvidenceDetails:
    kind: str
    effective_date: date
    valid_until: date | None = None
    training_hours: Decimal | None = None
    title: str = ""
    site_ids: tuple[int, ...] = ()


def _new_evidence(details: EvidenceDetails, checked: CheckedFile, user, **owner) -> Evidence:
    if details.kind not in EvidenceKind.values:
        raise ValidationError(_("Unbekannte Art des Nachweises."))
    if details.valid_until and details.valid_until < details.effective_date:
        raise ValidationError(_("„Gültig bis“ liegt vor dem Datum des Nachweises."))
    evidence = Evidence.objects.create(
        title=(details.title or checked.display_name)[:200],
        kind=details.kind,
        effective_date=details.effective_date,
        valid_until=details.valid_until,
        training_hours=details.training_hours,
        created_by=user,
        **owner,
    )
    if details.site_ids:
        evidence.sites.set(details.site_ids)
    return evidence


def create_documents(checked_files: list[CheckedFile], details: EvidenceDetails, user, stored: list, **owner):
    """One evidence item per checked file, each with its first revision stored."""
    created = []
    for checked in checked_files:
        evidence = _new_evidence(details, checked, user, **owner)
        store_revision(evidence, checked, user, 1, stored)
        created.append(evidence)
    return created


def _next_revision_number(evidence: Evidence) -> int:
    return (evidence.revisions.order_by("-number").values_list("number", flat=True).first() or 0) + 1


def keep_entry_document(
    current: Evidence | None,
    checked: CheckedFile | None,
    details: EvidenceDetails,
    user,
    stored: list,
    *,
    familienzentrum,
) -> Evidence | None:
    """The document of a journal or register entry (a flyer, a certificate,
    an agreement), as the centre's evidence: created with the entry's first
    file, kept in step with the entry's title, dates and sites, and a new
    file becomes its next revision, so links to it from assessments stay."""
    if current is None:
        if checked is None:
            return None
        (evidence,) = create_documents([checked], details, user, stored, owner_familienzentrum=familienzentrum)
        return evidence
    current.title = details.title[:200]
    current.effective_date = details.effective_date
    current.valid_until = details.valid_until
    current.training_hours = details.training_hours
    current.save(update_fields=["title", "effective_date", "valid_until", "training_hours"])
    current.sites.set(details.site_ids)
    if checked is not None:
        store_revision(current, checked, user, _next_revision_number(current), stored)
    return current


def add_revision(*, user, evidence_id: int, upload) -> EvidenceRevision:
    (checked,) = check_files([upload])

    def work(stored):
        evidence = Evidence.objects.select_for_update().get(pk=evidence_id)
        if not user.has_perm("evidence.edit_document", evidence):
            raise NotAllowed(_("Sie dürfen diesen Nachweis nicht ändern."))
        return store_revision(evidence, checked, user, _next_revision_number(evidence), stored)

    return atomic_with_files(work)


def partner_of(user, partner_id: int) -> Kooperationspartner:
    if partner_id not in roles_for(user).partner_ids:
        raise NotAllowed(_("Sie gehören nicht zu diesem Kooperationspartner."))
    return Kooperationspartner.objects.get(pk=partner_id)


def grant_create(evidence: Evidence, familienzentrum_id: int, user) -> EvidenceGrant:
    """Share a partner's document with a centre (once; a standing grant is
    returned as it is) and log it. The caller checks that the partner works
    with that centre."""
    grant = EvidenceGrant.objects.filter(
        evidence=evidence, familienzentrum_id=familienzentrum_id, revoked_at__isnull=True
    ).first()
    if grant is None:
        grant = EvidenceGrant.objects.create(evidence=evidence, familienzentrum_id=familienzentrum_id, granted_by=user)
        EvidenceGrantLog.objects.create(
            evidence=evidence, familienzentrum_id=familienzentrum_id, action=GrantLogAction.GRANTED, actor=user
        )
        log_action(
            evidence,
            LogAction.GRANT_CREATED,
            user=user,
            familienzentrum=grant.familienzentrum,
            data={"grant_id": grant.pk, "title": evidence.title},
        )
    return grant


def upload_to_library(*, user, partner_id: int, files: list, details: EvidenceDetails) -> list[Evidence]:
    checked_files = check_files(files)

    def work(stored):
        partner = partner_of(user, partner_id)
        return create_documents(checked_files, details, user, stored, owner_partner=partner)

    return atomic_with_files(work)


def grant_revoke(*, user, grant_id: int) -> EvidenceGrant:
    """End a standing grant and log it; call inside the transaction that also
    takes the document out of the centre's open cycles."""
    grant = EvidenceGrant.objects.select_for_update().select_related("evidence").get(pk=grant_id)
    partner_of(user, grant.evidence.owner_partner_id)
    if grant.revoked_at is not None:
        return grant
    grant.revoked_at = timezone.now()
    grant.revoked_by = user
    grant.save(update_fields=["revoked_at", "revoked_by"])
    EvidenceGrantLog.objects.create(
        evidence=grant.evidence, familienzentrum_id=grant.familienzentrum_id, action=GrantLogAction.REVOKED, actor=user
    )
    log_action(
        grant.evidence,
        LogAction.GRANT_REVOKED,
        user=user,
        familienzentrum=grant.familienzentrum,
        data={"grant_id": grant.pk, "title": grant.evidence.title},
    )
    return grant
