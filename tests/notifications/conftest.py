"""Fixtures of the message-road tests."""

from __future__ import annotations

import pytest

from tests.notifications.support import TEMPLATES_DIR, drop_broker_connections
from tests.services import conftest as services_fixtures
from tests.services.support import OwnRedis, Process, solo_worker_args, subprocess_env

# The session fixture of the services run (PostgreSQL and Redis present).
services = services_fixtures.services


@pytest.fixture(autouse=True)
def _test_templates(settings):
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [*settings.TEMPLATES[0]["DIRS"], TEMPLATES_DIR]}]


@pytest.fixture
def own_broker(settings, monkeypatch):
    """For tests that point this process at a broker of their own (see
    support.point_app_at): afterwards the pooled connections to it are
    dropped, so later tests reach the broker of the run again."""
    yield
    drop_broker_connections()


@pytest.fixture
def own_redis(services, tmp_path):
    server = OwnRedis(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def worker_on_own_redis(own_redis, services, tmp_path):
    worker = Process(
        solo_worker_args(f"notify-{own_redis.port}"),
        env=subprocess_env(
            tmp_path, DATABASE_URL=services, CELERY_BROKER_URL=own_redis.url, CELERY_RESULT_BACKEND=own_redis.url
        ),
        log_path=tmp_path / "worker.log",
    )
    try:
        worker.wait_for_output(" ready.", timeout=60)
        yield worker
    finally:
        # Before pytest-django drops the test database.
        worker.stop()
