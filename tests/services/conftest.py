"""Fixtures for the services run: PostgreSQL, Redis and a real Celery worker.

The worker is one subprocess for the whole session. It reads the test
database pytest-django created, so a test that wants the worker to see its
rows must commit them (`transactional_db`).
"""

from __future__ import annotations

import uuid

import pytest
from django.conf import settings

from tests.services.support import Process, check_services, database_url, solo_worker_args, subprocess_env


@pytest.fixture(scope="session")
def services(django_db_setup) -> str:
    """Fails in CI (skips elsewhere) unless PostgreSQL and Redis are there;
    returns the DATABASE_URL of the test database for subprocesses."""
    database = settings.DATABASES["default"]
    check_services(database)
    return database_url(database)


@pytest.fixture(scope="session")
def celery_worker(services, tmp_path_factory):
    """A real `celery -A config worker` on the Redis broker and the test database."""
    from config.celery import app

    # Messages left by earlier tests (or runs) name rows that were rolled
    # back long ago; the worker must not spend its time on them.
    app.control.purge()

    tmp_path = tmp_path_factory.mktemp("celery-worker")
    worker = Process(
        solo_worker_args(f"test-{uuid.uuid4().hex[:8]}"),
        env=subprocess_env(tmp_path, DATABASE_URL=services),
        log_path=tmp_path / "worker.log",
    )
    try:
        worker.wait_for_output(" ready.", timeout=60)
        yield worker
    finally:
        # Before pytest-django drops the test database, which fails while the
        # worker still holds a connection to it.
        worker.stop()
