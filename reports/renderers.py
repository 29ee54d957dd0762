"""The documents: HTML from templates/reports/pdf/, printed by WeasyPrint.

A renderer gets a ReportSource (the submission's frozen payload, its sha256
and the inputs copied when the report was requested) and returns
(filename, content type, bytes). It reads no database rows, so what a report
says is what was submitted, and its cost does not grow with queries.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from weasyprint.urls import URLFetcher, URLFetchingError

from assessments.journal_evidence import journal_line
from assessments.models import AssessmentKind, ItemStatus, Verdict
from certification.models import CriterionLevel, FamilienzentrumForm, ItemLogic
from reports.models import ReportKind

PDF_CONTENT_TYPE = "application/pdf"
PACKAGE_DIR = Path(__file__).resolve().parent
ASSETS_DIR = PACKAGE_DIR / "assets"
FONTS_DIR = PACKAGE_DIR / "fonts"
# print.css is linked relative to this, and the fonts relative to print.css.
BASE_URL = ASSETS_DIR.as_uri() + "/"


class AssetFetcher(URLFetcher):
    """Lets WeasyPrint load our stylesheet and fonts (and data: URLs) and
    nothing else: no network, no other file on the machine, whatever a
    template or a user's text might try to reference."""

    allowed_dirs = (ASSETS_DIR, FONTS_DIR)

    def fetch(self, url, headers=None):
        if url.startswith("data:"):
            return super().fetch(url, headers)
        if url.startswith("file:"):
            path = Path(url2pathname(urlsplit(url).path)).resolve()
            if any(path.is_relative_to(allowed) for allowed in self.allowed_dirs):
                return super().fetch(url, headers)
        raise URLFetchingError(f"Resource not allowed in reports: {url}")


def pdf_options() -> dict:
    """write_pdf() options shared by the reports and the benchmark's plain run.
    custom_metadata: the templates' own <meta name=...> (the submission's
    checksum, the catalogue version) go into the PDF's document information,
    where a reviewer can read them and a wall certificate does not show them."""
    options: dict = {"custom_metadata": True}
    if settings.REPORTS_PDF_VARIANT:
        options["pdf_variant"] = settings.REPORTS_PDF_VARIANT
    return options


def html_to_pdf(html: str) -> bytes:
    from weasyprint import HTML

    return HTML(string=html, base_url=BASE_URL, url_fetcher=AssetFetcher()).write_pdf(**pdf_options())


@dataclass(frozen=True)
class ReportSource:
    kind: str
    payload: dict
    sha256: str
    inputs: dict = field(default_factory=dict)
    created: date = field(default_factory=timezone.localdate)


# ---------------------------------------------------------------- helpers


def as_date(value) -> date | None:
    if not value:
        return None
    if isinstance(value, date):
        return value
    return parse_date(str(value)[:10])


def _as_datetime(value) -> datetime | None:
    parsed = parse_datetime(value) if value else None
    if parsed is not None and timezone.is_aware(parsed):
        return timezone.localtime(parsed)
    return parsed


def _label(choices, value, default: str = "–") -> str:
    return str(dict(choices.choices).get(value, default))


_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss"})


def _ascii(text: str) -> str:
    text = unicodedata.normalize("NFKD", str(text).translate(_UMLAUTS)).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-")


def download_name(source: ReportSource) -> str:
    centre = source.payload["familienzentrum"]["name"]
    kind = str(ReportKind(source.kind).label)
    return f"{_ascii(kind)}_{_ascii(centre)}_{source.created:%Y-%m-%d}.pdf"


def _evidence(entry: dict) -> dict:
    """One evidence entry of the payload. The evidence schema is owned by the
    assessments app, so every key is optional here."""
    sha = entry.get("sha256") or ""
    return {
        "title": entry.get("title") or entry.get("filename") or "–",
        "filename": entry.get("filename") or "",
        "sha_prefix": sha[:12],
        "effective_date": as_date(entry.get("effective_date")),
        "valid_until": as_date(entry.get("valid_until")),
        "owner": entry.get("owner") or "",
    }


def _criterion(entry: dict, site_names: dict[int, str]) -> dict:
    return {
        "code": entry["code"],
        "area": entry["area"],
        "title": entry.get("title", ""),
        "level_label": _label(CriterionLevel, entry.get("level")),
        "points": entry.get("points", 0),
        "logic_label": _label(ItemLogic, entry.get("logic")),
        "fulfilled": bool(entry.get("fulfilled")),
        "items": [
            {
                "code": item["code"],
                "text": item.get("text", ""),
                "status_label": _label(ItemStatus, item.get("status"), _("keine Antwort")),
            }
            for item in entry.get("items", [])
        ],
        "narrative": entry.get("narrative", ""),
        "sites": [site_names.get(site_id, f"#{site_id}") for site_id in entry.get("delivering_sites", [])],
        "evidence": [_evidence(document) for document in entry.get("evidence") or []],
        # Snapshots before the journal (issue 13) have no such key.
        "journal": [journal_line(item) for item in entry.get("journal") or [] if isinstance(item, dict)],
    }


def _areas(source: ReportSource) -> list[dict]:
    """The in-scope areas in catalogue order, each with its result and criteria."""
    payload = source.payload
    titles = {area["code"]: area.get("title", "") for area in source.inputs.get("areas", [])}
    site_names = {site["id"]: site["name"] for site in payload["familienzentrum"].get("sites", [])}
    criteria_by_area: dict[str, list[dict]] = defaultdict(list)
    for entry in payload.get("criteria", []):
        criteria_by_area[entry["area"]].append(_criterion(entry, site_names))
    areas = []
    for result in payload.get("evaluation", {}).get("areas", []):
        criteria = criteria_by_area.pop(result["code"], [])
        max_points = sum(criterion["points"] for criterion in criteria)
        points = result.get("points", 0)
        areas.append(
            {
                "code": result["code"],
                "title": titles.get(result["code"], ""),
                "answered": result.get("answered", 0),
                "fulfilled": result.get("fulfilled", 0),
                "total": result.get("total", len(criteria)),
                "points": points,
                "max_points": max_points,
                "percent": round(100 * points / max_points) if max_points else 0,
                "criteria": criteria,
            }
        )
    # Criteria of an area the evaluation did not list (not expected) still appear.
    for code, criteria in criteria_by_area.items():
        areas.append(
            {
                "code": code,
                "title": titles.get(code, ""),
                "answered": 0,
                "fulfilled": sum(1 for criterion in criteria if criterion["fulfilled"]),
                "total": len(criteria),
                "points": 0,
                "max_points": sum(criterion["points"] for criterion in criteria),
                "percent": 0,
                "criteria": criteria,
            }
        )
    return areas


def _figure(label: str, achieved: int, required: int | None) -> dict:
    return {
        "label": label,
        "achieved": achieved,
        "required": required,
        "checked": required is not None,
        "met": required is None or achieved >= required,
        "missing": max(0, required - achieved) if required is not None else 0,
    }


def _rules(source: ReportSource) -> list[dict]:
    """The threshold results of the snapshot with each rule's minimums (copied
    from the catalogue when the report was requested): per rule the figures
    it checks, achieved against required, and the ones it does not check."""
    minimums = {rule["code"]: rule for rule in source.inputs.get("rules", [])}
    rules = []
    for result in source.payload.get("evaluation", {}).get("rules", []):
        rule = minimums.get(result.get("code"), {})
        figures = [
            _figure(_("Basiskriterien"), result.get("basis", 0), rule.get("min_basis")),
            _figure(_("Aufbaukriterien"), result.get("aufbau", 0), rule.get("min_aufbau")),
            _figure(_("Punkte"), result.get("points", 0), rule.get("min_points")),
        ]
        rules.append(
            {
                "code": result.get("code", ""),
                "title": result.get("title", ""),
                "met": bool(result.get("met")),
                "missing": result.get("missing", []),
                "figures": figures,
                # Reports requested before the minimums were copied show the
                # achieved figures alone.
                "has_minimums": bool(rule),
                "is_assumption": bool(rule.get("is_assumption")),
            }
        )
    return rules


def _seal(source: ReportSource) -> dict | None:
    seal = source.inputs.get("seal") or {}
    if not seal.get("number"):
        return None
    return {
        "number": seal["number"],
        "valid_from": as_date(seal.get("valid_from")),
        "valid_until": as_date(seal.get("valid_until")),
        "issued_on": as_date(seal.get("issued_on")) or as_date(seal.get("valid_from")),
    }


def _issuer(source: ReportSource) -> dict:
    issuer = source.inputs.get("issuer") or {}
    return {
        "name": issuer.get("name") or settings.CERTIFIER_NAME,
        "address": list(issuer.get("address") or []),
    }


def _common_context(source: ReportSource) -> dict:
    payload = source.payload
    centre = payload["familienzentrum"]
    assessment = payload.get("assessment", {})
    period = assessment.get("review_period") or [None, None]
    titles = {area["code"]: area.get("title", "") for area in source.inputs.get("areas", [])}
    kind_label = str(ReportKind(source.kind).label)
    return {
        "document_title": f"{kind_label} – {centre['name']}",
        "kind_label": kind_label,
        "created": source.created,
        "centre": {
            "name": centre["name"],
            "traeger": centre.get("traeger", ""),
            "form_label": _label(FamilienzentrumForm, centre.get("form")),
            "sites": centre.get("sites", []),
        },
        "catalogue": payload.get("catalogue", {}),
        "assessment": {
            "kind_label": _label(AssessmentKind, assessment.get("kind")),
            "period_start": as_date(period[0]),
            "period_end": as_date(period[1]),
        },
        "profile_areas": [{"code": code, "title": titles.get(code, "")} for code in payload.get("profile_areas", [])],
        "submission": {
            "number": payload.get("number"),
            "submitted_at": _as_datetime(payload.get("submitted_at")),
            "submitted_by": payload.get("submitted_by", ""),
            "sha256": source.sha256,
            "sha_prefix": source.sha256[:12],
        },
        "rules": _rules(source),
        "catalogue_is_working_version": bool(source.inputs.get("catalogue_is_working_version")),
        "certification_number": source.inputs.get("certification_number", ""),
    }


# ---------------------------------------------------------------- the chart


def bar_chart_svg(areas: list[dict], *, title: str) -> SafeString:
    """A horizontal bar chart of the share of points per area, as inline SVG
    (WeasyPrint draws it as vectors). Every value is also in the table next
    to it, so the chart carries no information of its own."""
    label_width, bar_width, value_width = 60, 360, 56
    bar_height, gap, top, axis = 14, 6, 6, 18
    width = label_width + bar_width + value_width
    height = top + len(areas) * (bar_height + gap) + axis
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}"'
        f' role="img" aria-label="{escape(title)}" font-family="Report Sans, sans-serif" font-size="9">',
        f"<title>{escape(title)}</title>",
    ]
    chart_bottom = top + len(areas) * (bar_height + gap)
    for percent in (0, 25, 50, 75, 100):
        x = label_width + bar_width * percent / 100
        parts.append(
            f'<line x1="{x:.1f}" y1="{top - 2}" x2="{x:.1f}" y2="{chart_bottom}" stroke="#c8c8c8" stroke-width="0.6"/>'
            f'<text x="{x:.1f}" y="{chart_bottom + 12}" text-anchor="middle" fill="#333">{percent} %</text>'
        )
    for index, area in enumerate(areas):
        y = top + index * (bar_height + gap)
        percent = max(0, min(100, int(area["percent"])))
        parts.append(
            f'<text x="{label_width - 6}" y="{y + bar_height - 3}" text-anchor="end" fill="#111">'
            f"{escape(area['code'])}</text>"
            f'<rect x="{label_width}" y="{y}" width="{bar_width}" height="{bar_height}" fill="#eef2f6"/>'
            f'<rect x="{label_width}" y="{y}" width="{bar_width * percent / 100:.1f}" height="{bar_height}"'
            f' fill="#0b4f8a"/>'
            f'<text x="{label_width + bar_width + 6}" y="{y + bar_height - 3}" fill="#111">{percent} %</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every interpolated text is escaped above


def seal_svg(*, valid_until: date | None, label: str) -> SafeString:
    """The round seal printed on the certificate: a rosette with the scheme's
    name and the year it runs to. Decorative; its words are on the page too."""
    points = []
    for index in range(72):
        radius = 98 if index % 2 == 0 else 91
        angle = math.pi * index / 36
        points.append(f"{100 + radius * math.sin(angle):.1f},{100 - radius * math.cos(angle):.1f}")
    until = _("bis %(year)s") % {"year": valid_until.year} if valid_until else ""
    lines = [
        ("76", "15", "bold", _("GÜTESIEGEL")),
        ("98", "13", "normal", _("Familienzentrum")),
        ("126", "25", "bold", "NRW"),
        ("150", "12", "normal", until),
    ]
    parts = [
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 200" width="200" height="200"'
        f' role="img" aria-label="{escape(label)}" font-family="Report Sans, sans-serif">',
        f"<title>{escape(label)}</title>",
        f'<polygon points="{" ".join(points)}" fill="#0b4f8a"/>',
        '<circle cx="100" cy="100" r="82" fill="#ffffff"/>',
        '<circle cx="100" cy="100" r="76" fill="none" stroke="#0b4f8a" stroke-width="2"/>',
        '<circle cx="100" cy="100" r="71" fill="none" stroke="#0b4f8a" stroke-width="0.8"/>',
    ]
    for y, size, weight, text in lines:
        parts.append(
            f'<text x="100" y="{y}" text-anchor="middle" font-size="{size}" font-weight="{weight}"'
            f' fill="#0b4f8a">{escape(text)}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every interpolated text is escaped above


# ---------------------------------------------------------------- per kind


def self_assessment_context(source: ReportSource) -> dict:
    return {**_common_context(source), "areas": _areas(source)}


def evidence_index_context(source: ReportSource) -> dict:
    areas = _areas(source)
    count = sum(len(criterion["evidence"]) for area in areas for criterion in area["criteria"])
    return {**_common_context(source), "areas": areas, "evidence_count": count}


REVIEW_NOTE_LABELS = {
    "request_changes": _lazy("Rückfragen an das Familienzentrum"),
    "recommend": _lazy("Empfehlung der Begutachtung"),
    "approve": _lazy("Entscheidung: zertifiziert"),
    "decline": _lazy("Entscheidung: nicht zertifiziert"),
}


def quality_profile_context(source: ReportSource) -> dict:
    areas = _areas(source)
    area_of = {criterion["code"]: area for area in areas for criterion in area["criteria"]}
    for area in areas:
        area["remarks"] = []
    for verdict in source.inputs.get("verdicts", []):
        area = area_of.get(verdict.get("code"))
        if area is None:
            continue
        area["remarks"].append(
            {
                "code": verdict["code"],
                "submission": verdict.get("submission"),
                "verdict_label": _label(Verdict, verdict.get("verdict")),
                "comment": verdict.get("comment", ""),
                "reply": verdict.get("reply", ""),
            }
        )
    notes = [
        {
            "label": str(REVIEW_NOTE_LABELS.get(note.get("action"), _("Anmerkung"))),
            "note": note.get("note", ""),
            "by": note.get("by", ""),
            "on": as_date(note.get("on")),
        }
        for note in source.inputs.get("review_notes", [])
        if note.get("note")
    ]
    return {
        **_common_context(source),
        "areas": areas,
        "review_notes": notes,
        "has_remarks": bool(notes) or any(area["remarks"] for area in areas),
        "seal": _seal(source),
        "issuer": _issuer(source),
        "chart_svg": bar_chart_svg(areas, title=_("Anteil der erreichten Punkte je Bereich")),
    }


def certificate_context(source: ReportSource) -> dict:
    seal = _seal(source)
    if seal is None:
        raise ValueError("A certificate needs the seal (number and validity) in the report's inputs.")
    valid_until = seal["valid_until"]
    label = _("Siegel: Gütesiegel Familienzentrum NRW, gültig bis %(date)s") % {
        "date": valid_until.strftime("%d.%m.%Y") if valid_until else "–"
    }
    return {
        **_common_context(source),
        "seal": seal,
        "issuer": _issuer(source),
        "seal_svg": seal_svg(valid_until=valid_until, label=label),
    }


CONTEXT_BUILDERS: dict[str, Callable[[ReportSource], dict]] = {
    ReportKind.SELF_ASSESSMENT: self_assessment_context,
    ReportKind.QUALITY_PROFILE: quality_profile_context,
    ReportKind.EVIDENCE_INDEX: evidence_index_context,
    ReportKind.CERTIFICATE: certificate_context,
}


def template_name(kind: str) -> str:
    return f"reports/pdf/{ReportKind(kind).value}.html"


def render_html(source: ReportSource) -> str:
    # Reports are German documents whatever language the requesting user or
    # the worker process happens to run in.
    with translation.override(settings.LANGUAGE_CODE):
        context = CONTEXT_BUILDERS[source.kind](source)
        return render_to_string(template_name(source.kind), context)


def render(source: ReportSource) -> tuple[str, str, bytes]:
    """(filename, content type, bytes) of the report described by `source`."""
    with translation.override(settings.LANGUAGE_CODE):
        html = render_html(source)
        filename = download_name(source)
    return filename, PDF_CONTENT_TYPE, html_to_pdf(html)
