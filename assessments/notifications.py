"""E-mails about an assessment, in German, to the centre's leaders and the office."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from assessments.models import AssessmentEvent
from certification.selectors import leader_emails

TEMPLATES = {
    "submit": "assessments/email/submitted",
    "withdraw": "assessments/email/withdrawn",
    "request_changes": "assessments/email/changes_requested",
    "approve": "assessments/email/approved",
    "decline": "assessments/email/declined",
}


# An event younger than this may still be on its way through the broker.
RESEND_AFTER = timedelta(minutes=2)
RESEND_WITHIN = timedelta(days=7)


def pending_event_ids() -> list[int]:
    now = timezone.now()
    return list(
        AssessmentEvent.objects.filter(
            action__in=list(TEMPLATES),
            notified_at__isnull=True,
            created_at__lt=now - RESEND_AFTER,
            created_at__gte=now - RESEND_WITHIN,
        ).values_list("pk", flat=True)[:500]
    )


@transaction.atomic
def send_event_mail(event_id: int) -> int:
    """Send the mail for one event, once; returns the number of recipients.
    The row lock makes a sweep and a late original delivery not both send."""
    event = (
        AssessmentEvent.objects.select_for_update(of=("self",))
        .select_related("assessment__familienzentrum", "assessment__catalogue", "actor", "submission")
        .get(pk=event_id)
    )
    template = TEMPLATES.get(event.action)
    if template is None or event.notified_at is not None:
        return 0
    assessment = event.assessment
    recipients = leader_emails(assessment.familienzentrum) + [settings.OFFICE_EMAIL]
    context = {
        "event": event,
        "assessment": assessment,
        "centre": assessment.familienzentrum,
        "site_url": settings.SITE_URL,
    }
    with translation.override("de"):
        subject = render_to_string(f"{template}_subject.txt", context).strip()
        body = render_to_string(f"{template}.txt", context)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)
    event.notified_at = timezone.now()
    event.save(update_fields=["notified_at"])
    return len(recipients)
