"""Exporting a review year's journal as CSV and XLSX: the import's columns,
so an export imported again gives the same entries."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from certification.review_year import ReviewYear
from journal.exports import export_journal, template_file
from journal.imports import HEADERS, import_journal
from journal.models import JournalEntry, OfferKind, Recurrence, TargetGroup
from journal.services import EntryData, record_entry
from tests.factories import EinrichtungFactory, FamilienzentrumFactory, MembershipFactory, UserFactory

TODAY = date(2026, 12, 2)
YEAR = ReviewYear(2026)


@pytest.fixture
def verbund(db, catalogue):
    sites = [EinrichtungFactory(name="Kita Sonne"), EinrichtungFactory(name="Kita Mond")]
    return FamilienzentrumFactory(name="Familienzentrum Sonne & Mond", sites=sites)


@pytest.fixture
def leitung(verbund):
    user = UserFactory(email="leitung.sonne@example.org")
    MembershipFactory(user=user, role="leitung", site=verbund.site_links.first().site)
    return user


def record(user, centre, **fields):
    data = EntryData(**{"criterion_codes": ["1.3"], **fields})
    return record_entry(user=user, familienzentrum=centre, data=data, today=TODAY)


@pytest.fixture
def journal(verbund, leitung, partner_org):
    mond = verbund.site_links.get(site__name="Kita Mond").site
    record(
        leitung,
        verbund,
        title="Eltern-Kind-Gruppe",
        first_date=date(2026, 1, 13),
        recurrence=Recurrence.WEEKLY,
        until=date(2026, 7, 14),
        target_group=TargetGroup.PARENTS_UNDER_THREE,
        participants=9,
        site_id=mond.pk,
    )
    record(
        leitung,
        verbund,
        title="Offene Sprechstunde",
        kind=OfferKind.COUNSELLING,
        first_date=date(2026, 1, 31),
        recurrence=Recurrence.MONTHLY,
        until=date(2027, 1, 31),
        criterion_codes=["1.5"],
        partner_id=partner_org.pk,
        target_group=TargetGroup.PARENTS,
    )
    record(
        leitung,
        verbund,
        title="Kinderkurs; „Bewegung“, draußen",
        kind=OfferKind.COURSE,
        first_date=None,
        recurrence=Recurrence.DATES,
        dates=[date(2026, 7, 21), date(2026, 7, 28), date(2026, 8, 4), date(2026, 8, 11)],
        criterion_codes=["4B1", "4B2"],
        target_group=TargetGroup.CHILDREN,
        participants=0,
        note='=HYPERLINK("http://evil.example")\nzweite Zeile',
    )
    record(
        leitung,
        verbund,
        title="-Vortrag Haushaltsgeld",
        kind=OfferKind.INFORMATION,
        first_date=date(2026, 10, 8),
        criterion_codes=["4F2"],
        recurrence=Recurrence.FORTNIGHTLY,
        until=date(2026, 11, 5),
    )
    # Another review year's offer is not exported with 2026.
    record(leitung, verbund, title="Alt", first_date=date(2025, 3, 3))
    return verbund


def snapshot(centre) -> list[tuple]:
    return sorted(
        (
            entry.title,
            entry.kind,
            entry.recurrence,
            entry.site_id,
            entry.partner_id,
            entry.target_group,
            entry.participants,
            entry.note,
            tuple(entry.tags.values_list("criterion_code", flat=True)),
            tuple(entry.sessions.values_list("date", flat=True)),
        )
        for entry in JournalEntry.objects.filter(familienzentrum=centre)
    )


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_an_export_imported_again_gives_the_same_entries(journal, leitung, file_format):
    filename, content_type, content = export_journal(journal, YEAR, file_format)
    assert filename == f"angebotsjournal-familienzentrum-sonne-mond-2026.{file_format}"
    before = [row for row in snapshot(journal) if row[0] != "Alt"]
    JournalEntry.objects.filter(familienzentrum=journal).delete()

    result = import_journal(
        user=leitung, familienzentrum=journal, upload=SimpleUploadedFile(filename, content), today=TODAY
    )

    assert result.entries == 4
    assert snapshot(journal) == before


def test_the_csv_has_german_headers_labels_and_dates(journal):
    _name, content_type, content = export_journal(journal, YEAR, "csv")
    assert content_type == "text/csv; charset=utf-8"
    assert content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == HEADERS
    by_title = {row[0]: dict(zip(HEADERS, row, strict=True)) for row in rows[1:]}
    assert "Alt" not in by_title
    group = by_title["Eltern-Kind-Gruppe"]
    assert (group["Art"], group["Datum"], group["Wiederholung"], group["bis"]) == (
        "Gruppe oder Treff",
        "13.01.2026",
        "wöchentlich",
        "14.07.2026",
    )
    assert (group["Standort"], group["Zielgruppe"], group["Teilnehmende"]) == (
        "Kita Mond",
        "Eltern mit Kindern unter 3 Jahren",
        "9",
    )
    course = by_title["Kinderkurs; „Bewegung“, draußen"]
    assert course["Termine"] == "21.07.2026, 28.07.2026, 04.08.2026, 11.08.2026"
    assert course["Kriterien"] == "4B1, 4B2"
    # A cell a spreadsheet would evaluate is kept as text.
    assert course["Notiz"].startswith("'=HYPERLINK")
    assert "'-Vortrag Haushaltsgeld" in by_title
    # An entry spanning two review years is exported whole.
    assert by_title["Offene Sprechstunde"]["bis"] == "31.01.2027"


def test_the_xlsx_has_real_dates_and_no_formulas(journal):
    from openpyxl import load_workbook

    _name, content_type, content = export_journal(journal, YEAR, "xlsx")
    assert content_type.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == HEADERS
    group = next(row for row in rows if row[0] == "Eltern-Kind-Gruppe")
    assert group[2].date() == date(2026, 1, 13)
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            assert cell.data_type != "f"


def test_another_year_exports_only_its_entries(journal):
    _name, _type, content = export_journal(journal, ReviewYear(2025), "csv")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))
    # January 2026 is the end of review year 2025's second half: the group
    # (from 13 January) and the counselling hour (from 31 January) belong to both years.
    assert [row[0] for row in rows[1:]] == ["Alt", "Eltern-Kind-Gruppe", "Offene Sprechstunde"]
    _name, _type, content = export_journal(journal, ReviewYear(2027), "csv")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))
    assert [row[0] for row in rows[1:]] == ["Offene Sprechstunde"]


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_the_template_files_import_as_they_are(centre, alice, catalogue, file_format):
    filename, _type, content = template_file(file_format, 2026)

    result = import_journal(
        user=alice, familienzentrum=centre, upload=SimpleUploadedFile(filename, content), today=TODAY
    )

    assert result.entries == 3
    course = JournalEntry.objects.get(title="Kinderkurs Bewegung")
    assert course.sessions.count() == 8
