"""notifications.sweep: rows the broker never delivered are handed over
again after a grace period, once per retry interval, for a few days."""

from __future__ import annotations

import logging
from datetime import timedelta
from unittest import mock

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.utils import timezone

from notifications import services, tasks
from notifications.models import Notification
from tests.notifications.support import make_old, point_app_at, send_hello


@pytest.fixture
def never_handed_over(alice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        [row] = send_hello([alice])
    return row


def test_the_sweep_picks_up_a_row_never_handed_over(never_handed_over):
    # Too young: its message may still be on the way.
    assert tasks.sweep_notifications() == 0
    assert mail.outbox == []

    make_old(never_handed_over, minutes=3)
    assert tasks.sweep_notifications.delay().get() == 1
    [message] = mail.outbox
    assert message.to == ["alice@example.org"]
    never_handed_over.refresh_from_db()
    assert never_handed_over.emailed_at is not None

    assert tasks.sweep_notifications() == 0
    assert len(mail.outbox) == 1


def test_the_sweep_leaves_rows_alone_that_wait_in_the_queue_or_were_tried_recently(never_handed_over):
    make_old(never_handed_over, minutes=3)
    # A stand-in for a broker that takes the message: a real one with no
    # worker (tests.notifications.conftest.own_redis) needs the services run,
    # and this test belongs to the SQLite run too. A refusal needs none: see
    # test_the_sweep_stops_at_the_first_hand_over_the_broker_refuses.
    with mock.patch.object(tasks.send_notification, "enqueue", return_value=True) as enqueue:
        assert services.notifications_sweep() == 1
        # Handed over and stamped: the next sweeps wait SEND_RETRY_AFTER for it.
        assert services.notifications_sweep() == 0
    enqueue.assert_called_once_with(never_handed_over.pk)

    Notification.objects.filter(pk=never_handed_over.pk).update(
        last_attempt_at=timezone.now() - services.SEND_RETRY_AFTER - timedelta(seconds=1)
    )
    assert services.unsent_notification_ids() == [never_handed_over.pk]


def test_the_sweep_gives_up_on_rows_older_than_a_few_days(never_handed_over):
    make_old(never_handed_over, minutes=int(services.SEND_MAX_AGE.total_seconds() // 60) + 1)
    assert services.unsent_notification_ids() == []


def test_the_sweep_stops_at_the_first_hand_over_the_broker_refuses(
    alice, bob, own_broker, settings, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        rows = send_hello([alice, bob])
    for row in rows:
        make_old(row)
    # Nothing patched: a broker where nothing listens (port 1) refuses the connection.
    point_app_at("redis://127.0.0.1:1/0", settings, monkeypatch)
    with caplog.at_level(logging.WARNING, logger="config.celery"):
        assert services.notifications_sweep() == 0
    # One hand-over tried and refused; the second row was not even tried
    # (the task class would have logged it skipped as "unreachable a moment ago").
    assert caplog.text.count("Could not hand notifications.send") == 1
    assert "Broker unreachable a moment ago" not in caplog.text
    assert mail.outbox == []
    # Not stamped: the next sweep tries them again at once.
    assert sorted(services.unsent_notification_ids()) == sorted(row.pk for row in rows)


def test_beat_runs_the_sweep_every_minute():
    entry = django_settings.CELERY_BEAT_SCHEDULE["notifications.sweep"]
    assert entry["task"] == "notifications.sweep" == tasks.sweep_notifications.name
    assert entry["schedule"] <= 60
