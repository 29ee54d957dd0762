"""Reads of the standing register: a centre's entries with what its page
shows (one query per kind, whatever their number), what lapses before a
day, and what can be relinked when a re-certification starts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import OuterRef, Prefetch, QuerySet, Subquery
from django.utils import timezone

from certification.models import CatalogueVersion, Criterion, Einrichtung, Familienzentrum, Kooperationspartner
from certification.review_year import ReviewYear
from evidence.models import Evidence, EvidenceRevision
from register.models import CooperationAgreement, StaffQualification
from register.validity import EntryStatus, current_review_year, entry_status, is_valid_on


def _latest_revision(document_field: str):
    return EvidenceRevision.objects.filter(evidence=OuterRef(document_field)).order_by("-number").values("pk")[:1]


def qualifications_of(familienzentrum: Familienzentrum) -> QuerySet[StaffQualification]:
    return (
        StaffQualification.objects.filter(familienzentrum=familienzentrum)
        .select_related("site", "certificate")
        .prefetch_related("certificate__revisions")
        .annotate(document_revision_id=Subquery(_latest_revision("certificate_id")))
        .order_by("person", "-completed_on", "pk")
    )


def agreements_of(familienzentrum: Familienzentrum) -> QuerySet[CooperationAgreement]:
    return (
        CooperationAgreement.objects.filter(familienzentrum=familienzentrum)
        .select_related("partner", "document")
        .prefetch_related(Prefetch("sites", queryset=Einrichtung.objects.order_by("name")))
        .annotate(document_revision_id=Subquery(_latest_revision("document_id")))
        .order_by("partner__name", "-signed_on", "pk")
    )


@dataclass(frozen=True)
class Row:
    """An entry with its status as the register shows it."""

    entry: object
    status: EntryStatus

    @property
    def is_agreement(self) -> bool:
        return isinstance(self.entry, CooperationAgreement)


@dataclass(frozen=True)
class Register:
    familienzentrum: Familienzentrum
    today: date
    review_year: ReviewYear
    qualifications: list[Row]
    agreements: list[Row]

    @property
    def attention(self) -> list[Row]:
        return [row for row in self.qualifications + self.agreements if row.status.needs_attention]


def register_of(familienzentrum: Familienzentrum, today: date | None = None) -> Register:
    today = today or timezone.localdate()
    year = current_review_year(today)
    return Register(
        familienzentrum=familienzentrum,
        today=today,
        review_year=year,
        qualifications=[Row(q, entry_status(q, today, year.end)) for q in qualifications_of(familienzentrum)],
        agreements=[Row(a, entry_status(a, today, year.end)) for a in agreements_of(familienzentrum)],
    )


def lapsing(familienzentrum: Familienzentrum, until_day: date | None = None, today: date | None = None) -> list[Row]:
    """What will not be valid on `until_day` (by default the end of the
    current review year) although it is valid today, and what is already
    not valid (lapsed, ended, not counting): soonest first, the rest after."""
    today = today or timezone.localdate()
    until_day = until_day or current_review_year(today).end
    rows = []
    for entry in [*qualifications_of(familienzentrum), *agreements_of(familienzentrum)]:
        if not is_valid_on(entry, until_day):
            rows.append(Row(entry, entry_status(entry, today, until_day)))
    return sorted(rows, key=lambda row: (row.status.until or date.min, str(row.entry)))


def valid_for_recertification(familienzentrum: Familienzentrum, review_year: ReviewYear) -> list[tuple[str, Evidence]]:
    """(criterion code, document) pairs to link when a re-certification of
    `review_year` starts: every entry with a document and criteria that is
    still valid on the review year's last day. Validity is one span from the
    completion or signature on, so an entry valid at the end holds from its
    start through the year. One pair per code and document, by code."""
    pairs: dict[tuple[str, int], tuple[str, Evidence]] = {}
    qualifications = qualifications_of(familienzentrum).filter(certificate__isnull=False)
    agreements = agreements_of(familienzentrum).filter(document__isnull=False)
    for entry, document in [(q, q.certificate) for q in qualifications] + [(a, a.document) for a in agreements]:
        if not is_valid_on(entry, review_year.end):
            continue
        for code in entry.criterion_codes:
            pairs.setdefault((code, document.pk), (code, document))
    return [pairs[key] for key in sorted(pairs, key=lambda key: (_code_key(key[0]), key[1]))]


def _code_key(code: str) -> tuple:
    return tuple((0, int(part)) if part.isdigit() else (1, part) for part in code.replace("-", ".").split("."))


def criteria_choices(today: date) -> list[tuple[str, str]]:
    """(code, label) of the criteria of the newest catalogue version in force,
    in catalogue order: what an entry may be tagged to."""
    catalogue = CatalogueVersion.objects.filter(valid_from__lte=today).order_by("-valid_from", "-loaded_at").first()
    if catalogue is None:
        return []
    criteria = Criterion.objects.filter(catalogue=catalogue).order_by("area__order", "order")
    return [(code, f"{code} {title}") for code, title in criteria.values_list("code", "title")]


def site_choices(familienzentrum: Familienzentrum) -> list[tuple[int, str]]:
    return [(link.site_id, str(link.site)) for link in familienzentrum.site_links.select_related("site")]


def partner_choices() -> list[tuple[int, str]]:
    return list(Kooperationspartner.objects.order_by("name").values_list("pk", "name"))
