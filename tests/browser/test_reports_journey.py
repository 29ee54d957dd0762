"""Reports in a real browser: the panel on the assessment page loads by
htmx, polls while a report is being built and stops when it is done; a
report is requested and downloaded; focus stays where the keyboard user is
through every swap of the panel, and checksums are the office's and the
reviewers'. axe-core checks the pages."""

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
    panel.get_by_role("button", name="Neu erstellen (Selbstbewertung)").click()
    # The rebuild runs in the request (eager tasks): WeasyPrint may take more than expect's 5 s on a busy machine.
    notice = page.locator("#reports-panel [data-panel-notice]")
    expect(notice).to_have_text("Selbstbewertung ist fertig.", timeout=30_000)
    expect(page.locator("#reports-panel-live")).to_have_text("Selbstbewertung ist fertig.")
    assert Report.objects.filter(kind=ReportKind.SELF_ASSESSMENT, status=ReportStatus.DONE).count() == 2

    page.get_by_role("link", name="Alle Berichte und Status aktualisieren").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Berichte und Exporte")
    assert_accessible(page)


FOCUSED_KEY = """() => {
  const active = document.activeElement;
  return active ? (active.getAttribute("data-focus-key") || active.id || active.tagName) : null;
}"""


def focused(page) -> str | None:
    return page.evaluate(FOCUSED_KEY)


def wait_for_focus(page, key: str) -> None:
    """htmx settles a swap a moment after it: focus is back by then."""
    try:
        page.wait_for_function(f"() => ({FOCUSED_KEY})() === {key!r}", timeout=3_000)
    except Exception:  # noqa: BLE001 - fail with what has the focus instead
        raise AssertionError(f"focus is on {focused(page)!r}, not on {key!r}") from None


def queue(submission, kind) -> Report:
    """A report waiting for a worker (none runs here): the panel polls."""
    return Report.objects.create(
        submission=submission, kind=kind, inputs=services.frozen_inputs(submission, kind), enqueued_at=timezone.now()
    )


def test_panel_keeps_the_keyboard_focus_through_polling_and_requests(submitted, page, live_server):
    submission = submitted.latest_submission
    evidence_index = queue(submission, ReportKind.EVIDENCE_INDEX)
    login(page, live_server, LEITUNG)
    page.goto(live_server.url + reverse("assessments:detail", args=[submitted.pk]))
    panel = page.locator("#reports-panel")
    expect(panel).to_have_attribute("data-pending", "true")
    # A centre user reads titles, dates and versions, no checksum.
    expect(panel.get_by_text("Fassung 1")).to_be_visible()
    expect(panel).not_to_contain_text("SHA-256")
    expect(panel).not_to_contain_text(submission.sha256[:12])

    # 1. The focused control survives a poll.
    rebuild = panel.get_by_role("button", name="Neu erstellen (Selbstbewertung)")
    rebuild.focus()
    page.evaluate("() => { document.getElementById('reports-panel').dataset.before = 'yes'; }")
    page.wait_for_function("() => !document.getElementById('reports-panel').dataset.before", timeout=10_000)
    wait_for_focus(page, "request-self_assessment")

    # 2. A control that is gone after the poll (its report is being built
    #    again) hands focus to its row's heading; the change is announced.
    queue(submission, ReportKind.SELF_ASSESSMENT)
    expect(panel.locator('[data-kind="self_assessment"]')).to_have_attribute("data-status", "queued", timeout=10_000)
    wait_for_focus(page, "report-heading-self_assessment")
    expect(page.locator("#reports-panel-live")).to_have_text("Selbstbewertung: wartet")

    # 3. The last poll (both reports done) keeps focus on the link the user is on.
    panel.get_by_role("link", name="Alle Berichte und Status aktualisieren").focus()
    for report in Report.objects.filter(status=ReportStatus.QUEUED):
        services.build_report(report.pk)
    expect(panel).to_have_attribute("data-pending", "false", timeout=10_000)
    wait_for_focus(page, "all-reports")
    # Built one after the other, the two may be announced by one poll or by two.
    expect(page.locator("#reports-panel-live")).to_contain_text("Nachweisverzeichnis: fertig")
    assert Report.objects.get(pk=evidence_index.pk).status == ReportStatus.DONE

    # 4. "Neu erstellen" by keyboard: the answer replaces the panel, focus
    #    stays on the button and the outcome is announced.
    panel.get_by_role("button", name="Neu erstellen (Nachweisverzeichnis)").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#reports-panel-live")).to_have_text("Nachweisverzeichnis ist fertig.", timeout=30_000)
    wait_for_focus(page, "request-evidence_index")
    assert_accessible(page)


def test_office_reads_the_checksums_in_the_panel(submitted, page, live_server):
    login(page, live_server, "office@example.org")
    page.goto(live_server.url + reverse("reports:assessment_reports", args=[submitted.pk]))
    panel = page.locator("#reports-panel")
    expect(panel).to_contain_text(f"SHA-256 {submitted.latest_submission.sha256[:12]}")
    report = Report.objects.get(kind=ReportKind.SELF_ASSESSMENT)
    expect(panel.locator("[data-testid=report-sha]")).to_contain_text(report.sha256[:12])
