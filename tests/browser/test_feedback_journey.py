"""The checklist answers where the Leitung is looking (issue 11), in Chromium
with JavaScript on: each uploaded file saved or refused with its reason in
the criterion's card (a body above the limit included), a file whose content
does not match its name reported, and an ended session that loses no typed
text: autosave says so, the sign-in link returns to the criterion, the text
is offered back and saved; "Speichern" after the session ended leads through
the login back to the card, never to HTTP 405."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.management import call_command
from django.urls import reverse
from playwright.sync_api import expect

from accounts.models import User
from assessments import services
from assessments.models import Answer
from certification.models import Area, Familienzentrum
from evidence.models import Evidence
from tests.assessments.files import PDF_BYTES
from tests.browser.helpers import DEMO_PASSWORD, assert_accessible, login
from tests.browser.journey_state import SHIPPED

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LEITUNG = "leitung.purzelbaum@example.org"


@pytest.fixture
def draft(live_server):
    call_command("load_catalogue", str(SHIPPED), verbosity=0)
    # An empty document library: without the demo centre's year of records.
    call_command("seed_demo", "--no-records", verbosity=0)
    catalogue = services.current_catalogue()
    return services.start_assessment(
        user=User.objects.get(email=LEITUNG),
        familienzentrum=Familienzentrum.objects.get(name__contains="Purzelbaum"),
        catalogue=catalogue,
        kind="first",
        profile_areas=[Area.objects.get(catalogue=catalogue, code="4B")],
        review_period_start=date(2026, 8, 1),
        review_period_end=date(2027, 1, 31),
    )


def _open_card(page, live_server, draft, code: str):
    criterion = draft.catalogue.criteria.get(code=code)
    page.goto(live_server.url + reverse("assessments:area", args=[draft.pk, criterion.area.code]))
    return criterion, page.locator(f"#kriterium-{criterion.pk}")


def _upload(card, path, *, date_text: str | None = "2026-10-01") -> None:
    form = card.locator("form.upload-form")
    if not form.is_visible():
        card.get_by_text("Nachweise hochladen", exact=True).click()
    form.get_by_label("Dateien wählen oder hierher ziehen").set_input_files(str(path))
    if date_text:
        form.get_by_label("Datum des Nachweises").fill(date_text)
    form.get_by_role("button", name="Hochladen").click()


def _drop_session(context) -> None:
    """The session ends (as after its age or a sign-out elsewhere); the CSRF cookie stays."""
    kept = [cookie for cookie in context.cookies() if cookie["name"] != "sessionid"]
    context.clear_cookies()
    context.add_cookies(kept)


def test_uploads_answer_in_the_card(draft, page, live_server, tmp_path, settings):
    login(page, live_server, LEITUNG)
    criterion, card = _open_card(page, live_server, draft, "1.1")
    results = card.locator(f"#nachweise-{criterion.pk}-results")

    # A program is refused with its reason; the form stays open with its entries.
    program = tmp_path / "setup.exe"
    program.write_bytes(b"MZ\x90\x00" + b"\x00" * 200)
    _upload(card, program)
    expect(results).to_contain_text("„setup.exe“ abgelehnt: Nicht erlaubt: ausführbare Programmdatei")
    expect(results).to_contain_text("Nichts wurde gespeichert")
    expect(results).to_be_focused()
    form = card.locator("form.upload-form")
    expect(form).to_be_visible()
    expect(form.get_by_label("Datum des Nachweises")).to_have_value("2026-10-01")
    expect(form.get_by_role("button", name="Hochladen")).to_be_enabled()
    # Not at the top of the page, where nobody looking at the card would see it.
    expect(page.locator("main > .messages")).to_have_count(0)

    # A file above the per-file limit: refused in the card, nothing stored.
    settings.MAX_UPLOAD_MB = 1
    scan = tmp_path / "Scan gross.pdf"
    scan.write_bytes(PDF_BYTES + b"%" + b"0" * (1024 * 1024 + 10))
    _upload(card, scan, date_text=None)
    expect(results).to_contain_text("„Scan gross.pdf“ abgelehnt: Die Datei ist größer als 1 MB.")

    # A body above the request limit is refused before any view runs: its reason still reaches the card.
    settings.MAX_UPLOAD_FILES = 1  # the body may be at most (1 x 1 + 1) MB
    huge = tmp_path / "Riesenscan.pdf"
    huge.write_bytes(PDF_BYTES + b"%" + b"0" * (3 * 1024 * 1024))
    _upload(card, huge, date_text=None)
    expect(results).to_contain_text("Die Dateien sind zu groß")
    expect(results).to_contain_text("Es wurde nichts gespeichert")
    expect(form.get_by_role("button", name="Hochladen")).to_be_enabled()
    assert not Evidence.objects.exists()
    settings.MAX_UPLOAD_MB, settings.MAX_UPLOAD_FILES = 20, 10

    # A real PDF is confirmed in the card and listed, without a SHA-256 for the centre.
    plan = tmp_path / "Hygieneplan.pdf"
    plan.write_bytes(PDF_BYTES)
    _upload(card, plan, date_text=None)
    expect(results).to_contain_text("„Hygieneplan.pdf“ gespeichert.")
    expect(card.locator("[data-evidence]")).to_contain_text("Hygieneplan.pdf")
    expect(card.locator("code[title='SHA-256']")).to_have_count(0)

    # A text file named like a PDF is saved as what it is, and that is said aloud.
    disguised = tmp_path / "Hygieneplan 2.pdf"
    disguised.write_bytes(b"Hygieneplan\nHaende waschen, Flaechen desinfizieren\n")
    _upload(card, disguised)
    expect(results).to_contain_text(
        "„Hygieneplan 2.pdf“ wurde als Textdatei erkannt und als „Hygieneplan 2.txt“ gespeichert."
    )
    expect(card.locator("[data-evidence]", has_text="Hygieneplan 2.txt")).to_be_visible()

    # "Neue Fassung" is a disclosure, not a permanent file input; its answer lands in the card too.
    document = card.locator("[data-evidence]", has_text="Hygieneplan.pdf").first
    expect(document.get_by_label("Datei der neuen Fassung von „Hygieneplan.pdf“")).to_be_hidden()
    document.get_by_text("Neue Fassung", exact=True).click()
    document.get_by_label("Datei der neuen Fassung von „Hygieneplan.pdf“").set_input_files(str(program))
    document.get_by_role("button", name="Neue Fassung hochladen").click()
    expect(results).to_contain_text("„setup.exe“ abgelehnt")
    assert Evidence.objects.get(title="Hygieneplan.pdf").revisions.count() == 1
    assert_accessible(page)


def test_an_ended_session_keeps_the_text_and_returns_to_the_criterion(draft, page, live_server):
    login(page, live_server, LEITUNG)
    criterion, card = _open_card(page, live_server, draft, "1.2")
    _drop_session(page.context)

    text = "Unsere Fachkraft hat die Fortbildung im Mai abgeschlossen."
    card.get_by_label("Beschreibung (wie erfüllen Sie das Kriterium?)").fill(text)
    status = card.locator(f"#status-{criterion.pk}")
    expect(status).to_contain_text("Nicht gespeichert – bitte neu anmelden")
    assert not Answer.objects.filter(assessment=draft, criterion=criterion, narrative=text).exists()

    # Sign in through the link in the status line: back at the same criterion.
    status.get_by_role("link", name="Anmelden und zu diesem Kriterium zurückkehren").click()
    page.get_by_label("E-Mail-Adresse").fill(LEITUNG)
    page.get_by_label("Passwort").fill(DEMO_PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Anmelden").click()
    area_url = live_server.url + reverse("assessments:area", args=[draft.pk, criterion.area.code])
    expect(page).to_have_url(f"{area_url}#kriterium-{criterion.pk}")

    # The text is offered back; restoring saves it.
    card = page.locator(f"#kriterium-{criterion.pk}")
    offer = card.locator("[data-draft-offer]")
    expect(offer).to_be_visible()
    expect(offer).to_contain_text(text)
    assert_accessible(page)
    offer.get_by_role("button", name="Nicht gespeicherter Text wiederherstellen").click()
    expect(card.get_by_label("Beschreibung (wie erfüllen Sie das Kriterium?)")).to_have_value(text)
    expect(card.locator(f"#status-{criterion.pk}")).to_contain_text("Gespeichert um")
    expect(offer).to_be_hidden()
    assert Answer.objects.get(assessment=draft, criterion=criterion).narrative == text

    # Saved: nothing is offered again.
    page.reload()
    expect(page.locator(f"#kriterium-{criterion.pk} [data-draft-offer]")).to_be_hidden()


def test_an_expired_form_token_is_reported_as_an_ended_session(draft, page, live_server):
    login(page, live_server, LEITUNG)
    criterion, card = _open_card(page, live_server, draft, "1.4")
    page.context.clear_cookies()  # session and CSRF cookie gone: the autosave gets 403
    card.get_by_label("Beschreibung (wie erfüllen Sie das Kriterium?)").fill("Konzept liegt vor.")
    expect(card.locator(f"#status-{criterion.pk}")).to_contain_text("Nicht gespeichert – bitte neu anmelden")
    expect(card.get_by_role("link", name="Anmelden und zu diesem Kriterium zurückkehren")).to_be_visible()


def test_speichern_after_the_session_ended_leads_back_to_the_card(draft, page, live_server):
    login(page, live_server, LEITUNG)
    criterion, card = _open_card(page, live_server, draft, "1.3")
    _drop_session(page.context)
    text = "Eltern-Kind-Gruppe jeden Dienstag."
    card.get_by_label("Beschreibung (wie erfüllen Sie das Kriterium?)").fill(text)
    card.get_by_role("button", name="Speichern").click()

    expect(page.get_by_role("heading", name="Anmelden")).to_be_visible()
    page.get_by_label("E-Mail-Adresse").fill(LEITUNG)
    page.get_by_label("Passwort").fill(DEMO_PASSWORD)
    with page.expect_response(lambda response: "/kriterium/" in response.url) as answer:
        page.get_by_role("main").get_by_role("button", name="Anmelden").click()
    assert answer.value.status != 405
    area_url = live_server.url + reverse("assessments:area", args=[draft.pk, criterion.area.code])
    expect(page).to_have_url(f"{area_url}#kriterium-{criterion.pk}")
    offer = page.locator(f"#kriterium-{criterion.pk} [data-draft-offer]")
    expect(offer).to_contain_text(text)
