"""The validity rules of the standing register (shared/DOMAIN.md,
"Evidence"), as pure functions of an entry and a day: no queries, no clock.

- A training counts from 6 hours; an online seminar under 6 hours counts only
  when its preparation and follow-up bring it to 6.
- A course of one or two days (days <= 2, or without days: up to 16 hours)
  is valid for 7 years after its completion, through the anniversary day
  (the same reading as evidence.validity's warning); a longer training stays
  valid while its content is current, which no date can tell: no expiry.
- A cooperation agreement is valid from its signature until it is ended
  (`ended_on`, the last day it holds) or until its term (`valid_until`, the
  last day); a change of Leitung does not end it.

Entries are StaffQualification or CooperationAgreement rows, or anything
with their fields (tests pass plain objects)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import models
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from certification.review_year import ReviewYear
from evidence.validity import MIN_TRAINING_HOURS, SHORT_COURSE_MAX_HOURS, SHORT_COURSE_VALID_YEARS

SHORT_COURSE_MAX_DAYS = 2


def current_review_year(today: date) -> ReviewYear:
    """The review year whose end the register looks ahead to: the calendar
    year's (as the journal counts). In January the previous review year is
    still in its last month; its end comes earlier, so looking to this
    year's end shows everything that one would, and more."""
    return ReviewYear(today.year)


def years_after(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year without one
        return day.replace(year=day.year + years, day=28)


def is_agreement(entry) -> bool:
    return hasattr(entry, "signed_on")


# ---------------------------------------------------------------- qualifications


def counted_hours(qualification) -> Decimal:
    """The hours that count: an online seminar under 6 hours adds its
    preparation and follow-up; nothing else does."""
    hours = Decimal(qualification.hours or 0)
    if qualification.online and hours < MIN_TRAINING_HOURS:
        hours += Decimal(qualification.preparation_hours or 0)
    return hours


def qualification_counts(qualification) -> tuple[bool, str]:
    """Whether the training counts as proof at all, and if not, why."""
    hours = Decimal(qualification.hours or 0)
    if hours <= 0:
        return False, _("Der Umfang in Stunden fehlt.")
    if hours >= MIN_TRAINING_HOURS:
        return True, ""
    if qualification.online:
        if counted_hours(qualification) >= MIN_TRAINING_HOURS:
            return True, ""
        return False, _(
            "Online-Seminare unter 6 Stunden zählen nur mit Vor- und Nachbereitung, zusammen mindestens "
            "6 Stunden (hier %(hours)s)."
        ) % {"hours": _hours(counted_hours(qualification))}
    return False, _("Fortbildungen zählen erst ab 6 Stunden (hier %(hours)s).") % {"hours": _hours(hours)}


def is_short_course(qualification) -> bool:
    """A course of one or two days: by its days where given, else by its hours."""
    if qualification.days is not None:
        return qualification.days <= SHORT_COURSE_MAX_DAYS
    return Decimal(qualification.hours or 0) <= SHORT_COURSE_MAX_HOURS


def qualification_valid_until(qualification) -> date | None:
    """The last day a one- or two-day course is valid (7 years after its
    completion); None for a longer training, which does not expire."""
    if is_short_course(qualification):
        return years_after(qualification.completed_on, SHORT_COURSE_VALID_YEARS)
    return None


# ---------------------------------------------------------------- agreements


def agreement_valid_until(agreement) -> date | None:
    """The last day the agreement holds: its end or its term, whichever comes first; None while open-ended."""
    ends = [day for day in (agreement.ended_on, agreement.valid_until) if day is not None]
    return min(ends) if ends else None


# ---------------------------------------------------------------- either kind


def valid_until(entry) -> date | None:
    return agreement_valid_until(entry) if is_agreement(entry) else qualification_valid_until(entry)


def starts_on(entry) -> date:
    return entry.signed_on if is_agreement(entry) else entry.completed_on


def counts(entry) -> tuple[bool, str]:
    return (True, "") if is_agreement(entry) else qualification_counts(entry)


def is_valid_on(entry, day: date) -> bool:
    """Whether the entry proves what it proves on `day`."""
    if not counts(entry)[0] or day < starts_on(entry):
        return False
    last = valid_until(entry)
    return last is None or day <= last


def lapses_before(entry, day: date) -> bool:
    """Whether the entry's validity ends before `day` (a training that does
    not count never had any: that is `counts`, not a lapse)."""
    last = valid_until(entry)
    return counts(entry)[0] and last is not None and last < day


class Status(models.TextChoices):
    VALID = "valid", gettext_lazy("gültig")
    LAPSES = "lapses", gettext_lazy("läuft ab")
    LAPSED = "lapsed", gettext_lazy("abgelaufen")
    ENDED = "ended", gettext_lazy("beendet")
    NOT_COUNTING = "not_counting", gettext_lazy("zählt nicht")


@dataclass(frozen=True)
class EntryStatus:
    status: str
    until: date | None
    reason: str

    @property
    def label(self) -> str:
        if self.status == Status.VALID:
            if self.until:
                return _("gültig bis %(date)s") % {"date": date_format(self.until, "SHORT_DATE_FORMAT")}
            return _("gültig")
        if self.status == Status.LAPSES:
            return _("läuft am %(date)s ab") % {"date": date_format(self.until, "SHORT_DATE_FORMAT")}
        if self.status == Status.LAPSED:
            return _("abgelaufen am %(date)s") % {"date": date_format(self.until, "SHORT_DATE_FORMAT")}
        if self.status == Status.ENDED:
            return _("beendet am %(date)s") % {"date": date_format(self.until, "SHORT_DATE_FORMAT")}
        return _("zählt nicht")

    @property
    def badge(self) -> str:
        """The Bootstrap badge class (contrast AA with its text)."""
        return {
            Status.VALID: "text-bg-success",
            Status.LAPSES: "text-bg-warning",
        }.get(self.status, "text-bg-danger")

    @property
    def needs_attention(self) -> bool:
        return self.status != Status.VALID


def entry_status(entry, today: date, horizon: date) -> EntryStatus:
    """What the register shows for an entry today, looking ahead to `horizon`
    (the end of the review year)."""
    counting, reason = counts(entry)
    if not counting:
        return EntryStatus(Status.NOT_COUNTING, None, reason)
    last = valid_until(entry)
    if last is not None and last < today:
        if is_agreement(entry) and entry.ended_on is not None and entry.ended_on == last:
            return EntryStatus(Status.ENDED, last, _("Die Vereinbarung ist beendet."))
        return EntryStatus(Status.LAPSED, last, _("Nicht mehr gültig: bitte erneuern."))
    if last is not None and last < horizon:
        return EntryStatus(
            Status.LAPSES,
            last,
            _("Läuft vor dem Ende des Prüfjahres (%(end)s) ab.") % {"end": date_format(horizon, "SHORT_DATE_FORMAT")},
        )
    if last is None and not is_agreement(entry):
        return EntryStatus(Status.VALID, None, _("Längere Fortbildung: gilt, solange die Inhalte aktuell sind."))
    return EntryStatus(Status.VALID, last, "")


def _hours(value: Decimal) -> str:
    return f"{value.normalize():f}".replace(".", ",")
