"""The hand-written XLSX writer: what openpyxl (and so a spreadsheet) reads
back from it, including the text a user may type."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime

import openpyxl

from reports.xlsx import Sheet, column_letter, write_workbook


def read_back(sheets):
    buffer = io.BytesIO()
    write_workbook(buffer, sheets)
    return openpyxl.load_workbook(io.BytesIO(buffer.getvalue())), buffer.getvalue()


def test_values_come_back_as_their_types_and_text_stays_text():
    rows = [
        ['=HYPERLINK("http://x")', 3, 2.5, date(2026, 7, 31), datetime(2026, 8, 1, 13, 30), None, True],
        ["<b>&amp; \"quoted\" 'single'</b>", -1, 0, date(1900, 3, 1), datetime(2027, 1, 31, 0, 0), "", False],
    ]
    workbook, _ = read_back([Sheet("Daten", ["Text", "Zahl", "Dezimal", "Datum", "Zeit", "leer", "ja/nein"], rows)])
    sheet = workbook["Daten"]
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[0] == ["Text", "Zahl", "Dezimal", "Datum", "Zeit", "leer", "ja/nein"]
    assert values[1] == [
        '=HYPERLINK("http://x")',
        3,
        2.5,
        datetime(2026, 7, 31),
        datetime(2026, 8, 1, 13, 30),
        None,
        True,
    ]
    assert sheet["A2"].data_type == "s"  # never a formula
    assert values[2][0] == "<b>&amp; \"quoted\" 'single'</b>"
    assert values[2][1:5] == [-1, 0, datetime(1900, 3, 1), datetime(2027, 1, 31)]


def test_characters_xml_cannot_hold_are_dropped_and_spaces_kept():
    workbook, _ = read_back([Sheet("T", ["a"], [["  zwei\x00\x0b Leerzeichen\nund Zeile  "]])])
    assert workbook["T"]["A2"].value == "  zwei Leerzeichen\nund Zeile  "


def test_sheet_names_follow_excels_rules_and_a_sheet_may_have_no_header():
    workbook, content = read_back(
        [
            Sheet("Selbstbewertungen: alle [2026] / Stand?", ["a", "b"], [["x", 1]], wrap=True),
            Sheet("Info", (), [("Exportiert am", "01.12.2026")], freeze_header=False, autofilter=False),
        ]
    )
    assert workbook.sheetnames == ["Selbstbewertungen- alle -2026- ", "Info"]  # 31 characters
    first, info = workbook.worksheets
    assert first["A2"].alignment.wrap_text
    assert info.max_row == 1 and info["A1"].value == "Exportiert am"
    assert zipfile.ZipFile(io.BytesIO(content)).testzip() is None


def test_column_letters():
    assert [column_letter(n) for n in (1, 16, 26, 27, 52, 703)] == ["A", "P", "Z", "AA", "AZ", "AAA"]
