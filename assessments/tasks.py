from __future__ import annotations

import logging

from celery import shared_task

from assessments.notifications import pending_event_ids, send_event_mail

logger = logging.getLogger(__name__)

# Hand-over to the broker fails fast: a request must not hang on a broker
# that is down; what was not handed over is sent again by a sweep.
ENQUEUE_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}


def enqueue(task, *args) -> bool:
    """Send a task after commit without ever failing the caller."""
    try:
        task.apply_async(args, retry_policy=ENQUEUE_RETRY_POLICY)
    except Exception:  # noqa: BLE001 - whatever the broker raises, the caller's work is committed
        logger.exception("Could not hand %s%s to the task queue", task.name, args)
        return False
    return True


@shared_task(name="assessments.notify_event", autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def notify_assessment_event(event_id: int) -> int:
    return send_event_mail(event_id)


@shared_task(name="assessments.resend_notifications")
def resend_notifications() -> int:
    """The outbox sweep: re-send mails of events that never got theirs."""
    event_ids = pending_event_ids()
    for event_id in event_ids:
        enqueue(notify_assessment_event, event_id)
    return len(event_ids)


@shared_task(name="assessments.send_partner_invitation", autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_partner_invitation(invitation_id: int, token: str) -> None:
    from assessments.evidence import send_invitation_mail

    send_invitation_mail(invitation_id, token)


@shared_task(name="assessments.send_site_visit_invitation", autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_site_visit_invitation(visit_id: int) -> int:
    from assessments.site_visits import send_site_visit_invitation as send

    return send(visit_id)
