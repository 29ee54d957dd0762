"""CSV and XLSX exports: one assessment's criteria and answers, and (for the
office) every assessment with its state, reviewers and seal.

German column headers; CSV for Excel users in Germany: UTF-8 with BOM and
';' as delimiter. Cells that a spreadsheet would read as a formula are
neutralised, since narratives are typed by users.

Both writers stream: a table's rows may be a generator, read once, and each
row is written as it comes (the XLSX through reports.xlsx, which never
looks back at the rows already written). The export of every
assessment reads its rows with one query through a database iterator, so
its cost grows with the number of rows and nothing else.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import IO

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from assessments.models import Assessment, AssessmentKind, AssessmentState, ItemStatus
from assessments.snapshots import build_snapshot
from certification.models import Area, CriterionLevel, FamilienzentrumForm, ItemLogic
from reports.renderers import as_date
from reports.xlsx import Sheet, write_workbook

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# OWASP's list of leading characters that make a spreadsheet evaluate a cell.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


# Rows fetched from the database per round trip by the export of every assessment.
CHUNK_SIZE = 2000


@dataclass
class Table:
    title: str
    headers: list[str]
    # A list, or any iterable read once (a generator streaming from the database).
    rows: Iterable[Sequence] = field(default_factory=list)
    # Label/value pairs about the export, written to a second XLSX sheet.
    info: list[tuple[str, object]] = field(default_factory=list)
    widths: list[int] = field(default_factory=list)
    # Wrap long text in its XLSX cell (narratives, evidence lists); a table of
    # short values leaves it off, which keeps the file and its writing lean.
    wrap: bool = True


def _yes_no(value: bool) -> str:
    return _("ja") if value else _("nein")


def _label(choices, value) -> str:
    return str(dict(choices.choices).get(value, value or ""))


def _evidence_text(entry: dict) -> str:
    parts = [entry.get("title") or entry.get("filename") or "–"]
    details = []
    if entry.get("filename"):
        details.append(entry["filename"])
    effective = as_date(entry.get("effective_date"))
    if effective:
        details.append(_("Stand %(date)s") % {"date": effective.strftime("%d.%m.%Y")})
    valid_until = as_date(entry.get("valid_until"))
    if valid_until:
        details.append(_("gültig bis %(date)s") % {"date": valid_until.strftime("%d.%m.%Y")})
    if entry.get("sha256"):
        details.append(f"SHA-256 {entry['sha256'][:12]}")
    if details:
        parts.append(f"({', '.join(details)})")
    return " ".join(parts)


# ---------------------------------------------------------------- one assessment


def assessment_payload(assessment: Assessment, user) -> tuple[dict, str]:
    """The latest submission's frozen payload, or the live draft's answers
    in the same shape (read only, nothing is saved)."""
    submission = assessment.submissions.order_by("-number").first()
    if submission is not None:
        source = _("Einreichung %(number)d vom %(date)s, SHA-256 %(sha)s") % {
            "number": submission.number,
            "date": timezone.localtime(submission.submitted_at).strftime("%d.%m.%Y %H:%M"),
            "sha": submission.sha256,
        }
        return submission.payload, source
    return build_snapshot(assessment, number=0, user=user), _("aktueller Entwurf (nicht eingereicht)")


def assessment_table(assessment: Assessment, user) -> Table:
    payload, source = assessment_payload(assessment, user)
    area_titles = dict(Area.objects.filter(catalogue_id=assessment.catalogue_id).values_list("code", "title"))
    site_names = {site["id"]: site["name"] for site in payload["familienzentrum"].get("sites", [])}
    rows: list[list] = []
    table = Table(
        title=_("Kriterien"),
        headers=[
            _("Bereich"),
            _("Bereichstitel"),
            _("Kriterium"),
            _("Titel"),
            _("Stufe"),
            _("Punkte"),
            _("Verknüpfung"),
            _("Antworten"),
            _("Beschreibung"),
            _("Erbringende Standorte"),
            _("erfüllt"),
            _("Nachweise"),
        ],
        rows=rows,
        widths=[9, 30, 11, 40, 9, 8, 22, 34, 60, 28, 8, 60],
        info=[
            (_("Familienzentrum"), payload["familienzentrum"]["name"]),
            (_("Träger"), payload["familienzentrum"].get("traeger", "")),
            (_("Kriterienkatalog"), f"{payload['catalogue']['title']} ({payload['catalogue']['version']})"),
            (_("Status"), assessment.get_state_display()),
            (_("Grundlage"), source),
            (_("Exportiert am"), timezone.localtime().strftime("%d.%m.%Y %H:%M")),
        ],
    )
    for entry in payload["criteria"]:
        answers = "; ".join(
            f"{item['code']}: {_label(ItemStatus, item.get('status')) or _('keine Antwort')}"
            for item in entry.get("items", [])
        )
        rows.append(
            [
                entry["area"],
                area_titles.get(entry["area"], ""),
                entry["code"],
                entry.get("title", ""),
                _label(CriterionLevel, entry.get("level")),
                entry.get("points", 0),
                _label(ItemLogic, entry.get("logic")),
                answers,
                entry.get("narrative", ""),
                ", ".join(site_names.get(site_id, f"#{site_id}") for site_id in entry.get("delivering_sites", [])),
                _yes_no(entry.get("fulfilled", False)),
                "\n".join(_evidence_text(document) for document in entry.get("evidence") or []),
            ]
        )
    return table


# ---------------------------------------------------------------- all assessments (office)


def all_assessments_queryset() -> QuerySet:
    """Every assessment as plain values, one query whatever their number.
    The latest submission's time is the assessment's own `submitted_at`, so
    no join over the submissions is needed."""
    return Assessment.objects.order_by("familienzentrum__name", "-created_at", "pk").values_list(
        "familienzentrum__name",
        "familienzentrum__traeger__name",
        "familienzentrum__form",
        "familienzentrum__certification_number",
        "kind",
        "state",
        "catalogue__code",
        "catalogue__version",
        "review_period_start",
        "review_period_end",
        "created_at",
        "submitted_at",
        # Two joins by primary key: the few reviewers' names, as str(user) reads them.
        "reviewer__full_name",
        "reviewer__email",
        "second_reviewer__full_name",
        "second_reviewer__email",
        "seal__number",
        "seal__valid_from",
        "seal__valid_until",
    )


def count_all_assessments() -> int:
    return Assessment.objects.count()


def all_assessments_rows(chunk_size: int = CHUNK_SIZE) -> Iterator[list]:
    """The rows of the export of every assessment, yielded as they are read
    (a database iterator: memory and time grow with the rows, linearly).
    A generator: nothing is read before the first row is asked for."""
    forms = dict(FamilienzentrumForm.choices)
    kinds = dict(AssessmentKind.choices)
    states = dict(AssessmentState.choices)
    localtime = timezone.localtime
    for (
        centre,
        traeger,
        form,
        number,
        kind,
        state,
        catalogue_code,
        catalogue_version,
        period_start,
        period_end,
        created_at,
        submitted_at,
        reviewer_name,
        reviewer_email,
        second_name,
        second_email,
        seal_number,
        seal_from,
        seal_until,
    ) in all_assessments_queryset().iterator(chunk_size=chunk_size):
        yield [
            centre,
            traeger,
            str(forms.get(form, form)),
            number,
            str(kinds.get(kind, kind)),
            str(states.get(state, state)),
            f"{catalogue_code} {catalogue_version}",
            period_start,
            period_end,
            localtime(created_at).date(),
            localtime(submitted_at).date() if submitted_at else None,
            reviewer_name or reviewer_email or "",
            second_name or second_email or "",
            seal_number or "",
            seal_from,
            seal_until,
        ]


def all_assessments_table(rows: Iterable[Sequence] | None = None) -> Table:
    """The export of every assessment; its rows stream from the database
    unless `rows` is given (the export job passes them through its progress
    counter)."""
    return Table(
        title=_("Selbstbewertungen"),
        headers=[
            _("Familienzentrum"),
            _("Träger"),
            _("Form"),
            _("Zertifizierungsnummer"),
            _("Verfahren"),
            _("Status"),
            _("Katalog"),
            _("Prüfzeitraum von"),
            _("Prüfzeitraum bis"),
            _("angelegt am"),
            _("zuletzt eingereicht am"),
            _("Gutachter:in"),
            _("Zweitgutachter:in"),
            _("Gütesiegel-Nummer"),
            _("Gütesiegel gültig ab"),
            _("Gütesiegel gültig bis"),
        ],
        rows=all_assessments_rows() if rows is None else rows,
        widths=[36, 30, 14, 18, 18, 24, 20, 14, 14, 14, 18, 26, 26, 20, 14, 14],
        info=[(_("Exportiert am"), timezone.localtime().strftime("%d.%m.%Y %H:%M"))],
        wrap=False,
    )


def all_assessments_export(fmt: str) -> bytes:
    """The bytes of the export of every assessment in `fmt` ("csv" or
    "xlsx"), built here and now: the synchronous download and `make bench`."""
    table = all_assessments_table()
    return to_csv(table) if fmt == "csv" else to_xlsx(table)


# ---------------------------------------------------------------- writers


def _neutralise(text: str) -> str:
    return f"'{text}" if text.startswith(FORMULA_PREFIXES) else text


def _csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return _yes_no(value)
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%d.%m.%Y %H:%M") if timezone.is_aware(value) else str(value)
    if isinstance(value, date):
        return value.strftime("%d.%m.%Y")
    if isinstance(value, int | float):
        return str(value)
    return _neutralise(str(value))


def write_csv(table: Table, stream: IO[bytes]) -> None:
    """Write the table as CSV into a binary stream, row by row."""
    text = io.TextIOWrapper(stream, encoding="utf-8", newline="", write_through=False)
    # The BOM tells Excel the file is UTF-8 (umlauts!).
    text.write("\ufeff")
    writer = csv.writer(text, delimiter=";", lineterminator="\r\n")
    writer.writerow(table.headers)
    cell = _csv_cell
    for row in table.rows:
        writer.writerow([cell(value) for value in row])
    text.flush()
    # The stream belongs to the caller: leave it open.
    text.detach()


def to_csv(table: Table) -> bytes:
    buffer = io.BytesIO()
    write_csv(table, buffer)
    return buffer.getvalue()


def write_xlsx(table: Table, target: IO[bytes]) -> None:
    """Write the table as XLSX into a binary file, row by row (reports.xlsx:
    each row goes to the file as it comes and is never looked at again).
    Text stays text, so a narrative starting with "=" is never a formula;
    dates are dates; long text wraps where the table asks for it."""
    sheets = [Sheet(table.title, table.headers, table.rows, widths=table.widths, wrap=table.wrap)]
    if table.info:
        sheets.append(
            Sheet(
                _("Info"),
                headers=(),
                rows=[(label, "" if value is None else str(value)) for label, value in table.info],
                widths=(22, 90),
                freeze_header=False,
                autofilter=False,
                bold_first_column=True,
            )
        )
    write_workbook(target, sheets)


def to_xlsx(table: Table) -> bytes:
    buffer = io.BytesIO()
    write_xlsx(table, buffer)
    return buffer.getvalue()
