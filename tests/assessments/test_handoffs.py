"""Every hand-off of the cycle tells its recipient through the one road: a
row per recipient written in the transaction of the change, shown in the
bell, mailed after the commit (in German, as plain text, never escaped)."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from assessments import services
from assessments.models import Verdict
from notifications.models import Notification, NotificationKind
from tests.assessments.conftest import accept_all, answer_all, schedule_visit


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """Run a service call and the after-commit hand-overs (the eager worker mails)."""

    def call(function, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return function(**kwargs)

    return call


def rows(kind) -> list[Notification]:
    return list(Notification.objects.filter(kind=kind).order_by("email"))


def mailed_to(address: str) -> list:
    return [message for message in mail.outbox if message.to == [address]]


def bell_of(client, user) -> str:
    client.force_login(user)
    return client.get(reverse("home")).content.decode()


def test_submit_tells_the_centre_and_the_office(draft, alice, run, client):
    answer_all(draft, alice)
    run(services.submit, user=alice, assessment_id=draft.pk)
    assert [row.email for row in rows(NotificationKind.ASSESSMENT_SUBMITTED)] == [alice.email, "office@example.org"]
    (row,) = [row for row in rows(NotificationKind.ASSESSMENT_SUBMITTED) if row.recipient_id == alice.pk]
    assert row.link == reverse("assessments:detail", args=[draft.pk]) and row.emailed_at is not None
    assert "1 ungelesen" in bell_of(client, alice)
    (message,) = mailed_to(alice.email)
    assert "Selbstbewertung eingereicht" in message.subject


def test_assignment_tells_each_reviewer(submitted, olga, gabi, zeno, run, client):
    run(services.assign_reviewers, user=olga, assessment_id=submitted.pk, reviewer=gabi, second_reviewer=zeno)
    assigned = rows(NotificationKind.REVIEWERS_ASSIGNED)
    assert {row.recipient for row in assigned} == {gabi, zeno}
    assert all(row.link == reverse("assessments:review", args=[submitted.pk]) for row in assigned)
    assert "übertragen" in mailed_to(gabi.email)[0].body
    assert "Zweitgutachter:in" in mailed_to(zeno.email)[0].body
    assert "1 ungelesen" in bell_of(client, gabi)


def test_queries_tell_the_centre_unescaped(reviewing, gabi, alice, run):
    services.set_verdict(
        user=gabi, assessment_id=reviewing.pk, criterion_code="1.1", verdict=Verdict.QUERIED, comment="Bitte belegen."
    )
    run(services.request_changes, user=gabi, assessment_id=reviewing.pk, note="Eltern & Kinder <Gruppe>")
    (row,) = rows(NotificationKind.CHANGES_REQUESTED)
    assert row.recipient == alice and row.link == reverse("assessments:queries", args=[reviewing.pk])
    (message,) = mailed_to(alice.email)
    assert "Eltern & Kinder <Gruppe>" in message.body and "&amp;" not in message.body


def test_resubmission_tells_the_reviewer(queried, alice, gabi, run):
    run(services.resubmit, user=alice, assessment_id=queried.pk)
    (row,) = rows(NotificationKind.RESUBMITTED)
    assert row.recipient == gabi
    assert "erneut eingereicht" in mailed_to(gabi.email)[0].body


def test_recommendation_tells_the_second_reviewer(reviewing, gabi, zeno, run):
    accept_all(reviewing, gabi)
    schedule_visit(reviewing, gabi, done=True)
    run(services.recommend, user=gabi, assessment_id=reviewing.pk, note="Alles belegt.")
    (row,) = rows(NotificationKind.RECOMMENDED)
    assert row.recipient == zeno and row.link == reverse("assessments:decision", args=[reviewing.pk])
    assert "Alles belegt." in mailed_to(zeno.email)[0].body


def test_send_back_tells_the_reviewer_its_reason(recommended_by_gabi, zeno, gabi, run):
    run(services.send_back, user=zeno, assessment_id=recommended_by_gabi.pk, reason="Bitte 1.1 & 1.2 prüfen.")
    (row,) = rows(NotificationKind.SENT_BACK)
    assert row.recipient == gabi
    assert "Bitte 1.1 & 1.2 prüfen." in mailed_to(gabi.email)[0].body


def test_approval_and_decline_tell_the_centre(recommended_by_gabi, zeno, alice, run):
    run(services.approve, user=zeno, assessment_id=recommended_by_gabi.pk)
    assert {row.email for row in rows(NotificationKind.APPROVED)} == {alice.email, "office@example.org"}
    assert mailed_to(alice.email)


def test_site_visit_invitation_carries_the_calendar_file(reviewing, gabi, alice, run):
    run(schedule_visit, assessment=reviewing, reviewer=gabi)
    (row,) = rows(NotificationKind.SITE_VISIT)
    assert row.recipient == alice and row.attachment_name == "begehung.ics"
    assert "BEGIN:VCALENDAR" in row.attachment_content
    (message,) = mailed_to(alice.email)
    assert any("begehung.ics" in str(part.get_filename()) for part in message.attachments)


def test_partner_invitation_and_its_acceptance(draft, alice, paula, partner_org, run, client):
    invitation = run(
        services.invite_partner,
        user=alice,
        assessment_id=draft.pk,
        criterion_codes=["1.1"],
        email=paula.email,
        partner_id=partner_org.pk,
    )
    (row,) = rows(NotificationKind.PARTNER_INVITATION)
    # The link (and its token) lives in the row: a broker outage cannot lose it.
    assert row.link.startswith("/selbstbewertung/einladung/") and row.recipient == paula
    token = row.link.rstrip("/").rsplit("/", 1)[-1]
    assert services.resolve_invitation(token) == invitation
    run(services.accept_invitation, user=paula, invitation_id=invitation.pk)
    (accepted,) = rows(NotificationKind.INVITATION_ACCEPTED)
    assert accepted.recipient == alice
    assert partner_org.name in mailed_to(alice.email)[-1].body


def test_a_rolled_back_transition_tells_no_one(draft, alice, run, monkeypatch):
    from assessments import handoffs

    answer_all(draft, alice)
    written = []
    original = handoffs.after_transition

    def write_then_fail(event):
        original(event)
        written.append(Notification.objects.count())
        raise RuntimeError("something after the messages fails")

    monkeypatch.setattr(handoffs, "after_transition", write_then_fail)
    with pytest.raises(RuntimeError):
        run(services.submit, user=alice, assessment_id=draft.pk)
    assert written == [2]  # the rows were written in the transaction ...
    assert not Notification.objects.exists()  # ... and went with its rollback
    assert mail.outbox == []
    draft.refresh_from_db()
    assert draft.state == "draft"


def test_a_requested_report_tells_who_asked(submitted, alice, run):
    from reports import services as report_services
    from reports.models import ReportKind, ReportStatus

    report = run(
        report_services.request_report,
        user=alice,
        submission=submitted.latest_submission,
        kind=ReportKind.SELF_ASSESSMENT,
    )
    report.refresh_from_db()
    assert report.status == ReportStatus.DONE
    (row,) = rows(NotificationKind.REPORT_READY)
    assert row.recipient == alice and row.link == reverse("reports:assessment_reports", args=[submitted.pk])
    assert "ist fertig" in mailed_to(alice.email)[-1].body
