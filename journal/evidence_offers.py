"""The journal's entries as the assessment offers them for evidence: per
criterion code, the entries with a session in a period, with what an
evidence line names (title, kind, the dates in the period, participants,
site, partner, the attachment's evidence id). One query: the sessions in the
period joined to their entry, its site, partner and tags."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from certification.models import Familienzentrum
from certification.review_year import Period
from journal.models import JournalSession


@dataclass(frozen=True)
class OfferedEntry:
    entry_id: int
    title: str
    kind: str
    recurrence: str
    target_group: str
    # Only the sessions inside the period asked for, in order.
    dates: tuple[date, ...]
    participants: int | None
    site_id: int | None
    site: str
    partner_id: int | None
    partner: str
    attachment_id: int | None


def entries_for_review(
    familienzentrum: Familienzentrum, period: Period, criterion_codes=None
) -> dict[str, list[OfferedEntry]]:
    """Per criterion code, the centre's entries tagged to it with at least
    one session in `period`, oldest first; each with its sessions in the
    period only. `criterion_codes` limits the codes (a checklist page needs
    its own area's)."""
    sessions = JournalSession.objects.filter(
        entry__familienzentrum=familienzentrum, date__gte=period.start, date__lte=period.end
    )
    if criterion_codes is not None:
        sessions = sessions.filter(entry__tags__criterion_code__in=list(criterion_codes))
    # A row per session and tag: entries carry one or two tags, so joining
    # them costs less than a second round trip.
    rows = sessions.values_list(
        "entry_id",
        "date",
        "entry__tags__criterion_code",
        "entry__title",
        "entry__kind",
        "entry__recurrence",
        "entry__target_group",
        "entry__participants",
        "entry__site_id",
        "entry__site__name",
        "entry__partner_id",
        "entry__partner__name",
        "entry__attachment_id",
    ).order_by("entry__first_date", "entry_id", "date")
    dates: dict[int, set[date]] = defaultdict(set)
    details: dict[int, tuple] = {}
    codes_of: dict[int, list[str]] = defaultdict(list)
    for entry_id, day, code, *rest in rows:
        if code is None:
            continue  # an untagged entry serves no criterion
        dates[entry_id].add(day)
        details.setdefault(entry_id, tuple(rest))
        if code not in codes_of[entry_id]:
            codes_of[entry_id].append(code)
    result: dict[str, list[OfferedEntry]] = defaultdict(list)
    for entry_id, rest in details.items():
        title, kind, recurrence, target_group, participants, site_id, site, partner_id, partner, attachment = rest
        offered = OfferedEntry(
            entry_id=entry_id,
            title=title,
            kind=kind,
            recurrence=recurrence,
            target_group=target_group,
            dates=tuple(sorted(dates[entry_id])),
            participants=participants,
            site_id=site_id,
            site=site or "",
            partner_id=partner_id,
            partner=partner or "",
            attachment_id=attachment,
        )
        for code in codes_of[entry_id]:
            result[code].append(offered)
    return dict(result)
