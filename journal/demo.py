"""A year of a demo centre's offer journal (seed_demo): the review year of
`today`, with one gap to find: the children's course of the second half-year
(4B1) has only 6 of its 8 sessions."""

from __future__ import annotations

from datetime import date

from django.core.files.uploadedfile import SimpleUploadedFile

from certification.models import Familienzentrum, Kooperationspartner
from journal.models import JournalEntry, OfferKind, Recurrence, TargetGroup
from journal.services import EntryData, known_criterion_codes, record_entry


def _attendance_list_pdf(title: str) -> bytes:
    # WeasyPrint makes a real PDF, so the evidence file checks see one.
    from weasyprint import HTML

    return HTML(string=f"<h1>Teilnahmeliste</h1><p>{title}</p>").write_pdf()


def demo_entries(year: int, partner_id: int | None) -> list[EntryData]:
    def series(title, kind, codes, first, until, recurrence=Recurrence.WEEKLY, **more):
        return EntryData(
            title=title, kind=kind, criterion_codes=codes, first_date=first, until=until, recurrence=recurrence, **more
        )

    return [
        # 1.3: weekly, with the summer closing weeks as its gap.
        series(
            "Eltern-Kind-Gruppe „Krabbelkäfer“",
            OfferKind.GROUP,
            ["1.3"],
            date(year, 1, 6),
            date(year, 7, 14),
            target_group=TargetGroup.PARENTS_UNDER_THREE,
            participants=9,
        ),
        series(
            "Eltern-Kind-Gruppe „Krabbelkäfer“ (nach den Sommerferien)",
            OfferKind.GROUP,
            ["1.3"],
            date(year, 8, 11),
            date(year + 1, 1, 26),
            target_group=TargetGroup.PARENTS_UNDER_THREE,
            participants=8,
        ),
        # 1.5: monthly, with the counselling centre.
        series(
            "Offene Sprechstunde der Erziehungsberatung",
            OfferKind.COUNSELLING,
            ["1.5"],
            date(year, 1, 14),
            date(year + 1, 1, 14),
            recurrence=Recurrence.MONTHLY,
            partner_id=partner_id,
            target_group=TargetGroup.PARENTS,
        ),
        # 4B1: 8 sessions in the first half, only 6 in the second (the gap).
        series(
            "Bewegungskurs „Kleine Entdecker“",
            OfferKind.COURSE,
            ["4B1"],
            date(year, 2, 3),
            date(year, 3, 24),
            partner_id=partner_id,
            target_group=TargetGroup.CHILDREN,
            participants=11,
        ),
        series(
            "Forscherkurs „Wasser und Luft“",
            OfferKind.COURSE,
            ["4B1"],
            date(year, 9, 8),
            date(year, 10, 13),
            partner_id=partner_id,
            target_group=TargetGroup.CHILDREN,
            participants=10,
        ),
        # 4B2: a weekend offer in each half.
        EntryData(
            title="Familien-Samstag im Wald",
            kind=OfferKind.EVENT,
            criterion_codes=["4B2"],
            first_date=date(year, 5, 9),
            participants=34,
        ),
        EntryData(
            title="Laternenbasteln am Samstag",
            kind=OfferKind.EVENT,
            criterion_codes=["4B2"],
            first_date=date(year, 11, 7),
            participants=41,
        ),
        # 4F2: the yearly offer on household budgets.
        EntryData(
            title="Workshop „Mit dem Haushaltsgeld auskommen“",
            kind=OfferKind.INFORMATION,
            criterion_codes=["4F2"],
            first_date=date(year, 3, 18),
            target_group=TargetGroup.PARENTS,
            participants=12,
        ),
    ]


def seed_journal(familienzentrum: Familienzentrum, user, today: date) -> int:
    """The demo journal of `today`'s review year; nothing when the centre
    already keeps one (so seed_demo stays idempotent). Returns the entries made."""
    if JournalEntry.objects.filter(familienzentrum=familienzentrum).exists():
        return 0
    partner = Kooperationspartner.objects.order_by("pk").first()
    known = known_criterion_codes()
    made = 0
    for data in demo_entries(today.year, partner.pk if partner else None):
        if not set(data.criterion_codes) <= known:
            continue  # no catalogue loaded, or one without this criterion
        upload = None
        if data.kind == OfferKind.COURSE:
            upload = SimpleUploadedFile(
                "teilnahmeliste.pdf", _attendance_list_pdf(data.title), content_type="application/pdf"
            )
        record_entry(user=user, familienzentrum=familienzentrum, data=data, upload=upload, today=today)
        made += 1
    return made
