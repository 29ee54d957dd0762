"""Evidence use cases: upload, new revisions, linking to criteria, partner
invitations, the partner library and its grants; and the validity rules of
DOMAIN.md as warnings. Like services.py, every write is one function that
runs in a transaction and checks who may do it."""

from __future__ import annotations

import hashlib
import logging
import secrets
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Prefetch, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from assessments import rules
from assessments.models import (
    EDITABLE_STATES,
    OPEN_STATES,
    Assessment,
    Evidence,
    EvidenceGrant,
    EvidenceGrantLog,
    EvidenceKind,
    EvidenceLink,
    EvidenceRevision,
    GrantLogAction,
    PartnerAccess,
    PartnerInvitation,
)
from assessments.services import TransitionRefused, criterion_of
from assessments.uploads import UploadRejected, detect_type, safe_display_name
from certification.models import Criterion, Familienzentrum, Kooperationspartner, Membership, MembershipRole
from certification.selectors import roles_for

logger = logging.getLogger(__name__)

MIN_TRAINING_HOURS = Decimal("6")
SHORT_COURSE_MAX_HOURS = Decimal("16")  # a course of one or two days
SHORT_COURSE_VALID_YEARS = 7
INVITATION_SALT = "assessments.partner-invitation"
CHUNK = 64 * 1024


# ---------------------------------------------------------------- files


@dataclass
class CheckedFile:
    upload: object
    display_name: str
    file_type: object
    size: int


def check_files(files: list) -> list[CheckedFile]:
    """Check every file before anything is stored; raise ValidationError
    listing each rejected file and why, so that nothing is half-stored."""
    max_files = settings.MAX_UPLOAD_FILES
    if not files:
        raise ValidationError(_("Bitte wählen Sie mindestens eine Datei."))
    if len(files) > max_files:
        raise ValidationError(
            _("Höchstens %(max)d Dateien auf einmal, gewählt sind %(count)d.") % {"max": max_files, "count": len(files)}
        )
    max_bytes = settings.MAX_UPLOAD_MB * 1024 * 1024
    checked, errors = [], []
    for upload in files:
        shown = safe_display_name(getattr(upload, "name", ""))
        try:
            if upload.size > max_bytes:
                raise UploadRejected(_("Die Datei ist größer als %(max)d MB.") % {"max": settings.MAX_UPLOAD_MB})
            file_type = detect_type(upload)
        except UploadRejected as rejected:
            errors.append(f"{shown}: {rejected.message}")
            continue
        checked.append(CheckedFile(upload, safe_display_name(upload.name, file_type), file_type, upload.size))
    if errors:
        raise ValidationError(errors)
    return checked


def _store_revision(evidence: Evidence, checked: CheckedFile, user, number: int, stored: list) -> EvidenceRevision:
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


def _atomic_with_files(work):
    """Run `work(stored)` in a transaction; if it fails, remove the files it
    already wrote, so that a failed upload leaves neither rows nor files."""
    stored: list[str] = []
    try:
        with transaction.atomic():
            return work(stored)
    except BaseException:
        _delete_stored(stored)
        raise


# ---------------------------------------------------------------- centre side


def _editable_assessment(user, assessment_id: int) -> Assessment:
    assessment = (
        Assessment.objects.select_for_update(of=("self",))
        .select_related("familienzentrum", "catalogue")
        .prefetch_related("familienzentrum__site_links")
        .get(pk=assessment_id)
    )
    if not rules.can_edit(user, assessment):
        raise TransitionRefused(_("Sie dürfen diese Selbstbewertung nicht bearbeiten."))
    if assessment.state not in EDITABLE_STATES:
        raise TransitionRefused(_("Die Selbstbewertung kann nicht mehr bearbeitet werden."))
    return assessment


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


def _create_documents(checked_files: list[CheckedFile], details: EvidenceDetails, user, stored: list, **owner):
    """One evidence item per checked file, each with its first revision stored."""
    created = []
    for checked in checked_files:
        evidence = _new_evidence(details, checked, user, **owner)
        _store_revision(evidence, checked, user, 1, stored)
        created.append(evidence)
    return created


def upload_for_criterion(
    *, user, assessment_id: int, criterion_code: str, files: list, details: EvidenceDetails
) -> list[Evidence]:
    """The centre uploads one or more files as evidence for a criterion."""
    checked_files = check_files(files)

    def work(stored):
        assessment = _editable_assessment(user, assessment_id)
        criterion = criterion_of(assessment, criterion_code)
        centre_sites = {link.site_id for link in assessment.familienzentrum.site_links.all()}
        if not set(details.site_ids) <= centre_sites:
            raise ValidationError(_("Nur Standorte dieses Familienzentrums."))
        created = _create_documents(
            checked_files, details, user, stored, owner_familienzentrum=assessment.familienzentrum
        )
        for evidence in created:
            EvidenceLink.objects.create(assessment=assessment, criterion=criterion, evidence=evidence, linked_by=user)
        return created

    return _atomic_with_files(work)


def evidence_editable_by(user, evidence: Evidence) -> bool:
    """Who may add revisions: the owning centre's Leitung, or the owning partner's staff."""
    roles = roles_for(user)
    if evidence.owner_partner_id:
        return evidence.owner_partner_id in roles.partner_ids
    return rules.leads_centre(user, evidence.owner_familienzentrum)


def add_revision(*, user, evidence_id: int, upload) -> EvidenceRevision:
    (checked,) = check_files([upload])

    def work(stored):
        evidence = Evidence.objects.select_for_update().get(pk=evidence_id)
        if not evidence_editable_by(user, evidence):
            raise TransitionRefused(_("Sie dürfen diesen Nachweis nicht ändern."))
        number = (evidence.revisions.order_by("-number").values_list("number", flat=True).first() or 0) + 1
        return _store_revision(evidence, checked, user, number, stored)

    return _atomic_with_files(work)


def documents_available_to(familienzentrum: Familienzentrum):
    """Documents a centre may link: its own and those partners granted to it."""
    return Evidence.objects.filter(
        Q(owner_familienzentrum=familienzentrum)
        | Q(grants__familienzentrum=familienzentrum, grants__revoked_at__isnull=True)
    ).distinct()


@transaction.atomic
def link_evidence(*, user, assessment_id: int, criterion_code: str, evidence_id: int) -> EvidenceLink:
    assessment = _editable_assessment(user, assessment_id)
    criterion = criterion_of(assessment, criterion_code)
    evidence = documents_available_to(assessment.familienzentrum).filter(pk=evidence_id).first()
    if evidence is None:
        raise ValidationError(_("Dieser Nachweis steht Ihrem Familienzentrum nicht zur Verfügung."))
    link, _created = EvidenceLink.objects.get_or_create(
        assessment=assessment, criterion=criterion, evidence=evidence, defaults={"linked_by": user}
    )
    return link


@transaction.atomic
def unlink_evidence(*, user, assessment_id: int, criterion_code: str, evidence_id: int) -> bool:
    """Removes the evidence from this draft only; the document and its
    revisions stay (and frozen submissions keep naming them)."""
    assessment = _editable_assessment(user, assessment_id)
    criterion = criterion_of(assessment, criterion_code)
    deleted, _rows = EvidenceLink.objects.filter(
        assessment=assessment, criterion=criterion, evidence_id=evidence_id
    ).delete()
    return deleted > 0


# ---------------------------------------------------------------- validity


def evidence_warnings(evidence: Evidence, assessment: Assessment, today: date | None = None) -> list[str]:
    """The evidence rules of the scheme, as warnings the centre and the
    reviewer see; they never block a submission."""
    today = today or timezone.localdate()
    warnings = []
    if evidence.kind in (EvidenceKind.OFFER, EvidenceKind.OTHER) and not (
        assessment.review_period_start <= evidence.effective_date <= assessment.review_period_end
    ):
        warnings.append(
            _("Das Datum %(date)s liegt außerhalb des Prüfzeitraums (%(start)s – %(end)s).")
            % {
                "date": evidence.effective_date.strftime("%d.%m.%Y"),
                "start": assessment.review_period_start.strftime("%d.%m.%Y"),
                "end": assessment.review_period_end.strftime("%d.%m.%Y"),
            }
        )
    if evidence.kind == EvidenceKind.QUALIFICATION:
        hours = evidence.training_hours
        if hours is None:
            warnings.append(_("Der Umfang der Fortbildung in Stunden fehlt."))
        elif hours < MIN_TRAINING_HOURS:
            warnings.append(_("Fortbildungen zählen erst ab 6 Stunden (hier %(hours)s).") % {"hours": hours})
        elif hours <= SHORT_COURSE_MAX_HOURS:
            expires = _add_years(evidence.effective_date, SHORT_COURSE_VALID_YEARS)
            if expires < assessment.review_period_end:
                warnings.append(
                    _("Ein- bis zweitägige Fortbildungen gelten 7 Jahre; diese ist vom %(date)s.")
                    % {"date": evidence.effective_date.strftime("%d.%m.%Y")}
                )
    if evidence.valid_until and evidence.valid_until < today:
        warnings.append(_("Gültig bis %(date)s: abgelaufen.") % {"date": evidence.valid_until.strftime("%d.%m.%Y")})
    return warnings


def criterion_warnings(criterion: Criterion, evidences: list[Evidence]) -> list[str]:
    if not criterion.qualification_min_hours:
        return []
    counted = sum(
        (evidence.training_hours or Decimal(0))
        for evidence in evidences
        if evidence.kind == EvidenceKind.QUALIFICATION and (evidence.training_hours or 0) >= MIN_TRAINING_HOURS
    )
    if counted < criterion.qualification_min_hours:
        return [
            _(
                "Nötig ist eine Qualifikation von mindestens %(need)d Stunden; "
                "die verknüpften Nachweise belegen %(have)s."
            )
            % {"need": criterion.qualification_min_hours, "have": counted}
        ]
    return []


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


@dataclass
class LinkedEvidence:
    evidence: Evidence
    revision: EvidenceRevision
    warnings: list[str]


def evidence_by_criterion(assessment: Assessment) -> dict[int, list[LinkedEvidence]]:
    """Every linked document per criterion id with its latest revision and
    warnings, in a fixed number of queries."""
    links = (
        EvidenceLink.objects.filter(assessment=assessment)
        .select_related("evidence__owner_familienzentrum", "evidence__owner_partner")
        .prefetch_related(
            Prefetch("evidence__revisions", queryset=EvidenceRevision.objects.order_by("-number")),
            "evidence__sites",
        )
        .order_by("evidence__title", "pk")
    )
    # A partner's document counts only while its grant to the centre stands.
    granted = set(
        EvidenceGrant.objects.filter(
            familienzentrum_id=assessment.familienzentrum_id, revoked_at__isnull=True
        ).values_list("evidence_id", flat=True)
    )
    result: dict[int, list[LinkedEvidence]] = {}
    for link in links:
        revisions = list(link.evidence.revisions.all())
        if not revisions or (link.evidence.owner_partner_id and link.evidence_id not in granted):
            continue
        result.setdefault(link.criterion_id, []).append(
            LinkedEvidence(link.evidence, revisions[0], evidence_warnings(link.evidence, assessment))
        )
    return result


def warnings_by_criterion(
    assessment: Assessment, criteria, linked: dict[int, list[LinkedEvidence]]
) -> dict[int, list[str]]:
    result = {}
    for criterion in criteria:
        entries = linked.get(criterion.pk, [])
        warnings = [f"{entry.evidence.title}: {warning}" for entry in entries for warning in entry.warnings]
        warnings += criterion_warnings(criterion, [entry.evidence for entry in entries])
        if warnings:
            result[criterion.pk] = warnings
    return result


# ---------------------------------------------------------------- partners


def invitation_token(invitation: PartnerInvitation) -> str:
    return signing.TimestampSigner(salt=INVITATION_SALT).sign(f"{invitation.pk}:{invitation.nonce}")


class InvitationInvalid(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def resolve_invitation(token: str) -> PartnerInvitation:
    max_age = timedelta(days=settings.INVITATION_MAX_AGE_DAYS)
    try:
        value = signing.TimestampSigner(salt=INVITATION_SALT).unsign(token, max_age=max_age)
    except signing.SignatureExpired:
        raise InvitationInvalid(
            _("Diese Einladung ist abgelaufen. Bitten Sie das Familienzentrum um eine neue.")
        ) from None
    except signing.BadSignature:
        raise InvitationInvalid(
            _("Dieser Einladungslink ist ungültig. Bitte prüfen Sie, ob er vollständig ist.")
        ) from None
    pk, _sep, nonce = value.partition(":")
    invitation = (
        PartnerInvitation.objects.select_related("assessment__familienzentrum", "partner")
        .filter(pk=pk, nonce=nonce)
        .first()
    )
    if invitation is None:
        raise InvitationInvalid(_("Diese Einladung gibt es nicht mehr."))
    return invitation


def organisation_name_taken(name: str) -> bool:
    # Compared in Python: SQLite's case-insensitive matching ignores umlauts.
    wanted = name.strip().casefold()
    return any(existing.casefold() == wanted for existing in Kooperationspartner.objects.values_list("name", flat=True))


@transaction.atomic
def invite_partner(
    *,
    user,
    assessment_id: int,
    criterion_codes: list[str],
    email: str,
    partner_id: int | None = None,
    organisation_name: str = "",
) -> PartnerInvitation:
    """Invite an existing partner organisation (the link only works for a
    person who already is its staff) or a new organisation by name (the
    accepting person becomes its first staff member)."""
    assessment = _editable_assessment(user, assessment_id)
    criteria = list(Criterion.objects.filter(catalogue_id=assessment.catalogue_id, code__in=criterion_codes))
    if not criteria or len(criteria) != len(set(criterion_codes)):
        raise ValidationError(_("Wählen Sie Kriterien dieser Selbstbewertung."))
    partner = Kooperationspartner.objects.filter(pk=partner_id).first() if partner_id else None
    organisation_name = organisation_name.strip()
    if partner is None:
        if not organisation_name:
            raise ValidationError(_("Wählen Sie einen Kooperationspartner oder nennen Sie die Organisation."))
        if organisation_name_taken(organisation_name):
            raise ValidationError(
                _("Diese Organisation ist schon registriert: wählen Sie sie in der Liste der Kooperationspartner.")
            )
    invitation = PartnerInvitation.objects.create(
        assessment=assessment,
        partner=partner,
        email=email.strip().lower(),
        organisation_name="" if partner else organisation_name,
        nonce=secrets.token_hex(16),
        created_by=user,
    )
    invitation.criteria.set(criteria)
    token = invitation_token(invitation)
    transaction.on_commit(lambda: _send_invitation(invitation.pk, token))
    return invitation


def _send_invitation(invitation_id: int, token: str) -> None:
    from assessments.tasks import enqueue, send_partner_invitation

    enqueue(send_partner_invitation, invitation_id, token)


def send_invitation_mail(invitation_id: int, token: str) -> None:
    invitation = PartnerInvitation.objects.select_related("assessment__familienzentrum", "created_by").get(
        pk=invitation_id
    )
    context = {
        "invitation": invitation,
        "centre": invitation.assessment.familienzentrum,
        "criteria": invitation.criteria.order_by("area__order", "order"),
        "url": settings.SITE_URL + reverse("assessments:invitation", args=[token]),
        "days": settings.INVITATION_MAX_AGE_DAYS,
    }
    with translation.override("de"):
        subject = render_to_string("assessments/email/invitation_subject.txt", context).strip()
        body = render_to_string("assessments/email/invitation.txt", context)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [invitation.email])


@transaction.atomic
def accept_invitation(*, user, invitation_id: int) -> PartnerAccess:
    """The invited person accepts. For an existing organisation only its own
    staff can accept: an invitation never makes anyone a member of an
    organisation it already has. For a new organisation (invited by name)
    the organisation is created and the accepting person becomes its staff."""
    invitation = PartnerInvitation.objects.select_for_update().get(pk=invitation_id)
    existing = PartnerAccess.objects.filter(invitation=invitation).first()
    if existing is not None:
        if existing.partner_id in roles_for(user).partner_ids:
            return existing
        raise InvitationInvalid(_("Diese Einladung wurde bereits angenommen."))
    if user.email.lower() != invitation.email:
        raise InvitationInvalid(_("Diese Einladung gilt für eine andere E-Mail-Adresse."))
    partner = invitation.partner
    if partner is not None:
        if partner.pk not in roles_for(user).partner_ids:
            raise InvitationInvalid(
                _(
                    "Sie sind nicht als Mitarbeiter:in von %(partner)s eingetragen. Bitten Sie Ihre Organisation "
                    "oder die Zertifizierungsstelle, Ihr Konto zuzuordnen."
                )
                % {"partner": partner}
            )
    else:
        if organisation_name_taken(invitation.organisation_name):
            raise InvitationInvalid(
                _("Eine Organisation dieses Namens ist schon registriert; bitten Sie um eine neue Einladung.")
            )
        partner = Kooperationspartner.objects.create(name=invitation.organisation_name, email=invitation.email)
        Membership.objects.create(user=user, role=MembershipRole.PARTNER, partner=partner)
        user.__dict__.pop("_certification_roles", None)
    access = PartnerAccess.objects.create(assessment=invitation.assessment, partner=partner, invitation=invitation)
    access.criteria.set(invitation.criteria.all())
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    return access


def _partner_of(user, partner_id: int) -> Kooperationspartner:
    if partner_id not in roles_for(user).partner_ids:
        raise TransitionRefused(_("Sie gehören nicht zu diesem Kooperationspartner."))
    return Kooperationspartner.objects.get(pk=partner_id)


def _grant(evidence: Evidence, familienzentrum_id: int, user) -> EvidenceGrant:
    grant = EvidenceGrant.objects.filter(
        evidence=evidence, familienzentrum_id=familienzentrum_id, revoked_at__isnull=True
    ).first()
    if grant is None:
        grant = EvidenceGrant.objects.create(evidence=evidence, familienzentrum_id=familienzentrum_id, granted_by=user)
        EvidenceGrantLog.objects.create(
            evidence=evidence, familienzentrum_id=familienzentrum_id, action=GrantLogAction.GRANTED, actor=user
        )
    return grant


def upload_as_partner(
    *, user, access_id: int, criterion_code: str, files: list, details: EvidenceDetails
) -> list[Evidence]:
    """A partner uploads to a criterion it was invited to: the document is
    the partner's, granted to the centre and linked to the criterion."""
    checked_files = check_files(files)

    def work(stored):
        access = PartnerAccess.objects.select_related("assessment").get(pk=access_id)
        partner = _partner_of(user, access.partner_id)
        assessment = Assessment.objects.select_for_update(of=("self",)).get(pk=access.assessment_id)
        if assessment.state not in EDITABLE_STATES:
            raise TransitionRefused(_("Die Selbstbewertung nimmt gerade keine Nachweise an."))
        criterion = access.criteria.filter(code=criterion_code).first()
        if criterion is None:
            raise TransitionRefused(_("Zu diesem Kriterium sind Sie nicht eingeladen."))
        created = _create_documents(checked_files, details, user, stored, owner_partner=partner)
        for evidence in created:
            _grant(evidence, assessment.familienzentrum_id, user)
            EvidenceLink.objects.create(assessment=assessment, criterion=criterion, evidence=evidence, linked_by=user)
        return created

    return _atomic_with_files(work)


def upload_to_library(*, user, partner_id: int, files: list, details: EvidenceDetails) -> list[Evidence]:
    checked_files = check_files(files)

    def work(stored):
        partner = _partner_of(user, partner_id)
        return _create_documents(checked_files, details, user, stored, owner_partner=partner)

    return _atomic_with_files(work)


def centres_partner_works_with(partner_id: int):
    """Familienzentren that invited this partner; a partner shares with those."""
    return (
        Familienzentrum.objects.filter(assessments__partner_accesses__partner_id=partner_id).distinct().order_by("name")
    )


@transaction.atomic
def grant_evidence(*, user, evidence_id: int, familienzentrum_id: int) -> EvidenceGrant:
    evidence = Evidence.objects.select_for_update().get(pk=evidence_id)
    if evidence.owner_partner_id is None:
        raise TransitionRefused(_("Nur Dokumente eines Kooperationspartners werden freigegeben."))
    _partner_of(user, evidence.owner_partner_id)
    if not centres_partner_works_with(evidence.owner_partner_id).filter(pk=familienzentrum_id).exists():
        raise ValidationError(_("Mit diesem Familienzentrum arbeiten Sie noch nicht zusammen."))
    return _grant(evidence, familienzentrum_id, user)


@transaction.atomic
def revoke_grant(*, user, grant_id: int) -> EvidenceGrant:
    """Withdraws a shared document: it disappears from the centre's drafts,
    never from submissions already frozen."""
    grant = EvidenceGrant.objects.select_for_update().select_related("evidence").get(pk=grant_id)
    _partner_of(user, grant.evidence.owner_partner_id)
    if grant.revoked_at is not None:
        return grant
    grant.revoked_at = timezone.now()
    grant.revoked_by = user
    grant.save(update_fields=["revoked_at", "revoked_by"])
    EvidenceGrantLog.objects.create(
        evidence=grant.evidence, familienzentrum_id=grant.familienzentrum_id, action=GrantLogAction.REVOKED, actor=user
    )
    # Out of every open cycle of the centre; frozen submissions keep their
    # revisions through SubmissionRevision, so those stay untouched.
    EvidenceLink.objects.filter(
        evidence=grant.evidence,
        assessment__familienzentrum_id=grant.familienzentrum_id,
        assessment__state__in=OPEN_STATES,
    ).delete()
    return grant
