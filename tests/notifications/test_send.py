"""notifications.send: once per row, however often it is called; transient
errors counted and retried, a definite refusal ends the row's mailing."""

from __future__ import annotations

import smtplib
from unittest import mock

import pytest
from django.core import mail

from notifications import services, tasks
from notifications.models import Notification
from tests.notifications.support import send_hello


@pytest.fixture
def unsent(alice, django_capture_on_commit_callbacks):
    """A row whose hand-over never happened (the callbacks are not run)."""
    with django_capture_on_commit_callbacks(execute=False):
        [row] = send_hello([alice])
    return row


def test_send_sends_once_even_when_called_twice(unsent):
    assert tasks.send_notification(unsent.pk) is True
    assert tasks.send_notification(unsent.pk) is False
    assert services.notification_send(unsent.pk) is False

    assert len(mail.outbox) == 1
    unsent.refresh_from_db()
    assert unsent.emailed_at is not None and unsent.attempts == 1


def test_send_through_celery_eagerly(unsent):
    assert tasks.send_notification.delay(unsent.pk).get() is True
    assert len(mail.outbox) == 1


def test_a_missing_row_is_nothing_to_send(db):
    assert services.notification_send(987654) is False
    assert mail.outbox == []


def test_a_transient_error_is_recorded_and_raised_for_the_retry(unsent):
    with mock.patch("django.core.mail.EmailMessage.send", side_effect=smtplib.SMTPServerDisconnected("gone")):
        with pytest.raises(services.TransientMailError, match="SMTPServerDisconnected: gone"):
            services.notification_send(unsent.pk)
        with pytest.raises(services.TransientMailError):
            services.notification_send(unsent.pk)
    unsent.refresh_from_db()
    assert unsent.attempts == 2 and unsent.emailed_at is None and unsent.failed_at is None
    assert unsent.last_error == "SMTPServerDisconnected: gone" and unsent.last_attempt_at is not None

    # The mail server is back.
    assert services.notification_send(unsent.pk) is True
    unsent.refresh_from_db()
    assert unsent.attempts == 3 and unsent.emailed_at is not None and unsent.last_error == ""


def test_the_task_retries_transient_errors_with_backoff():
    task = tasks.send_notification
    assert task.autoretry_for == (services.TransientMailError,)
    assert task.retry_backoff and task.max_retries == 5
    assert task.acks_late and task.ignore_result


def test_an_eager_run_does_not_retry_inside_the_request(unsent):
    with mock.patch("django.core.mail.EmailMessage.send", side_effect=ConnectionRefusedError(111, "refused")) as send:
        assert tasks.send_notification.delay(unsent.pk).get() is False
    assert send.call_count == 1
    unsent.refresh_from_db()
    assert unsent.attempts == 1 and "ConnectionRefusedError" in unsent.last_error


def test_a_definite_refusal_ends_the_mailing(unsent):
    refused = smtplib.SMTPRecipientsRefused({"alice@example.org": (550, b"5.1.1 no such user")})
    with mock.patch("django.core.mail.EmailMessage.send", side_effect=refused):
        assert services.notification_send(unsent.pk) is False
    unsent.refresh_from_db()
    assert unsent.failed_at is not None and unsent.emailed_at is None and unsent.attempts == 1
    assert "SMTPRecipientsRefused" in unsent.last_error
    # Not tried again, neither by a late message nor by the sweep.
    assert services.notification_send(unsent.pk) is False
    assert unsent.pk not in services.unsent_notification_ids()
    assert Notification.objects.get(pk=unsent.pk).attempts == 1


@pytest.mark.parametrize(
    ("error", "permanent", "transient"),
    [
        (smtplib.SMTPRecipientsRefused({"a@example.org": (550, b"unknown")}), True, False),
        (smtplib.SMTPRecipientsRefused({"a@example.org": (451, b"try later")}), False, True),
        (smtplib.SMTPDataError(554, b"rejected"), True, False),
        (smtplib.SMTPDataError(451, b"try later"), False, True),
        (smtplib.SMTPAuthenticationError(535, b"bad password"), False, True),
        (smtplib.SMTPServerDisconnected("gone"), False, True),
        (TimeoutError("timed out"), False, True),
        (ValueError("a bug"), False, False),
    ],
)
def test_errors_are_classified(error, permanent, transient):
    assert services.is_permanent(error) is permanent
    assert services.is_transient(error) is transient


def test_an_unexpected_error_is_recorded_and_raised(unsent):
    with mock.patch("django.core.mail.EmailMessage.send", side_effect=ValueError("a bug")):
        with pytest.raises(ValueError, match="a bug"):
            services.notification_send(unsent.pk)
    unsent.refresh_from_db()
    assert unsent.attempts == 1 and unsent.last_error == "ValueError: a bug" and unsent.failed_at is None
