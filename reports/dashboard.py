"""The office dashboard's figures, as selectors: each a few rows of numbers
counted in the database (one query per figure, whatever the population),
ready for a chart (reports.charts) and its table.

- assessments by state (every state, zeros included);
- decisions per month over the last twelve months (certified / not
  certified), from the event a decision writes (AssessmentEvent with
  to_state certified or not_certified);
- seals ending per quarter over the next two years (Guetesiegel.valid_until),
  split by whether the centre already holds a later seal;
- the median days from the (latest) submission (Assessment.submitted_at) to
  the decision, per month of the decision: one values_list, the median in
  Python.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.db.models import Count, Exists, OuterRef
from django.db.models.functions import TruncMonth, TruncQuarter
from django.utils import dateformat, timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from assessments.models import OPEN_STATES, Assessment, AssessmentEvent, AssessmentState
from certification.models import Guetesiegel

DECISION_STATES = (AssessmentState.CERTIFIED, AssessmentState.NOT_CERTIFIED)
MONTHS = 12
QUARTERS = 8


def format_value(value: float) -> str:
    """A count as a whole number, a median with at most one decimal, in the
    active language's notation (German: 12,5)."""
    if float(value).is_integer():
        return number_format(int(value), use_l10n=True)
    return number_format(round(value, 1), decimal_pos=1, use_l10n=True)


@dataclass
class Bar:
    """One category of a figure: its label and a value per series; `extra`
    holds values the table shows beside them (not drawn)."""

    key: str
    label: str
    values: list[float]
    extra: list = field(default_factory=list)
    long_label: str = ""
    # Nothing to show (a month without decisions has no median): "–", not 0.
    empty: bool = False

    @property
    def total(self) -> float:
        return sum(self.values)

    @property
    def table_label(self) -> str:
        return self.long_label or self.label

    # Shown as text (chart labels, the table), in the active language.
    @property
    def shown_values(self) -> list[str]:
        return ["–" if self.empty else format_value(value) for value in self.values]

    @property
    def shown_total(self) -> str:
        return "–" if self.empty else format_value(self.total)

    @property
    def shown_extra(self) -> list[str]:
        return [format_value(value) for value in self.extra]


@dataclass
class Figure:
    key: str
    title: str
    description: str
    series: list[str]
    bars: list[Bar]
    category: str
    extra: list[str] = field(default_factory=list)

    @property
    def stacked(self) -> bool:
        return len(self.series) > 1

    @property
    def total(self) -> float:
        return sum(bar.total for bar in self.bars)


@dataclass
class Dashboard:
    today: date
    states: Figure
    decisions: Figure
    seals: Figure
    durations: Figure
    open_assessments: int
    decisions_total: int
    median_days: float | None
    seals_due: int

    @property
    def shown_median_days(self) -> str:
        return "" if self.median_days is None else format_value(self.median_days)


# ---------------------------------------------------------------- periods


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def last_months(today: date, count: int = MONTHS) -> list[date]:
    """The first days of the last `count` months, the current one last."""
    current = _month_start(today)
    return [_add_months(current, offset) for offset in range(-count + 1, 1)]


def _quarter_start(day: date) -> date:
    return date(day.year, (day.month - 1) // 3 * 3 + 1, 1)


def next_quarters(today: date, count: int = QUARTERS) -> list[date]:
    """The first days of `count` quarters from the current one."""
    current = _quarter_start(today)
    return [_add_months(current, 3 * offset) for offset in range(count)]


def _as_date(value) -> date:
    """A truncated month or quarter as the database returns it: a date, or
    a datetime (aware in the current time zone) at its start."""
    if isinstance(value, datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _month_label(month: date) -> str:
    return dateformat.format(month, "M Y")


def _month_long_label(month: date) -> str:
    return dateformat.format(month, "F Y")


def _quarter_label(quarter: date) -> str:
    return _("%(quarter)d. Quartal %(year)d") % {"quarter": (quarter.month - 1) // 3 + 1, "year": quarter.year}


# ---------------------------------------------------------------- figures


def assessments_by_state() -> Figure:
    counts = dict(Assessment.objects.order_by().values_list("state").annotate(count=Count("pk")))
    return Figure(
        key="states",
        title=_("Selbstbewertungen nach Status"),
        description=_("Alle Selbstbewertungen im System, nach ihrem heutigen Status."),
        series=[_("Anzahl")],
        bars=[
            Bar(key=state.value, label=str(state.label), values=[counts.get(state.value, 0)])
            for state in AssessmentState
        ],
        category=_("Status"),
    )


def _decision_events(since: date):
    return AssessmentEvent.objects.filter(to_state__in=DECISION_STATES, created_at__gte=_start_of(since)).order_by()


def decisions_per_month(today: date) -> Figure:
    months = last_months(today)
    counts: dict[tuple[date, str], int] = {}
    rows = (
        _decision_events(months[0])
        .annotate(month=TruncMonth("created_at"))
        .values_list("month", "to_state")
        .annotate(count=Count("pk"))
    )
    for month, state, count in rows:
        counts[(_as_date(month), state)] = count
    return Figure(
        key="decisions",
        title=_("Entscheidungen je Monat"),
        description=_("Zertifiziert und nicht zertifiziert, in den letzten zwölf Monaten."),
        series=[str(AssessmentState.CERTIFIED.label), str(AssessmentState.NOT_CERTIFIED.label)],
        bars=[
            Bar(
                key=month.isoformat(),
                label=_month_label(month),
                long_label=_month_long_label(month),
                values=[counts.get((month, state), 0) for state in DECISION_STATES],
            )
            for month in months
        ],
        category=_("Monat"),
    )


def seals_ending_per_quarter(today: date) -> Figure:
    quarters = next_quarters(today)
    end = _add_months(quarters[-1], 3)
    later_seal = Guetesiegel.objects.filter(
        familienzentrum_id=OuterRef("familienzentrum_id"), valid_until__gt=OuterRef("valid_until")
    )
    rows = (
        Guetesiegel.objects.filter(valid_until__gte=quarters[0], valid_until__lt=end)
        .order_by()
        .annotate(quarter=TruncQuarter("valid_until"), renewed=Exists(later_seal))
        .values_list("quarter", "renewed")
        .annotate(count=Count("pk"))
    )
    counts: dict[tuple[date, bool], int] = {}
    for quarter, renewed, count in rows:
        counts[(_as_date(quarter), bool(renewed))] = count
    return Figure(
        key="seals",
        title=_("Gütesiegel, die enden, je Quartal"),
        description=_(
            "Gütesiegel mit Ablauf in den nächsten zwei Jahren; „bereits erneuert“ heißt: "
            "das Familienzentrum hat schon ein späteres Gütesiegel."
        ),
        series=[_("noch nicht erneuert"), _("bereits erneuert")],
        bars=[
            Bar(
                key=quarter.isoformat(),
                label=_quarter_label(quarter),
                values=[counts.get((quarter, False), 0), counts.get((quarter, True), 0)],
            )
            for quarter in quarters
        ],
        category=_("Quartal"),
    )


def decision_days(today: date) -> tuple[Figure, float | None]:
    """The median of whole days from the latest submission to the decision,
    per month of the decision, and over all twelve months. Decisions without
    a recorded submission time are left out."""
    months = last_months(today)
    rows = _decision_events(months[0]).values_list("created_at", "assessment__submitted_at")
    by_month: dict[date, list[int]] = defaultdict(list)
    for decided_at, submitted_at in rows:
        if submitted_at is None:
            continue
        decided_on = timezone.localdate(decided_at)
        days = (decided_on - timezone.localdate(submitted_at)).days
        if days >= 0:
            by_month[_month_start(decided_on)].append(days)
    everything = [days for values in by_month.values() for days in values]
    bars = []
    for month in months:
        values = by_month.get(month, [])
        bars.append(
            Bar(
                key=month.isoformat(),
                label=_month_label(month),
                long_label=_month_long_label(month),
                values=[statistics.median(values) if values else 0],
                extra=[len(values)],
                empty=not values,
            )
        )
    figure = Figure(
        key="durations",
        title=_("Tage von der Einreichung bis zur Entscheidung"),
        description=_("Median der Tage von der letzten Einreichung bis zur Entscheidung, je Monat der Entscheidung."),
        series=[_("Median in Tagen")],
        bars=bars,
        category=_("Monat"),
        extra=[_("Entscheidungen")],
    )
    return figure, (statistics.median(everything) if everything else None)


def office_dashboard(today: date | None = None) -> Dashboard:
    """Every figure of the dashboard: four queries."""
    today = today or timezone.localdate()
    states = assessments_by_state()
    decisions = decisions_per_month(today)
    seals = seals_ending_per_quarter(today)
    durations, median_days = decision_days(today)
    open_values = {state.value for state in OPEN_STATES}
    return Dashboard(
        today=today,
        states=states,
        decisions=decisions,
        seals=seals,
        durations=durations,
        open_assessments=int(sum(bar.total for bar in states.bars if bar.key in open_values)),
        decisions_total=int(decisions.total),
        median_days=median_days,
        seals_due=int(sum(bar.values[0] for bar in seals.bars)),
    )
