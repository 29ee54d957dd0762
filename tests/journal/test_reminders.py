"""The monthly reminder of a journal's gaps: to the Leitung, once per centre
and month, listing only the gaps that can still be closed."""

from __future__ import annotations

from datetime import date

import pytest
from django.conf import settings
from django.core import mail

from certification.models import CriterionItem
from journal.models import GapReminder, Recurrence
from journal.reminders import send_gap_reminders
from journal.services import EntryData, record_entry
from journal.tasks import remind_gaps
from notifications.models import Notification, NotificationKind
from tests.factories import FamilienzentrumFactory, MembershipFactory, UserFactory

DECEMBER = date(2026, 12, 1)


@pytest.fixture
def frequencies(catalogue):
    wanted = {
        "1.3": {"per": "week", "allowed_gaps": 6},
        "1.5": {"per": "month"},
        "4B1": {"per": "half_year", "min_sessions": 8},
    }
    for code, frequency in wanted.items():
        CriterionItem.objects.filter(criterion__catalogue=catalogue, code=code).update(frequency=frequency)
    return catalogue


def record(user, centre, today=DECEMBER, **fields):
    return record_entry(user=user, familienzentrum=centre, data=EntryData(**fields), today=today)


@pytest.fixture
def journal(centre, alice, frequencies):
    """Review year 2026 on 1 December: 1.3 weekly all year (met); 1.5 only
    from May (the months January to April have passed without: missed for
    good in the first half, met in the second); 4B1 a course of 8 in the
    first half and only 6 sessions in the second (open: December and
    January still to come)."""
    record(
        alice,
        centre,
        title="Krabbelgruppe",
        first_date=date(2026, 1, 6),
        recurrence=Recurrence.WEEKLY,
        until=date(2027, 1, 26),
        criterion_codes=["1.3"],
    )
    record(
        alice,
        centre,
        title="Sprechstunde",
        first_date=date(2026, 5, 5),
        recurrence=Recurrence.MONTHLY,
        until=date(2027, 1, 5),
        criterion_codes=["1.5"],
    )
    record(
        alice,
        centre,
        title="Kurs Frühling",
        first_date=date(2026, 3, 2),
        recurrence=Recurrence.WEEKLY,
        until=date(2026, 4, 20),
        criterion_codes=["4B1"],
    )
    record(
        alice,
        centre,
        title="Kurs Herbst",
        first_date=date(2026, 9, 7),
        recurrence=Recurrence.WEEKLY,
        until=date(2026, 10, 12),
        criterion_codes=["4B1"],
    )
    return centre


def test_the_leitung_is_told_the_gaps_that_can_still_be_closed_once_a_month(
    journal, alice, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        (reminder,) = send_gap_reminders(DECEMBER)

    (notification,) = Notification.objects.filter(kind=NotificationKind.JOURNAL_GAPS)
    assert notification.recipient == alice
    assert notification.link == f"/angebotsjournal/{journal.pk}/"
    assert "4B1: im 2. Halbjahr fehlt ein Angebot mit mindestens 8 Terminen" in notification.body
    # 1.5's first half is missed for good: a reminder is for what can still be done.
    assert "1.5" not in notification.body
    assert "1.3" not in notification.body
    assert reminder.gaps == "4B1: im 2. Halbjahr fehlt ein Angebot mit mindestens 8 Terminen"
    assert (reminder.month, reminder.recipients) == (DECEMBER, "alice@example.org")
    assert "Angebotsjournal Familienzentrum Purzelbaum: 1 Lücke" in notification.subject
    # Mailed through the one road (eager tasks in tests).
    assert [message.to for message in mail.outbox] == [["alice@example.org"]]

    # A second run in the same month, even later in it, sends nothing twice.
    assert send_gap_reminders(DECEMBER) == []
    assert send_gap_reminders(date(2026, 12, 20)) == []
    assert Notification.objects.filter(kind=NotificationKind.JOURNAL_GAPS).count() == 1
    assert GapReminder.objects.count() == 1


def test_next_month_brings_a_new_reminder_and_january_names_both_review_years(journal, alice):
    send_gap_reminders(DECEMBER)
    (reminder,) = send_gap_reminders(date(2027, 1, 1))

    assert reminder.month == date(2027, 1, 1)
    body = Notification.objects.filter(kind=NotificationKind.JOURNAL_GAPS).order_by("pk").last().body
    # The review year 2026 still runs until 31 January: its second half can still get the course.
    assert "Prüfjahr 2026 (01.01.2026 bis 31.01.2027):" in body
    assert "Prüfjahr 2027 (01.01.2027 bis 31.01.2028):" in body
    assert "4B1: im 2. Halbjahr fehlt ein Angebot mit mindestens 8 Terminen" in body


def test_once_the_gap_is_closed_nothing_is_sent(journal, alice):
    record(
        alice,
        journal,
        title="Kurs Winter",
        first_date=date(2026, 12, 2),
        recurrence=Recurrence.WEEKLY,
        until=date(2027, 1, 20),
        criterion_codes=["4B1"],
    )
    assert send_gap_reminders(DECEMBER) == []
    assert not Notification.objects.filter(kind=NotificationKind.JOURNAL_GAPS).exists()


def test_gaps_that_can_no_longer_be_closed_send_nothing(centre, alice, frequencies):
    # Only 1.5, and its first half is missed; the second half is met.
    record(
        alice,
        centre,
        title="Sprechstunde",
        first_date=date(2026, 5, 5),
        recurrence=Recurrence.MONTHLY,
        until=date(2027, 1, 5),
        criterion_codes=["1.5"],
    )
    record(
        alice,
        centre,
        title="Krabbelgruppe",
        first_date=date(2026, 1, 6),
        recurrence=Recurrence.WEEKLY,
        until=date(2027, 1, 26),
        criterion_codes=["1.3"],
    )
    record(
        alice,
        centre,
        title="Kurs",
        first_date=date(2026, 3, 2),
        recurrence=Recurrence.WEEKLY,
        until=date(2026, 4, 20),
        criterion_codes=["4B1"],
    )
    record(
        alice,
        centre,
        title="Kurs 2",
        first_date=date(2026, 9, 2),
        recurrence=Recurrence.WEEKLY,
        until=date(2026, 11, 20),
        criterion_codes=["4B1"],
    )
    assert send_gap_reminders(DECEMBER) == []


def test_centres_without_a_journal_or_a_leitung_get_nothing(journal, alice, frequencies):
    FamilienzentrumFactory(name="Ohne Journal")
    lonely = FamilienzentrumFactory(name="Ohne Leitung")
    somebody = UserFactory()
    record_entry(
        user=alice,
        familienzentrum=journal,
        data=EntryData(title="x", first_date=date(2026, 2, 2), criterion_codes=["4B1"]),
        today=DECEMBER,
    )
    # An entry in the lonely centre, written by a Leitung who then leaves.
    membership = MembershipFactory(user=somebody, role="leitung", site=lonely.site_links.first().site)
    record(somebody, lonely, title="Kurs", first_date=date(2026, 9, 7), criterion_codes=["4B1"])
    membership.delete()

    sent = send_gap_reminders(DECEMBER)

    assert [reminder.familienzentrum for reminder in sent] == [journal]


def test_every_leitung_of_a_verbund_is_told_in_one_message_each(journal, alice):
    from tests.factories import EinrichtungFactory

    site = EinrichtungFactory(name="Zweiter Standort")
    journal.site_links.create(site=site)
    second = UserFactory(email="zweite@example.org")
    MembershipFactory(user=second, role="leitung", site=site)

    (reminder,) = send_gap_reminders(DECEMBER)

    assert reminder.recipients == "alice@example.org, zweite@example.org"
    assert Notification.objects.filter(kind=NotificationKind.JOURNAL_GAPS).count() == 2


def test_the_task_runs_the_service_and_is_on_the_beat_schedule(journal, alice):
    import time_machine

    with time_machine.travel(date(2026, 12, 1), tick=False):
        assert remind_gaps.apply().get() == 1
        assert remind_gaps.apply().get() == 0
    entry = settings.CELERY_BEAT_SCHEDULE["journal-gap-reminders"]
    assert entry["task"] == "journal.remind_gaps"
    schedule = entry["schedule"]
    assert schedule.day_of_month == {1} and schedule.hour == {7} and schedule.minute == {30}
