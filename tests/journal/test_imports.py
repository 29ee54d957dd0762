"""Importing a journal from CSV and XLSX: all or nothing, every bad row and
field named with the row number the spreadsheet shows (header = row 1)."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime

import pytest
from django.core.exceptions import PermissionDenied

from journal import imports
from journal.imports import ImportRefused, import_journal
from journal.models import JournalEntry, JournalSession, JournalTag, OfferKind, Recurrence, TargetGroup
from tests.factories import EinrichtungFactory, FamilienzentrumFactory, MembershipFactory, UserFactory
from tests.journal.io_helpers import csv_file, upload_of, xlsx_file

TODAY = date(2026, 12, 2)

GOOD = [
    {
        "Titel": "Eltern-Kind-Gruppe",
        "Art": "Gruppe oder Treff",
        "Datum": "13.01.2026",
        "Wiederholung": "wöchentlich",
        "bis": "14.07.2026",
        "Zielgruppe": "Eltern mit Kindern unter 3 Jahren",
        "Teilnehmende": "9",
        "Kriterien": "1.3",
    },
    {
        "Titel": "Kinderkurs Bewegung",
        "Art": "Kurs",
        "Wiederholung": "einzelne Termine",
        "Termine": "03.03.2026, 10.03.2026; 2026-03-17",
        "Zielgruppe": "Kinder",
        "Kriterien": "4B1, 4b2",
        "Notiz": "mit externer Kursleitung",
    },
    {"Titel": "Familienfest", "Art": "event", "Datum": "2026-06-20", "Kriterien": "4B2"},
]


def run(user, centre, upload):
    return import_journal(user=user, familienzentrum=centre, upload=upload, today=TODAY)


def messages_of(refused: ImportRefused) -> list[str]:
    return [str(problem) for problem in refused.problems]


def counts():
    return JournalEntry.objects.count(), JournalSession.objects.count(), JournalTag.objects.count()


def test_a_good_file_is_imported_with_its_sessions_and_criteria(centre, alice, catalogue):
    result = run(alice, centre, csv_file(GOOD))

    assert (result.entries, result.sessions) == (3, 27 + 3 + 1)
    group, course, party = JournalEntry.objects.filter(familienzentrum=centre).order_by("first_date")
    assert (group.kind, group.recurrence, group.target_group) == (
        OfferKind.GROUP,
        Recurrence.WEEKLY,
        TargetGroup.PARENTS_UNDER_THREE,
    )
    assert group.participants == 9 and group.created_by == alice
    assert (group.first_date, group.last_date) == (date(2026, 1, 13), date(2026, 7, 14))
    assert course.recurrence == Recurrence.DATES
    assert list(course.sessions.values_list("date", flat=True)) == [
        date(2026, 3, 3),
        date(2026, 3, 10),
        date(2026, 3, 17),
    ]
    # Codes are matched without regard to case.
    assert sorted(course.tags.values_list("criterion_code", flat=True)) == ["4B1", "4B2"]
    assert course.note == "mit externer Kursleitung"
    assert (party.kind, party.recurrence, party.target_group) == (OfferKind.EVENT, Recurrence.ONCE, "families")


def test_two_bad_rows_are_both_named_and_nothing_is_written(centre, alice, catalogue):
    rows = [
        GOOD[0],
        {**GOOD[2], "Teilnehmende": "-4"},
        GOOD[1],
        {**GOOD[2], "Titel": "Vortrag", "Kriterien": "9.99", "Datum": "31.02.2026"},
    ]
    before = counts()

    with pytest.raises(ImportRefused) as refused:
        run(alice, centre, csv_file(rows))

    assert counts() == before
    problems = messages_of(refused.value)
    assert any(text.startswith("Zeile 3, Teilnehmende:") for text in problems), problems
    assert any(text.startswith("Zeile 5, Datum:") for text in problems), problems
    assert any(text.startswith("Zeile 5, Kriterien:") and "9.99" in text for text in problems), problems
    assert not any(text.startswith(("Zeile 2", "Zeile 4")) for text in problems)


@pytest.mark.parametrize(
    ("cells", "column", "words"),
    [
        # A date outside every review year the journal keeps.
        ({"Datum": "01.06.2024"}, "Datum", "außerhalb der Prüfjahre"),
        ({"Datum": "01.06.2029"}, "Datum", "außerhalb der Prüfjahre"),
        (
            {"Wiederholung": "einzelne Termine", "Termine": "03.03.2026, 01.03.2030", "Datum": ""},
            "Termine",
            "außerhalb",
        ),
        # A series without dates.
        ({"Wiederholung": "einzelne Termine", "Datum": "", "Termine": ""}, "Termine", "mindestens ein Datum"),
        ({"Wiederholung": "wöchentlich", "bis": ""}, "bis", "Enddatum"),
        ({"Wiederholung": "monatlich", "bis": "01.01.2026"}, "bis", "vor dem ersten Termin"),
        ({"Datum": ""}, "Datum", "Datum angeben"),
        # A negative participant count, or none at all.
        ({"Teilnehmende": "-1"}, "Teilnehmende", "zwischen 0"),
        ({"Teilnehmende": "zwölf"}, "Teilnehmende", "keine ganze Zahl"),
        # An unknown criterion code, or none.
        ({"Kriterien": "1.3, 4Z9"}, "Kriterien", "4Z9"),
        ({"Kriterien": ""}, "Kriterien", "mindestens ein Kriterium"),
        ({"Datum": "20/06/2026"}, "Datum", "kein Datum"),
        ({"Termine": "03.03.2026, morgen", "Wiederholung": "einzelne Termine"}, "Termine", "„morgen“"),
        ({"Art": "Picknick"}, "Art", "Picknick"),
        ({"Zielgruppe": "Großeltern"}, "Zielgruppe", "Großeltern"),
        ({"Wiederholung": "täglich"}, "Wiederholung", "Unbekannte Wiederholung"),
        ({"Standort": "Kita Nirgendwo"}, "Standort", "Kita Nirgendwo"),
        ({"Kooperationspartner": "Unbekannter Verein"}, "Kooperationspartner", "Unbekannter Verein"),
        ({"Titel": ""}, "Titel", "Titel"),
        ({"Titel": "x" * 201}, "Titel", "200"),
    ],
)
def test_every_bad_input_is_named_by_row_and_column(centre, alice, catalogue, cells, column, words):
    rows = [GOOD[0], {**GOOD[2], "Wiederholung": "einmalig", **cells}]

    with pytest.raises(ImportRefused) as refused:
        run(alice, centre, csv_file(rows))

    problems = messages_of(refused.value)
    assert any(text.startswith(f"Zeile 3, {column}:") and words in text for text in problems), problems
    assert JournalEntry.objects.count() == 0


def test_row_numbers_count_blank_rows_as_the_spreadsheet_shows_them(centre, alice, catalogue):
    rows = [GOOD[0], {}, {}, {**GOOD[2], "Kriterien": "0.0"}]

    with pytest.raises(ImportRefused) as refused:
        run(alice, centre, csv_file(rows))

    assert [str(problem).split(":")[0] for problem in refused.value.problems] == ["Zeile 5, Kriterien"]


def test_comma_separated_csv_without_bom_and_windows_1252(centre, alice, catalogue):
    rows = [{**GOOD[1], "Titel": "Bewegungskurs für Kinder (Jülich)"}]
    run(alice, centre, csv_file(rows, delimiter=",", bom=False, encoding="cp1252"))

    entry = JournalEntry.objects.get()
    assert entry.title == "Bewegungskurs für Kinder (Jülich)"
    assert entry.sessions.count() == 3


def test_headers_are_matched_without_case_and_in_any_order(centre, alice, catalogue):
    headers = ["kriterien", "TITEL", "datum"]
    run(alice, centre, csv_file([["1.5", "Sprechstunde", "14.01.2026"]], headers=headers))

    entry = JournalEntry.objects.get()
    assert (entry.title, entry.first_date) == ("Sprechstunde", date(2026, 1, 14))


def test_unknown_and_missing_columns_are_refused(centre, alice, catalogue):
    with pytest.raises(ImportRefused) as refused:
        run(alice, centre, csv_file([["Kurs", "01.02.2026"]], headers=["Titel", "Anfang"]))

    problems = messages_of(refused.value)
    assert "Zeile 1: Unbekannte Spalte „Anfang“." in problems
    assert any("Kriterien" in text and text.startswith("Zeile 1:") for text in problems)


def test_a_file_of_headers_only_is_refused(centre, alice, catalogue):
    with pytest.raises(ImportRefused, match="keine Einträge"):
        run(alice, centre, csv_file([]))


def test_too_many_rows_are_refused(centre, alice, catalogue, monkeypatch):
    monkeypatch.setattr(imports, "MAX_IMPORT_ROWS", 2)
    with pytest.raises(ImportRefused, match="höchstens 2"):
        run(alice, centre, csv_file(GOOD))
    assert JournalEntry.objects.count() == 0


def test_a_file_above_the_size_limit_is_refused(centre, alice, catalogue, monkeypatch):
    monkeypatch.setattr(imports, "MAX_IMPORT_BYTES", 100)
    with pytest.raises(ImportRefused, match="größer als"):
        run(alice, centre, csv_file(GOOD))


def test_xlsx_with_date_cells_and_numbers(centre, alice, catalogue):
    rows = [
        {
            "Titel": "Krabbelgruppe",
            "Datum": datetime(2026, 2, 3),
            "Wiederholung": "alle zwei Wochen",
            "bis": datetime(2026, 3, 31),
            "Teilnehmende": 7,
            "Kriterien": "1.3",
        },
        {"Titel": "Vortrag", "Datum": "05.05.2026", "Teilnehmende": 12.0, "Kriterien": "4F2"},
    ]
    result = run(alice, centre, xlsx_file(rows))

    assert result.entries == 2
    group = JournalEntry.objects.get(title="Krabbelgruppe")
    assert group.recurrence == Recurrence.FORTNIGHTLY and group.participants == 7
    assert group.sessions.count() == 5
    assert JournalEntry.objects.get(title="Vortrag").participants == 12


def test_xlsx_bad_rows_are_named_too(centre, alice, catalogue):
    rows = [{"Titel": "A", "Datum": datetime(2020, 1, 1), "Kriterien": "1.3"}, {"Titel": "B", "Kriterien": "1.3"}]
    with pytest.raises(ImportRefused) as refused:
        run(alice, centre, xlsx_file(rows))
    problems = messages_of(refused.value)
    assert [text.split(":")[0] for text in problems] == ["Zeile 2, Datum", "Zeile 3, Datum"]


def test_site_and_partner_by_name_in_a_verbund(alice, catalogue, partner_org):
    second = EinrichtungFactory(name="Kita Zwergenland")
    verbund = FamilienzentrumFactory(name="Verbund", sites=[EinrichtungFactory(name="Kita Sonne"), second])
    leitung = UserFactory()
    MembershipFactory(user=leitung, role="leitung", site=second)
    rows = [{**GOOD[2], "Standort": "kita zwergenland", "Kooperationspartner": partner_org.name}]

    import_journal(user=leitung, familienzentrum=verbund, upload=csv_file(rows), today=TODAY)

    entry = JournalEntry.objects.get()
    assert (entry.site, entry.partner) == (second, partner_org)


def _zip(names) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            archive.writestr(name, "x")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("journal.csv", b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n", "PDF"),
        ("journal.csv", b"\x7fELF\x02\x01\x01" + b"\x00" * 64, "ausführbare Programmdatei"),
        ("journal.csv", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "PNG"),
        ("journal.csv", b"Titel;Kriterien\n\x00\x01\x02\x03binary", "nicht erlaubt oder nicht erkennbar"),
        ("journal.xlsx", b"Titel;Datum;Kriterien\nKurs;01.02.2026;1.3\n", "keine Excel-Arbeitsmappe"),
        ("journal.xlsx", _zip(["readme.txt"]), "ZIP-Archive"),
        ("journal.xlsx", _zip(["[Content_Types].xml", "word/document.xml"]), "DOCX-Datei"),
        ("journal.csv", b"", "leer"),
        ("journal.csv", b"<html><script>alert(1)</script></html>", "HTML"),
    ],
)
def test_files_that_are_no_csv_or_xlsx_are_refused_by_content(centre, alice, catalogue, name, content, words):
    with pytest.raises(ImportRefused) as refused:
        run(alice, centre, upload_of(name, content))

    (problem,) = refused.value.problems
    assert problem.row is None
    assert words in str(problem)
    assert JournalEntry.objects.count() == 0


def test_a_broken_workbook_is_refused(centre, alice, catalogue):
    content = _zip(["[Content_Types].xml", "xl/workbook.xml"])
    with pytest.raises(ImportRefused, match="lässt sich nicht lesen"):
        run(alice, centre, upload_of("journal.xlsx", content))


def test_only_who_keeps_the_journal_may_import(centre, alice, bob, paula, tina, catalogue):
    for user in (bob, paula, tina):
        with pytest.raises(PermissionDenied):
            run(user, centre, csv_file(GOOD))
    assert JournalEntry.objects.count() == 0
