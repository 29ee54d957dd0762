"""The register's validity rules (shared/DOMAIN.md, "Evidence") at their boundaries."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pytest

from register.validity import (
    Status,
    entry_status,
    is_valid_on,
    lapses_before,
    qualification_counts,
    qualification_valid_until,
)


def qualification(hours, *, online=False, preparation=None, days=None, completed=date(2020, 3, 10)):
    return SimpleNamespace(
        hours=Decimal(str(hours)),
        online=online,
        preparation_hours=None if preparation is None else Decimal(str(preparation)),
        days=days,
        completed_on=completed,
    )


def agreement(signed=date(2020, 1, 15), valid_until=None, ended_on=None):
    return SimpleNamespace(signed_on=signed, valid_until=valid_until, ended_on=ended_on)


@pytest.mark.parametrize("hours, counts", [("5.9", False), ("6", True), ("6.5", True)])
def test_a_training_counts_from_six_hours(hours, counts):
    counted, reason = qualification_counts(qualification(hours))
    assert counted is counts
    assert (reason == "") is counts
    if not counts:
        assert "ab 6 Stunden" in reason


@pytest.mark.parametrize(
    "hours, preparation, counts",
    [("4", None, False), ("4", "1.5", False), ("4", "2", True), ("3", "4", True), ("6", None, True)],
)
def test_an_online_seminar_under_six_hours_counts_with_its_preparation(hours, preparation, counts):
    counted, reason = qualification_counts(qualification(hours, online=True, preparation=preparation))
    assert counted is counts
    if not counts:
        assert "Vor- und Nachbereitung" in reason


def test_preparation_does_not_count_for_a_seminar_in_person():
    assert qualification_counts(qualification("4", preparation="4"))[0] is False


def test_a_two_day_course_is_valid_seven_years_through_the_anniversary():
    course = qualification("14", days=2, completed=date(2020, 3, 10))
    assert qualification_valid_until(course) == date(2027, 3, 10)
    assert is_valid_on(course, date(2027, 3, 10))
    assert not is_valid_on(course, date(2027, 3, 11))
    assert not is_valid_on(course, date(2020, 3, 9))  # not before it was completed
    assert lapses_before(course, date(2027, 3, 11)) and not lapses_before(course, date(2027, 3, 10))


def test_without_days_up_to_sixteen_hours_is_a_short_course():
    assert qualification_valid_until(qualification("16")) == date(2027, 3, 10)
    assert qualification_valid_until(qualification("16.5")) is None


def test_a_course_of_29_february_expires_on_28_february():
    assert qualification_valid_until(qualification("8", days=1, completed=date(2020, 2, 29))) == date(2027, 2, 28)


@pytest.mark.parametrize("days, hours", [(3, "16"), (5, "40"), (None, "120")])
def test_longer_trainings_never_expire(days, hours):
    training = qualification(hours, days=days, completed=date(1990, 1, 1))
    assert qualification_valid_until(training) is None
    assert is_valid_on(training, date(2090, 1, 1))
    assert not lapses_before(training, date(2090, 1, 1))


def test_a_training_that_does_not_count_is_never_valid_and_never_lapses():
    short = qualification("3", days=1)
    assert not is_valid_on(short, date(2021, 1, 1))
    assert not lapses_before(short, date(2030, 1, 1))
    assert entry_status(short, date(2021, 1, 1), date(2022, 1, 31)).status == Status.NOT_COUNTING


def test_an_open_ended_agreement_stays_valid():
    open_ended = agreement()
    assert is_valid_on(open_ended, date(2040, 6, 1))
    assert not is_valid_on(open_ended, date(2020, 1, 14))


def test_an_ended_agreement_holds_through_its_last_day():
    ended = agreement(ended_on=date(2026, 7, 31))
    assert is_valid_on(ended, date(2026, 7, 31))
    assert not is_valid_on(ended, date(2026, 8, 1))
    assert entry_status(ended, date(2026, 8, 1), date(2027, 1, 31)).status == Status.ENDED


def test_a_limited_agreement_holds_until_its_term_or_an_earlier_end():
    limited = agreement(valid_until=date(2027, 6, 30))
    assert is_valid_on(limited, date(2027, 6, 30)) and not is_valid_on(limited, date(2027, 7, 1))
    status = entry_status(limited, date(2026, 12, 2), date(2028, 1, 31))
    assert status.status == Status.LAPSES and status.until == date(2027, 6, 30)
    earlier = agreement(valid_until=date(2027, 6, 30), ended_on=date(2027, 1, 31))
    assert not is_valid_on(earlier, date(2027, 2, 1))


def test_the_status_looks_ahead_to_the_end_of_the_review_year():
    course = qualification("14", days=2, completed=date(2020, 1, 20))  # valid until 20 January 2027
    today, year_end = date(2026, 12, 2), date(2027, 1, 31)
    status = entry_status(course, today, year_end)
    assert status.status == Status.LAPSES and "20.01.2027" in status.label
    assert entry_status(course, today, date(2027, 1, 20)).status == Status.VALID
    assert entry_status(course, date(2027, 1, 21), year_end).status == Status.LAPSED
