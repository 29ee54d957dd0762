"""The evidence rules of the scheme (shared/DOMAIN.md, "Evidence"), as
warnings the centre and the reviewer see: offers from the review period,
trainings from 6 hours, one- and two-day courses valid for 7 years, the
qualification minimum of a criterion, an expired document. They never block
a submission."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from certification.models import Criterion
from evidence.models import Evidence, EvidenceKind

MIN_TRAINING_HOURS = Decimal("6")

SHORT_COURSE_MAX_HOURS = Decimal("16")  # a course of one or two days

SHORT_COURSE_VALID_YEARS = 7


def evidence_warnings(evidence: Evidence, review_period: tuple[date, date], today: date | None = None) -> list[str]:
    """What the scheme's rules say about one document, for a cycle whose
    review period is `review_period` (first and last day)."""
    period_start, period_end = review_period
    today = today or timezone.localdate()
    warnings = []
    if evidence.kind in (EvidenceKind.OFFER, EvidenceKind.OTHER) and not (
        period_start <= evidence.effective_date <= period_end
    ):
        warnings.append(
            _("Das Datum %(date)s liegt außerhalb des Prüfzeitraums (%(start)s – %(end)s).")
            % {
                "date": evidence.effective_date.strftime("%d.%m.%Y"),
                "start": period_start.strftime("%d.%m.%Y"),
                "end": period_end.strftime("%d.%m.%Y"),
            }
        )
    if evidence.kind == EvidenceKind.QUALIFICATION:
        hours = evidence.training_hours
        if hours is None:
            warnings.append(_("Der Umfang der Fortbildung in Stunden fehlt."))
        elif hours < MIN_TRAINING_HOURS:
            warnings.append(_("Fortbildungen zählen erst ab 6 Stunden (hier %(hours)s).") % {"hours": hours})
        elif hours <= SHORT_COURSE_MAX_HOURS:
            expires = _add_years(evidence.effective_date, SHORT_COURSE_VALID_YEARS)
            if expires < period_end:
                warnings.append(
                    _("Ein- bis zweitägige Fortbildungen gelten 7 Jahre; diese ist vom %(date)s.")
                    % {"date": evidence.effective_date.strftime("%d.%m.%Y")}
                )
    if evidence.valid_until and evidence.valid_until < today:
        warnings.append(_("Gültig bis %(date)s: abgelaufen.") % {"date": evidence.valid_until.strftime("%d.%m.%Y")})
    return warnings


def criterion_warnings(criterion: Criterion, evidences: list[Evidence]) -> list[str]:
    if not criterion.qualification_min_hours:
        return []
    counted = sum(
        (evidence.training_hours or Decimal(0))
        for evidence in evidences
        if evidence.kind == EvidenceKind.QUALIFICATION and (evidence.training_hours or 0) >= MIN_TRAINING_HOURS
    )
    if counted < criterion.qualification_min_hours:
        return [
            _(
                "Nötig ist eine Qualifikation von mindestens %(need)d Stunden; "
                "die verknüpften Nachweise belegen %(have)s."
            )
            % {"need": criterion.qualification_min_hours, "have": counted}
        ]
    return []


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)
