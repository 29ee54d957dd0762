"""Reads of the offer journal for its pages: the entries of a period (one
query for the rows, one for their tags), the catalogue and review year the
journal measures against, the criteria an entry may name, the partners it
may name."""

from __future__ import annotations

from datetime import date

from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from certification.models import CatalogueVersion, Criterion, Familienzentrum, Kooperationspartner
from certification.review_year import Period, ReviewYear
from certification.templatetags.catalogue_tags import localized
from evidence.models import EvidenceRevision
from journal.models import JournalEntry, JournalSession, JournalTag
from journal.services import journal_period


def entries_of(
    familienzentrum: Familienzentrum, period: Period | None = None, criterion_code: str | None = None
) -> QuerySet[JournalEntry]:
    """The journal's entries, newest first, each with its site, partner,
    number of sessions, tags and the attachment's latest revision (for the
    download link): a page of them costs two queries, whatever its size.
    With `period`: the entries with a session in it, counting those."""
    sessions = JournalSession.objects.filter(entry=OuterRef("pk"))
    if period is not None:
        sessions = sessions.filter(date__gte=period.start, date__lte=period.end)
    # Counted in a subquery, not over a join: a join with the tags would
    # multiply the count.
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
            all_sessions=Coalesce(
                Subquery(
                    JournalSession.objects.filter(entry=OuterRef("pk"))
                    .order_by()
                    .values("entry")
                    .annotate(n=Count("pk"))
                    .values("n")
                ),
                0,
            ),
            attachment_revision_id=Subquery(latest_revision),
        )
        .order_by("-first_date", "-pk")
    )
    if period is not None:
        # first/last date narrow it on the index; a session inside decides
        # (a monthly series may jump over a short period).
        entries = entries.filter(first_date__lte=period.end, last_date__gte=period.start, session_count__gt=0)
    if criterion_code:
        entries = entries.filter(pk__in=JournalTag.objects.filter(criterion_code=criterion_code).values("entry_id"))
    return entries


def catalogue_for_journal(familienzentrum: Familienzentrum | None, today: date) -> CatalogueVersion | None:
    """The newest catalogue version valid today. Entries name criteria by
    code, so one journal outlives versions; the centre is named for when
    the version comes to depend on its cycle."""
    return CatalogueVersion.objects.filter(valid_from__lte=today).order_by("-valid_from", "-loaded_at").first()


def journal_years(today: date) -> list[int]:
    """The review years a journal page may show: those inside the days the
    journal keeps (journal.services.journal_period)."""
    kept = journal_period(today)
    return [year for year in range(kept.start.year, kept.end.year + 1) if ReviewYear(year).period.end <= kept.end]


def review_year_for_journal(today: date, requested: str | None = None) -> ReviewYear:
    """The review year the page shows: `?jahr=` when it names one the
    journal keeps, else the calendar year's. A January day lies in the
    previous review year's second half too; the page opens on the new
    year, whose first half has just begun, and offers the other."""
    years = journal_years(today)
    if requested and requested.isascii() and requested.isdigit() and int(requested) in years:
        return ReviewYear(int(requested))
    return ReviewYear(today.year)


def journal_criteria(catalogue: CatalogueVersion | None, allowed_codes: set[str] | None = None) -> list[Criterion]:
    """The catalogue's criteria an entry may be tagged to (or only those of
    `allowed_codes`, a partner's invitation), in catalogue order: one query."""
    if catalogue is None:
        return []
    criteria = Criterion.objects.filter(catalogue=catalogue).select_related("area").order_by("area__order", "order")
    if allowed_codes is not None:
        criteria = criteria.filter(code__in=allowed_codes)
    return list(criteria)


def criteria_choices(criteria: list[Criterion]) -> list[tuple[str, str]]:
    """(code, "code title") per criterion, in the reader's language."""
    return [(criterion.code, f"{criterion.code} {localized(criterion, 'title')}") for criterion in criteria]


def partners_for_journal(familienzentrum: Familienzentrum) -> QuerySet[Kooperationspartner]:
    """The partners an entry of this centre may name: those its journal
    already names and those sharing documents with it. Never the whole
    register, which would show every Träger's partners. (Partners invited
    to an assessment add their own entries through the invitation.)"""
    named = JournalEntry.objects.filter(familienzentrum=familienzentrum, partner__isnull=False).values("partner_id")
    sharing = familienzentrum.evidence_grants.filter(
        revoked_at__isnull=True, evidence__owner_partner__isnull=False
    ).values("evidence__owner_partner_id")
    return Kooperationspartner.objects.filter(Q(pk__in=named) | Q(pk__in=sharing)).order_by("name")
