"""The message road through the real machinery: PostgreSQL, a redis-server
of this test's own (so stopping it touches nobody else's broker) and a real
Celery worker on it.

Redis up: a request notifies, the worker mails. Redis stopped: the request
still answers in under a second and the row waits unsent. Redis back: the
sweep hands the row over and the worker mails it."""

from __future__ import annotations

import time

import pytest
from django.test import Client

from notifications import services
from notifications.models import Notification
from tests.notifications.support import FAST_SECONDS, make_old, point_app_at
from tests.services.support import wait_for

pytestmark = pytest.mark.services


def emailed(notification_id: int):
    return Notification.objects.filter(pk=notification_id, emailed_at__isnull=False).exists()


@pytest.mark.urls("tests.notifications.urls")
def test_broker_down_the_request_is_fast_and_the_sweep_delivers_once_redis_is_back(
    transactional_db, own_broker, own_redis, worker_on_own_redis, settings, monkeypatch
):
    point_app_at(own_redis.url, settings, monkeypatch)
    client = Client()

    # Redis up: the request commits, hands over after the commit, the worker mails.
    response = client.post("/test/act-and-notify/", {"email": "partner@example.org", "note": "erste Nachricht"})
    assert response.status_code == 302
    first = Notification.objects.get()
    wait_for(
        lambda: emailed(first.pk), timeout=60, what="the worker to mail the first row", process=worker_on_own_redis
    )
    assert "erste Nachricht" in worker_on_own_redis.output()  # the console mail backend of the worker

    # Redis stopped: the committed action stands, the request answers at once.
    own_redis.stop()
    started = time.monotonic()
    response = client.post("/test/act-and-notify/", {"email": "partner@example.org", "note": "zweite Nachricht"})
    elapsed = time.monotonic() - started
    assert response.status_code == 302
    assert elapsed < FAST_SECONDS, f"the request took {elapsed:.2f} s with Redis down"
    second = Notification.objects.exclude(pk=first.pk).get()
    assert second.emailed_at is None and second.attempts == 0

    # Redis back (empty: it kept nothing). Once the worker has reconnected
    # (and declared its queue again), the sweep hands the row over.
    own_redis.start()
    wait_for(
        # "Connected to redis://:**@127.0.0.1:<port>/0", once at the start and once now.
        lambda: worker_on_own_redis.output().count(f"Connected to redis://:**@127.0.0.1:{own_redis.port}/0") >= 2,
        timeout=60,
        what="the worker to reconnect",
        process=worker_on_own_redis,
    )
    assert services.unsent_notification_ids() == []  # within its grace period
    make_old(second)
    assert services.notifications_sweep() == 1
    wait_for(
        lambda: emailed(second.pk), timeout=60, what="the worker to mail the swept row", process=worker_on_own_redis
    )
    second.refresh_from_db()
    assert second.attempts == 1
    assert "zweite Nachricht" in worker_on_own_redis.output()
    assert "Traceback" not in worker_on_own_redis.output().split("zweite Nachricht")[-1]
