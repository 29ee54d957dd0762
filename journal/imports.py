"""Importing a journal from a spreadsheet (CSV or XLSX), all or nothing.

The file is checked by size and by content first (the evidence app's type
detection: a renamed binary or a .xlsx that is no workbook is refused).
Then every row is read into journal.services.EntryData and validated with
journal.services.check_entry, against one set of known criterion codes for
the whole file; every bad row and field is collected. Nothing is written
unless every row passes; then all entries are created in one transaction.

The columns (COLUMNS) are the export's (journal.exports), so an export can
be imported again. Row numbers are those the user sees in the spreadsheet:
the header is row 1.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from datetime import date, datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from certification.models import Familienzentrum, Kooperationspartner
from evidence import inspect
from evidence.files import TEXT, XLSX, UploadRejected, detect_type
from journal.models import JournalEntry, JournalSession, JournalTag, OfferKind, Recurrence, TargetGroup
from journal.services import EntryData, JournalError, check_entry, known_criterion_codes

MAX_IMPORT_BYTES = 5 * 1024 * 1024
MAX_IMPORT_ROWS = 2000
# Rows read at most from a sheet, blank ones included: a workbook whose
# formatting reaches row 1,048,576 must not keep the request busy.
MAX_SCANNED_ROWS = 20_000
MAX_NOTE_LENGTH = 5000

# (field of EntryData / of check_entry's errors, German column header), in file order.
COLUMNS: list[tuple[str, str]] = [
    ("title", "Titel"),
    ("kind", "Art"),
    ("first_date", "Datum"),
    ("recurrence", "Wiederholung"),
    ("until", "bis"),
    ("dates", "Termine"),
    ("site", "Standort"),
    ("partner", "Kooperationspartner"),
    ("target_group", "Zielgruppe"),
    ("participants", "Teilnehmende"),
    ("criterion_codes", "Kriterien"),
    ("note", "Notiz"),
]
HEADERS = [header for _name, header in COLUMNS]
HEADER_OF = dict(COLUMNS)
REQUIRED_HEADERS = ("Titel", "Kriterien")

# What each column takes, for the import page.
COLUMN_HELP = {
    "Titel": gettext_lazy("Pflicht. Höchstens 200 Zeichen."),
    "Art": gettext_lazy("Eine der Arten unten; leer: Gruppe oder Treff."),
    "Datum": gettext_lazy("Der (erste) Termin, TT.MM.JJJJ oder JJJJ-MM-TT."),
    "Wiederholung": gettext_lazy(
        "einmalig, wöchentlich, alle zwei Wochen, monatlich oder einzelne Termine; "
        "leer: einmalig (einzelne Termine, wenn die Spalte Termine gefüllt ist)."
    ),
    "bis": gettext_lazy("Der letzte mögliche Termin einer wöchentlichen, zweiwöchentlichen oder monatlichen Serie."),
    "Termine": gettext_lazy("Bei einzelnen Terminen: die Daten, durch Komma oder Semikolon getrennt."),
    "Standort": gettext_lazy("Im Verbund der Name des Standorts; leer: das Familienzentrum als Ganzes."),
    "Kooperationspartner": gettext_lazy("Der Name des Partners, wie er in der Anwendung heißt; optional."),
    "Zielgruppe": gettext_lazy("Eine der Zielgruppen unten; leer: Familien."),
    "Teilnehmende": gettext_lazy("Eine ganze Zahl ab 0; optional."),
    "Kriterien": gettext_lazy("Pflicht. Die Kriterien-Nummern, durch Komma getrennt, z. B. 1.3, 4B1."),
    "Notiz": gettext_lazy("Optional."),
}

_DATE_DE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")
_DATE_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_LIST_SPLIT = re.compile(r"[,;\s]+")
_DATES_SPLIT = re.compile(r"[,;]+|\s+")
# An export prefixes cells a spreadsheet would read as a formula with "'".
_FORMULA_ESCAPE = re.compile(r"^'(?=[=+\-@\t\r])")


class ImportRefused(Exception):
    """The file or some of its rows were refused; nothing was written."""

    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(str(problem) for problem in problems))
        self.problems = problems


@dataclass(frozen=True)
class Problem:
    """What is wrong, where: a whole file (row None), a row, or a row's column."""

    message: str
    row: int | None = None
    column: str = ""

    def __str__(self) -> str:
        if self.row is None:
            return self.message
        if self.column:
            return _("Zeile %(row)d, %(column)s: %(message)s") % {
                "row": self.row,
                "column": self.column,
                "message": self.message,
            }
        return _("Zeile %(row)d: %(message)s") % {"row": self.row, "message": self.message}


@dataclass(frozen=True)
class ImportResult:
    entries: int
    sessions: int


# ---------------------------------------------------------------- reading the file


def _refuse(message: str):
    return ImportRefused([Problem(message)])


def read_rows(upload) -> list[tuple[int, dict[str, object]]]:
    """(row number, {header: cell}) of every non-blank data row, or
    ImportRefused saying what is wrong with the file as a whole."""
    size = getattr(upload, "size", None)
    if size is None:
        upload.seek(0, io.SEEK_END)
        size = upload.tell()
        upload.seek(0)
    if size > MAX_IMPORT_BYTES:
        raise _refuse(
            _("Die Datei ist größer als %(mb)d MB. Bitte die Einträge auf mehrere Dateien verteilen.")
            % {"mb": MAX_IMPORT_BYTES // (1024 * 1024)}
        )
    try:
        file_type = detect_type(upload)
    except UploadRejected as error:
        if not _windows_text(upload):
            raise _refuse(
                _("Nur CSV- oder XLSX-Dateien können importiert werden. %(reason)s") % {"reason": error.message}
            ) from None
        file_type = TEXT
    name = (getattr(upload, "name", "") or "").lower()
    if file_type == XLSX:
        return _xlsx_rows(upload)
    if file_type == TEXT and not name.endswith((".xlsx", ".xlsm", ".xls")):
        return _csv_rows(upload)
    if file_type == TEXT:
        raise _refuse(
            _(
                "Die Datei heißt „.xlsx“, ist aber keine Excel-Arbeitsmappe. "
                "Bitte in Excel als „Excel-Arbeitsmappe (.xlsx)“ oder als CSV speichern."
            )
        )
    raise _refuse(
        _("Nur CSV- oder XLSX-Dateien können importiert werden; diese Datei ist eine %(label)s-Datei.")
        % {"label": file_type.label}
    )


def _windows_text(upload) -> bool:
    """A CSV in Windows-1252, as Excel in Germany saves "CSV (Trennzeichen-
    getrennt)": the evidence checks know only UTF-8 text. Plain text in that
    encoding (no NUL, no control characters, no markup) is accepted too."""
    upload.seek(0)
    raw = upload.read(MAX_IMPORT_BYTES + 1)
    upload.seek(0)
    if not raw or b"\x00" in raw or raw.startswith(b"PK\x03\x04"):
        return False
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        # Valid UTF-8 the evidence checks refused: refused for its content.
        return False
    try:
        text = raw.decode("cp1252")
    except UnicodeDecodeError:
        return False
    if any(unicodedata.category(char) == "Cc" and char not in "\t\n\r\f" for char in text):
        return False
    return inspect.MARKUP.search(raw) is None


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    # Excel in Germany saves "CSV (Trennzeichen-getrennt)" as Windows-1252.
    try:
        return raw.decode("cp1252")
    except UnicodeDecodeError:
        raise _refuse(_("Die CSV-Datei ist weder in UTF-8 noch in Windows-1252 gespeichert.")) from None


def _csv_rows(upload) -> list[tuple[int, dict[str, object]]]:
    upload.seek(0)
    text = _decode(upload.read())
    first_line = text.split("\n", 1)[0]
    # The header names hold no delimiter, so the header line tells which one the file uses.
    delimiter = max(";,\t", key=first_line.count)
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as error:
        raise _refuse(_("Die CSV-Datei lässt sich nicht lesen: %(error)s") % {"error": error}) from None
    return _table(rows)


def _xlsx_rows(upload) -> list[tuple[int, dict[str, object]]]:
    from openpyxl import load_workbook

    upload.seek(0)
    unreadable = _("Die Excel-Arbeitsmappe lässt sich nicht lesen.")
    # openpyxl raises any of these for a broken or foreign workbook, on
    # opening it or (read-only mode parses lazily) on reading its rows.
    broken = (OSError, KeyError, ValueError, TypeError, IndexError, SyntaxError, zipfile.BadZipFile)
    try:
        workbook = load_workbook(upload, read_only=True, data_only=True)
    except broken:
        raise _refuse(unreadable) from None
    try:
        if not workbook.worksheets:
            raise _refuse(unreadable)
        rows = []
        for number, row in enumerate(workbook.worksheets[0].iter_rows(values_only=True), start=1):
            if number > MAX_SCANNED_ROWS:
                raise _refuse(_("Die Tabelle hat mehr als %(max)d Zeilen.") % {"max": MAX_SCANNED_ROWS})
            rows.append(list(row))
    except broken:
        raise _refuse(unreadable) from None
    finally:
        workbook.close()
    return _table(rows)


def _blank(cell) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def _table(rows: list[list]) -> list[tuple[int, dict[str, object]]]:
    if not rows or all(_blank(cell) for cell in rows[0]):
        raise _refuse(_("Die erste Zeile muss die Spaltenüberschriften enthalten (%(headers)s).") % _headers())
    known = {header.casefold(): header for header in HEADERS}
    columns: list[str | None] = []
    problems = []
    for cell in rows[0]:
        header = "" if cell is None else str(cell).strip().lstrip("\ufeff")
        if not header:
            columns.append(None)
        elif header.casefold() in known:
            columns.append(known[header.casefold()])
        else:
            columns.append(None)
            problems.append(Problem(_("Unbekannte Spalte „%(header)s“.") % {"header": header}, row=1))
    missing = [header for header in REQUIRED_HEADERS if header not in columns]
    if missing:
        problems.append(Problem(_("Es fehlt die Spalte „%(headers)s“.") % {"headers": "“, „".join(missing)}, row=1))
    if problems:
        problems.append(Problem(_("Die Spalten heißen: %(headers)s.") % _headers()))
        raise ImportRefused(problems)
    data_rows = []
    for number, row in enumerate(rows[1:], start=2):
        if all(_blank(cell) for cell in row):
            continue
        values = {column: cell for column, cell in zip(columns, row, strict=False) if column is not None}
        data_rows.append((number, values))
    if not data_rows:
        raise _refuse(_("Die Datei enthält keine Einträge, nur die Spaltenüberschriften."))
    if len(data_rows) > MAX_IMPORT_ROWS:
        raise _refuse(
            _("Die Datei enthält %(count)d Einträge; höchstens %(max)d auf einmal.")
            % {"count": len(data_rows), "max": MAX_IMPORT_ROWS}
        )
    return data_rows


def _headers() -> dict:
    return {"headers": ", ".join(HEADERS)}


# ---------------------------------------------------------------- reading a row


def _text(cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, datetime):
        return cell.date().isoformat()
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    return _FORMULA_ESCAPE.sub("", str(cell).strip())


def parse_date(cell) -> date | None:
    """A date from a cell: a spreadsheet date, TT.MM.JJJJ or JJJJ-MM-TT. None
    for an empty cell; ValueError for anything else."""
    if isinstance(cell, datetime):
        return cell.date()
    if isinstance(cell, date):
        return cell
    text = _text(cell)
    if not text:
        return None
    if match := _DATE_DE.match(text):
        day, month, year = (int(part) for part in match.groups())
    elif match := _DATE_ISO.match(text.split("T", 1)[0].split(" ", 1)[0]):
        year, month, day = (int(part) for part in match.groups())
    else:
        raise ValueError(text)
    return date(year, month, day)


def _choice(choices, text: str, default: str) -> str:
    """A choice's value from its German label or its value; unknown text
    is passed on, for check_entry to name."""
    if not text:
        return default
    wanted = text.casefold()
    with translation.override("de"):
        german = {str(label).casefold(): value for value, label in choices}
    for value, label in choices:
        if wanted in (str(value).casefold(), str(label).casefold()):
            return value
    return german.get(wanted, text)


@dataclass
class Lookups:
    """What every row of one file is checked against, read once."""

    known_codes: set[str]
    sites: dict[str, int]
    partners: dict[str, int]

    @property
    def codes_by_fold(self) -> dict[str, str]:
        return self._codes_by_fold

    def __post_init__(self):
        self._codes_by_fold = {code.casefold(): code for code in self.known_codes}

    @classmethod
    def for_centre(cls, familienzentrum: Familienzentrum) -> Lookups:
        sites = {link.site.name.casefold(): link.site_id for link in familienzentrum.site_links.select_related("site")}
        partners = {name.casefold(): pk for pk, name in Kooperationspartner.objects.values_list("pk", "name")}
        return cls(known_codes=known_criterion_codes(), sites=sites, partners=partners)


def row_data(values: dict[str, object], lookups: Lookups) -> tuple[EntryData, dict[str, list[str]]]:
    """The row as EntryData, and what could not even be read (by field)."""
    errors: dict[str, list[str]] = {}

    def date_of(field: str):
        cell = values.get(HEADER_OF[field])
        try:
            return parse_date(cell)
        except ValueError:
            errors[field] = [_("„%(value)s“ ist kein Datum (TT.MM.JJJJ oder JJJJ-MM-TT).") % {"value": _text(cell)}]
            return None

    first_date = date_of("first_date")
    until = date_of("until")
    dates = []
    for part in _DATES_SPLIT.split(_text(values.get("Termine"))):
        if not part:
            continue
        try:
            dates.append(parse_date(part))
        except ValueError:
            errors.setdefault("dates", []).append(
                _("„%(value)s“ ist kein Datum (TT.MM.JJJJ oder JJJJ-MM-TT).") % {"value": part}
            )
    recurrence_text = _text(values.get("Wiederholung"))
    recurrence = _choice(Recurrence.choices, recurrence_text, Recurrence.DATES if dates else Recurrence.ONCE)

    participants = None
    participants_text = _text(values.get("Teilnehmende"))
    if participants_text:
        try:
            participants = int(participants_text)
        except ValueError:
            errors["participants"] = [_("„%(value)s“ ist keine ganze Zahl.") % {"value": participants_text}]

    site_id = partner_id = None
    site_text = _text(values.get("Standort"))
    if site_text:
        site_id = lookups.sites.get(site_text.casefold())
        if site_id is None:
            errors["site"] = [
                _("„%(value)s“ ist kein Standort dieses Familienzentrums (%(known)s).")
                % {"value": site_text, "known": ", ".join(sorted(lookups.sites)) or "–"}
            ]
    partner_text = _text(values.get("Kooperationspartner"))
    if partner_text:
        partner_id = lookups.partners.get(partner_text.casefold())
        if partner_id is None:
            errors["partner"] = [_("Unbekannter Kooperationspartner „%(value)s“.") % {"value": partner_text}]

    note = _text(values.get("Notiz"))
    if len(note) > MAX_NOTE_LENGTH:
        errors["note"] = [_("Die Notiz ist länger als %(max)d Zeichen.") % {"max": MAX_NOTE_LENGTH}]

    data = EntryData(
        title=_text(values.get("Titel")),
        first_date=first_date,
        # "4b1" is 4B1: codes are matched without regard to case.
        criterion_codes=[
            lookups.codes_by_fold.get(code.casefold(), code)
            for code in _LIST_SPLIT.split(_text(values.get("Kriterien")))
            if code
        ],
        kind=_choice(OfferKind.choices, _text(values.get("Art")), OfferKind.GROUP),
        recurrence=recurrence,
        until=until,
        dates=dates,
        site_id=site_id,
        partner_id=partner_id,
        target_group=_choice(TargetGroup.choices, _text(values.get("Zielgruppe")), TargetGroup.FAMILIES),
        participants=participants,
        note=note,
    )
    return data, errors


def _row_problems(number: int, errors: dict[str, list[str]]) -> list[Problem]:
    order = [name for name, _header in COLUMNS]
    return [
        Problem(message, row=number, column=HEADER_OF.get(name, ""))
        for name in sorted(errors, key=lambda name: order.index(name) if name in order else len(order))
        for message in errors[name]
    ]


# ---------------------------------------------------------------- the use case


def check_rows(familienzentrum: Familienzentrum, rows, *, today: date) -> list[tuple[EntryData, list[date]]]:
    """Every row checked; the checked (data, dates), or ImportRefused with every problem."""
    lookups = Lookups.for_centre(familienzentrum)
    checked, problems = [], []
    for number, values in rows:
        data, errors = row_data(values, lookups)
        try:
            dates = check_entry(familienzentrum, data, today=today, known_codes=lookups.known_codes)
        except JournalError as error:
            # Both kinds of error for a field: the reading's first, check_entry's after.
            for name, messages in error.by_field.items():
                if name not in errors:
                    errors[name] = list(messages)
            dates = []
        if errors:
            problems += _row_problems(number, errors)
        else:
            checked.append((data, dates))
    if problems:
        raise ImportRefused(problems)
    return checked


def import_journal(*, user, familienzentrum: Familienzentrum, upload, today: date | None = None) -> ImportResult:
    """Import every row of `upload` as a journal entry, or none: an
    ImportRefused lists every problem of the file and of its rows."""
    if not user.has_perm("journal.keep_journal", familienzentrum):
        raise PermissionDenied
    today = today or timezone.localdate()
    checked = check_rows(familienzentrum, read_rows(upload), today=today)
    with transaction.atomic():
        entries = JournalEntry.objects.bulk_create(
            JournalEntry(
                familienzentrum=familienzentrum,
                created_by=user,
                title=data.title,
                kind=data.kind,
                recurrence=data.recurrence,
                site_id=data.site_id,
                partner_id=data.partner_id,
                target_group=data.target_group,
                participants=data.participants,
                note=data.note,
                first_date=dates[0],
                last_date=dates[-1],
            )
            for data, dates in checked
        )
        sessions = JournalSession.objects.bulk_create(
            JournalSession(entry=entry, date=day)
            for entry, (_data, dates) in zip(entries, checked, strict=True)
            for day in dates
        )
        JournalTag.objects.bulk_create(
            JournalTag(entry=entry, criterion_code=code)
            for entry, (data, _dates) in zip(entries, checked, strict=True)
            for code in data.criterion_codes
        )
    return ImportResult(entries=len(entries), sessions=len(sessions))
