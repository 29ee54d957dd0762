from __future__ import annotations

from celery import shared_task

from certification.models import CatalogueVersion


@shared_task(name="certification.ping")
def ping() -> dict:
    """A round trip through broker, worker and database, used by the health
    page and the worker test: the worker answers with what it sees."""
    return {"pong": True, "catalogues": CatalogueVersion.objects.count()}


@shared_task(name="certification.send_seal_reminders")
def send_seal_reminders() -> int:
    """Daily (Celery beat): the reminders 12, 6 and 3 months before a seal ends."""
    from certification.services import send_due_seal_reminders

    return len(send_due_seal_reminders())
