"""Reports in a real browser: the panel on the assessment page loads by
htmx, polls while a report is being built and stops when it is done; a
report is requested and downloaded. axe-core checks the pages."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from assessments import services as assessment_services
from assessments.models import AssessmentKind
from certification.models import Area, CatalogueVersion, Familienzentrum
from reports import services
from reports.models import Report, ReportKind, ReportStatus
from tests.assessments.conftest import answer_all
from tests.browser.helpers import assert_accessible, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHIPPED = Path(settings.BASE_DIR) / "certification" / "catalogues" / "gfz-2020-arbeitsfassung.yaml"
LEITUNG = "leitung.purzelbaum@example.org"


@pytest.fixture
def submitted(live_server):
    """Purzelbaum's assessment, answered and submitted (which, committed,
    builds the self-assessment report)."""
    from accounts.models import User

    call_command("load_catalogue", str(SHIPPED), verbosity=0)
    call_command("seed_demo", verbosity=0)
    leitung = User.objects.get(email=LEITUNG)
    catalogue = CatalogueVersion.objects.get()
    centre = Familienzentrum.objects.get(name__contains="Purzelbaum")
    assessment = assessment_services.start_assessment(
        user=leitung,
        familienzentrum=centre,
        catalogue=catalogue,
        kind=AssessmentKind.FIRST,
        profile_areas=[Area.objects.get(catalogue=catalogue, code="4B")],
        review_period_start=timezone.localdate(),
        review_period_end=timezone.localdate() + timedelta(days=180),
    )
    answer_all(assessment, leitung)
    assessment_services.submit(user=leitung, assessment_id=assessment.pk)
    return assessment


def test_leitung_sees_the_panel_poll_until_done_and_downloads(submitted, page, live_server):
    self_assessment = Report.objects.get(kind=ReportKind.SELF_ASSESSMENT)
    assert self_assessment.status == ReportStatus.DONE
    # A report waiting for a worker (none runs here, and none is asked): the panel must poll.
    submission = submitted.latest_submission
    pending = Report.objects.create(
        submission=submission,
        kind=ReportKind.EVIDENCE_INDEX,
        inputs=services.frozen_inputs(submission, ReportKind.EVIDENCE_INDEX),
        enqueued_at=timezone.now(),
    )

    login(page, live_server, LEITUNG)
    page.goto(live_server.url + reverse("assessments:detail", args=[submitted.pk]))
    panel = page.locator("#reports-panel")
    expect(panel.get_by_role("heading", name="Berichte")).to_be_visible()
    expect(panel.locator('[data-kind="evidence_index"]')).to_have_attribute("data-status", "queued")
    expect(panel).to_have_attribute("data-pending", "true")
    assert_accessible(page)

    # The worker finishes; the next poll shows it and polling stops.
    services.build_report(pending.pk)
    expect(panel.locator('[data-kind="evidence_index"]')).to_have_attribute("data-status", "done", timeout=10_000)
    expect(panel).to_have_attribute("data-pending", "false")

    with page.expect_download() as download_info:
        panel.get_by_role("link", name="Nachweisverzeichnis herunterladen").click()
    download = download_info.value
    assert download.suggested_filename.startswith("Nachweisverzeichnis_")
    assert download.suggested_filename.endswith(".pdf")
    assert Path(download.path()).read_bytes().startswith(b"%PDF-")

    # Rebuild the self-assessment from the panel (htmx swaps the panel).
    panel.get_by_role("button", name="Neu erstellen (Selbsteinschätzung)").click()
    # The rebuild runs in the request (eager tasks): WeasyPrint may take more than expect's 5 s on a busy machine.
    expect(page.locator("#reports-panel [role=status]")).to_have_text("Selbsteinschätzung ist fertig.", timeout=30_000)
    assert Report.objects.filter(kind=ReportKind.SELF_ASSESSMENT, status=ReportStatus.DONE).count() == 2

    page.get_by_role("link", name="Alle Berichte und Status aktualisieren").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Berichte und Exporte")
    assert_accessible(page)
