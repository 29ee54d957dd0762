"""The Leitung's self-assessment in a real browser: start it, answer criteria
in several areas while progress and thresholds follow, meet a colleague's
conflicting save without losing a word, and submit. axe-core checks the pages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from assessments import services
from assessments.models import Assessment, AssessmentState
from certification.models import Criterion
from tests.assessments.conftest import answer_all, link_one_document
from tests.browser.helpers import assert_accessible, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHIPPED = Path(settings.BASE_DIR) / "certification" / "catalogues" / "gfz-2020-arbeitsfassung.yaml"
LEITUNG = "leitung.purzelbaum@example.org"


@pytest.fixture
def demo(live_server):
    call_command("load_catalogue", str(SHIPPED), verbosity=0)
    call_command("seed_demo", verbosity=0)


def answer_in_browser(page, criterion: Criterion, status_label: str = "erfüllt") -> None:
    card = page.locator(f"#kriterium-{criterion.pk}")
    for item in criterion.items.all():
        card.locator(f'[data-item="{item.code}"]').get_by_label(status_label, exact=True).check()
    expect(page.locator(f"#status-{criterion.pk}")).to_contain_text("Gespeichert")
    # "Gespeichert" shows after the first save; the card's queued save of the
    # later items may still be on its way (hx-sync queues it): let it land.
    page.wait_for_load_state("networkidle")


def progress_text(page, area_code: str) -> str:
    return page.locator(f'[data-area-progress="{area_code}"]').inner_text()


def test_leitung_answers_meets_a_conflict_and_submits(demo, page, live_server, chromium_browser):
    from accounts.models import User

    leitung = User.objects.get(email=LEITUNG)
    login(page, live_server, LEITUNG)

    # Start the assessment from the start page.
    page.get_by_role("link", name="Selbstbewertung starten").click()
    assert_accessible(page)
    page.get_by_label("Erstzertifizierung").check()
    page.get_by_label(re.compile(r"^\s*4B\b")).check()
    page.get_by_role("button", name="Selbstbewertung anlegen").click()
    expect(page.get_by_test_id("state")).to_have_text("Entwurf")
    assessment = Assessment.objects.get(familienzentrum__name__contains="Purzelbaum")
    assert_accessible(page)

    # Everything but areas 1 and 4B is answered already (as if done earlier).
    answer_all(assessment, leitung, skip_areas={"1", "4B"})

    # Area 1 in the browser: progress and the area's threshold follow each answer.
    page.goto(live_server.url + reverse("assessments:area", args=[assessment.pk, "1"]))
    assert_accessible(page)
    rule = page.locator('[data-rule="bereich-1"]')
    expect(rule).to_have_attribute("data-met", "false")
    criteria = list(
        Criterion.objects.filter(catalogue=assessment.catalogue, area__code="1")
        .prefetch_related("items")
        .order_by("order")
    )
    total = len(criteria)
    expect(page.locator('[data-area-progress="1"]')).to_contain_text(f"0 von {total} beantwortet")
    for index, criterion in enumerate(criteria, start=1):
        answer_in_browser(page, criterion)
        expect(page.locator('[data-area-progress="1"]')).to_contain_text(f"{index} von {total} beantwortet")
    expect(rule).to_have_attribute("data-met", "true")

    # Area 4B, reached through the progress panel's link.
    page.get_by_role("link", name=re.compile(r"^4B ")).first.click()
    for criterion in (
        Criterion.objects.filter(catalogue=assessment.catalogue, area__code="4B")
        .prefetch_related("items")
        .order_by("order")
    ):
        answer_in_browser(page, criterion)
    expect(page.locator('[data-rule="profil"]')).to_have_attribute("data-met", "true")

    # A colleague in a second browser edits the same answer: the later,
    # stale save meets a conflict that shows both versions and keeps her text.
    first = criteria[0]
    other = chromium_browser.new_context(locale="de-DE")
    colleague = other.new_page()
    try:
        login(colleague, live_server, LEITUNG)
        colleague.goto(live_server.url + reverse("assessments:area", args=[assessment.pk, "1"]))
        page.goto(live_server.url + reverse("assessments:area", args=[assessment.pk, "1"]))
        page.locator(f"#kriterium-{first.pk} textarea").fill("Fassung aus dem ersten Browser.")
        expect(page.locator(f"#status-{first.pk}")).to_contain_text("Gespeichert")
        colleague.locator(f"#kriterium-{first.pk} textarea").fill("Fassung der Kollegin.")
        card = colleague.locator(f"#kriterium-{first.pk}")
        expect(card).to_contain_text("Jemand anderes hat diese Antwort inzwischen gespeichert")
        expect(card.get_by_test_id("theirs")).to_be_visible()
        expect(card).to_contain_text("Fassung aus dem ersten Browser.")
        expect(card.locator("textarea")).to_have_value("Fassung der Kollegin.")
        assert_accessible(colleague)
        # She keeps her version consciously.
        card.get_by_role("button", name="Meine Fassung speichern").click()
        # The confirmation stands in the card she is looking at.
        expect(colleague.locator(f"#antwort-{first.pk}-results")).to_contain_text("gespeichert")
    finally:
        other.close()
    answer = assessment.answers.get(criterion=first)
    assert answer.narrative == "Fassung der Kollegin."

    # The evidence of the criteria answered in the browser, linked as if uploaded
    # earlier: a fulfilled criterion without evidence cannot be submitted.
    document = assessment.evidence_links.first().evidence
    for criterion in Criterion.objects.filter(catalogue=assessment.catalogue, area__code__in=["1", "4B"]):
        link_one_document(assessment, leitung, criterion.code, document)

    # Ready to submit: nothing missing, submit once.
    page.goto(live_server.url + reverse("assessments:ready", args=[assessment.pk]))
    assert_accessible(page)
    page.get_by_role("button", name="Jetzt verbindlich einreichen").click()
    expect(page.get_by_test_id("state")).to_have_text("eingereicht")
    assert_accessible(page)
    assessment.refresh_from_db()
    assert assessment.state == AssessmentState.SUBMITTED
    assert assessment.submissions.count() == 1


def test_a_failed_autosave_is_reported_and_the_entry_kept(demo, page, live_server):
    from accounts.models import User
    from certification.models import Familienzentrum

    leitung = User.objects.get(email=LEITUNG)
    catalogue = services.current_catalogue()
    assessment = services.start_assessment(
        user=leitung,
        familienzentrum=Familienzentrum.objects.get(name__contains="Purzelbaum"),
        catalogue=catalogue,
        kind="first",
        profile_areas=[catalogue.areas.get(code="4B")],
        review_period_start=timezone.localdate(),
        review_period_end=timezone.localdate(),
    )
    criterion = catalogue.criteria.get(code="1.1")
    login(page, live_server, LEITUNG)
    page.goto(live_server.url + reverse("assessments:area", args=[assessment.pk, "1"]))
    # The server fails this save (as a locked database or a dropped connection would).
    page.route(f"**/kriterium/{criterion.code}/", lambda route: route.fulfill(status=500, body="Fehler"))
    page.locator(f"#kriterium-{criterion.pk} textarea").fill("Text, der nicht verloren gehen darf.")
    expect(page.locator(f"#status-{criterion.pk}")).to_contain_text("Nicht gespeichert")
    expect(page.locator(f"#kriterium-{criterion.pk} textarea")).to_have_value("Text, der nicht verloren gehen darf.")
    assert not assessment.answers.exists()
