"""The Gütesiegel: validity (4 years, stretched to 31 July), its state on a
given day, and the reminders 12, 6 and 3 months before it ends, each sent
once, with a frozen clock."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.test import TestCase
from hypothesis import given
from hypothesis import strategies as st

from certification import services
from certification.models import Guetesiegel, Membership, MembershipRole, SealReminder, SealState
from certification.services import (
    add_months,
    due_reminder_months,
    seal_state,
    seal_valid_until,
    validate_site_visit_sites,
)
from certification.tasks import send_seal_reminders
from tests.factories import EinrichtungFactory, FamilienzentrumFactory, UserFactory

# ------------------------------------------------------------------ validity


@pytest.mark.parametrize(
    "valid_from,valid_until",
    [
        (date(2026, 3, 10), date(2030, 7, 31)),  # would end in spring: stretched to 31 July
        (date(2026, 8, 1), date(2030, 7, 31)),  # exactly four Kindergartenjahre
        (date(2026, 7, 31), date(2030, 7, 31)),
        (date(2026, 8, 2), date(2031, 7, 31)),  # would end on 1 August: runs the whole next year
        (date(2026, 12, 31), date(2031, 7, 31)),
        (date(2024, 2, 29), date(2028, 7, 31)),  # leap day to leap day
        (date(2096, 2, 29), date(2100, 7, 31)),  # 2100 has no 29 February
    ],
)
def test_valid_until_is_four_years_stretched_to_31_july(valid_from, valid_until):
    assert seal_valid_until(valid_from) == valid_until


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2200, 12, 31)))
def test_valid_until_is_always_a_31_july_at_least_four_years_later(valid_from):
    until = seal_valid_until(valid_from)
    assert (until.month, until.day) == (7, 31)
    four_years = add_months(valid_from, 48)
    assert four_years - timedelta(days=1) <= until < add_months(valid_from, 60)


def test_add_months_clamps_the_day():
    assert add_months(date(2030, 7, 31), -3) == date(2030, 4, 30)
    assert add_months(date(2030, 7, 31), -12) == date(2029, 7, 31)
    assert add_months(date(2028, 2, 29), 12) == date(2029, 2, 28)
    assert add_months(date(2030, 1, 31), 1) == date(2030, 2, 28)


@pytest.fixture
def centre_with_people(db):
    centre = FamilienzentrumFactory(name="Familienzentrum Sonnenschein")
    centre.traeger.email = "info@traeger.example.org"
    centre.traeger.save()
    leader = UserFactory(email="leitung@sonnenschein.example.org")
    Membership.objects.create(user=leader, role=MembershipRole.LEITUNG, site=centre.site_links.get().site)
    staff = UserFactory(email="staff@traeger.example.org")
    Membership.objects.create(user=staff, role=MembershipRole.TRAEGER, traeger=centre.traeger)
    return centre


def make_seal(centre, valid_from=date(2026, 8, 1), number=None) -> Guetesiegel:
    return services.issue_seal(familienzentrum=centre, valid_from=valid_from, snapshot_sha256="c" * 64)


def test_issue_seal_numbers_and_dates(centre_with_people):
    seal = make_seal(centre_with_people, date(2024, 2, 29))
    assert seal.number == f"GS-FZ-2024-{seal.pk:05d}"
    assert (seal.valid_from, seal.valid_until) == (date(2024, 2, 29), date(2028, 7, 31))


@pytest.mark.parametrize(
    "today,state",
    [
        (date(2026, 7, 31), SealState.UPCOMING),
        (date(2026, 8, 1), SealState.VALID),
        (date(2030, 1, 31), SealState.VALID),  # exactly six months left
        (date(2030, 2, 1), SealState.ENDING_SOON),
        (date(2030, 7, 31), SealState.ENDING_SOON),  # the last day still counts
        (date(2030, 8, 1), SealState.EXPIRED),
        (date(2035, 1, 1), SealState.EXPIRED),
    ],
)
def test_state_on_a_given_day(centre_with_people, today, state):
    status = seal_state(make_seal(centre_with_people), today)
    assert status.state == state
    assert status.is_valid == (state in (SealState.VALID, SealState.ENDING_SOON))


def render_status(seal) -> str:
    from certification.templatetags.seal_tags import seal_status

    return render_to_string("certification/_seal_status.html", seal_status(seal))


def test_the_partial_follows_the_clock_and_never_shows_an_expired_seal_as_valid(centre_with_people):
    seal = make_seal(centre_with_people)
    with time_machine.travel(date(2028, 5, 1), tick=False):
        html = render_status(seal)
        assert 'data-seal-state="valid"' in html and "text-bg-success" in html and "31.07.2030" in html
    with time_machine.travel(date(2030, 6, 30), tick=False):
        html = render_status(seal)
        assert 'data-seal-state="ending_soon"' in html and "noch 31 Tage" in html
    with time_machine.travel(date(2030, 8, 1), tick=False):
        html = render_status(seal)
        assert 'data-seal-state="expired"' in html and "abgelaufen" in html
        assert "text-bg-success" not in html and ">gültig<" not in html


# ------------------------------------------------------------------ site visit sites


def test_visit_sites_of_a_single_centre(db):
    centre = FamilienzentrumFactory()
    site = centre.site_links.get().site
    validate_site_visit_sites(centre, [site.pk])
    with pytest.raises(Exception, match="Standorte dieses Familienzentrums"):
        validate_site_visit_sites(centre, [EinrichtungFactory().pk])


def test_visit_sites_of_a_verbund(db):
    from certification.models import FamilienzentrumForm, FamilienzentrumSite

    centre = FamilienzentrumFactory(form=FamilienzentrumForm.VERBUND)
    grant = centre.site_links.get().site
    others = [EinrichtungFactory(traeger=centre.traeger) for _ in range(2)]
    for site in others:
        FamilienzentrumSite.objects.create(familienzentrum=centre, site=site)
    validate_site_visit_sites(centre, [grant.pk, others[0].pk])
    with pytest.raises(Exception, match="Zuschussempfänger"):
        validate_site_visit_sites(centre, [site.pk for site in others])
    with pytest.raises(Exception, match="genau zwei"):
        validate_site_visit_sites(centre, [grant.pk])


# ------------------------------------------------------------------ reminders


def test_due_threshold_is_the_most_urgent_one_reached(centre_with_people):
    seal = make_seal(centre_with_people)  # until 31.07.2030
    assert due_reminder_months(seal, date(2029, 7, 30)) is None
    assert due_reminder_months(seal, date(2029, 7, 31)) == 12
    assert due_reminder_months(seal, date(2030, 1, 31)) == 6
    assert due_reminder_months(seal, date(2030, 4, 29)) == 6
    assert due_reminder_months(seal, date(2030, 4, 30)) == 3
    assert due_reminder_months(seal, date(2030, 8, 1)) is None  # expired: no reminder


def run_on(day: date) -> list[str]:
    """Run the daily beat task on `day`; returns the distinct subjects mailed
    that day (one message per recipient, handed to the worker after commit)."""
    before = len(mail.outbox)
    with time_machine.travel(day, tick=False), TestCase.captureOnCommitCallbacks(execute=True):
        send_seal_reminders.delay()
    return sorted({message.subject for message in mail.outbox[before:]})


def test_reminders_go_out_once_at_12_6_and_3_months(centre_with_people):
    seal = make_seal(centre_with_people)
    sent = {}
    day = date(2029, 7, 1)
    while day <= date(2030, 9, 1):
        subjects = run_on(day)
        if subjects:
            sent[day] = subjects
        day += timedelta(days=1)
    assert list(sent) == [date(2029, 7, 31), date(2030, 1, 31), date(2030, 4, 30)]
    assert all(len(subjects) == 1 for subjects in sent.values())
    assert sent[date(2029, 7, 31)] == ["Gütesiegel läuft am 31.07.2030 ab: Familienzentrum Sonnenschein"]
    assert sorted(seal.reminders.values_list("months_before", flat=True)) == [3, 6, 12]


def test_reminder_mail_is_german_and_goes_to_leaders_and_traeger(centre_with_people):
    make_seal(centre_with_people)
    run_on(date(2030, 1, 31))
    assert sorted(address for message in mail.outbox for address in message.to) == [
        "info@traeger.example.org",
        "leitung@sonnenschein.example.org",
        "staff@traeger.example.org",
    ]
    for message in mail.outbox:
        assert len(message.to) == 1  # one message per recipient
        assert "noch etwa 6 Monate" in message.body
        assert "Re-Zertifizierung" in message.body and "Aufschub" in message.body
        assert settings.SITE_URL in message.body


def test_a_missed_threshold_is_not_sent_late(centre_with_people):
    seal = make_seal(centre_with_people)
    # The task did not run for months: on its first run only the current threshold goes out.
    assert len(run_on(date(2030, 2, 10))) == 1
    assert list(seal.reminders.values_list("months_before", flat=True)) == [6]
    assert run_on(date(2030, 2, 11)) == []


def test_no_reminders_for_expired_or_superseded_seals(centre_with_people):
    old = make_seal(centre_with_people, date(2022, 8, 1))  # until 31.07.2026
    assert run_on(date(2026, 8, 2)) == []  # expired
    # Re-certified early: the old seal is superseded and reminds nobody.
    make_seal(centre_with_people, date(2025, 9, 1))  # until 31.07.2030
    assert run_on(date(2026, 4, 30)) == []
    assert not old.reminders.exists()


def test_a_failed_mail_is_kept_and_the_reminder_not_repeated(centre_with_people, settings):
    """The reminder is a message row before it is a mail: when the mail server
    refuses, the rows stay (unsent, the error noted) for the road's retries and
    sweep, the bell shows them, and the next day's run does not remind twice."""
    from notifications.models import Notification

    seal = make_seal(centre_with_people)
    settings.EMAIL_BACKEND = "tests.certification.test_seals.RefusingBackend"
    assert run_on(date(2029, 7, 31)) == []
    assert list(seal.reminders.values_list("months_before", flat=True)) == [12]
    rows = Notification.objects.filter(kind="seal_reminder")
    assert rows.count() == 3 and not rows.filter(emailed_at__isnull=False).exists()
    assert all(row.last_error for row in rows)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert run_on(date(2029, 8, 1)) == []  # the reminder is not repeated
    assert seal.reminders.count() == 1


def test_the_database_allows_one_reminder_per_threshold(centre_with_people):
    from django.utils import timezone

    seal = make_seal(centre_with_people)
    SealReminder.objects.create(seal=seal, months_before=12, sent_at=timezone.now())
    with pytest.raises(IntegrityError), transaction.atomic():
        SealReminder.objects.create(seal=seal, months_before=12, sent_at=timezone.now())


def test_the_beat_schedule_runs_the_reminders_daily():
    from config.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["seal-reminders"]
    assert entry["task"] == "certification.send_seal_reminders"
    assert entry["task"] in app.tasks
    assert entry["schedule"].hour == {7} and entry["schedule"].minute == {0}


class RefusingBackend(BaseEmailBackend):
    """A mail server that is down."""

    def send_messages(self, email_messages):
        raise ConnectionRefusedError("SMTP down")
