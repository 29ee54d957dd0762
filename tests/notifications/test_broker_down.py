"""A broker that is down when an action commits: the action stands, the
request answers in under a second, the row waits unsent, and the sweep
delivers it once the broker is back.

These talk to a real (refused) Redis port through kombu, no mocks; the
services run (test_broker_down_services.py) does the same against a
redis-server of its own that is stopped and started again, with a worker."""

from __future__ import annotations

import logging
import time

import pytest
from django.core import mail
from django.db import transaction
from django.urls import reverse

from config.celery import Task
from notifications import tasks
from notifications.models import Notification
from tests.notifications.support import FAST_SECONDS, make_old, point_app_at, send_hello

# Nothing listens on port 1: the connection is refused at once, as when
# Redis is stopped (a broker host that is gone costs the connect timeout).
DEAD_BROKER = "redis://127.0.0.1:1/0"


@pytest.fixture
def broker_down(own_broker, settings, monkeypatch):
    point_app_at(DEAD_BROKER, settings, monkeypatch)


@pytest.mark.urls("tests.notifications.urls")
def test_an_action_with_the_broker_down_answers_fast_and_the_sweep_mails_later(
    client, alice, broker_down, settings, caplog, django_capture_on_commit_callbacks
):
    # A server that has served before: the first request of a process pays
    # about a second for importing every app's views, which is not the
    # cost being measured here.
    assert client.get(reverse("accounts:login")).status_code == 200

    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="config.celery"):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post("/test/act-and-notify/", {"email": "partner@example.org"})
    elapsed = time.monotonic() - started

    assert response.status_code == 302
    assert elapsed < FAST_SECONDS, f"the request took {elapsed:.2f} s with the broker down"
    row = Notification.objects.get()
    assert row.email == "partner@example.org"
    assert row.emailed_at is None and row.attempts == 0 and row.last_attempt_at is None
    assert "Could not hand notifications.send" in caplog.text
    assert mail.outbox == []

    # Still down: the sweep stops at its first refused hand-over and leaves
    # the row as it was.
    make_old(row)
    assert tasks.sweep_notifications() == 0
    row.refresh_from_db()
    assert row.last_attempt_at is None

    # The broker is back (here: no broker, tasks run in this process).
    settings.CELERY_TASK_ALWAYS_EAGER = True
    assert tasks.sweep_notifications() == 1
    [message] = mail.outbox
    assert message.to == ["partner@example.org"]
    row.refresh_from_db()
    assert row.emailed_at is not None and row.attempts == 1


def test_several_hand_overs_with_the_broker_down_cost_one_failure(
    alice, bob, broker_down, django_capture_on_commit_callbacks, monkeypatch
):
    tried = []
    original = Task.apply_async

    def counted(self, *args, **kwargs):
        tried.append(self.name)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Task, "apply_async", counted)
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        rows = send_hello([alice, bob, "a@example.org", "b@example.org", "c@example.org"])
    elapsed = time.monotonic() - started

    assert len(callbacks) == 5
    # The first hand-over finds the broker down; the other four do not try.
    assert len(tried) == 1, tried
    assert elapsed < FAST_SECONDS, f"five hand-overs took {elapsed:.2f} s with the broker down"
    assert Notification.objects.filter(pk__in=[row.pk for row in rows], emailed_at__isnull=True).count() == 5


def test_a_hand_over_never_raises(broker_down):
    """Task.enqueue, the replacement of assessments.tasks.enqueue: False
    instead of an exception, fast."""
    started = time.monotonic()
    assert tasks.send_notification.enqueue(1) is False
    assert time.monotonic() - started < FAST_SECONDS
    assert isinstance(tasks.send_notification, Task)


def test_a_plain_apply_async_fails_fast_too(broker_down):
    """Code that still calls apply_async itself (assessments.tasks.enqueue,
    reports.services.enqueue_report) with the fast retry policy: the result
    backend's reconnect loop no longer holds it for 19 s."""
    from config.celery import FAST_FAIL_RETRY_POLICY

    started = time.monotonic()
    with pytest.raises(Exception):  # noqa: B017 - whatever the broker raises; the point is the time
        tasks.send_notification.apply_async((1,), retry_policy=FAST_FAIL_RETRY_POLICY, ignore_result=False)
    elapsed = time.monotonic() - started
    assert elapsed < FAST_SECONDS, f"apply_async took {elapsed:.2f} s with the broker down"


def test_an_error_in_an_after_commit_hand_over_does_not_reach_the_caller(alice, django_capture_on_commit_callbacks):
    """Whatever goes wrong in the hand-over (here: the task itself, run
    eagerly), the committed action is not turned into an error."""
    from unittest import mock

    with mock.patch("notifications.services.notification_send", side_effect=RuntimeError("boom")):
        with django_capture_on_commit_callbacks(execute=True):
            with transaction.atomic():
                [row] = send_hello([alice])
    row.refresh_from_db()
    assert row.emailed_at is None
