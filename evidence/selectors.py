"""Reads of the document library."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from evidence.models import Evidence, EvidenceGrantLog


def documents_available_to(familienzentrum) -> QuerySet[Evidence]:
    """Documents a centre may link: its own and those partners granted to it."""
    return Evidence.objects.filter(
        Q(owner_familienzentrum=familienzentrum)
        | Q(grants__familienzentrum=familienzentrum, grants__revoked_at__isnull=True)
    ).distinct()


def library_documents(partner) -> QuerySet[Evidence]:
    """A partner's own documents with their revisions and grants."""
    return (
        Evidence.objects.filter(owner_partner=partner)
        .prefetch_related("revisions", "grants__familienzentrum")
        .order_by("title")
    )


def grant_log(partner, limit: int = 50) -> QuerySet[EvidenceGrantLog]:
    """The latest grants and revocations of a partner's documents."""
    return (
        EvidenceGrantLog.objects.filter(evidence__owner_partner=partner)
        .select_related("evidence", "familienzentrum", "actor")
        .order_by("-created_at")[:limit]
    )
