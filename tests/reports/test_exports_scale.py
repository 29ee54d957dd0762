"""The export of every assessment grows linearly, proven by its structure
rather than by timings (`make bench` times it): one query whatever the
number of rows, rows streamed from a database iterator into the XLSX
writer of reports.xlsx (which never looks back at the rows written, unlike
the old `sheet.max_row` per row), and the CSV and XLSX sharing one row builder."""

from __future__ import annotations

import csv
import io
import itertools
import types
from datetime import date, datetime
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assessments.models import Assessment, AssessmentKind, AssessmentState
from certification.models import CatalogueVersion, FamilienzentrumForm, Guetesiegel
from reports import exports
from tests.factories import FamilienzentrumFactory, UserFactory

_numbers = itertools.count(1)


@pytest.fixture
def catalogue_version(db):
    return CatalogueVersion.objects.create(
        code="gfz",
        version="2020.1",
        title="Katalog",
        valid_from=date(2020, 8, 1),
        source_name="gfz.yaml",
        source_sha256="0" * 64,
    )


def populate(catalogue, count: int) -> None:
    """`count` assessments of every shape the row builder reads: with and
    without reviewers, seal and submission time, Verbund and single site."""
    creator = UserFactory()
    reviewer = UserFactory(full_name="Rita Gutachterin")
    second = UserFactory(full_name="", email=f"zweit{next(_numbers)}@example.org")
    for index in range(count):
        number = next(_numbers)
        centre = FamilienzentrumFactory(
            name=f"Familienzentrum {number:04d}",
            form=FamilienzentrumForm.VERBUND if index % 3 == 0 else FamilienzentrumForm.SINGLE,
            certification_number=f"FZ-{number:05d}",
        )
        seal = None
        if index % 2 == 0:
            seal = Guetesiegel.objects.create(
                familienzentrum=centre,
                number=f"GS-{number:05d}",
                valid_from=date(2024, 8, 1),
                valid_until=date(2028, 7, 31),
                snapshot_sha256="0" * 64,
            )
        Assessment.objects.create(
            familienzentrum=centre,
            catalogue=catalogue,
            kind=AssessmentKind.RECERTIFICATION if seal else AssessmentKind.FIRST,
            state=AssessmentState.CERTIFIED if seal else AssessmentState.IN_REVIEW,
            reviewer=reviewer if index % 4 else None,
            second_reviewer=second if seal else None,
            seal=seal,
            submitted_at=datetime(2026, 3, 1, 23, 30, tzinfo=ZoneInfo("Europe/Berlin")) if index % 5 else None,
            review_period_start=date(2026, 1, 1),
            review_period_end=date(2027, 1, 31),
            created_by=creator,
        )


def read_csv(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))


def xlsx_rows(content: bytes, sheet: str = "Selbstbewertungen") -> list[tuple]:
    return list(openpyxl.load_workbook(io.BytesIO(content))[sheet].iter_rows(values_only=True))


def test_the_row_builder_is_a_generator_that_reads_nothing_before_it_is_asked(catalogue_version):
    populate(catalogue_version, 3)
    with CaptureQueriesContext(connection) as before:
        rows = exports.all_assessments_rows()
    assert isinstance(rows, types.GeneratorType)
    assert len(before.captured_queries) == 0
    with CaptureQueriesContext(connection) as reading:
        first = next(rows)
        rest = list(rows)
    assert len(reading.captured_queries) == 1
    assert len(rest) == 2 and len(first) == 16


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_one_query_at_one_and_two_times_the_population(catalogue_version, fmt):
    populate(catalogue_version, 6)
    with CaptureQueriesContext(connection) as single:
        small = exports.all_assessments_export(fmt)
    populate(catalogue_version, 6)
    with CaptureQueriesContext(connection) as double:
        large = exports.all_assessments_export(fmt)
    assert len(single.captured_queries) == len(double.captured_queries) == 1
    rows = read_csv if fmt == "csv" else xlsx_rows
    assert len(rows(small)) == 1 + 6 and len(rows(large)) == 1 + 12


def test_the_xlsx_reads_back_with_its_formats(catalogue_version):
    """reports.xlsx writes the format by hand: openpyxl reads it back with
    the header bold and frozen, dates as dates, widths and the filter."""
    populate(catalogue_version, 4)
    workbook = openpyxl.load_workbook(io.BytesIO(exports.all_assessments_export("xlsx")))
    sheet = workbook["Selbstbewertungen"]
    assert sheet.max_row == 1 + 4
    assert sheet["A1"].font.b and sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:P5"
    assert sheet.column_dimensions["A"].width == 36
    created = sheet.cell(row=2, column=10)
    assert isinstance(created.value, datetime) and created.number_format == "DD.MM.YYYY"
    assert workbook["Info"]["A1"].value == "Exportiert am" and workbook["Info"]["A1"].font.b


def test_the_writers_take_rows_from_a_one_shot_iterator():
    table = exports.Table(title="Test", headers=["a", "b"], rows=iter([["x", 1], ["y", 2]]), wrap=False)
    assert xlsx_rows(exports.to_xlsx(table), "Test") == [("a", "b"), ("x", 1), ("y", 2)]
    table = exports.Table(title="Test", headers=["a", "b"], rows=(row for row in [["x", 1], ["=y", 2]]))
    assert read_csv(exports.to_csv(table)) == [["a", "b"], ["x", "1"], ["'=y", "2"]]


def _as_csv_text(value) -> str:
    """An XLSX cell as the CSV writes it."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%d.%m.%Y")
    return exports._csv_cell(value)


def test_xlsx_and_csv_hold_the_same_rows(catalogue_version):
    populate(catalogue_version, 10)
    csv_rows = read_csv(exports.all_assessments_export("csv"))
    sheet_rows = xlsx_rows(exports.all_assessments_export("xlsx"))
    assert [list(row) for row in sheet_rows[:1]] == csv_rows[:1]
    assert [[_as_csv_text(value) for value in row] for row in sheet_rows[1:]] == csv_rows[1:]
    by_centre = {row[0]: dict(zip(csv_rows[0], row, strict=True)) for row in csv_rows[1:]}
    first = by_centre[min(by_centre)]
    # index 0: a Verbund with a seal, no reviewer, no submission time.
    assert first["Form"] == "Verbund" and first["Status"] == "zertifiziert"
    assert first["Gütesiegel gültig bis"] == "31.07.2028" and first["Gutachter:in"] == ""
    assert first["Zweitgutachter:in"].startswith("zweit")  # no name: the address, as str(user)
    assert first["zuletzt eingereicht am"] == ""
    second = by_centre[sorted(by_centre)[1]]
    assert second["Gutachter:in"] == "Rita Gutachterin" and second["Verfahren"] == "Erstzertifizierung"
    # 23:30 in Berlin on 1 March is 1 March, whatever UTC says.
    assert second["zuletzt eingereicht am"] == "01.03.2026"


def test_xlsx_cells_are_typed(catalogue_version):
    populate(catalogue_version, 2)
    workbook = openpyxl.load_workbook(io.BytesIO(exports.all_assessments_export("xlsx")))
    sheet = workbook["Selbstbewertungen"]
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:P3"
    assert sheet["A1"].font.b
    assert sheet.column_dimensions["A"].width == 36
    seal_from = sheet["O2"]
    assert seal_from.is_date and seal_from.number_format == "DD.MM.YYYY"
    assert workbook["Info"]["A1"].value == "Exportiert am"


def test_a_centre_named_like_a_formula_stays_text(catalogue_version):
    centre = FamilienzentrumFactory(name='=HYPERLINK("http://evil.example","x")')
    Assessment.objects.create(
        familienzentrum=centre,
        catalogue=catalogue_version,
        kind=AssessmentKind.FIRST,
        review_period_start=date(2026, 1, 1),
        review_period_end=date(2027, 1, 31),
        created_by=UserFactory(),
    )
    sheet = openpyxl.load_workbook(io.BytesIO(exports.all_assessments_export("xlsx")))["Selbstbewertungen"]
    assert sheet["A2"].data_type == "s" and sheet["A2"].value == centre.name
    assert read_csv(exports.all_assessments_export("csv"))[1][0] == "'" + centre.name
