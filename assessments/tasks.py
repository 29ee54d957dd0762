from __future__ import annotations

from celery import shared_task

from assessments.notifications import send_event_mail


@shared_task(name="assessments.notify_event", autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def notify_assessment_event(event_id: int) -> int:
    return send_event_mail(event_id)
