"""Reads of the offer journal for its pages: the entries of a period (one
query for the rows, one each for their tags), the catalogue and review year
the journal measures against, and the coverage rows with their criteria's
titles."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from certification.models import CatalogueVersion, Criterion, Familienzentrum, Kooperationspartner
from certification.review_year import Period, ReviewYear
from evidence.models import EvidenceRevision
from journal.coverage import RequirementCoverage, coverage_of
from journal.models import JournalEntry, JournalSession, JournalTag
from journal.services import journal_period


def entries_of(
    familienzentrum: Familienzentrum, period: Period | None = None, criterion_code: str | None = None
) -> QuerySet[JournalEntry]:
    """The journal's entries, newest first, each with its site, partner,
    session count, tags and the attachment's latest revision (for the
    download link): a page of them costs two queries, whatever its size.
    With `period`: the entries with a session in it."""
    sessions = JournalSession.objects.filter(entry=OuterRef("pk"))
    if period is not None:
        sessions = sessions.filter(date__gte=period.start, date__lte=period.end)
    # Counted in a subquery, not by a join: the tag filter below would
    # multiply a joined count.
    session_count = sessions.order_by().values("entry").annotate(n=Count("pk")).values("n")
    latest_revision = (
        EvidenceRevision.objects.filter(evidence=OuterRef("attachment_id")).order_by("-number").values("pk")[:1]
    )
    entries = (
        JournalEntry.objects.filter(familienzentrum=familienzentrum)
        .select_related("site", "partner", "attachment")
        .prefetch_related(Prefetch("tags", queryset=JournalTag.objects.order_by("criterion_code")))
        .annotate(
            session_count=Coalesce(Subquery(session_count), 0),
            attachment_revision_id=Subquery(latest_revision),
        )
        .order_by("-first_date", "-pk")
    )
    if period is not None:
        entries = entries.filter(first_date__lte=period.end, last_date__gte=period.start).filter(
            Q(pk__in=JournalSession.objects.filter(date__gte=period.start, date__lte=period.end).values("entry_id"))
        )
    if criterion_code:
        entries = entries.filter(pk__in=JournalTag.objects.filter(criterion_code=criterion_code).values("entry_id"))
    return entries


def catalogue_for_journal(familienzentrum: Familienzentrum, today: date) -> CatalogueVersion | None:
    """The newest catalogue version valid today: the journal tags criteria by
    code, so every centre measures against the scheme in force (the
    centre is named for when that comes to depend on its cycle)."""
    return CatalogueVersion.objects.filter(valid_from__lte=today).order_by("-valid_from", "-loaded_at").first()


def review_year_for_journal(today: date) -> ReviewYear:
    """The review year the journal opens on. January belongs to the previous
    review year's second half and to this one's first; the page opens on
    the calendar year's and `?jahr=` switches (journal_years)."""
    return ReviewYear(today.year)


def journal_years(today: date) -> list[ReviewYear]:
    """The review years a journal page may show: those inside the period
    the journal keeps (journal.services.journal_period)."""
    kept = journal_period(today)
    return [ReviewYear(year) for year in range(kept.start.year, kept.end.year + 1) if ReviewYear(year).end <= kept.end]


def criteria_choices(catalogue: CatalogueVersion | None, allowed_codes: set[str] | None = None) -> list[Criterion]:
    """The catalogue's criteria an entry may be tagged to, in catalogue order, with their area."""
    if catalogue is None:
        return []
    criteria = Criterion.objects.filter(catalogue=catalogue).select_related("area").order_by("area__order", "order")
    if allowed_codes is not None:
        criteria = criteria.filter(code__in=allowed_codes)
    return list(criteria)


def partners_for_journal(familienzentrum: Familienzentrum) -> QuerySet[Kooperationspartner]:
    """The partners an entry of this centre may name: those already named in
    its journal and those sharing documents with it. Never the whole
    register: that would show every Träger's partners."""
    named = JournalEntry.objects.filter(familienzentrum=familienzentrum, partner__isnull=False).values("partner_id")
    sharing = familienzentrum.evidence_grants.filter(
        revoked_at__isnull=True, evidence__owner_partner__isnull=False
    ).values("evidence__owner_partner_id")
    return Kooperationspartner.objects.filter(Q(pk__in=named) | Q(pk__in=sharing)).order_by("name")


@dataclass(frozen=True)
class CoverageRow:
    coverage: RequirementCoverage
    criterion: Criterion | None


def coverage_rows(
    familienzentrum: Familienzentrum, catalogue: CatalogueVersion | None, year: ReviewYear, today: date
) -> list[CoverageRow]:
    """The coverage of every frequency of the catalogue, with the criterion
    (for its title) of each: four queries."""
    if catalogue is None:
        return []
    coverage = coverage_of(familienzentrum, catalogue, year, today)
    criteria = {
        criterion.code: criterion
        for criterion in Criterion.objects.filter(
            catalogue=catalogue, code__in={row.criterion_code for row in coverage}
        )
    }
    return [CoverageRow(row, criteria.get(row.criterion_code)) for row in coverage]
