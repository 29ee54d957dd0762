"""CSV and XLSX exports, read back with csv and openpyxl."""

from __future__ import annotations

import csv
import io
from datetime import date

import openpyxl
import pytest
from django.urls import reverse

from assessments import services as assessment_services
from assessments.models import Answer, Submission
from reports import exports
from tests.reports.conftest import EVIDENCE

CRITERIA_HEADERS = [
    "Bereich",
    "Bereichstitel",
    "Kriterium",
    "Titel",
    "Stufe",
    "Punkte",
    "Verknüpfung",
    "Antworten",
    "Beschreibung",
    "Erbringende Standorte",
    "erfüllt",
    "Nachweise",
]


def read_csv(content: bytes) -> list[list[str]]:
    assert content.startswith("\ufeff".encode()), "UTF-8 BOM for Excel"
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))


def read_xlsx(content: bytes):
    return openpyxl.load_workbook(io.BytesIO(content))


def test_assessment_csv_from_the_latest_submission(client, submission, alice):
    client.force_login(alice)
    response = client.get(reverse("reports:export_assessment", args=[submission.assessment_id, "csv"]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="selbstbewertung-')
    assert response["X-Content-Type-Options"] == "nosniff"

    rows = read_csv(response.content)
    assert rows[0] == CRITERIA_HEADERS
    assert len(rows) == 1 + len(submission.payload["criteria"])
    first = dict(zip(rows[0], rows[1], strict=True))
    assert first["Kriterium"] == "1.1"
    assert first["Bereichstitel"] == "Bereich 1"
    assert first["Antworten"] == "1.1: erfüllt; 1.1.1: erfüllt"
    assert first["Beschreibung"] == "So erfüllen wir 1.1."
    assert first["erfüllt"] == "ja"
    assert "Kooperationsvereinbarung Beratungsstelle" in first["Nachweise"]
    assert EVIDENCE[0]["sha256"][:12] in first["Nachweise"]
    assert "gültig bis 14.10.2033" in first["Nachweise"]


def test_assessment_xlsx_cells(client, submission, alice):
    client.force_login(alice)
    response = client.get(reverse("reports:export_assessment", args=[submission.assessment_id, "xlsx"]))
    assert response.status_code == 200
    assert response["Content-Type"] == exports.XLSX_CONTENT_TYPE

    workbook = read_xlsx(response.content)
    assert workbook.sheetnames == ["Kriterien", "Info"]
    sheet = workbook["Kriterien"]
    assert [cell.value for cell in sheet[1]] == CRITERIA_HEADERS
    assert sheet["C2"].value == "1.1"
    assert sheet["F2"].value == 1  # points stay numbers
    assert sheet["I2"].value == "So erfüllen wir 1.1."
    assert sheet["K2"].value == "ja"
    assert sheet.freeze_panes == "A2"
    assert sheet.max_row == 1 + len(submission.payload["criteria"])
    info = {row[0].value: row[1].value for row in workbook["Info"].iter_rows()}
    assert info["Familienzentrum"] == "Familienzentrum Purzelbaum"
    assert submission.sha256 in info["Grundlage"]


def test_draft_exports_the_live_answers(client, draft, alice):
    assessment_services.save_answer(
        user=alice,
        assessment_id=draft.pk,
        criterion_code="1.1",
        item_statuses={"1.1": "fulfilled", "1.1.1": "planned"},
        narrative="Noch im Entwurf.",
        site_ids=[],
        expected_version=0,
    )
    client.force_login(alice)
    workbook = read_xlsx(client.get(reverse("reports:export_assessment", args=[draft.pk, "xlsx"])).content)
    sheet = workbook["Kriterien"]
    rows = {row[2].value: row for row in sheet.iter_rows(min_row=2)}
    assert rows["1.1"][7].value == "1.1: erfüllt; 1.1.1: in Planung"
    assert rows["1.1"][8].value == "Noch im Entwurf."
    assert rows["1.2"][7].value == "1.2: keine Antwort; 1.2.1: keine Antwort"
    info = {row[0].value: row[1].value for row in workbook["Info"].iter_rows()}
    assert info["Grundlage"] == "aktueller Entwurf (nicht eingereicht)"
    # Nothing was frozen on the way.
    assert not Submission.objects.exists()
    assert Answer.objects.count() == 1


def test_text_that_looks_like_a_formula_stays_text(client, draft, alice):
    assessment_services.save_answer(
        user=alice,
        assessment_id=draft.pk,
        criterion_code="1.1",
        item_statuses={"1.1": "fulfilled", "1.1.1": "fulfilled"},
        narrative='=HYPERLINK("http://evil.example","klick")',
        site_ids=[],
        expected_version=0,
    )
    client.force_login(alice)
    rows = read_csv(client.get(reverse("reports:export_assessment", args=[draft.pk, "csv"])).content)
    assert rows[1][8] == '\'=HYPERLINK("http://evil.example","klick")'

    sheet = read_xlsx(client.get(reverse("reports:export_assessment", args=[draft.pk, "xlsx"])).content)["Kriterien"]
    cell = sheet["I2"]
    assert cell.data_type == "s"
    assert cell.value == '=HYPERLINK("http://evil.example","klick")'


def test_office_export_of_all_assessments(
    client, certified, draft_of_other_centre, olga, django_assert_max_num_queries
):
    client.force_login(olga)
    rows = read_csv(client.get(reverse("reports:export_all", args=["csv"])).content)
    assert rows[0][:6] == ["Familienzentrum", "Träger", "Form", "Zertifizierungsnummer", "Verfahren", "Status"]
    assert rows[0][-5:] == [
        "Gutachter:in",
        "Zweitgutachter:in",
        "Gütesiegel-Nummer",
        "Gütesiegel gültig ab",
        "Gütesiegel gültig bis",
    ]
    by_centre = {row[0]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    assert set(by_centre) == {"Familienzentrum Purzelbaum", "Familienzentrum Anderswo"}
    seal = certified.seal
    purzelbaum = by_centre["Familienzentrum Purzelbaum"]
    assert purzelbaum["Status"] == "zertifiziert"
    assert purzelbaum["Gütesiegel-Nummer"] == seal.number
    assert purzelbaum["Gütesiegel gültig bis"] == seal.valid_until.strftime("%d.%m.%Y")
    assert purzelbaum["Gutachter:in"] == "Rita Gutachterin"
    assert by_centre["Familienzentrum Anderswo"]["Status"] == "Entwurf"
    assert by_centre["Familienzentrum Anderswo"]["Gütesiegel-Nummer"] == ""

    # The session and the user's roles, the row count (small enough to build
    # now?) and the one query of the rows.
    with django_assert_max_num_queries(7):
        response = client.get(reverse("reports:export_all", args=["xlsx"]))
    sheet = read_xlsx(response.content)["Selbstbewertungen"]
    header = [cell.value for cell in sheet[1]]
    values = {
        row[0].value: {h: c.value for h, c in zip(header, row, strict=True)} for row in sheet.iter_rows(min_row=2)
    }
    assert values["Familienzentrum Purzelbaum"]["Gütesiegel-Nummer"] == seal.number
    # Dates are real dates in Excel.
    assert values["Familienzentrum Purzelbaum"]["Gütesiegel gültig ab"].date() == seal.valid_from
    assert isinstance(values["Familienzentrum Anderswo"]["Prüfzeitraum von"].date(), date)


@pytest.fixture
def draft_of_other_centre(other_centre, bob, mini_catalogue):
    from certification.models import Area

    return assessment_services.start_assessment(
        user=bob,
        familienzentrum=other_centre,
        catalogue=mini_catalogue,
        kind="first",
        profile_areas=[Area.objects.get(catalogue=mini_catalogue, code="4F")],
        review_period_start=date(2026, 8, 1),
        review_period_end=date(2027, 1, 31),
    )
