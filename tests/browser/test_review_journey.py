"""The review in a real browser with the demo accounts: the Leitung submits,
the office (with its TOTP code) assigns, the reviewer queries a criterion,
the Leitung answers and resubmits, the reviewer sees the change, records the
site visit and recommends; the recommender's crafted approval is refused, the
second reviewer approves, and the seal appears with its dates on the centre's
start page. axe-core checks every new page."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.db import OperationalError
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar
from playwright.sync_api import expect

from accounts.models import User
from assessments import services
from assessments.models import Assessment, AssessmentKind, AssessmentState, SiteVisit, Verdict
from certification.models import Area, Familienzentrum
from certification.services import seal_valid_until
from tests.assessments.conftest import answer_all, link_one_document
from tests.browser.helpers import assert_accessible, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHIPPED = Path(settings.BASE_DIR) / "certification" / "catalogues" / "gfz-2020-arbeitsfassung.yaml"
LEITUNG = "leitung.purzelbaum@example.org"
OFFICE = "office@example.org"
REVIEWER = "gutachterin@example.org"
SECOND = "zweitgutachter@example.org"
IN_BROWSER = {"1.1", "1.2"}  # the Leitung answers these herself


@pytest.fixture
def demo(live_server):
    call_command("load_catalogue", str(SHIPPED), verbosity=0)
    call_command("seed_demo", verbosity=0)


def prepared_draft() -> Assessment:
    """Purzelbaum's draft, every criterion but two answered as if done earlier."""
    leitung = User.objects.get(email=LEITUNG)
    centre = Familienzentrum.objects.get(name="Familienzentrum Purzelbaum")
    catalogue = services.current_catalogue()
    start, end = timezone.localdate().replace(month=1, day=1), timezone.localdate().replace(month=7, day=31)
    assessment = services.start_assessment(
        user=leitung,
        familienzentrum=centre,
        catalogue=catalogue,
        kind=AssessmentKind.FIRST,
        profile_areas=[Area.objects.get(catalogue=catalogue, code="4B")],
        review_period_start=start,
        review_period_end=end,
    )
    answer_all(assessment, leitung, skip_criteria=IN_BROWSER)
    # The evidence for the two criteria answered in the browser is already
    # linked: a fulfilled criterion without evidence cannot be submitted.
    document = assessment.evidence_links.first().evidence
    for code in sorted(IN_BROWSER):
        link_one_document(assessment, leitung, code, document)
    return assessment


def wait_until_saved(assessment: Assessment, criterion, seconds: float = 15) -> None:
    """Until every item of the criterion is stored as fulfilled: on a busy
    machine the card's last queued autosave can land after the network
    looked idle."""
    deadline = time.monotonic() + seconds
    codes = {item.code for item in criterion.items.all()}
    while time.monotonic() < deadline:
        try:
            answer = assessment.answers.filter(criterion=criterion).first()
        except OperationalError:
            # SQLite's shared test database refuses a read while the live
            # server's thread writes that very table: ask again.
            answer = None
        if answer and {code for code, status in answer.item_statuses.items() if status == "fulfilled"} >= codes:
            return
        time.sleep(0.2)
    raise AssertionError(f"the answer to {criterion.code} was not saved in {seconds} s")


def accept_all_but(assessment: Assessment, codes: set[str]) -> None:
    reviewer = User.objects.get(email=REVIEWER)
    for entry in assessment.latest_submission.payload["criteria"]:
        if entry["code"] not in codes:
            services.set_verdict(
                user=reviewer,
                assessment_id=assessment.pk,
                criterion_code=entry["code"],
                verdict=Verdict.ACCEPTED,
                comment="",
            )


def new_page(browser):
    context = browser.new_context(locale="de-DE", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    return context, context.new_page()


def test_review_journey_to_the_seal(demo, page, live_server, chromium_browser):
    url = live_server.url
    assessment = prepared_draft()

    # --- The Leitung answers the last two criteria in the browser and submits.
    login(page, live_server, LEITUNG)
    page.goto(url + reverse("assessments:area", args=[assessment.pk, "1"]))
    for criterion in assessment.catalogue.criteria.filter(code__in=IN_BROWSER).prefetch_related("items"):
        card = page.locator(f"#kriterium-{criterion.pk}")
        for item in criterion.items.all():
            card.locator(f'[data-item="{item.code}"]').get_by_label("erfüllt", exact=True).check()
        expect(page.locator(f"#status-{criterion.pk}")).to_contain_text("Gespeichert")
        # The card's queued save of the later items may still be on its way: let it land.
        page.wait_for_load_state("networkidle")
        wait_until_saved(assessment, criterion)
    page.goto(url + reverse("assessments:ready", args=[assessment.pk]))
    page.get_by_role("button", name="Jetzt verbindlich einreichen").click()
    expect(page.get_by_test_id("state")).to_have_text("eingereicht")

    # --- The office signs in with its TOTP code and assigns from the queue.
    office_context, office = new_page(chromium_browser)
    login(office, live_server, OFFICE)
    office.get_by_role("link", name="Begutachtungen verwalten").click()
    expect(office.get_by_test_id("review-queue")).to_contain_text("Familienzentrum Purzelbaum")
    assert_accessible(office)
    office.get_by_role("link", name=re.compile(r"^Zuweisen")).click()
    assert_accessible(office)
    office.get_by_label(re.compile(r"^\s*Gutachter:in")).select_option(label="Petra Lange (gutachterin@example.org)")
    office.get_by_label(re.compile(r"^\s*Zweitgutachter:in")).select_option(
        label="Thomas Krüger (zweitgutachter@example.org)"
    )
    office.get_by_role("button", name="Zuweisen und Begutachtung beginnen").click()
    expect(office.get_by_role("status").first).to_contain_text("Die Begutachtung ist vergeben")
    assessment.refresh_from_db()
    assert assessment.state == AssessmentState.IN_REVIEW

    # --- The reviewer: 2FA, her assignment on the start page, the workspace; she queries 1.1.
    reviewer_context, reviewer = new_page(chromium_browser)
    login(reviewer, live_server, REVIEWER)
    expect(reviewer.get_by_test_id("review-assignments")).to_contain_text("Familienzentrum Purzelbaum")
    reviewer.get_by_test_id("review-assignments").get_by_role("link", name="Familienzentrum Purzelbaum").click()
    expect(reviewer.get_by_role("heading", level=1)).to_contain_text("Begutachtung")
    assert_accessible(reviewer)
    accept_all_but(assessment, {"1.1"})  # the rest judged quickly, as if done earlier
    reviewer.goto(url + reverse("assessments:review_area", args=[assessment.pk, "1"]))
    assert_accessible(reviewer)
    card = reviewer.locator("#pruefung-1-1")
    card.get_by_label("Kommentar (für eine Rückfrage nötig)").fill("Bitte legen Sie das aktuelle Verzeichnis bei.")
    card.get_by_role("button", name=re.compile(r"^Rückfrage stellen")).click()
    expect(reviewer.locator("#pruefung-1-1").get_by_test_id("verdict")).to_have_text("Rückfrage")
    expect(reviewer.get_by_test_id("review-progress").first).to_contain_text("1 mit Rückfrage")
    reviewer.goto(url + reverse("assessments:review", args=[assessment.pk]))
    reviewer.get_by_role("button", name=re.compile(r"1 Rückfrage an das Familienzentrum senden")).click()
    expect(reviewer.get_by_test_id("state")).to_have_text("Rückfragen offen")

    # --- The Leitung reads the query, changes the answer, replies and resubmits.
    page.goto(url + reverse("assessments:detail", args=[assessment.pk]))
    page.get_by_role("link", name="Rückfragen beantworten").click()
    expect(page.get_by_test_id("query-comment")).to_contain_text("aktuelle Verzeichnis")
    assert_accessible(page)
    page.get_by_role("link", name="Antwort zu 1.1 im Bereich ändern").click()
    criterion = assessment.catalogue.criteria.get(code="1.1")
    page.locator(f"#kriterium-{criterion.pk} textarea").fill("Das Verzeichnis von 2026 hängt jetzt an.")
    expect(page.locator(f"#status-{criterion.pk}")).to_contain_text("Gespeichert")
    page.go_back()
    page.get_by_label("Ihre Antwort zu 1.1").fill("Das Verzeichnis ist aktualisiert und beschrieben.")
    page.get_by_role("button", name=re.compile(r"^Antwort speichern")).click()
    expect(page.get_by_test_id("unanswered")).to_have_text("Alle Rückfragen sind beantwortet.")
    page.get_by_role("button", name="Erneut einreichen").click()
    expect(page.get_by_test_id("state")).to_have_text("in Begutachtung")

    # --- The reviewer sees what changed and the reply, and accepts; "nur offene" shows nothing left.
    reviewer.goto(url + reverse("assessments:review_area", args=[assessment.pk, "1"]) + "?offen=1")
    card = reviewer.locator("#pruefung-1-1")
    expect(card.get_by_test_id("diff")).to_contain_text("2026")
    expect(card).to_contain_text("Das Verzeichnis ist aktualisiert und beschrieben.")
    assert_accessible(reviewer)
    card.get_by_role("button", name=re.compile(r"^Akzeptieren")).click()
    expect(reviewer.locator("#pruefung-1-1").get_by_test_id("verdict")).to_have_text("akzeptiert")
    reviewer.reload()
    expect(reviewer.locator("#review-cards")).to_contain_text("kein Kriterium mehr offen")

    # --- The site visit: planned (the Leitung is invited with a calendar file), then done.
    mail.outbox.clear()
    reviewer.goto(url + reverse("assessments:site_visit", args=[assessment.pk]))
    assert_accessible(reviewer)
    reviewer.get_by_label(re.compile(r"^\s*Datum")).fill("2030-03-10")
    reviewer.get_by_label(re.compile(r"^\s*Uhrzeit")).fill("09:30")
    reviewer.get_by_label("Hinweise für das Familienzentrum").fill("Bitte den Elternbereich zeigen.")
    reviewer.get_by_role("button", name="Planen und Einladung senden").click()
    expect(reviewer.get_by_test_id("visit-status")).to_contain_text("geplant")
    invitation = next(message for message in mail.outbox if "Begehung" in message.subject)
    assert invitation.to == [LEITUNG]
    event = Calendar.from_ical(invitation.attachments[0].get_payload(decode=True)).walk("VEVENT")[0]
    assert event.decoded("dtstart").strftime("%d.%m.%Y %H:%M") == "10.03.2030 09:30"
    assert "Purzelbaum" in str(event["location"])
    reviewer.goto(url + reverse("assessments:site_visit", args=[assessment.pk]))
    # Before its day a visit cannot be marked done: the button is not offered.
    expect(reviewer.get_by_role("button", name="Begehung ist durchgeführt")).to_have_count(0)
    # The day of the visit comes.
    SiteVisit.objects.filter(assessment=assessment).update(scheduled_for=timezone.now() - timedelta(minutes=5))
    reviewer.goto(url + reverse("assessments:site_visit", args=[assessment.pk]))
    reviewer.get_by_role("button", name="Begehung ist durchgeführt").click()
    expect(reviewer.get_by_test_id("visit-status")).to_contain_text("durchgeführt")

    # --- She recommends; the recommendation names the snapshot.
    reviewer.get_by_role("link", name="Zur Empfehlung").click()
    assert_accessible(reviewer)
    reviewer.get_by_role("button", name="Zur Zertifizierung empfehlen").click()
    expect(reviewer.get_by_test_id("state")).to_have_text("zur Zertifizierung empfohlen")

    # --- Four eyes: her own crafted approval is refused, nothing changes.
    csrf = next(cookie["value"] for cookie in reviewer_context.cookies() if cookie["name"] == "csrftoken")
    response = reviewer.request.post(
        url + reverse("assessments:approve", args=[assessment.pk]),
        headers={"X-CSRFToken": csrf, "Referer": url + "/"},
        form={"note": ""},
    )
    assert response.ok
    assert "Wer empfohlen hat, darf nicht selbst bestätigen." in response.text()
    assessment.refresh_from_db()
    assert assessment.state == AssessmentState.RECOMMENDED and assessment.seal is None

    # --- The second reviewer (2FA) decides on the named snapshot and approves.
    second_context, second = new_page(chromium_browser)
    login(second, live_server, SECOND)
    second.get_by_test_id("review-assignments").get_by_role("link", name="Familienzentrum Purzelbaum").click()
    sha = assessment.latest_submission.sha256
    expect(second.get_by_test_id("decision-sha")).to_have_text(sha)
    assert_accessible(second)
    second.get_by_role("button", name="Bestätigen").click()
    # The seal is issued only after its confirmation.
    assessment.refresh_from_db()
    assert assessment.seal is None
    assert_accessible(second)
    second.get_by_role("button", name="Gütesiegel erteilen").click()
    expect(second.get_by_test_id("decision-result")).to_contain_text("zertifiziert")
    expect(second.get_by_test_id("decision-result")).to_contain_text(sha)
    assert_accessible(second)
    assessment.refresh_from_db()
    assert assessment.state == AssessmentState.CERTIFIED
    seal = assessment.seal
    assert seal.valid_until == seal_valid_until(timezone.localdate())

    # --- The seal with its dates on the centre's start page; re-certification offered.
    page.goto(url + reverse("home"))
    status = page.get_by_test_id("seal-status")
    expect(status).to_contain_text(seal.number)
    expect(status).to_contain_text(seal.valid_from.strftime("%d.%m.%Y"))
    expect(status).to_contain_text(seal.valid_until.strftime("%d.%m.%Y"))
    expect(status).to_have_attribute("data-seal-state", re.compile(r"^(valid|ending_soon)$"))
    # The certificate is the main button; the re-certification is years away, so only a quiet link.
    expect(page.get_by_role("link", name="Urkunde herunterladen (PDF)")).to_be_visible()
    expect(page.get_by_role("link", name="Re-Zertifizierung starten", exact=True)).to_have_count(0)
    expect(page.get_by_role("link", name="Re-Zertifizierung vorzeitig starten")).to_be_visible()
    assert_accessible(page)

    for context in (office_context, reviewer_context, second_context):
        context.close()


def test_a_new_reviewer_sets_up_the_authenticator_app(demo, page, live_server):
    from base64 import b32decode

    from tests.factories import ReviewerFactory, UserFactory
    from tests.two_factor import current_code

    ReviewerFactory(user=UserFactory(email="neu.gutachter@example.org", full_name="Nina Neu"))
    page.goto(live_server.url + reverse("accounts:login"))
    page.get_by_label("E-Mail-Adresse").fill("neu.gutachter@example.org")
    page.get_by_label("Passwort").fill("familienzentrum")
    page.get_by_role("main").get_by_role("button", name="Anmelden").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Zwei-Faktor-Anmeldung einrichten")
    assert_accessible(page)
    # Nothing else opens before the setup is done.
    page.goto(live_server.url + reverse("certification:catalogue_list"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Zwei-Faktor-Anmeldung einrichten")
    secret = page.get_by_test_id("totp-secret").inner_text().replace(" ", "")
    page.get_by_label("Sechsstelliger Code aus der App").fill(current_code(b32decode(secret)))
    page.get_by_role("button", name="Einrichtung bestätigen").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Kriterienkatalog")

    # The next sign-in asks for the code.
    page.get_by_role("button", name="Abmelden").click()
    page.get_by_label("E-Mail-Adresse").fill("neu.gutachter@example.org")
    page.get_by_label("Passwort").fill("familienzentrum")
    page.get_by_role("main").get_by_role("button", name="Anmelden").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Code eingeben")
    assert_accessible(page)
