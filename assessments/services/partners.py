"""Partners in the cycle: invitations by signed, expiring links, their
acceptance, uploads through the access an invitation grants, and sharing
library documents with the centres a partner works with."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from assessments import handoffs
from assessments.exceptions import InvitationInvalid, TransitionRefused
from assessments.models import (
    EDITABLE_STATES,
    OPEN_STATES,
    Assessment,
    EventAction,
    EvidenceLink,
    InvitationState,
    PartnerAccess,
    PartnerInvitation,
)
from assessments.services.common import lock_assessment, record_event
from assessments.services.evidence import lock_editable_assessment, log_link
from certification.models import (
    Criterion,
    Familienzentrum,
    Kooperationspartner,
    LogAction,
    Membership,
    MembershipRole,
)
from certification.selectors import roles_for
from evidence.files import check_files
from evidence.models import Evidence, EvidenceGrant
from evidence.services import (
    EvidenceDetails,
    atomic_with_files,
    create_documents,
    grant_create,
    grant_revoke,
    partner_of,
)

INVITATION_SALT = "assessments.partner-invitation"


def invitation_token(invitation: PartnerInvitation) -> str:
    return signing.TimestampSigner(salt=INVITATION_SALT).sign(f"{invitation.pk}:{invitation.nonce}")


def resolve_invitation(token: str) -> PartnerInvitation:
    """The invitation a link names, or InvitationInvalid saying why not: a
    damaged link, a withdrawn invitation, a link replaced by a newer one
    (resending draws a new nonce), or an expired one."""
    signer = signing.TimestampSigner(salt=INVITATION_SALT)
    try:
        value = signer.unsign(token)
    except signing.BadSignature:
        raise InvitationInvalid(
            _("Dieser Einladungslink ist ungültig. Bitte prüfen Sie, ob er vollständig ist.")
        ) from None
    pk, _sep, nonce = value.partition(":")
    invitation = (
        PartnerInvitation.objects.select_related("assessment__familienzentrum", "partner")
        .filter(pk=pk if pk.isdigit() else None)
        .first()
    )
    if invitation is None:
        raise InvitationInvalid(_("Diese Einladung gibt es nicht mehr."))
    if invitation.revoked_at is not None:
        raise InvitationInvalid(
            _(
                "Das %(centre)s hat diese Einladung zurückgenommen. Der Link gilt nicht mehr; bei Fragen wenden "
                "Sie sich bitte an das Familienzentrum."
            )
            % {"centre": invitation.assessment.familienzentrum.name}
        )
    if not secrets.compare_digest(nonce, invitation.nonce):
        raise InvitationInvalid(
            _(
                "Dieser Link gilt nicht mehr: Das Familienzentrum hat Ihnen die Einladung inzwischen neu "
                "geschickt. Bitte verwenden Sie den Link aus der neuesten E-Mail."
            )
        )
    # An accepted invitation's link keeps leading its partner to the access
    # (accept_invitation answers it); an unaccepted one ends with its expiry.
    if invitation.accepted_at is None and (
        invitation.expires_at <= timezone.now() or _signed_too_long_ago(signer, token)
    ):
        raise InvitationInvalid(_("Diese Einladung ist abgelaufen. Bitten Sie das Familienzentrum um eine neue."))
    return invitation


def _signed_too_long_ago(signer: signing.TimestampSigner, token: str) -> bool:
    try:
        signer.unsign(token, max_age=timedelta(days=settings.INVITATION_MAX_AGE_DAYS))
    except signing.SignatureExpired:
        return True
    return False


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
    accepting person becomes its first staff member). Without an address the
    chosen organisation's own address is used."""
    assessment = lock_editable_assessment(user, assessment_id)
    criteria = list(Criterion.objects.filter(catalogue_id=assessment.catalogue_id, code__in=criterion_codes))
    if not criteria or len(criteria) != len(set(criterion_codes)):
        raise ValidationError(_("Wählen Sie Kriterien dieser Selbstbewertung."))
    partner = None
    if partner_id:
        from assessments.selectors import partners_working_with

        # A crafted POST may name any partner id; only those the form offers
        # (working with this centre or its Träger, or with nobody yet) count.
        partner = (
            partners_working_with(assessment.familienzentrum, include_unattached=True).filter(pk=partner_id).first()
        )
        if partner is None:
            raise ValidationError(
                _(
                    "Dieser Kooperationspartner kann hier nicht eingeladen werden: Er arbeitet mit keinem "
                    "Familienzentrum Ihres Trägers zusammen."
                )
            )
    organisation_name = organisation_name.strip()
    if partner is None:
        if not organisation_name:
            raise ValidationError(_("Wählen Sie einen Kooperationspartner oder nennen Sie die Organisation."))
        if organisation_name_taken(organisation_name):
            raise ValidationError(
                _("Diese Organisation ist schon registriert: wählen Sie sie in der Liste der Kooperationspartner.")
            )
    email = (email or "").strip() or (partner.email if partner else "")
    if not email:
        raise ValidationError(
            _("Für %(partner)s ist keine E-Mail-Adresse hinterlegt: bitte geben Sie die Adresse an.")
            % {"partner": partner}
        )
    invitation = PartnerInvitation.objects.create(
        assessment=assessment,
        partner=partner,
        email=email.lower(),
        organisation_name="" if partner else organisation_name,
        nonce=secrets.token_hex(16),
        created_by=user,
    )
    # First sent when created: the same instant, so that a later resend shows.
    invitation.sent_at = invitation.created_at
    invitation.save(update_fields=["sent_at"])
    invitation.criteria.set(criteria)
    _record(invitation, user, EventAction.INVITE, criteria)
    handoffs.partner_invited(invitation, invitation_token(invitation))
    return invitation


def _record(invitation: PartnerInvitation, user, action: str, criteria=None) -> None:
    """The invitation's step in the assessment's timeline: who, to whom, which criteria."""
    assessment = invitation.assessment
    who = str(invitation.partner or invitation.organisation_name)
    note = f"{who} · {invitation.email}"
    if criteria:
        note += " · " + ", ".join(criterion.code for criterion in criteria)
    record_event(assessment, user, action, assessment.state, assessment.state, note=note)


def _lock_invitation_of(user, invitation_id: int) -> PartnerInvitation:
    """The invitation, locked, with its assessment locked first (the order
    every service of the cycle locks in), for a person who may manage it."""
    assessment_id = PartnerInvitation.objects.values_list("assessment_id", flat=True).get(pk=invitation_id)
    assessment = lock_assessment(assessment_id)
    if not user.has_perm("assessments.manage_invitations", assessment):
        raise TransitionRefused(_("Einladungen dieser Selbstbewertung verwaltet nur die Leitung des Familienzentrums."))
    locked = PartnerInvitation.objects.select_for_update(of=("self",))
    invitation = locked.select_related("partner").get(pk=invitation_id)
    invitation.assessment = assessment
    return invitation


@transaction.atomic
def resend_invitation(*, user, invitation_id: int) -> PartnerInvitation:
    """A new link with a new expiry goes out; the new nonce makes every
    earlier link of this invitation invalid."""
    invitation = _lock_invitation_of(user, invitation_id)
    state = invitation.state
    if state == InvitationState.REVOKED:
        raise TransitionRefused(_("Diese Einladung ist zurückgenommen; laden Sie den Partner bitte neu ein."))
    if state == InvitationState.ACCEPTED:
        raise TransitionRefused(_("Diese Einladung ist bereits angenommen; ein neuer Link ist nicht nötig."))
    if not invitation.assessment.is_editable:
        raise TransitionRefused(_("Die Selbstbewertung nimmt gerade keine Nachweise an."))
    invitation.nonce = secrets.token_hex(16)
    invitation.sent_at = timezone.now()
    invitation.save(update_fields=["nonce", "sent_at"])
    _record(invitation, user, EventAction.INVITATION_RESENT)
    handoffs.partner_invited(invitation, invitation_token(invitation), resent=True)
    return invitation


@transaction.atomic
def revoke_invitation(*, user, invitation_id: int) -> PartnerInvitation:
    """The link stops working and, if it was accepted, the partner's access
    to the assessment ends. Documents it already contributed stay: they are
    the partner's, granted to the centre, and the partner may withdraw them."""
    invitation = _lock_invitation_of(user, invitation_id)
    if invitation.revoked_at is not None:
        raise TransitionRefused(_("Diese Einladung ist bereits zurückgenommen."))
    invitation.revoked_at = timezone.now()
    invitation.revoked_by = user
    invitation.save(update_fields=["revoked_at", "revoked_by"])
    _record(invitation, user, EventAction.INVITATION_REVOKED)
    handoffs.invitation_revoked(invitation)
    return invitation


@transaction.atomic
def accept_invitation(*, user, invitation_id: int) -> PartnerAccess:
    """The invited person accepts. For an existing organisation only its own
    staff can accept: an invitation never makes anyone a member of an
    organisation it already has. For a new organisation (invited by name)
    the organisation is created and the accepting person becomes its staff."""
    invitation = PartnerInvitation.objects.select_for_update().get(pk=invitation_id)
    if invitation.revoked_at is not None:
        raise InvitationInvalid(_("Das Familienzentrum hat diese Einladung zurückgenommen."))
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
    _record(invitation, user, EventAction.INVITATION_ACCEPTED)
    handoffs.invitation_accepted(access)
    return access


def upload_as_partner(
    *, user, access_id: int, criterion_code: str, files: list, details: EvidenceDetails
) -> list[Evidence]:
    """A partner uploads to a criterion it was invited to: the document is
    the partner's, granted to the centre and linked to the criterion."""
    checked_files = check_files(files)

    def work(stored):
        access = PartnerAccess.objects.select_related("assessment", "invitation").get(pk=access_id)
        partner = partner_of(user, access.partner_id)
        if access.invitation.revoked_at is not None:
            raise TransitionRefused(_("Das Familienzentrum hat Ihren Zugang zu dieser Selbstbewertung beendet."))
        assessment = Assessment.objects.select_for_update(of=("self",)).get(pk=access.assessment_id)
        if assessment.state not in EDITABLE_STATES:
            raise TransitionRefused(_("Die Selbstbewertung nimmt gerade keine Nachweise an."))
        criterion = access.criteria.filter(code=criterion_code).first()
        if criterion is None:
            raise TransitionRefused(_("Zu diesem Kriterium sind Sie nicht eingeladen."))
        created = create_documents(checked_files, details, user, stored, owner_partner=partner)
        for evidence in created:
            grant_create(evidence, assessment.familienzentrum_id, user)
            EvidenceLink.objects.create(assessment=assessment, criterion=criterion, evidence=evidence, linked_by=user)
            log_link(assessment, criterion, evidence, LogAction.EVIDENCE_LINKED, user=user)
        return created

    return atomic_with_files(work)


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
    partner_of(user, evidence.owner_partner_id)
    if not centres_partner_works_with(evidence.owner_partner_id).filter(pk=familienzentrum_id).exists():
        raise ValidationError(_("Mit diesem Familienzentrum arbeiten Sie noch nicht zusammen."))
    return grant_create(evidence, familienzentrum_id, user)


@transaction.atomic
def revoke_grant(*, user, grant_id: int) -> EvidenceGrant:
    """Withdraws a shared document: it disappears from the centre's drafts,
    never from submissions already frozen."""
    grant = grant_revoke(user=user, grant_id=grant_id)
    # Out of every open cycle of the centre; frozen submissions keep their
    # revisions through SubmissionRevision, so those stay untouched.
    EvidenceLink.objects.filter(
        evidence=grant.evidence,
        assessment__familienzentrum_id=grant.familienzentrum_id,
        assessment__state__in=OPEN_STATES,
    ).delete()
    return grant
