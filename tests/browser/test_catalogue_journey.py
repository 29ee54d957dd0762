"""A Leitung signs in, finds the catalogue and reads criterion 1.1; every
page on the way passes axe-core's WCAG 2.1 A/AA rules. The language switch
in the navbar turns the interface English."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse
from playwright.sync_api import expect

from tests.browser.helpers import DEMO_PASSWORD, assert_accessible, login

pytestmark = pytest.mark.browser

CATALOGUE_FILE = Path(settings.BASE_DIR) / "certification" / "catalogues" / "gfz-2020-arbeitsfassung.yaml"


@pytest.fixture
def demo(transactional_db):
    call_command("seed_demo", "--no-catalogue", stdout=io.StringIO())


@pytest.fixture
def shipped_catalogue(transactional_db):
    call_command("load_catalogue", str(CATALOGUE_FILE), stdout=io.StringIO())


def test_leitung_finds_criterion_1_1(page, live_server, demo, shipped_catalogue):
    page.goto(live_server.url + "/")

    # Anonymous: sent to the German login page.
    expect(page).to_have_url(re.compile(re.escape(reverse("accounts:login")) + r"\?next=/$"))
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.get_by_role("heading", level=1)).to_have_text("Anmelden")
    assert_accessible(page)

    page.get_by_label("E-Mail-Adresse").fill("leitung.purzelbaum@example.org")
    page.get_by_label("Passwort").fill(DEMO_PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Anmelden").click()

    # The start page names her Familienzentrum.
    expect(page).to_have_url(live_server.url + "/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Willkommen")
    expect(page.get_by_role("heading", name="Familienzentrum Purzelbaum")).to_be_visible()
    expect(page.get_by_text("Eifelzwerge")).to_have_count(0)
    assert_accessible(page)

    page.get_by_role("navigation", name="Hauptnavigation").get_by_role("link", name="Kriterienkatalog").click()
    expect(page).to_have_url(live_server.url + reverse("certification:catalogue_list"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Kriterienkatalog")
    versions = page.get_by_role("main").get_by_role("table").get_by_role("link")
    expect(versions).to_have_count(1)
    assert_accessible(page)

    versions.first.click()
    expect(page).to_have_url(re.compile(r"/katalog/\d+/$"))
    criterion = page.locator('[id="kriterium-1.1"]')
    expect(criterion.get_by_role("heading", level=3)).to_contain_text("1.1")
    expect(criterion).to_contain_text("1.1 UND 1.1.1")
    expect(criterion).to_contain_text("Erfüllt, wenn alle Punkte erfüllt sind.")
    expect(criterion).to_contain_text(re.compile(r"Basis|Aufbau"))
    expect(criterion).to_contain_text("Punkt")
    expect(page.get_by_role("heading", name="Schwellenregeln")).to_be_visible()
    assert_accessible(page)

    # The area navigation jumps within the page; the filter shows one area.
    page.get_by_role("link", name=re.compile(r"^Nur Bereich 1 anzeigen$")).click()
    expect(page).to_have_url(re.compile(r"\?bereich=1$"))
    expect(page.locator('[id="kriterium-1.1"]')).to_be_visible()
    expect(page.locator('section[id^="bereich-"]')).to_have_count(1)
    assert_accessible(page)


def test_language_switch_to_english(page, live_server, demo):
    login(page, live_server, "leitung.eifelzwerge@example.org")
    expect(page.locator("html")).to_have_attribute("lang", "de")

    navigation = page.get_by_role("navigation", name="Hauptnavigation")
    navigation.get_by_label("Sprache").select_option("en")
    navigation.get_by_role("button", name="Wechseln").click()

    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page).to_have_url(live_server.url + "/")
    # The choice sticks for the next page, and the English page is accessible too.
    page.goto(live_server.url + reverse("certification:catalogue_list"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert_accessible(page)


def test_login_page_in_english_is_accessible(page, live_server, demo):
    page.goto(live_server.url + reverse("accounts:login"))
    page.get_by_label("Sprache").select_option("en")
    page.get_by_role("button", name="Wechseln").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert_accessible(page)


@pytest.mark.parametrize(
    "email",
    [
        "traeger@example.org",
        "partner@example.org",
        "gutachterin@example.org",
        "office@example.org",
    ],
)
def test_start_page_of_every_role_is_accessible(page, live_server, demo, email):
    login(page, live_server, email)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Willkommen")
    assert_accessible(page)
