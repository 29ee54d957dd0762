"""Thin tasks: take the row id, call the service."""

from __future__ import annotations

import logging

from celery import shared_task

from notifications import services

logger = logging.getLogger(__name__)


@shared_task(
    bind=True,
    name="notifications.send",
    ignore_result=True,
    # Acknowledged after the attempt: a worker killed mid-send gets the
    # message again (notification_send sends once, under its row lock).
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(services.TransientMailError,),
    retry_backoff=True,
    retry_backoff_max=120,
    retry_jitter=True,
    max_retries=5,
)
def send_notification(self, notification_id: int) -> bool:
    try:
        return services.notification_send(notification_id)
    except services.TransientMailError:
        if self.request.is_eager:
            # No worker (the embedded set-up): retrying inside the user's
            # request would only make it wait; the row keeps its error.
            logger.warning("Notification %s: sending failed in an eager run; not retried", notification_id)
            return False
        raise


@shared_task(name="notifications.sweep", ignore_result=True)
def sweep_notifications() -> int:
    """Every minute (CELERY_BEAT_SCHEDULE): hand over what the broker missed."""
    return services.notifications_sweep()
