"""The services run: PostgreSQL underneath, a real Redis broker and a real
Celery worker in its own process."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection

from certification.models import CatalogueVersion
from certification.tasks import ping

pytestmark = pytest.mark.services


def _catalogue(code: str) -> CatalogueVersion:
    return CatalogueVersion.objects.create(
        code=code,
        version="1",
        title=f"Katalog {code}",
        valid_from=datetime.date(2025, 1, 1),
        source_name=f"{code}.yaml",
        source_sha256="0" * 64,
    )


def test_suite_runs_on_postgresql(services, db):
    assert connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_database()")
        assert cursor.fetchone()[0].startswith("test_")


def test_tasks_go_through_the_broker(services, settings):
    from config.celery import app

    assert settings.CELERY_TASK_ALWAYS_EAGER is False
    assert app.conf.task_always_eager is False
    assert app.conf.broker_url.startswith(("redis://", "rediss://"))


def test_worker_answers_ping_with_committed_data(celery_worker, transactional_db):
    _catalogue("alpha")
    _catalogue("beta")

    result = ping.delay()
    assert result.get(timeout=60) == {"pong": True, "catalogues": 2}

    # A second round trip sees the new row, so nothing is cached on the way.
    _catalogue("gamma")
    assert ping.delay().get(timeout=60) == {"pong": True, "catalogues": 3}
    assert "certification.ping" in celery_worker.output()


def test_health_page_reaches_redis(services, client, db):
    response = client.get("/health/?format=json")

    assert response.status_code == 200
    body = response.json()
    assert body["ok"] is True
    assert body["checks"]["database"] == {"ok": True, "detail": "postgresql"}
    assert body["checks"]["broker"]["ok"] is True
    assert body["checks"]["broker"]["detail"] == "redis"
