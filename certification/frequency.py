"""How often and how much a criterion asks to happen, as catalogue data.

A catalogue item may carry a `frequency` (certification/catalogues/README.md):
per week, month, half-year or year of the review year, how many offers (or,
per week and month, how many periods with a session), and for half-year and
year requirements a minimum number of sessions per offer. The loader checks
the YAML and stores `Frequency.to_data()` on CriterionItem.frequency; the
offer journal (journal.coverage) measures a journal against it.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import ngettext


class Per:
    WEEK = "week"
    MONTH = "month"
    HALF_YEAR = "half_year"
    YEAR = "year"

    ALL = (WEEK, MONTH, HALF_YEAR, YEAR)
    # Counted as periods with a session (every week, every month of a half);
    # the others count offers.
    PERIODIC = (WEEK, MONTH)


@dataclass(frozen=True)
class Frequency:
    per: str
    # Offers needed per half-year or year; ignored per week and month (every
    # period needs a session, except `allowed_gaps` of them per half-year).
    times: int = 1
    # An offer counts only with at least this many sessions in the period
    # (a course "of at least 8 sessions"). Half-year and year only.
    min_sessions: int | None = None
    # Weeks or months per half-year that may stay without a session (holidays,
    # closing days). Week and month only.
    allowed_gaps: int = 0
    # The figure has no public source (shared/DOMAIN.md): shown as an assumption.
    assumption: bool = False

    @classmethod
    def from_data(cls, data: dict | None) -> Frequency | None:
        if not data:
            return None
        return cls(
            per=data["per"],
            times=data.get("times", 1),
            min_sessions=data.get("min_sessions"),
            allowed_gaps=data.get("allowed_gaps", 0),
            assumption=data.get("assumption", False),
        )

    def to_data(self) -> dict:
        data: dict = {"per": self.per}
        if self.times != 1:
            data["times"] = self.times
        if self.min_sessions is not None:
            data["min_sessions"] = self.min_sessions
        if self.allowed_gaps:
            data["allowed_gaps"] = self.allowed_gaps
        if self.assumption:
            data["assumption"] = True
        return data

    @property
    def is_periodic(self) -> bool:
        return self.per in Per.PERIODIC

    def describe(self) -> str:
        """The requirement in a few words, in the reader's language:
        "wöchentlich", "mindestens 1 Angebot mit mindestens 8 Terminen je Halbjahr"."""
        if self.per == Per.WEEK:
            text = _("wöchentlich")
        elif self.per == Per.MONTH:
            text = _("monatlich")
        else:
            offers = ngettext("%(count)d Angebot", "%(count)d Angebote", self.times) % {"count": self.times}
            if self.min_sessions:
                offers += " " + ngettext(
                    "mit mindestens %(count)d Termin", "mit mindestens %(count)d Terminen", self.min_sessions
                ) % {"count": self.min_sessions}
            if self.per == Per.HALF_YEAR:
                text = _("mindestens %(offers)s in jedem Halbjahr") % {"offers": offers}
            else:
                text = _("mindestens %(offers)s im Prüfjahr") % {"offers": offers}
        if self.allowed_gaps:
            text += " " + ngettext(
                "(%(count)d Lücke je Halbjahr erlaubt)", "(%(count)d Lücken je Halbjahr erlaubt)", self.allowed_gaps
            ) % {"count": self.allowed_gaps}
        return text
