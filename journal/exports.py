"""A review year's journal out of the application: CSV and XLSX with the
import's columns (journal.imports.COLUMNS), so an export can be imported
again, the template files of the import page, and what the print view shows
(the coverage and the entries by criterion and half-year).

An entry belongs to the review year when one of its sessions does, and is
exported with all its sessions: imported again, it is the same offer.
Labels are written in German whatever the reader's language, since the
import reads German labels. Cells a spreadsheet would take for a formula
get a leading "'" (the import takes it off again).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date

from django.db.models import Prefetch
from django.utils import translation
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from certification.models import CatalogueVersion, Criterion, Familienzentrum
from certification.review_year import ReviewYear
from journal.coverage import PartCoverage, RequirementCoverage, Status, coverage_of
from journal.imports import HEADERS
from journal.models import JournalEntry, JournalSession, JournalTag, OfferKind, Recurrence, TargetGroup

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# OWASP's list of leading characters that make a spreadsheet evaluate a cell.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
SERIES = (Recurrence.WEEKLY, Recurrence.FORTNIGHTLY, Recurrence.MONTHLY)


def _safe(value):
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _de(value: date) -> str:
    return value.strftime("%d.%m.%Y")


def year_entries(familienzentrum: Familienzentrum, year: ReviewYear):
    """The entries with a session in the review year, oldest first, with
    their sessions, tags, site and partner: four queries."""
    return (
        JournalEntry.objects.filter(
            familienzentrum=familienzentrum,
            sessions__date__gte=year.start,
            sessions__date__lte=year.end,
        )
        .distinct()
        .select_related("site", "partner")
        .prefetch_related(
            Prefetch("sessions", queryset=JournalSession.objects.order_by("date")),
            Prefetch("tags", queryset=JournalTag.objects.order_by("criterion_code")),
        )
        .order_by("first_date", "pk")
    )


def entry_row(entry: JournalEntry, *, dates_as_text: bool) -> list:
    """One entry as the import reads it: a single date, a series from its
    first date to its last, or its single dates listed."""
    dates = [session.date for session in entry.sessions.all()]
    first = dates[0] if dates else entry.first_date
    with translation.override("de"):
        kind = str(OfferKind(entry.kind).label) if entry.kind in OfferKind.values else entry.kind
        recurrence = str(Recurrence(entry.recurrence).label) if entry.recurrence in Recurrence.values else ""
        target = str(TargetGroup(entry.target_group).label) if entry.target_group in TargetGroup.values else ""
    until = dates[-1] if entry.recurrence in SERIES and dates else None
    listed = ", ".join(_de(day) for day in dates) if entry.recurrence == Recurrence.DATES else ""
    row = [
        entry.title,
        kind,
        _de(first) if dates_as_text else first,
        recurrence,
        (_de(until) if dates_as_text else until) if until else "",
        listed,
        entry.site.name if entry.site_id else "",
        entry.partner.name if entry.partner_id else "",
        target,
        "" if entry.participants is None else entry.participants,
        ", ".join(tag.criterion_code for tag in entry.tags.all()),
        entry.note,
    ]
    return [_safe(cell) for cell in row]


def export_filename(familienzentrum: Familienzentrum, year: ReviewYear, extension: str) -> str:
    return f"angebotsjournal-{slugify(familienzentrum.name)[:60] or familienzentrum.pk}-{year.year}.{extension}"


def write_csv(rows) -> bytes:
    """UTF-8 with BOM and ';', as Excel in Germany opens it."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(HEADERS)
    writer.writerows(rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def write_xlsx(rows, title: str = "Angebotsjournal") -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31])
    for column, width in zip("ABCDEFGHIJKL", (40, 22, 12, 18, 12, 30, 24, 30, 24, 12, 16, 40), strict=True):
        sheet.column_dimensions[column].width = width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for text in HEADERS:
        cell = WriteOnlyCell(sheet, value=text)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for row in rows:
        cells = []
        for value in row:
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, date):
                cell.number_format = "DD.MM.YYYY"
            elif isinstance(value, str):
                # Never a formula, whatever the text (openpyxl takes "=..." for one).
                cell.data_type = "s"
            cells.append(cell)
        sheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def export_journal(familienzentrum: Familienzentrum, year: ReviewYear, file_format: str) -> tuple[str, str, bytes]:
    """(filename, content type, bytes) of the review year's journal."""
    entries = year_entries(familienzentrum, year)
    if file_format == "xlsx":
        rows = [entry_row(entry, dates_as_text=False) for entry in entries]
        content = write_xlsx(rows, title=f"Angebotsjournal {year.year}")
        return export_filename(familienzentrum, year, "xlsx"), XLSX_CONTENT_TYPE, content
    rows = [entry_row(entry, dates_as_text=True) for entry in entries]
    return export_filename(familienzentrum, year, "csv"), CSV_CONTENT_TYPE, write_csv(rows)


COURSE_DAYS = ((3, 3), (10, 3), (17, 3), (24, 3), (31, 3), (7, 4), (14, 4), (21, 4))


def template_rows(year: int) -> list[list]:
    """Examples for the import template: a weekly group, a course of single
    dates, a one-off event."""
    return [
        [
            "Eltern-Kind-Gruppe",
            "Gruppe oder Treff",
            f"13.01.{year}",
            "wöchentlich",
            f"14.07.{year}",
            "",
            "",
            "",
            "Eltern mit Kindern unter 3 Jahren",
            "9",
            "1.3",
            "",
        ],
        [
            "Kinderkurs Bewegung",
            "Kurs",
            "",
            "einzelne Termine",
            "",
            ", ".join(f"{day:02d}.03.{year}" for day in (3, 10, 17, 24, 31))
            + f", 07.04.{year}, 14.04.{year}, 21.04.{year}",
            "",
            "",
            "Kinder",
            "12",
            "4B1",
            "mit externer Kursleitung",
        ],
        ["Familienfest", "Veranstaltung", f"20.06.{year}", "einmalig", "", "", "", "", "Familien", "80", "4B2", ""],
    ]


def template_file(file_format: str, year: int) -> tuple[str, str, bytes]:
    rows = template_rows(year)
    if file_format == "xlsx":
        return "angebotsjournal-vorlage.xlsx", XLSX_CONTENT_TYPE, write_xlsx(rows, title="Vorlage")
    return "angebotsjournal-vorlage.csv", CSV_CONTENT_TYPE, write_csv(rows)


# ---------------------------------------------------------------- the print view


STATUS_LABELS = {Status.MET: _("erfüllt"), Status.OPEN: _("offen"), Status.MISSED: _("verpasst")}


@dataclass(frozen=True)
class PrintedPart:
    part: PartCoverage
    label: str

    @property
    def status(self) -> str:
        # A CSS class of the print stylesheet.
        return self.part.status


@dataclass(frozen=True)
class PrintedCoverage:
    item: RequirementCoverage
    title: str
    parts: tuple[PrintedPart, ...]


@dataclass(frozen=True)
class PrintedEntry:
    entry: JournalEntry
    # The entry's sessions in this half.
    dates: tuple[date, ...]


@dataclass(frozen=True)
class PrintedHalf:
    number: int
    entries: tuple[PrintedEntry, ...]


@dataclass(frozen=True)
class PrintedCriterion:
    code: str
    title: str
    halves: tuple[PrintedHalf, PrintedHalf]
    coverage: tuple[RequirementCoverage, ...]


@dataclass(frozen=True)
class PrintedJournal:
    familienzentrum: Familienzentrum
    year: ReviewYear
    catalogue: CatalogueVersion | None
    coverage: list[PrintedCoverage]
    criteria: list[PrintedCriterion]
    entry_count: int


def printed_journal(
    familienzentrum: Familienzentrum, catalogue: CatalogueVersion | None, year: ReviewYear, today: date
) -> PrintedJournal:
    """The coverage of the review year and its entries by criterion (in
    catalogue order; codes the catalogue does not know come last) and
    half-year. An entry tagged to two criteria shows under each; an entry
    with sessions in both halves shows in each with the sessions of that half."""
    entries = list(year_entries(familienzentrum, year))
    coverage = coverage_of(familienzentrum, catalogue, year, today) if catalogue is not None else []
    titles: dict[str, str] = {}
    if catalogue is not None:
        titles = dict(
            Criterion.objects.filter(catalogue=catalogue).order_by("area__order", "order").values_list("code", "title")
        )
    order = {code: index for index, code in enumerate(titles)}
    by_code: dict[str, list[JournalEntry]] = {}
    for entry in entries:
        for tag in entry.tags.all():
            by_code.setdefault(tag.criterion_code, []).append(entry)
    criteria = []
    for code in sorted(by_code, key=lambda code: (order.get(code, len(order)), code)):
        halves = []
        for number, half in enumerate(year.halves, start=1):
            printed = []
            for entry in by_code[code]:
                dates = tuple(session.date for session in entry.sessions.all() if session.date in half)
                if dates:
                    printed.append(PrintedEntry(entry, dates))
            printed.sort(key=lambda item: (item.dates[0], item.entry.pk))
            halves.append(PrintedHalf(number, tuple(printed)))
        criteria.append(
            PrintedCriterion(
                code,
                titles.get(code, ""),
                (halves[0], halves[1]),
                tuple(item for item in coverage if item.criterion_code == code),
            )
        )
    printed_coverage = [
        PrintedCoverage(
            item,
            titles.get(item.criterion_code, ""),
            tuple(PrintedPart(part, str(STATUS_LABELS[part.status])) for part in item.parts),
        )
        for item in coverage
    ]
    return PrintedJournal(familienzentrum, year, catalogue, printed_coverage, criteria, len(entries))
