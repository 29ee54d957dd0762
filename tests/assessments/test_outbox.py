"""A broker that is down when a transition commits loses nothing: the
submission stands, the user gets the normal answer, and the outbox sweep
sends the e-mail later, exactly once."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError

from assessments.models import AssessmentState
from assessments.tasks import notify_assessment_event, resend_notifications
from tests.assessments.conftest import answer_all


@pytest.fixture
def broker_down(monkeypatch):
    def refuse(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(notify_assessment_event, "apply_async", refuse)


def test_submit_succeeds_while_the_broker_is_down_and_the_sweep_mails_later(
    client, alice, draft, broker_down, monkeypatch, django_capture_on_commit_callbacks
):
    answer_all(draft, alice)
    client.force_login(alice)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("assessments:ready", args=[draft.pk]))
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.state == AssessmentState.SUBMITTED and draft.submissions.count() == 1
    assert mail.outbox == []
    event = draft.events.get(action="submit")
    assert event.notified_at is None

    monkeypatch.undo()  # the broker is back
    assert resend_notifications() == 0  # too young: it may still be on its way
    with time_machine.travel(timezone.now() + timedelta(minutes=5)):
        assert resend_notifications() == 1
        assert len(mail.outbox) == 1 and "eingereicht" in mail.outbox[0].subject
        event.refresh_from_db()
        assert event.notified_at is not None
        assert resend_notifications() == 0
    assert notify_assessment_event(event.pk) == 0  # a late duplicate delivery sends nothing
    assert len(mail.outbox) == 1
