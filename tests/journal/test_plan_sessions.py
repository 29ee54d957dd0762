"""The dates a series makes (journal.services.plan_sessions)."""

from __future__ import annotations

from datetime import date

from journal.models import Recurrence
from journal.services import MAX_SESSIONS, EntryData, plan_sessions


def plan(recurrence, first, until=None, dates=()):
    return plan_sessions(
        EntryData(
            title="x", first_date=first, criterion_codes=["1.3"], recurrence=recurrence, until=until, dates=list(dates)
        )
    )


def test_monthly_on_the_31st_takes_the_last_day_of_shorter_months_and_returns_to_the_31st():
    dates, errors = plan(Recurrence.MONTHLY, date(2026, 1, 31), date(2026, 5, 31))
    assert errors == {}
    assert dates == [date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 31), date(2026, 4, 30), date(2026, 5, 31)]


def test_monthly_across_the_year_end_and_a_leap_february():
    dates, _ = plan(Recurrence.MONTHLY, date(2027, 12, 30), date(2028, 3, 1))
    assert dates == [date(2027, 12, 30), date(2028, 1, 30), date(2028, 2, 29)]


def test_fortnightly_every_second_week_up_to_and_including_until():
    dates, errors = plan(Recurrence.FORTNIGHTLY, date(2026, 9, 1), date(2026, 10, 13))
    assert errors == {}
    assert dates == [date(2026, 9, 1), date(2026, 9, 15), date(2026, 9, 29), date(2026, 10, 13)]


def test_weekly_makes_one_session_a_week():
    dates, _ = plan(Recurrence.WEEKLY, date(2026, 1, 5), date(2026, 3, 30))
    assert len(dates) == 13 and all((b - a).days == 7 for a, b in zip(dates, dates[1:], strict=False))


def test_until_before_the_first_session_is_refused_on_until():
    dates, errors = plan(Recurrence.WEEKLY, date(2026, 3, 1), date(2026, 2, 1))
    assert dates == [] and list(errors) == ["until"]


def test_a_series_without_until_is_refused_on_until():
    dates, errors = plan(Recurrence.MONTHLY, date(2026, 3, 1))
    assert dates == [] and "Enddatum" in errors["until"][0]


def test_single_dates_without_any_date_are_refused_on_dates():
    dates, errors = plan(Recurrence.DATES, None)
    assert dates == [] and list(errors) == ["dates"]


def test_single_dates_are_sorted_once_each_with_the_first_date():
    dates, errors = plan(
        Recurrence.DATES, date(2026, 3, 1), dates=[date(2026, 5, 1), date(2026, 3, 1), date(2026, 4, 1)]
    )
    assert errors == {} and dates == [date(2026, 3, 1), date(2026, 4, 1), date(2026, 5, 1)]


def test_a_series_on_the_until_day_itself_ends_there():
    dates, _ = plan(Recurrence.WEEKLY, date(2026, 3, 2), date(2026, 3, 2))
    assert dates == [date(2026, 3, 2)]


def test_an_endless_series_stops_above_the_limit_for_check_entry_to_refuse():
    dates, _ = plan(Recurrence.WEEKLY, date(2026, 1, 1), date(2040, 1, 1))
    assert len(dates) == MAX_SESSIONS + 1
