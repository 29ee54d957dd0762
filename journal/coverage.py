"""What a journal covers of the catalogue's frequencies, live.

For each catalogue item with a frequency (certification.frequency), and each
half of the review year (both are required, shared/DOMAIN.md), what is met
and what is still missing. Sessions count in the half their date lies in: a
course of 8 sessions from June to September brings some of its sessions to
each half. Planned sessions (dated after today) count too, so a weekly series
recorded for the whole half shows the half covered; a week or month that has
passed without a session is a gap that no later offer can close.

The measuring (`measure`) is pure, over dates; `coverage_of` reads a journal.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from certification.frequency import Frequency, Per
from certification.models import CatalogueVersion, CriterionItem, Familienzentrum
from certification.review_year import Period, ReviewYear
from journal.models import JournalSession, JournalTag


class Status:
    MET = "met"
    # Not met yet, and still possible: the part has not ended, and no more
    # periods have passed without a session than are allowed.
    OPEN = "open"
    # Not met, and no offer from today on can change that.
    MISSED = "missed"


@dataclass(frozen=True)
class Offer:
    """One journal entry as coverage sees it: its sessions' dates."""

    entry_id: int
    title: str
    dates: tuple[date, ...]


@dataclass(frozen=True)
class PartCoverage:
    """One half of the review year (number 1 or 2), or the whole year (number 0)."""

    number: int
    period: Period
    status: str
    # Periods with a session (per week and month) or qualifying offers.
    found: int
    needed: int
    # Weeks or months without a session that have already passed (per week and month).
    passed_gaps: tuple[str, ...]
    text: str

    @property
    def is_met(self) -> bool:
        return self.status == Status.MET


@dataclass(frozen=True)
class RequirementCoverage:
    criterion_code: str
    item_code: str
    frequency: Frequency
    parts: tuple[PartCoverage, ...]
    # The entries that count for it, for the page to link.
    entry_ids: tuple[int, ...]

    @property
    def status(self) -> str:
        statuses = {part.status for part in self.parts}
        if statuses == {Status.MET}:
            return Status.MET
        return Status.MISSED if Status.MISSED in statuses else Status.OPEN

    @property
    def is_met(self) -> bool:
        return self.status == Status.MET

    @property
    def closable_gaps(self) -> tuple[PartCoverage, ...]:
        """The parts not met that an offer from today on can still make met."""
        return tuple(part for part in self.parts if part.status == Status.OPEN)

    @property
    def summary(self) -> str:
        """'4B1: 1. Halbjahr erfüllt – im 2. Halbjahr fehlt 1 Angebot mit mindestens 8 Terminen'."""
        return f"{self.criterion_code}: " + " – ".join(part.text for part in self.parts)


# ---------------------------------------------------------------- measuring


def _part_label(number: int) -> str:
    if number == 0:
        return _("Prüfjahr")
    return _("%(number)d. Halbjahr") % {"number": number}


def _in_part(number: int) -> str:
    if number == 0:
        return _("im Prüfjahr")
    return _("im %(number)d. Halbjahr") % {"number": number}


def _period_keys(period: Period, per: str) -> list[tuple[tuple[int, int], date]]:
    """Each month of the period, or each ISO week whose Thursday lies in it
    (the ISO rule for the year a week belongs to), with its last day inside
    the period. A week across 31 July / 1 August thus belongs to one half
    only, so a Tuesday group does not miss the two days of a week the half
    starts with on a Saturday. A session counts only for the half its date
    is in: a Saturday 1 August in a week of the first half covers no week."""
    keys: dict[tuple[int, int], date] = {}
    day = period.start
    while day <= period.end:
        if per == Per.WEEK:
            thursday = day + timedelta(days=3 - day.weekday())
            if thursday in period:
                keys[day.isocalendar()[:2]] = day
        else:
            keys[(day.year, day.month)] = day
        day += timedelta(days=1)
    return list(keys.items())


def _key_label(key: tuple[int, int], per: str) -> str:
    if per == Per.WEEK:
        return _("KW %(week)d/%(year)d") % {"week": key[1], "year": key[0]}
    return f"{key[1]:02d}/{key[0]}"


def _measure_periodic(frequency: Frequency, offers: list[Offer], number: int, period: Period, today: date):
    dated = [day for offer in offers for day in offer.dates if day in period]
    covered = {day.isocalendar()[:2] if frequency.per == Per.WEEK else (day.year, day.month) for day in dated}
    keys = _period_keys(period, frequency.per)
    uncovered = [(key, last_day) for key, last_day in keys if key not in covered]
    passed = [key for key, last_day in uncovered if last_day < today]
    needed = len(keys) - frequency.allowed_gaps
    found = len(keys) - len(uncovered)
    passed_labels = tuple(_key_label(key, frequency.per) for key in passed)
    unit = frequency.per
    if len(uncovered) <= frequency.allowed_gaps:
        return Status.MET, found, needed, passed_labels, _("%(part)s erfüllt") % {"part": _part_label(number)}
    if len(passed) > frequency.allowed_gaps:
        counted = (
            ngettext("%(count)d Woche ohne Termin", "%(count)d Wochen ohne Termin", len(passed))
            if unit == Per.WEEK
            else ngettext("%(count)d Monat ohne Termin", "%(count)d Monate ohne Termin", len(passed))
        ) % {"count": len(passed)}
        text = _("%(in_part)s %(counted)s (%(labels)s), erlaubt sind %(allowed)d") % {
            "in_part": _in_part(number),
            "counted": counted,
            "labels": ", ".join(passed_labels[:6]) + (" …" if len(passed_labels) > 6 else ""),
            "allowed": frequency.allowed_gaps,
        }
        return Status.MISSED, found, needed, passed_labels, text
    missing = len(uncovered) - frequency.allowed_gaps
    counted = (
        ngettext("fehlen noch Termine in %(count)d Woche", "fehlen noch Termine in %(count)d Wochen", missing)
        if unit == Per.WEEK
        else ngettext("fehlen noch Termine in %(count)d Monat", "fehlen noch Termine in %(count)d Monaten", missing)
    ) % {"count": missing}
    return Status.OPEN, found, needed, passed_labels, f"{_in_part(number)} {counted}"


def _reachable(offers: list[Offer], period: Period, today: date, min_sessions: int, missing: int) -> bool:
    """Whether sessions from today on can still bring `missing` more offers
    to `min_sessions` in the period: a new offer needs that many days left,
    an offer short of it the days it lacks."""
    first = max(today, period.start)
    days_left = (period.end - first).days + 1
    if days_left <= 0:
        return False
    if days_left >= min_sessions:
        return True
    growable = 0
    for offer in offers:
        inside = [day for day in offer.dates if day in period]
        if len(inside) < min_sessions:
            free = days_left - sum(1 for day in inside if day >= first)
            growable += len(inside) + free >= min_sessions
    return growable >= missing


def _measure_offers(frequency: Frequency, offers: list[Offer], number: int, period: Period, today: date):
    min_sessions = frequency.min_sessions or 1
    found = sum(1 for offer in offers if sum(1 for day in offer.dates if day in period) >= min_sessions)
    needed = frequency.times
    if found >= needed:
        return Status.MET, found, needed, (), _("%(part)s erfüllt") % {"part": _part_label(number)}
    missing = needed - found
    what = ngettext("ein Angebot", "%(count)d Angebote", missing) % {"count": missing}
    if frequency.min_sessions:
        what += " " + ngettext(
            "mit mindestens %(count)d Termin", "mit mindestens %(count)d Terminen", frequency.min_sessions
        ) % {"count": frequency.min_sessions}
    status = Status.OPEN if _reachable(offers, period, today, min_sessions, missing) else Status.MISSED
    verb = ngettext("fehlt", "fehlen", missing)
    return status, found, needed, (), f"{_in_part(number)} {verb} {what}"


def measure(frequency: Frequency, offers: list[Offer], year: ReviewYear, today: date) -> tuple[PartCoverage, ...]:
    """The parts of `year` and how `offers` cover them: both halves, or for a
    yearly requirement the whole review year."""
    parts = [(0, year.period)] if frequency.per == Per.YEAR else list(enumerate(year.halves, start=1))
    measured = []
    for number, period in parts:
        if frequency.is_periodic:
            status, found, needed, passed, text = _measure_periodic(frequency, offers, number, period, today)
        else:
            status, found, needed, passed, text = _measure_offers(frequency, offers, number, period, today)
        measured.append(PartCoverage(number, period, status, found, needed, passed, text))
    return tuple(measured)


# ---------------------------------------------------------------- reading a journal


@dataclass(frozen=True)
class Requirement:
    criterion_code: str
    item_code: str
    frequency: Frequency


def requirements_of(catalogue: CatalogueVersion, criterion_codes=None) -> list[Requirement]:
    """The catalogue's items with a frequency, in catalogue order."""
    items = (
        CriterionItem.objects.filter(criterion__catalogue=catalogue, frequency__isnull=False)
        .select_related("criterion")
        .order_by("criterion__area__order", "criterion__order", "order")
    )
    if criterion_codes is not None:
        items = items.filter(criterion__code__in=criterion_codes)
    return [
        Requirement(item.criterion.code, item.code, Frequency.from_data(item.frequency))
        for item in items
        if item.frequency
    ]


def offers_by_criterion(
    familienzentrum: Familienzentrum, period: Period, criterion_codes=None
) -> dict[str, list[Offer]]:
    """The journal's offers with a session in `period`, per criterion code
    they are tagged to; each offer with all its sessions in the period."""
    sessions = (
        JournalSession.objects.filter(
            entry__familienzentrum=familienzentrum, date__gte=period.start, date__lte=period.end
        )
        .values_list("entry_id", "entry__title", "date")
        .order_by("entry_id", "date")
    )
    dates: dict[int, list[date]] = defaultdict(list)
    titles: dict[int, str] = {}
    for entry_id, title, day in sessions:
        dates[entry_id].append(day)
        titles[entry_id] = title
    tags = JournalTag.objects.filter(entry_id__in=list(dates))
    if criterion_codes is not None:
        tags = tags.filter(criterion_code__in=criterion_codes)
    offers: dict[str, list[Offer]] = defaultdict(list)
    for entry_id, code in tags.values_list("entry_id", "criterion_code").order_by("entry_id"):
        offers[code].append(Offer(entry_id, titles[entry_id], tuple(dates[entry_id])))
    return offers


def coverage_of(
    familienzentrum: Familienzentrum,
    catalogue: CatalogueVersion,
    year: ReviewYear,
    today: date,
    criterion_codes=None,
) -> list[RequirementCoverage]:
    """Every frequency of the catalogue (or of the given criteria) against
    the centre's journal of the review year: three queries."""
    requirements = requirements_of(catalogue, criterion_codes)
    if not requirements:
        return []
    offers = offers_by_criterion(familienzentrum, year.period, {r.criterion_code for r in requirements})
    return [
        RequirementCoverage(
            requirement.criterion_code,
            requirement.item_code,
            requirement.frequency,
            measure(requirement.frequency, offers.get(requirement.criterion_code, []), year, today),
            tuple(offer.entry_id for offer in offers.get(requirement.criterion_code, [])),
        )
        for requirement in requirements
    ]
