from __future__ import annotations

from celery import shared_task

from certification.models import CatalogueVersion


@shared_task(name="certification.ping")
def ping() -> dict:
    """A round trip through broker, worker and database, used by the health
    page and the worker test: the worker answers with what it sees."""
    return {"pong": True, "catalogues": CatalogueVersion.objects.count()}
