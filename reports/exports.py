"""CSV and XLSX exports: one assessment's criteria and answers, and (for the
office) every assessment with its state, reviewers and seal.

German column headers; CSV for Excel users in Germany: UTF-8 with BOM and
';' as delimiter. Cells that a spreadsheet would read as a formula are
neutralised, since narratives are typed by users.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db.models import Max, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from assessments.models import Assessment, ItemStatus
from assessments.snapshots import build_snapshot
from certification.models import Area, CriterionLevel, ItemLogic
from reports.renderers import as_date

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# OWASP's list of leading characters that make a spreadsheet evaluate a cell.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class Table:
    title: str
    headers: list[str]
    rows: list[list] = field(default_factory=list)
    # Label/value pairs about the export, written to a second XLSX sheet.
    info: list[tuple[str, object]] = field(default_factory=list)
    widths: list[int] = field(default_factory=list)


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
        table.rows.append(
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


def all_assessments_queryset() -> QuerySet[Assessment]:
    # One query whatever the number of assessments.
    return (
        Assessment.objects.select_related(
            "familienzentrum__traeger", "catalogue", "reviewer", "second_reviewer", "seal"
        )
        .annotate(last_submitted_at=Max("submissions__submitted_at"))
        .order_by("familienzentrum__name", "-created_at", "pk")
    )


def all_assessments_table() -> Table:
    table = Table(
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
        widths=[36, 30, 14, 18, 18, 24, 20, 14, 14, 14, 18, 26, 26, 20, 14, 14],
        info=[(_("Exportiert am"), timezone.localtime().strftime("%d.%m.%Y %H:%M"))],
    )
    for assessment in all_assessments_queryset():
        centre = assessment.familienzentrum
        seal = assessment.seal
        table.rows.append(
            [
                centre.name,
                centre.traeger.name,
                centre.get_form_display(),
                centre.certification_number,
                assessment.get_kind_display(),
                assessment.get_state_display(),
                f"{assessment.catalogue.code} {assessment.catalogue.version}",
                assessment.review_period_start,
                assessment.review_period_end,
                timezone.localtime(assessment.created_at).date(),
                timezone.localtime(assessment.last_submitted_at).date() if assessment.last_submitted_at else None,
                str(assessment.reviewer) if assessment.reviewer else "",
                str(assessment.second_reviewer) if assessment.second_reviewer else "",
                seal.number if seal else "",
                seal.valid_from if seal else None,
                seal.valid_until if seal else None,
            ]
        )
    return table


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


def to_csv(table: Table) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(table.headers)
    for row in table.rows:
        writer.writerow([_csv_cell(value) for value in row])
    # The BOM tells Excel the file is UTF-8 (umlauts!).
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(table: Table) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = table.title[:31]
    sheet.append(table.headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    for row in table.rows:
        sheet.append(row)
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str):
                # openpyxl stores a string starting with "=" as a formula;
                # ours are always text.
                cell.data_type = "s"
                cell.alignment = wrap
            elif isinstance(cell.value, date):
                cell.number_format = "DD.MM.YYYY"
    sheet.freeze_panes = "A2"
    if table.rows:
        sheet.auto_filter.ref = sheet.dimensions
    for index, width in enumerate(table.widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    if table.info:
        info = workbook.create_sheet(_("Info"))
        for label, value in table.info:
            info.append([label, value])
            info.cell(row=info.max_row, column=2).data_type = "s"
            info.cell(row=info.max_row, column=1).font = Font(bold=True)
        info.column_dimensions["A"].width = 22
        info.column_dimensions["B"].width = 90
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
