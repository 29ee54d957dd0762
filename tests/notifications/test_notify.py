"""notify(): a row per recipient in the caller's transaction, the mail after
the commit, plain text without HTML escaping, German whatever the language
of the request."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.transaction import TransactionManagementError
from django.utils import translation

from notifications.models import Notification, NotificationKind
from notifications.services import Attachment, notify
from tests.notifications.support import send_hello


def test_rows_are_written_in_the_transaction_and_mailed_after_the_commit(alice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with transaction.atomic():
            rows = notify(
                kind=NotificationKind.ASSESSMENT_SUBMITTED,
                recipients=[alice, "office@example.org"],
                subject_template="notifications_test/hello_subject.txt",
                body_template="notifications_test/hello.txt",
                context={"centre": "Familienzentrum Purzelbaum", "note": "eingereicht"},
                link="/selbstbewertung/1/",
            )
            # Written, not yet sent: the worker must not run before the commit.
            assert Notification.objects.count() == 2
            assert mail.outbox == []
    assert len(callbacks) == 2  # one hand-over per row, after the commit

    assert [(row.recipient, row.email) for row in rows] == [(alice, "alice@example.org"), (None, "office@example.org")]
    assert sorted(message.to[0] for message in mail.outbox) == ["alice@example.org", "office@example.org"]
    sent = {message.to[0]: message for message in mail.outbox}
    assert sent["alice@example.org"].subject == "Benachrichtigungen: Familienzentrum Purzelbaum"
    assert "http://127.0.0.1:8000/selbstbewertung/1/" in sent["alice@example.org"].body
    for row in Notification.objects.all():
        assert row.emailed_at is not None and row.attempts == 1 and row.last_error == ""
        assert row.read_at is None and row.kind == NotificationKind.ASSESSMENT_SUBMITTED


def test_a_rolled_back_transaction_leaves_no_row_and_sends_nothing(alice, django_capture_on_commit_callbacks):
    class Refused(Exception):
        pass

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(Refused):
            with transaction.atomic():
                send_hello([alice])
                assert Notification.objects.count() == 1
                raise Refused
    assert callbacks == []
    assert Notification.objects.count() == 0
    assert mail.outbox == []


@pytest.mark.django_db(transaction=True)
def test_notify_outside_a_transaction_is_refused(alice):
    with pytest.raises(TransactionManagementError, match="transaction.atomic"):
        notify(
            kind=NotificationKind.APPROVED,
            recipients=[alice],
            subject_template="notifications_test/hello_subject.txt",
            body_template="notifications_test/hello.txt",
            context={},
        )
    assert Notification.objects.count() == 0


def test_plain_text_is_not_html_escaped(alice, client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        [row] = send_hello([alice], centre="Eltern & Kinder <Süd>", note="\"Sprachförderung\" & 'Elterncafé'")

    assert row.subject == "Benachrichtigungen: Eltern & Kinder <Süd>"
    assert "für Eltern & Kinder <Süd> gibt es Neues: \"Sprachförderung\" & 'Elterncafé'" in row.body
    assert "&amp;" not in row.body and "&lt;" not in row.body and "&#x27;" not in row.body
    [message] = mail.outbox
    assert message.subject == row.subject and message.body == row.body
    assert message.reply_to == []
    # The included footer inherits the unescaped rendering and is German.
    assert "automatisch vom Arbeitswerkzeug" in row.body

    # The page showing it is HTML and escapes, as every page does.
    client.force_login(alice)
    page = client.get("/benachrichtigungen/").content.decode()
    assert "Eltern &amp; Kinder &lt;Süd&gt;" in page
    assert "<Süd>" not in page


def test_texts_are_german_even_when_the_request_is_english(alice, django_capture_on_commit_callbacks):
    with translation.override("en"):
        assert translation.gettext("Benachrichtigungen") == "Notifications"
        with django_capture_on_commit_callbacks(execute=True):
            [row] = send_hello([alice])
        assert translation.get_language() == "en"
    assert row.subject.startswith("Benachrichtigungen: ")


def test_recipients_are_deduplicated_by_address_and_addresses_of_accounts_linked(
    alice, bob, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        rows = send_hello(
            ["ALICE@example.org ", alice, "partner@example.org", "Partner@Example.org", "bob@example.org"]
        )

    assert [(row.recipient, row.email) for row in rows] == [
        (alice, "alice@example.org"),
        (None, "partner@example.org"),
        (bob, "bob@example.org"),
    ]
    assert len(mail.outbox) == 3


def test_no_recipient_no_row(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert send_hello([]) == []
    assert callbacks == [] and Notification.objects.count() == 0


def test_an_invalid_address_is_refused(db):
    with pytest.raises(ValidationError):
        send_hello(["not an address"])


@pytest.mark.parametrize(
    "link",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example/",
        "javascript:alert(1)",
        "selbstbewertung/1/",
        "/\t/evil.example/",
    ],
)
def test_a_link_outside_the_site_is_refused(alice, link):
    with pytest.raises(ValueError, match="path inside the site"):
        send_hello([alice], link=link)
    assert Notification.objects.count() == 0


@pytest.mark.parametrize("link", ["https://evil.example/", "//evil.example/", "/\\evil.example/", "evil"])
def test_the_database_refuses_a_link_outside_the_site(alice, link):
    with pytest.raises(IntegrityError), transaction.atomic():
        Notification.objects.create(
            recipient=alice, email=alice.email, kind="approved", subject="x", body="y", link=link
        )


def test_an_unknown_kind_is_refused(alice):
    with pytest.raises(ValueError):
        send_hello([alice], kind="made_up")


def test_the_site_visit_invitation_travels_as_an_attachment(alice, django_capture_on_commit_callbacks):
    ics = "BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nSUMMARY:Begehung: Eltern & Kinder\r\nEND:VCALENDAR\r\n"
    with django_capture_on_commit_callbacks(execute=True):
        [row] = send_hello(
            [alice],
            kind=NotificationKind.SITE_VISIT,
            attachment=Attachment("begehung.ics", "text/calendar; method=REQUEST", ics),
            reply_to="rita@example.org",
        )
    assert (row.attachment_name, row.attachment_content_type) == ("begehung.ics", "text/calendar; method=REQUEST")

    [message] = mail.outbox
    assert message.reply_to == ["rita@example.org"]  # answers go to the reviewer
    (attached,) = message.attachments
    assert attached.get_filename() == "begehung.ics"
    parts = [part for part in message.message().walk() if part.get_filename()]
    [calendar] = parts
    assert calendar.get_content_type() == "text/calendar"
    assert calendar.get_param("method") == "REQUEST"
    assert calendar.get_content_charset() == "utf-8"
    assert calendar.get_filename() == "begehung.ics"
    assert calendar.get_payload(decode=True).decode() == ics


@pytest.mark.parametrize(
    "attachment",
    [
        Attachment("../x.ics", "text/calendar", "x"),
        Attachment("x.ics", "calendar", "x"),
        Attachment("", "text/plain", "x"),
    ],
)
def test_a_malformed_attachment_is_refused(alice, attachment):
    with pytest.raises(ValueError):
        send_hello([alice], attachment=attachment)
