"""Who is told what at each hand-off of the cycle. Every function runs inside
the transaction of the change it reports and writes its messages through the
one road (notifications.services.notify): a row per recipient, shown in the
app, e-mailed by the worker after the commit, swept when the broker missed it."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from assessments.calendars import build_ics, visited_sites
from assessments.models import Assessment, AssessmentEvent, EventAction, PartnerAccess, PartnerInvitation, SiteVisit
from certification.models import Membership, MembershipRole
from certification.selectors import leader_emails
from notifications.models import NotificationKind
from notifications.services import Attachment, notify

EMAIL = "assessments/email/"


def _detail(assessment: Assessment) -> str:
    return reverse("assessments:detail", args=[assessment.pk])


def _review(assessment: Assessment) -> str:
    return reverse("assessments:review", args=[assessment.pk])


def _people(*users) -> list:
    return [user for user in users if user is not None]


def _tell(kind, recipients, template: str, event: AssessmentEvent, link: str, **extra) -> None:
    assessment = event.assessment
    notify(
        kind=kind,
        recipients=recipients,
        subject_template=f"{EMAIL}{template}_subject.txt",
        body_template=f"{EMAIL}{template}.txt",
        context={"event": event, "assessment": assessment, "centre": assessment.familienzentrum, **extra},
        link=link,
    )


def after_transition(event: AssessmentEvent) -> None:
    """The messages a transition brings about, by the event it recorded."""
    assessment = event.assessment
    centre = leader_emails(assessment.familienzentrum)
    office = [settings.OFFICE_EMAIL]
    reviewer, second = assessment.reviewer, assessment.second_reviewer
    action = event.action
    if action == EventAction.SUBMIT:
        _tell(NotificationKind.ASSESSMENT_SUBMITTED, centre + office, "submitted", event, _detail(assessment))
    elif action == EventAction.ASSIGN:
        _tell(NotificationKind.REVIEWERS_ASSIGNED, _people(reviewer), "assigned_reviewer", event, _review(assessment))
        _tell(NotificationKind.REVIEWERS_ASSIGNED, _people(second), "assigned_second", event, _review(assessment))
    elif action == EventAction.REQUEST_CHANGES:
        link = reverse("assessments:queries", args=[assessment.pk])
        _tell(NotificationKind.CHANGES_REQUESTED, centre, "changes_requested", event, link)
    elif action == EventAction.RESUBMIT:
        _tell(NotificationKind.RESUBMITTED, _people(reviewer), "resubmitted", event, _review(assessment))
    elif action == EventAction.RECOMMEND:
        link = reverse("assessments:decision", args=[assessment.pk])
        _tell(NotificationKind.RECOMMENDED, _people(second), "recommended", event, link)
    elif action == EventAction.SEND_BACK:
        _tell(NotificationKind.SENT_BACK, _people(reviewer), "sent_back", event, _review(assessment))
    elif action == EventAction.APPROVE:
        _tell(NotificationKind.APPROVED, centre + office, "approved", event, _detail(assessment))
    elif action == EventAction.DECLINE:
        _tell(NotificationKind.DECLINED, centre + office, "declined", event, _detail(assessment))
    elif action == EventAction.WITHDRAW:
        _tell(NotificationKind.WITHDRAWN, centre + office + _people(reviewer), "withdrawn", event, _detail(assessment))


def site_visit_planned(visit: SiteVisit) -> None:
    """The Begehung's invitation, with its .ics, to the centre's leaders."""
    assessment = visit.assessment
    recipients = leader_emails(assessment.familienzentrum)
    from assessments.calendars import BERLIN

    notify(
        kind=NotificationKind.SITE_VISIT,
        recipients=recipients,
        subject_template=f"{EMAIL}site_visit_subject.txt",
        body_template=f"{EMAIL}site_visit.txt",
        context={
            "visit": visit,
            "assessment": assessment,
            "centre": assessment.familienzentrum,
            "sites": visited_sites(visit),
            "start": visit.scheduled_for.astimezone(BERLIN),
            "reviewer": assessment.reviewer,
        },
        link=_detail(assessment),
        # Answers about the date go to the reviewer, not to a no-reply address.
        reply_to=assessment.reviewer.email if assessment.reviewer else "",
        attachment=Attachment(
            "begehung.ics", "text/calendar; method=REQUEST", build_ics(visit, attendees=recipients).decode()
        ),
    )


def partner_invited(invitation: PartnerInvitation, token: str, *, resent: bool = False) -> None:
    """The invitation link goes to the invited address; it lives in the
    message row, so a broker outage delays it but cannot lose it. A resent
    invitation says that its earlier link no longer works."""
    link = reverse("assessments:invitation", args=[token])
    notify(
        kind=NotificationKind.PARTNER_INVITATION,
        recipients=[invitation.email],
        subject_template=f"{EMAIL}invitation_subject.txt",
        body_template=f"{EMAIL}invitation.txt",
        context={
            "invitation": invitation,
            "centre": invitation.assessment.familienzentrum,
            "criteria": invitation.criteria.order_by("area__order", "order"),
            "days": settings.INVITATION_MAX_AGE_DAYS,
            "resent": resent,
        },
        link=link,
    )


def invitation_revoked(invitation: PartnerInvitation) -> None:
    """The invited address, and the partner's staff once it accepted, hear
    that the link (and the access) ended."""
    recipients = [invitation.email]
    if invitation.accepted_at is not None and invitation.partner_id is not None:
        recipients += list(
            Membership.objects.filter(
                partner_id=invitation.partner_id, role=MembershipRole.PARTNER, user__is_active=True
            ).values_list("user__email", flat=True)
        )
    if invitation.accepted_by is not None:
        recipients.append(invitation.accepted_by.email)
    notify(
        kind=NotificationKind.INVITATION_REVOKED,
        recipients=recipients,
        subject_template=f"{EMAIL}invitation_revoked_subject.txt",
        body_template=f"{EMAIL}invitation_revoked.txt",
        context={"invitation": invitation, "centre": invitation.assessment.familienzentrum},
    )


def invitation_accepted(access: PartnerAccess) -> None:
    """The Leitung who invited hears that the partner can now contribute."""
    invitation = access.invitation
    notify(
        kind=NotificationKind.INVITATION_ACCEPTED,
        recipients=_people(invitation.created_by),
        subject_template=f"{EMAIL}invitation_accepted_subject.txt",
        body_template=f"{EMAIL}invitation_accepted.txt",
        context={
            "invitation": invitation,
            "access": access,
            "partner": access.partner,
            "centre": access.assessment.familienzentrum,
            "assessment": access.assessment,
        },
        link=_detail(access.assessment),
    )
