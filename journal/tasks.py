"""Thin tasks of the journal app: take ids or nothing, call a service."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="journal.remind_gaps", ignore_result=True)
def remind_gaps() -> int:
    """Monthly (CELERY_BEAT_SCHEDULE): each centre's gaps in its journal that
    can still be closed, to its Leitung, once per centre and month. Safe to
    run twice: the reminder's unique row decides which run sends."""
    from journal.reminders import send_gap_reminders

    return len(send_gap_reminders())
