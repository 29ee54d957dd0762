"""Readiness in a real browser: a Verbund with every criterion answered but
no evidence is told so, grouped by area with titles; it follows a link to a
per-site criterion, names the missing site on the card and sees that
problem go. And a certified centre's start page leads with its seal and
certificate without pushing a re-certification years early."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import User
from assessments import services
from assessments.evaluation import areas_with_scope
from assessments.models import Assessment, AssessmentState, ItemStatus, Submission
from certification.models import Area, Familienzentrum, Guetesiegel
from reports.models import Report, ReportKind, ReportStatus
from tests.assessments.conftest import answer_all
from tests.browser.helpers import assert_accessible, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHIPPED = Path(settings.BASE_DIR) / "certification" / "catalogues" / "gfz-2020-arbeitsfassung.yaml"
VERBUND_LEITUNG = "leitung.eifelzwerge@example.org"
LEITUNG = "leitung.purzelbaum@example.org"


@pytest.fixture
def demo(live_server):
    call_command("load_catalogue", str(SHIPPED), verbosity=0)
    call_command("seed_demo", verbosity=0)


def start(email: str, centre_name: str) -> tuple[Assessment, User]:
    leitung = User.objects.get(email=email)
    centre = Familienzentrum.objects.get(name__contains=centre_name)
    catalogue = services.current_catalogue()
    assessment = services.start_assessment(
        user=leitung,
        familienzentrum=centre,
        catalogue=catalogue,
        kind="first",
        profile_areas=[Area.objects.get(catalogue=catalogue, code="4B")],
        review_period_start=date(2026, 8, 1),
        review_period_end=date(2027, 1, 31),
    )
    return assessment, leitung


def test_a_verbund_without_evidence_walks_the_readiness_page(demo, page, live_server):
    assessment, leitung = start(VERBUND_LEITUNG, "Eifelzwerge")
    answer_all(assessment, leitung, evidence=False)
    # 1.5 must be met at every site; the Leitung named only the first.
    criterion = assessment.catalogue.criteria.get(code="1.5")
    first, second = (link.site for link in assessment.familienzentrum.site_links.order_by("pk"))
    answer = assessment.answers.get(criterion=criterion)
    services.save_answer(
        user=leitung,
        assessment_id=assessment.pk,
        criterion_code="1.5",
        item_statuses={item.code: ItemStatus.FULFILLED for item in criterion.items.all()},
        narrative=answer.narrative,
        site_ids=[first.pk],
        expected_version=answer.version,
    )
    in_scope = sum(len(area.criteria.all()) for area in areas_with_scope(assessment))

    login(page, live_server, VERBUND_LEITUNG)
    page.goto(live_server.url + reverse("assessments:ready", args=[assessment.pk]))
    summary = page.get_by_test_id("readiness-summary")
    expect(summary).to_contain_text("Kriterien offen.")
    expect(summary).to_contain_text("als erfüllt angegebenen Kriterien fehlt noch jeder Nachweis")
    expect(page.get_by_role("button", name="Jetzt verbindlich einreichen")).to_have_count(0)
    # Grouped by area, headed by code and title; each link names its criterion.
    expect(page.get_by_role("heading", name="1 Beratung und Unterstützung von Kindern und Familien")).to_be_visible()
    expect(page.get_by_role("heading", name="8 Leistungsentwicklung und Selbstevaluation")).to_be_visible()
    row = page.locator("[data-criterion='1.5']")
    expect(row).to_contain_text(f"Muss an jedem Standort erfüllt sein: bitte auch {second.name} nennen.")
    expect(row).to_contain_text("Als erfüllt angegeben, aber noch kein Nachweis verknüpft.")
    expect(page.locator("#problems [data-criterion]")).to_have_count(in_scope)  # each criterion once
    assert_accessible(page)

    # The link leads to the card, which says the site rule before anyone submits.
    page.get_by_role("link", name="1.5 Offene Beratungssprechstunde").click()
    expect(page).to_have_url(
        f"{live_server.url}{reverse('assessments:area', args=[assessment.pk, '1'])}#kriterium-{criterion.pk}"
    )
    card = page.locator(f"#kriterium-{criterion.pk}")
    expect(card.get_by_test_id("site-requirement")).to_have_text("Muss an jedem Standort erfüllt sein")
    other_card = page.locator(f"#kriterium-{assessment.catalogue.criteria.get(code='1.1').pk}")
    expect(other_card.get_by_test_id("site-requirement")).to_have_text("Bitte den erbringenden Standort nennen")
    assert_accessible(page)
    card.get_by_role("group", name="Erbracht von Standort").get_by_label(second.name).check()
    expect(card.locator("[role=status]")).to_contain_text("Gespeichert")

    # Back on the readiness page only the missing evidence is left for 1.5.
    page.goto(live_server.url + reverse("assessments:ready", args=[assessment.pk]))
    row = page.locator("[data-criterion='1.5']")
    expect(row).to_contain_text("Als erfüllt angegeben, aber noch kein Nachweis verknüpft.")
    expect(row).not_to_contain_text("Muss an jedem Standort")


def test_a_certified_centre_starts_with_its_seal_and_certificate(demo, page, live_server):
    assessment, leitung = start(LEITUNG, "Purzelbaum")
    today = timezone.localdate()
    seal = Guetesiegel.objects.create(
        familienzentrum=assessment.familienzentrum,
        number="GS-FZ-2026-00007",
        valid_from=today,
        valid_until=date(today.year + 4, 7, 31),
        snapshot_sha256="a" * 64,
    )
    Assessment.objects.filter(pk=assessment.pk).update(state=AssessmentState.CERTIFIED, seal=seal)
    submission = Submission.objects.create(
        assessment=assessment, number=1, submitted_by=leitung, payload={}, sha256="a" * 64
    )
    Report.objects.create(
        submission=submission,
        kind=ReportKind.CERTIFICATE,
        status=ReportStatus.DONE,
        file_name="urkunde-test.pdf",
        download_name="Urkunde.pdf",
        content_type="application/pdf",
    )

    login(page, live_server, LEITUNG)
    card = page.get_by_test_id("centre-card")
    expect(card.get_by_test_id("seal-number")).to_have_text("GS-FZ-2026-00007")
    expect(card.get_by_test_id("seal-valid-until")).to_contain_text(seal.valid_until.strftime("%d.%m.%Y"))
    download = card.get_by_role("link", name="Urkunde herunterladen (PDF)")
    expect(download).to_be_visible()
    expect(download).to_have_class("btn btn-primary")
    # Four years early the re-certification is a quiet link, not the main button.
    expect(card.get_by_role("link", name="Re-Zertifizierung starten", exact=True)).to_have_count(0)
    expect(card.get_by_role("link", name="Re-Zertifizierung vorzeitig starten")).to_be_visible()
    expect(card.get_by_test_id("recertification-later")).to_contain_text("Bis dahin ist nichts zu tun.")
    # The seal comes first, above the sites and the next steps.
    box = card.get_by_test_id("seal-status").bounding_box()
    later = card.get_by_test_id("recertification-later").bounding_box()
    assert box["y"] < later["y"]
    assert_accessible(page)
