"""Properties of journal.coverage.measure over generated journals, each with
its own `today` (the clock measure is given; nothing reads the real one):
the half-year boundaries (31 July / 1 August, 31 January / 1 February),
monotony, and MISSED meaning "no session from today on can change it"."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from certification.frequency import Frequency, Per
from certification.review_year import Period, ReviewYear
from journal.coverage import Offer, Status, measure

PROFILE = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

years = st.integers(min_value=2024, max_value=2031)


def boundary_days(year: int) -> list[date]:
    edges = [date(year, 1, 1), date(year, 7, 31), date(year, 8, 1), date(year + 1, 1, 31), date(year + 1, 2, 1)]
    return [edge + timedelta(days=shift) for edge in edges for shift in (-1, 0, 1)]


def days_around(year: int):
    """Days of the review year and a month either side, the boundaries often."""
    return st.one_of(
        st.dates(min_value=date(year - 1, 12, 1), max_value=date(year + 1, 3, 1)),
        st.sampled_from(boundary_days(year)),
    )


def offers_of(year: int, max_offers: int = 4, max_dates: int = 30):
    return st.lists(
        st.frozensets(days_around(year), max_size=max_dates),
        max_size=max_offers,
    ).map(lambda sets: [Offer(number, f"Angebot {number}", tuple(sorted(dates))) for number, dates in enumerate(sets)])


frequencies = st.one_of(
    st.builds(Frequency, per=st.just(Per.WEEK), allowed_gaps=st.integers(0, 8)),
    st.builds(Frequency, per=st.just(Per.MONTH), allowed_gaps=st.integers(0, 2)),
    st.builds(
        Frequency,
        per=st.sampled_from([Per.HALF_YEAR, Per.YEAR]),
        times=st.integers(1, 3),
        min_sessions=st.one_of(st.none(), st.integers(1, 10)),
    ),
)


@st.composite
def journals(draw, frequency=frequencies):
    year = draw(years)
    return draw(frequency), ReviewYear(year), draw(offers_of(year)), draw(days_around(year))


def parts_of(frequency: Frequency, year: ReviewYear) -> list[Period]:
    return [year.period] if frequency.per == Per.YEAR else list(year.halves)


def with_dates(offers: list[Offer], index: int, extra) -> list[Offer]:
    if index >= len(offers):
        return [*offers, Offer(len(offers), "neu", tuple(sorted(set(extra))))]
    changed = list(offers)
    old = changed[index]
    changed[index] = Offer(old.entry_id, old.title, tuple(sorted(set(old.dates) | set(extra))))
    return changed


def all_days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


# ---------------------------------------------------------------- monotony


@PROFILE
@given(journals(), st.data())
def test_adding_sessions_never_turns_met_into_not_met(journal, data):
    frequency, year, offers, today = journal
    extra = data.draw(st.lists(days_around(year.year), min_size=1, max_size=10))
    index = data.draw(st.integers(0, len(offers)))

    before = measure(frequency, offers, year, today)
    after = measure(frequency, with_dates(offers, index, extra), year, today)

    for old, new in zip(before, after, strict=True):
        if old.status == Status.MET:
            assert new.status == Status.MET
        if old.status == Status.OPEN:
            assert new.status in (Status.OPEN, Status.MET)


@PROFILE
@given(journals(), st.data())
def test_a_later_today_never_turns_missed_into_open(journal, data):
    frequency, year, offers, today = journal
    later = today + timedelta(days=data.draw(st.integers(0, 200)))
    for old, new in zip(measure(frequency, offers, year, today), measure(frequency, offers, year, later), strict=True):
        if old.status == Status.MISSED:
            assert new.status == Status.MISSED
        # Whether a part is met does not depend on the day one asks.
        assert (old.status == Status.MET) == (new.status == Status.MET)


# ---------------------------------------------------------------- the halves and their boundaries


half_year = st.builds(
    Frequency,
    per=st.just(Per.HALF_YEAR),
    times=st.integers(1, 3),
    min_sessions=st.one_of(st.none(), st.integers(1, 10)),
)


@PROFILE
@given(journals(half_year))
def test_a_half_is_met_iff_enough_offers_have_min_sessions_inside_it(journal):
    frequency, year, offers, today = journal
    parts = measure(frequency, offers, year, today)
    for part, half in zip(parts, year.halves, strict=True):
        qualifying = sum(
            1
            for offer in offers
            if sum(1 for day in offer.dates if half.start <= day <= half.end) >= (frequency.min_sessions or 1)
        )
        assert part.found == qualifying
        assert (part.status == Status.MET) == (qualifying >= frequency.times)


@PROFILE
@given(years.flatmap(lambda year: st.tuples(st.just(year), days_around(year))), years)
@example((2026, date(2026, 7, 31)), 2026)
@example((2026, date(2026, 8, 1)), 2026)
@example((2026, date(2027, 1, 31)), 2026)
@example((2026, date(2027, 2, 1)), 2026)
@example((2026, date(2025, 12, 31)), 2026)
def test_one_session_counts_for_the_half_its_date_is_in(year_and_day, today_year):
    year_number, day = year_and_day
    year = ReviewYear(year_number)
    today = date(today_year, 6, 15)
    first, second = measure(Frequency(per=Per.HALF_YEAR), [Offer(1, "Fest", (day,))], year, today)
    assert first.is_met == (date(year_number, 1, 1) <= day <= date(year_number, 7, 31))
    assert second.is_met == (date(year_number, 8, 1) <= day <= date(year_number + 1, 1, 31))
    (whole,) = measure(Frequency(per=Per.YEAR), [Offer(1, "Fest", (day,))], year, today)
    assert whole.is_met == (date(year_number, 1, 1) <= day <= date(year_number + 1, 1, 31))


def test_the_boundary_days_spelled_out():
    year, today = ReviewYear(2026), date(2026, 3, 1)
    course = Frequency(per=Per.HALF_YEAR, min_sessions=8)

    def halves(*days):
        return tuple(part.status == Status.MET for part in measure(course, [Offer(1, "Kurs", days)], year, today))

    july = tuple(date(2026, 7, day) for day in range(24, 32))  # 24.-31. July: 8 sessions
    assert halves(*july) == (True, False)
    # Moved one day on, the last session falls into the second half.
    assert halves(*july[1:], date(2026, 8, 1)) == (False, False)
    august = tuple(date(2026, 8, day) for day in range(1, 9))
    assert halves(*august) == (False, True)
    january = tuple(date(2027, 1, day) for day in range(24, 32))  # ends on 31 January
    assert halves(*january) == (False, True)
    assert halves(*january[1:], date(2027, 2, 1)) == (False, False)
    # 31 January 2027 is also in the first half of review year 2027 (both years hold January).
    first_2027, _ = measure(course, [Offer(1, "Kurs", january)], ReviewYear(2027), today)
    assert first_2027.is_met


# ---------------------------------------------------------------- weeks and months


def weeks_of(half: Period) -> set[tuple[int, int]]:
    """The ISO weeks whose Thursday lies in the half."""
    return {day.isocalendar()[:2] for day in all_days(half.start, half.end) if day.weekday() == 3}


def months_of(half: Period) -> set[tuple[int, int]]:
    return {(day.year, day.month) for day in all_days(half.start, half.end)}


@PROFILE
@given(journals(st.builds(Frequency, per=st.just(Per.WEEK), allowed_gaps=st.integers(0, 30))))
def test_a_weekly_half_is_met_iff_uncovered_weeks_are_at_most_the_allowed_gaps(journal):
    frequency, year, offers, today = journal
    for part, half in zip(measure(frequency, offers, year, today), year.halves, strict=True):
        weeks = weeks_of(half)
        covered = {day.isocalendar()[:2] for offer in offers for day in offer.dates if day in half} & weeks
        assert part.found == len(covered)
        assert part.needed == len(weeks) - frequency.allowed_gaps
        assert part.is_met == (len(weeks - covered) <= frequency.allowed_gaps)


@PROFILE
@given(journals(st.builds(Frequency, per=st.just(Per.MONTH), allowed_gaps=st.integers(0, 3))))
def test_a_monthly_half_is_met_iff_uncovered_months_are_at_most_the_allowed_gaps(journal):
    frequency, year, offers, today = journal
    for part, half in zip(measure(frequency, offers, year, today), year.halves, strict=True):
        months = months_of(half)
        assert len(months) == (7 if half == year.first_half else 6)
        covered = {(day.year, day.month) for offer in offers for day in offer.dates if day in half}
        assert part.is_met == (len(months - covered) <= frequency.allowed_gaps)


def test_a_tuesday_group_misses_no_week_at_the_boundary_of_the_halves():
    """2026: the second half starts on Saturday 1 August. That week (27 July -
    2 August, its Thursday in July) belongs to the first half, where its
    Tuesday counts; the second half starts with the week of 3 August."""
    year = ReviewYear(2026)
    tuesdays = tuple(day for day in all_days(date(2025, 12, 1), date(2027, 2, 28)) if day.weekday() == 1)
    first, second = measure(Frequency(per=Per.WEEK), [Offer(1, "Gruppe", tuesdays)], year, date(2026, 1, 1))
    assert second.is_met and second.found == second.needed == 26
    # Week 1 of 2026 (29 December - 4 January, its Thursday 1 January) is
    # the first half's: its Tuesday is 30 December, outside, so it stays uncovered.
    assert (first.found, first.needed) == (30, 31)
    assert not first.is_met
    first, _second = measure(
        Frequency(per=Per.WEEK, allowed_gaps=1), [Offer(1, "Gruppe", tuesdays)], year, date(2026, 1, 1)
    )
    assert first.is_met


# ---------------------------------------------------------------- what can still be reached


def completed(frequency: Frequency, offers: list[Offer], part: Period, today: date) -> list[Offer]:
    """The most that sessions from today on can add: every remaining day of
    the part to every offer, and `times` new offers holding all of them."""
    future = [day for day in all_days(max(today, part.start), part.end)]
    grown = [Offer(o.entry_id, o.title, tuple(sorted(set(o.dates) | set(future)))) for o in offers]
    new = [Offer(100 + n, "neu", tuple(future)) for n in range(frequency.times)] if future else []
    return grown + new


@PROFILE
@given(journals())
def test_missed_means_no_session_from_today_on_can_make_it_met(journal):
    frequency, year, offers, today = journal
    parts = measure(frequency, offers, year, today)
    for number, (part, period) in enumerate(zip(parts, parts_of(frequency, year), strict=True)):
        if part.status == Status.MET:
            continue
        best = measure(frequency, completed(frequency, offers, period, today), year, today)[number]
        if part.status == Status.MISSED:
            assert best.status != Status.MET
        else:
            assert best.status == Status.MET


@PROFILE
@given(journals())
def test_sessions_before_today_cannot_open_a_part_once_its_end_has_passed(journal):
    frequency, year, offers, today = journal
    for part, period in zip(measure(frequency, offers, year, today), parts_of(frequency, year), strict=True):
        if period.end < today:
            assert part.status in (Status.MET, Status.MISSED)


def test_a_course_late_in_the_half_is_missed_when_too_few_days_are_left():
    year = ReviewYear(2026)
    course = Frequency(per=Per.HALF_YEAR, min_sessions=8)
    _first, second = measure(course, [], year, date(2027, 1, 25))
    assert second.status == Status.MISSED  # 7 days left for 8 sessions
    _first, second = measure(course, [], year, date(2027, 1, 24))
    assert second.status == Status.OPEN
    # An offer with 6 sessions needs only 2 more.
    started = Offer(1, "Kurs", tuple(date(2026, 12, day) for day in range(1, 7)))
    _first, second = measure(course, [started], year, date(2027, 1, 30))
    assert second.status == Status.OPEN


@pytest.mark.parametrize("frozen", ["2026-07-31 23:30", "2026-08-01 00:30"])
def test_coverage_of_reads_no_clock_but_its_today(frozen):
    """With the clock frozen either side of the boundary, only `today` decides."""
    year = ReviewYear(2026)
    with time_machine.travel(frozen, tick=False):
        first, _second = measure(Frequency(per=Per.HALF_YEAR), [], year, date(2026, 8, 1))
        assert first.status == Status.MISSED
        first, _second = measure(Frequency(per=Per.HALF_YEAR), [], year, date(2026, 7, 31))
        assert first.status == Status.OPEN
