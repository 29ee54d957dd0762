"""Issue 13's proof at 390 px, on the corrected catalogue (2020-AF2) and the
demo centre's year of records: the Leitung finds the 4B1 gap of the second
half-year, records a weekly series and sees 1.3 covered, takes the journal's
entries over as evidence on the checklist card, and after submitting finds
them in the self-assessment's PDF."""

from __future__ import annotations

import io
import re
from datetime import date
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect
from pypdf import PdfReader

from accounts.models import User
from assessments import services
from assessments.models import AssessmentKind, JournalLink
from certification.models import Area, Familienzentrum
from journal.models import JournalEntry, JournalTag
from reports.models import Report, ReportKind, ReportStatus
from tests.assessments.conftest import answer_all
from tests.browser.helpers import assert_accessible, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CATALOGUES = Path(settings.BASE_DIR) / "certification" / "catalogues"
LEITUNG = "leitung.purzelbaum@example.org"
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def year_of_records(live_server):
    """What `make run` makes: both catalogue versions and the demo data,
    with Purzelbaum's journal of this review year; its 1.3 entries are left
    for the Leitung to record. A first certification over the review year on
    the version in force (2020-AF2), answered."""
    call_command("load_catalogue", *sorted(str(path) for path in CATALOGUES.glob("*.yaml")), verbosity=0)
    call_command("seed_demo", verbosity=0)
    centre = Familienzentrum.objects.get(name__contains="Purzelbaum")
    JournalEntry.objects.filter(familienzentrum=centre, tags__criterion_code="1.3").delete()
    leitung = User.objects.get(email=LEITUNG)
    catalogue = services.current_catalogue()
    assert catalogue.version == "2020-AF2"
    year = timezone.localdate().year
    assessment = services.start_assessment(
        user=leitung,
        familienzentrum=centre,
        catalogue=catalogue,
        kind=AssessmentKind.FIRST,
        profile_areas=[Area.objects.get(catalogue=catalogue, code="4B")],
        review_period_start=date(year, 1, 1),
        review_period_end=date(year + 1, 1, 31),
    )
    answer_all(assessment, leitung)
    return assessment


def pdf_text(content: bytes) -> str:
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages))


def test_the_year_of_records_becomes_the_evidence(year_of_records, page, live_server):
    assessment = year_of_records
    year = timezone.localdate().year
    page.set_viewport_size(PHONE)
    login(page, live_server, LEITUNG)

    # The journal names the gap: the second half-year's course has 6 of its 8 sessions.
    page.get_by_test_id("journal-link").first.click()
    coverage = page.get_by_test_id("coverage")
    expect(coverage.locator('[data-criterion="4B1"]')).to_contain_text(
        "im 2. Halbjahr fehlt ein Angebot mit mindestens 8 Terminen"
    )
    expect(coverage.locator('[data-criterion="1.3"]')).not_to_have_attribute("data-status", "met")

    # A weekly series in one go covers 1.3 in both halves.
    form = page.locator("form[action$='/eintragen/']")
    form.get_by_label("Was fand statt?").fill("Eltern-Kind-Gruppe „Krabbelkäfer“")
    form.get_by_label("Datum (erster Termin)").fill(f"{year}-01-06")
    form.get_by_label("Teilnehmende").fill("9")
    form.get_by_role("checkbox", name=re.compile(r"^1\.3 ")).check()
    form.locator("summary", has_text="Mehr Angaben").click()
    form.get_by_label("Wiederholung").select_option(label="wöchentlich")
    form.get_by_label("bis (letzter möglicher Termin)").fill(f"{year + 1}-01-26")
    form.get_by_role("button", name="Eintragen").click()
    expect(page.get_by_role("status").filter(has_text="Serie „Eltern-Kind-Gruppe „Krabbelkäfer““ mit")).to_be_visible()
    expect(page.get_by_test_id("coverage").locator('[data-criterion="1.3"]')).to_have_attribute("data-status", "met")
    assert_accessible(page)

    # On the checklist card the journal's entries for 4B1 are offered and taken over in one click.
    page.goto(live_server.url + reverse("assessments:area", args=[assessment.pk, "4B"]))
    section = page.get_by_test_id("journal-4B1")
    expect(section.get_by_test_id("journal-coverage")).to_contain_text("fehlt ein Angebot mit mindestens 8 Terminen")
    section.get_by_test_id("journal-take-over").click()
    taken = page.get_by_test_id("journal-4B1").get_by_test_id("journal-taken-over")
    expect(taken).to_contain_text("Bewegungskurs „Kleine Entdecker“")
    expect(taken).to_contain_text("Forscherkurs „Wasser und Luft“")
    assert JournalLink.objects.filter(assessment=assessment, criterion__code="4B1").count() == 2
    assert_accessible(page)

    # Submitted, the self-assessment's PDF lists them as evidence.
    services.submit(user=User.objects.get(email=LEITUNG), assessment_id=assessment.pk)
    report = Report.objects.get(submission__assessment=assessment, kind=ReportKind.SELF_ASSESSMENT)
    assert report.status == ReportStatus.DONE
    response = page.request.get(live_server.url + reverse("reports:download", args=[assessment.pk, report.pk]))
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    text = pdf_text(response.body())
    assert "Angebotsjournal: Bewegungskurs „Kleine Entdecker“, wöchentlich, 8 Termine" in text
    assert "Angebotsjournal: Forscherkurs „Wasser und Luft“, wöchentlich, 6 Termine" in text
    assert JournalTag.objects.filter(criterion_code="4B1").count() == 2
