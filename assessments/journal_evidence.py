"""Reads of the offer journal for an assessment: what a checklist card shows
(the coverage of its criterion's frequencies, the entries offered and those
taken over), what readiness warns of, what a submission freezes, and the
line an entry is shown as ("Angebotsjournal: Eltern-Kind-Gruppe, wöchentlich,
24 Termine 5.1.–13.7.2026, 12 Teilnehmende").

The card's reads cost two queries per page, whatever the number of criteria
and entries: the journal's sessions of the review year (journal.evidence_offers)
and the links of the page's criteria. The catalogue's frequencies come from
the process's copy of the catalogue (no query)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from assessments.deadlines import review_year_of
from assessments.models import Assessment, JournalLink
from certification.frequency import Frequency
from certification.models import Criterion, ItemLogic
from certification.review_year import Period
from evidence.models import EvidenceRevision
from journal.coverage import Offer, PartCoverage, Status, measure
from journal.evidence_offers import OfferedEntry, entries_for_review
from journal.models import JournalEntry, Recurrence


@dataclass(frozen=True)
class CoverageLine:
    item_code: str
    requirement: str
    assumption: bool
    parts: tuple[PartCoverage, ...]


@dataclass
class JournalCard:
    coverage: list[CoverageLine] = field(default_factory=list)
    # Entries of the review period tagged to the criterion, not taken over yet.
    offered: list[dict] = field(default_factory=list)
    taken_over: list[dict] = field(default_factory=list)

    @property
    def shown(self) -> bool:
        return bool(self.coverage or self.offered or self.taken_over)

    def fingerprint(self) -> list:
        return [
            [
                (line.item_code, [(part.number, part.status, part.text) for part in line.parts])
                for line in self.coverage
            ],
            [(item["entry_id"], item["line"]) for item in self.offered],
            [(item["entry_id"], item["line"], item.get("outside", False)) for item in self.taken_over],
        ]


def review_period_of(assessment: Assessment) -> Period:
    return Period(assessment.review_period_start, assessment.review_period_end)


# ---------------------------------------------------------------- the line


def _short(day: date) -> str:
    return f"{day.day}.{day.month}."


def date_span(first: date, last: date) -> str:
    if first == last:
        return f"{first.day}.{first.month}.{first.year}"
    if first.year == last.year:
        return f"{_short(first)}–{_short(last)}{last.year}"
    return f"{_short(first)}{first.year}–{_short(last)}{last.year}"


def _recurrence_label(value: str) -> str:
    return str(Recurrence(value).label) if value in Recurrence.values else value


def journal_line(item: dict) -> str:
    """An entry as the evidence lists name it, from its frozen (or live) data."""
    dates = [date.fromisoformat(day) for day in item.get("dates") or []]
    parts = [item.get("title") or "–"]
    if item.get("recurrence"):
        parts.append(_recurrence_label(item["recurrence"]))
    if dates:
        count = ngettext("%(count)d Termin", "%(count)d Termine", len(dates)) % {"count": len(dates)}
        parts.append(f"{count} {date_span(dates[0], dates[-1])}")
    if item.get("participants") is not None:
        parts.append(
            ngettext("%(count)d Teilnehmende:r", "%(count)d Teilnehmende", item["participants"])
            % {"count": item["participants"]}
        )
    if item.get("site"):
        parts.append(_("Standort %(site)s") % {"site": item["site"]})
    if item.get("partner"):
        parts.append(_("mit %(partner)s") % {"partner": item["partner"]})
    return _("Angebotsjournal: %(text)s") % {"text": ", ".join(parts)}


def entry_data(offered: OfferedEntry, revision: EvidenceRevision | None = None) -> dict:
    """An entry as a submission freezes it: its sessions in the review period
    and its attachment's revision (with its sha256, like other evidence)."""
    data = {
        "entry_id": offered.entry_id,
        "title": offered.title,
        "kind": offered.kind,
        "recurrence": offered.recurrence,
        "target_group": offered.target_group,
        "dates": [day.isoformat() for day in offered.dates],
        "participants": offered.participants,
        "site": offered.site,
        "partner": offered.partner,
        "attachment": None,
    }
    if offered.attachment_id:
        data["attachment"] = {"evidence_id": offered.attachment_id}
        if revision is not None:
            data["attachment"].update(
                {
                    "revision_id": revision.pk,
                    "revision": revision.number,
                    "filename": revision.original_name,
                    "sha256": revision.sha256,
                }
            )
    return data


def journal_shown(item: dict) -> dict:
    """A frozen (or live) entry with the line the evidence lists show for it
    and its last session in the period (a date, for the lists' date column)."""
    dates = item.get("dates") or []
    return {**item, "line": journal_line(item), "last_date": date.fromisoformat(dates[-1]) if dates else None}


# ---------------------------------------------------------------- the cards


def _span(assessment: Assessment) -> tuple[Period, Period]:
    """The review year and the review period: what coverage measures and what
    may be taken over (a first certification's period may be one half)."""
    year = review_year_of(assessment)
    return year.period, review_period_of(assessment)


def _coverage_lines(criterion, offers: list[OfferedEntry], assessment: Assessment, today: date) -> list[CoverageLine]:
    year = review_year_of(assessment)
    period = review_period_of(assessment)
    measured = [Offer(item.entry_id, item.title, item.dates) for item in offers]
    lines = []
    for item in criterion.items.all():
        frequency = Frequency.from_data(item.frequency)
        if frequency is None:
            continue
        parts = tuple(
            part
            for part in measure(frequency, measured, year, today)
            if part.number == 0 or period.overlaps(part.period.start, part.period.end)
        )
        lines.append(CoverageLine(item.code, frequency.describe(), frequency.assumption, parts))
    return lines


def journal_cards(assessment: Assessment, criteria, today: date) -> dict[int, JournalCard]:
    """Per criterion id of `criteria`, what its card's journal section shows."""
    criteria = list(criteria)
    year_period, review_period = _span(assessment)
    span = Period(min(year_period.start, review_period.start), max(year_period.end, review_period.end))
    codes = [criterion.code for criterion in criteria]
    offers = entries_for_review(assessment.familienzentrum, span, codes)
    links = list(
        JournalLink.objects.filter(assessment=assessment, criterion_id__in=[c.pk for c in criteria]).values_list(
            "criterion_id", "entry_id"
        )
    )
    linked_by_criterion: dict[int, set[int]] = {}
    for criterion_id, entry_id in links:
        linked_by_criterion.setdefault(criterion_id, set()).add(entry_id)
    cards = {}
    missing: list[tuple[int, int]] = []
    for criterion in criteria:
        in_year = [
            OfferedEntry(**{**item.__dict__, "dates": tuple(day for day in item.dates if day in year_period)})
            for item in offers.get(criterion.code, [])
        ]
        in_period = {
            item.entry_id: OfferedEntry(
                **{**item.__dict__, "dates": tuple(day for day in item.dates if day in review_period)}
            )
            for item in offers.get(criterion.code, [])
        }
        in_period = {entry_id: item for entry_id, item in in_period.items() if item.dates}
        linked = linked_by_criterion.get(criterion.pk, set())
        card = JournalCard(coverage=_coverage_lines(criterion, [i for i in in_year if i.dates], assessment, today))
        for entry_id, item in in_period.items():
            target = card.taken_over if entry_id in linked else card.offered
            target.append(journal_shown(entry_data(item)))
        missing += [(criterion.pk, entry_id) for entry_id in linked if entry_id not in in_period]
        if card.shown or linked:
            cards[criterion.pk] = card
    if missing:
        # Taken over, but no longer in the review period (or no longer tagged):
        # shown so it can be removed; a submission leaves it out.
        titles = dict(JournalEntry.objects.filter(pk__in={e for _c, e in missing}).values_list("pk", "title"))
        for criterion_id, entry_id in missing:
            cards[criterion_id].taken_over.append(
                {
                    "entry_id": entry_id,
                    "line": _("Angebotsjournal: %(title)s") % {"title": titles.get(entry_id, "–")},
                    "outside": True,
                }
            )
    return cards


# ---------------------------------------------------------------- readiness and snapshot


def coverage_warnings(assessment: Assessment, criteria, today: date) -> dict[int, list[str]]:
    """Per criterion id, the frequency requirements of the review year not
    met ("4B1: im 2. Halbjahr fehlt ein Angebot mit mindestens 8 Terminen")."""
    cards = journal_cards(assessment, criteria, today)
    result = {}
    by_pk = {criterion.pk: criterion for criterion in criteria}
    for criterion_id, card in cards.items():
        # Items combined by ODER: one item met in every part is enough.
        if by_pk[criterion_id].logic == ItemLogic.ANY and any(
            all(part.status == Status.MET for part in line.parts) for line in card.coverage
        ):
            continue
        messages = [
            f"{line.item_code}: {part.text}"
            for line in card.coverage
            for part in line.parts
            if part.status != Status.MET
        ]
        if messages:
            result[criterion_id] = messages
    return result


def frozen_journal(assessment: Assessment) -> dict[int, list[dict]]:
    """Per criterion id, the entries taken over with their sessions in the
    review period and their attachment's latest revision: three queries."""
    links = list(JournalLink.objects.filter(assessment=assessment).values_list("criterion_id", "entry_id"))
    if not links:
        return {}
    codes = dict(
        Criterion.objects.filter(pk__in={criterion_id for criterion_id, _e in links}).values_list("pk", "code")
    )
    offers = entries_for_review(assessment.familienzentrum, review_period_of(assessment), set(codes.values()))
    attachment_ids = {item.attachment_id for items in offers.values() for item in items if item.attachment_id}
    latest: dict[int, EvidenceRevision] = {}
    for revision in EvidenceRevision.objects.filter(evidence_id__in=attachment_ids).order_by("evidence_id", "-number"):
        latest.setdefault(revision.evidence_id, revision)
    result: dict[int, list[dict]] = {}
    for criterion_id, entry_id in links:
        item = next((item for item in offers.get(codes[criterion_id], []) if item.entry_id == entry_id), None)
        if item is not None:
            result.setdefault(criterion_id, []).append(entry_data(item, latest.get(item.attachment_id)))
    for items in result.values():
        items.sort(key=lambda data: (data["dates"][:1], data["entry_id"]))
    return result
