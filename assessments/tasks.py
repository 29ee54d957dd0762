from __future__ import annotations

from celery import shared_task

from assessments.notifications import send_event_mail


@shared_task(name="assessments.notify_event", autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def notify_assessment_event(event_id: int) -> int:
    return send_event_mail(event_id)


@shared_task(name="assessments.send_partner_invitation", autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_partner_invitation(invitation_id: int, token: str) -> None:
    from assessments.evidence import send_invitation_mail

    send_invitation_mail(invitation_id, token)


@shared_task(name="assessments.send_site_visit_invitation", autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_site_visit_invitation(visit_id: int) -> int:
    from assessments.site_visits import send_site_visit_invitation as send

    return send(visit_id)
