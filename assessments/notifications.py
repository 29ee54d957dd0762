"""E-mails about an assessment, in German, to the centre's leaders and the office."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import translation

from assessments.models import AssessmentEvent
from certification.selectors import leader_emails

TEMPLATES = {
    "submit": "assessments/email/submitted",
    "withdraw": "assessments/email/withdrawn",
    "request_changes": "assessments/email/changes_requested",
    "approve": "assessments/email/approved",
    "decline": "assessments/email/declined",
}


def send_event_mail(event_id: int) -> int:
    """Send the mail for one event; returns the number of recipients."""
    event = AssessmentEvent.objects.select_related(
        "assessment__familienzentrum", "assessment__catalogue", "actor", "submission"
    ).get(pk=event_id)
    template = TEMPLATES.get(event.action)
    if template is None:
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
    return len(recipients)
