"""The review year and its halves (shared/DOMAIN.md): 1 January to
31 January of the next year, in two halves that are both required. Pure
dates; the cycle's deadlines (assessments.deadlines) and the offer journal's
coverage (journal.coverage) both count in them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Period:
    """A closed range of days, both ends included."""

    start: date
    end: date

    def __contains__(self, day: date) -> bool:
        return self.start <= day <= self.end

    def overlaps(self, start: date, end: date) -> bool:
        return self.start <= end and start <= self.end


@dataclass(frozen=True)
class ReviewYear:
    """The review year `year`: 1 January `year` to 31 January of the next
    year, in two halves that are both required (criteria "once per
    half-year" mean each of them): 1 January - 31 July and 1 August -
    31 January."""

    year: int

    @property
    def start(self) -> date:
        return date(self.year, 1, 1)

    @property
    def end(self) -> date:
        return date(self.year + 1, 1, 31)

    @property
    def period(self) -> Period:
        return Period(self.start, self.end)

    @property
    def first_half(self) -> Period:
        return Period(date(self.year, 1, 1), date(self.year, 7, 31))

    @property
    def second_half(self) -> Period:
        return Period(date(self.year, 8, 1), date(self.year + 1, 1, 31))

    @property
    def halves(self) -> tuple[Period, Period]:
        return (self.first_half, self.second_half)

    def half_of(self, day: date) -> int | None:
        """1 or 2 for a day of this review year, None outside it. A January
        day of the next calendar year is still in the second half of this
        review year (and also in the first half of the next review year:
        the year to ask is the caller's choice)."""
        if day in self.first_half:
            return 1
        if day in self.second_half:
            return 2
        return None


def review_year_containing(day: date) -> ReviewYear:
    """The review year a review period ending on `day` belongs to. A review
    year ends on 31 January, so a January day closes the year before."""
    return ReviewYear(day.year - 1 if day.month == 1 else day.year)
