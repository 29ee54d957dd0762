"""The cycle's dates as data: the review year and its halves, the default
due dates of each step, and what counts as overdue or approaching.

Pure functions over dates and an assessment's fields; the writes (setting
the dates at each step, the office moving them, the reminders) live in
assessments.services.deadlines. The queues annotate the date due now with
assessments.selectors.with_deadline and mark it with deadline_status().
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Q

from assessments.models import Assessment, AssessmentKind, AssessmentState, DeadlineKind, DeadlineStatus
from certification.review_year import Period, ReviewYear, review_year_containing
from certification.services import add_months

__all__ = ["Period", "ReviewYear", "review_year_containing"]  # the cycle's dates speak of them

# A deadline is "approaching" from this many days before it (inclusive) and
# "overdue" from the day after it. The queues and the reminders use the same
# figure (shared contract of issue 12).
APPROACHING_DAYS = 14

# Default periods. DOMAIN.md names the review year and its halves but no
# source states how long a centre has to submit, a reviewer to review or a
# centre to answer queries: every figure below is an ASSUMPTION of this
# project, chosen to fit the yearly rhythm (documents in October/November,
# review year January to January, seals ending on 31 July), and the office
# can move each date of a cycle.
#
# Re-certification: submitted this many months before the previous seal ends,
# so that review, visit and decision fit before the seal runs out (assumption).
RECERTIFICATION_SUBMIT_MONTHS_BEFORE_SEAL_END = 3
# First certification (and a re-certification without a seal to measure
# from): this many weeks after the end of the review period (assumption).
FIRST_CERTIFICATION_SUBMIT_WEEKS_AFTER_PERIOD = 6
# The review: this many weeks after the (latest) submission (assumption).
REVIEW_WEEKS = 8
# Queries: answered within this many weeks of the request (assumption).
QUERIES_WEEKS = 4


# ---------------------------------------------------------------- the review year


def review_year_of(assessment: Assessment) -> ReviewYear:
    """The review year of an assessment, from its review period: the one its
    period ends in (a re-certification's period is the review year itself,
    1 January - 31 January)."""
    return review_year_containing(assessment.review_period_end)


@dataclass(frozen=True)
class HalfYear:
    number: int
    period: Period
    # Whether the assessment's review period covers any of it (a first
    # certification's period may cover one half only).
    in_review_period: bool


def halves_of(assessment: Assessment) -> list[HalfYear]:
    year = review_year_of(assessment)
    return [
        HalfYear(number, half, half.overlaps(assessment.review_period_start, assessment.review_period_end))
        for number, half in enumerate(year.halves, start=1)
    ]


# ---------------------------------------------------------------- defaults


def weeks_after(day: date, weeks: int) -> date:
    return day + timedelta(weeks=weeks)


def default_submission_due(assessment: Assessment, previous_seal_until: date | None = None) -> date:
    """A re-certification: RECERTIFICATION_SUBMIT_MONTHS_BEFORE_SEAL_END
    months before the previous seal ends, but never before the review period
    it has to prove has ended plus the first certification's allowance.
    A first certification (or a re-certification without a known seal):
    FIRST_CERTIFICATION_SUBMIT_WEEKS_AFTER_PERIOD weeks after its period."""
    after_period = weeks_after(assessment.review_period_end, FIRST_CERTIFICATION_SUBMIT_WEEKS_AFTER_PERIOD)
    if assessment.kind == AssessmentKind.RECERTIFICATION and previous_seal_until is not None:
        return max(add_months(previous_seal_until, -RECERTIFICATION_SUBMIT_MONTHS_BEFORE_SEAL_END), after_period)
    return after_period


def default_review_due(submitted_on: date) -> date:
    return weeks_after(submitted_on, REVIEW_WEEKS)


def default_queries_due(requested_on: date) -> date:
    return weeks_after(requested_on, QUERIES_WEEKS)


def default_visit_window(submitted_on: date, review_due: date) -> Period:
    """From the submission to the end of the review."""
    return Period(submitted_on, max(review_due, submitted_on))


# ---------------------------------------------------------------- overdue and approaching


def deadline_status(deadline: date | None, today: date) -> DeadlineStatus | None:
    """OVERDUE when the deadline has passed (deadline < today), APPROACHING
    within APPROACHING_DAYS (today <= deadline <= today + APPROACHING_DAYS),
    otherwise None (also without a deadline)."""
    if deadline is None:
        return None
    if deadline < today:
        return DeadlineStatus.OVERDUE
    if deadline <= today + timedelta(days=APPROACHING_DAYS):
        return DeadlineStatus.APPROACHING
    return None


def overdue_q(today: date, field: str = "deadline") -> Q:
    """Filter for a queryset annotated by selectors.with_deadline()."""
    return Q(**{f"{field}__lt": today})


def approaching_q(today: date, field: str = "deadline") -> Q:
    return Q(**{f"{field}__gte": today, f"{field}__lte": today + timedelta(days=APPROACHING_DAYS)})


def due_or_approaching_q(today: date, field: str = "deadline") -> Q:
    """Overdue or approaching: everything on or before today + APPROACHING_DAYS."""
    return Q(**{f"{field}__lte": today + timedelta(days=APPROACHING_DAYS)})


# The date due in each open state, as selectors.with_deadline() reads it.
KIND_BY_STATE: dict[str, DeadlineKind] = {
    AssessmentState.DRAFT: DeadlineKind.SUBMISSION,
    AssessmentState.SUBMITTED: DeadlineKind.REVIEW,
    AssessmentState.IN_REVIEW: DeadlineKind.REVIEW,
    AssessmentState.RECOMMENDED: DeadlineKind.REVIEW,
    AssessmentState.CHANGES_REQUESTED: DeadlineKind.QUERIES,
}
FIELD_BY_KIND: dict[str, str] = {
    DeadlineKind.SUBMISSION: "submission_due",
    DeadlineKind.QUERIES: "queries_due",
    DeadlineKind.REVIEW: "review_due",
}


def current_deadline(assessment: Assessment) -> tuple[DeadlineKind, date] | None:
    """(kind, date) of what is due now in the assessment's state, as
    with_deadline() annotates it; None once decided or without a date."""
    kind = KIND_BY_STATE.get(assessment.state)
    if kind is None:
        return None
    due = getattr(assessment, FIELD_BY_KIND[kind])
    return (kind, due) if due is not None else None


# ---------------------------------------------------------------- what a page shows


@dataclass(frozen=True)
class DateRow:
    """One date of the cycle as the Fristen block shows it."""

    field: str
    label: str
    due: date | None
    # Only the date due now is marked (overdue or approaching).
    is_current: bool
    status: DeadlineStatus | None
    days: int

    @property
    def is_overdue(self) -> bool:
        return self.status == DeadlineStatus.OVERDUE

    @property
    def is_approaching(self) -> bool:
        return self.status == DeadlineStatus.APPROACHING


@dataclass(frozen=True)
class CycleDates:
    review_year: ReviewYear
    halves: list[HalfYear]
    rows: list[DateRow]
    visit_window: Period | None
    # A planned visit outside the window (shown, never refused).
    visit_outside_window: bool

    @property
    def current(self) -> DateRow | None:
        return next((row for row in self.rows if row.is_current), None)


def cycle_dates(assessment: Assessment, today: date, visit_day: date | None = None) -> CycleDates:
    """The dates of one cycle for its pages, without a query."""
    current = current_deadline(assessment)
    current_field = FIELD_BY_KIND[current[0]] if current else None
    rows = []
    for name in ("submission_due", "review_due", "queries_due"):
        due = getattr(assessment, name)
        is_current = name == current_field
        status = deadline_status(due, today) if is_current else None
        rows.append(
            DateRow(
                field=name,
                label=str(Assessment._meta.get_field(name).verbose_name),
                due=due,
                is_current=is_current,
                status=status,
                days=abs((due - today).days) if due else 0,
            )
        )
    window = None
    if assessment.visit_window_start and assessment.visit_window_end:
        window = Period(assessment.visit_window_start, assessment.visit_window_end)
    return CycleDates(
        review_year=review_year_of(assessment),
        halves=halves_of(assessment),
        rows=rows,
        visit_window=window,
        visit_outside_window=bool(window and visit_day and visit_day not in window),
    )
