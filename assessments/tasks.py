"""Thin tasks of the assessments app: take ids or nothing, call a service."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="assessments.remind_deadlines", ignore_result=True)
def remind_deadlines() -> int:
    """Daily (CELERY_BEAT_SCHEDULE): the cycle's overdue and approaching dates,
    each reminded once per date and stage. Safe to run twice at once: the
    reminder's unique row decides which run sends."""
    from assessments.services.deadlines import send_due_deadline_reminders

    return len(send_due_deadline_reminders())
