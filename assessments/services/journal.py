"""The offer journal as evidence: the centre takes over the journal's entries
of the review period for a criterion (each entry's attachment becomes an
ordinary evidence link of the criterion) and unlinks one again. Only while
the assessment is editable, by who may edit it (the same rule and lock as
linking a document). An entry without a session in the review period is
refused: offers count only from the review period (evidence.validity)."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from assessments.models import EvidenceLink, JournalLink
from assessments.services.common import criterion_of
from assessments.services.evidence import lock_editable_assessment
from certification.models import LogAction
from certification.review_year import Period
from certification.services import log_action
from evidence.models import Evidence
from journal.evidence_offers import entries_for_review


@dataclass(frozen=True)
class TakenOver:
    entries: int
    attachments: int


def review_period_of(assessment) -> Period:
    return Period(assessment.review_period_start, assessment.review_period_end)


def _log(assessment, criterion, entry_id: int, title: str, action: str, *, user) -> None:
    # The log's actions belong to certification; a journal entry is logged
    # as the evidence it is, named by its entry id.
    log_action(
        assessment,
        action,
        user=user,
        familienzentrum=assessment.familienzentrum,
        criterion=criterion,
        data={"journal_entry_id": entry_id, "title": _("Angebotsjournal: %(title)s") % {"title": title}},
    )


def _link(assessment, criterion, offered, user, *, linked_attachments: set[int]) -> tuple[bool, bool]:
    """Links one offered entry and its attachment; (entry linked, attachment linked)."""
    attachment_linked = False
    if offered.attachment_id and offered.attachment_id not in linked_attachments:
        # The attachment is the centre's own document (journal services store
        # it so); anything else is not linked.
        attachment = Evidence.objects.filter(
            pk=offered.attachment_id, owner_familienzentrum=assessment.familienzentrum
        ).first()
        if attachment is not None:
            EvidenceLink.objects.create(assessment=assessment, criterion=criterion, evidence=attachment, linked_by=user)
            log_action(
                assessment,
                LogAction.EVIDENCE_LINKED,
                user=user,
                familienzentrum=assessment.familienzentrum,
                criterion=criterion,
                data={"evidence_id": attachment.pk, "title": attachment.title},
            )
            linked_attachments.add(attachment.pk)
            attachment_linked = True
    _link_row, created = JournalLink.objects.get_or_create(
        assessment=assessment,
        criterion=criterion,
        entry_id=offered.entry_id,
        defaults={"linked_by": user, "attachment_linked": attachment_linked},
    )
    if created:
        _log(assessment, criterion, offered.entry_id, offered.title, LogAction.EVIDENCE_LINKED, user=user)
    return created, attachment_linked


@transaction.atomic
def take_over_journal(*, user, assessment_id: int, criterion_code: str) -> TakenOver:
    """Links every entry of the review period tagged to the criterion that is
    not linked yet, with its attachment (unless that is linked already).
    Twice is the same as once: the lock makes a double click wait and then
    find everything linked."""
    assessment = lock_editable_assessment(user, assessment_id)
    criterion = criterion_of(assessment, criterion_code)
    offered = entries_for_review(assessment.familienzentrum, review_period_of(assessment), [criterion.code]).get(
        criterion.code, []
    )
    linked_entries = set(
        JournalLink.objects.filter(assessment=assessment, criterion=criterion).values_list("entry_id", flat=True)
    )
    linked_attachments = set(
        EvidenceLink.objects.filter(assessment=assessment, criterion=criterion).values_list("evidence_id", flat=True)
    )
    entries = attachments = 0
    for item in offered:
        if item.entry_id in linked_entries:
            continue
        created, attachment = _link(assessment, criterion, item, user, linked_attachments=linked_attachments)
        entries += created
        attachments += attachment
    return TakenOver(entries, attachments)


@transaction.atomic
def link_journal_entry(*, user, assessment_id: int, criterion_code: str, entry_id: int) -> bool:
    """Takes over one entry; refused unless it is the centre's, tagged to the
    criterion and has a session in the review period."""
    assessment = lock_editable_assessment(user, assessment_id)
    criterion = criterion_of(assessment, criterion_code)
    offered = entries_for_review(assessment.familienzentrum, review_period_of(assessment), [criterion.code]).get(
        criterion.code, []
    )
    item = next((item for item in offered if item.entry_id == entry_id), None)
    if item is None:
        raise ValidationError(
            _(
                "Dieser Journaleintrag hat keinen Termin im Prüfzeitraum (%(start)s – %(end)s) "
                "oder gehört nicht zu %(code)s; Angebote zählen nur aus dem Prüfzeitraum."
            )
            % {
                "start": assessment.review_period_start.strftime("%d.%m.%Y"),
                "end": assessment.review_period_end.strftime("%d.%m.%Y"),
                "code": criterion.code,
            }
        )
    linked_attachments = set(
        EvidenceLink.objects.filter(assessment=assessment, criterion=criterion).values_list("evidence_id", flat=True)
    )
    created, _attachment = _link(assessment, criterion, item, user, linked_attachments=linked_attachments)
    return created


@transaction.atomic
def unlink_journal_entry(*, user, assessment_id: int, criterion_code: str, entry_id: int) -> bool:
    """Removes the entry from this draft's criterion, and its attachment's
    link when taking the entry over had made it (and no other entry taken
    over for the criterion brought the same attachment). The journal keeps
    the entry; submissions keep their frozen copy."""
    assessment = lock_editable_assessment(user, assessment_id)
    criterion = criterion_of(assessment, criterion_code)
    link = (
        JournalLink.objects.filter(assessment=assessment, criterion=criterion, entry_id=entry_id)
        .select_related("entry")
        .first()
    )
    if link is None:
        return False
    entry = link.entry
    link.delete()
    if link.attachment_linked and entry.attachment_id:
        still_needed = JournalLink.objects.filter(
            assessment=assessment, criterion=criterion, entry__attachment_id=entry.attachment_id
        ).exists()
        if not still_needed:
            deleted, _rows = EvidenceLink.objects.filter(
                assessment=assessment, criterion=criterion, evidence_id=entry.attachment_id
            ).delete()
            if deleted:
                log_action(
                    assessment,
                    LogAction.EVIDENCE_UNLINKED,
                    user=user,
                    familienzentrum=assessment.familienzentrum,
                    criterion=criterion,
                    data={"evidence_id": entry.attachment_id, "title": entry.attachment.title},
                )
    _log(assessment, criterion, entry.pk, entry.title, LogAction.EVIDENCE_UNLINKED, user=user)
    return True
