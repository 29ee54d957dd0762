"""The English interface, complete: every demo persona signs in with English
chosen and walks the pages of the demo journey; no page may show German.

German is found by its look: umlauts and ß, and common German words
(articles, conjunctions, the words of this domain). Proper names are allowed:
the seal's name, the demo centres, sites, Träger, partner, youth offices and
people. Text the users typed is neutral in the journey data
(tests/browser/journey_state.py), so what remains is the interface.

What the page says counts the way a person meets it: the visible text
(innerText, so a closed <details> does not count), the page title, and the
accessible names and hints (aria-label, title, placeholder, alt, options).
One deliberate exception: a notification is the message as it was e-mailed,
in German; in English its list shows the kind and keeps the German message
inside a closed "Show message (in German, as sent)" marked lang="de".
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from tests.browser.helpers import DEMO_PASSWORD
from tests.browser.journey_state import (
    LEITUNG,
    LEITUNG_VERBUND,
    OFFICE,
    PARTNER,
    REVIEWER,
    SECOND,
    TRAEGER,
    build_journey,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

GERMAN_WORDS = frozenset(
    """
    der die das den dem des ein eine einen einer eines und oder nicht kein keine noch nur auch
    ist sind wird werden wurde für mit von vom zu zum zur auf im bei aus nach über wie hier jetzt
    sie ihr ihre ihren wir alle bitte
    kriterium kriterien bereich bereiche nachweis nachweise selbstbewertung speichern gespeichert
    antwort antworten erfüllt offen rückfrage rückfragen standort standorte einreichen weiter
    zurück seite punkte familien eltern kinder angebot angebote beratung übersicht schwelle
    schwellen bericht berichte gültig datum teilweise gewählt abmelden anmelden begutachtung
    """.split()
)
UMLAUT = re.compile(r"[äöüÄÖÜß]")
# German compounds outside the word list ("Basisleistungen", "Arbeitsfassung").
GERMAN_ENDING = re.compile(r"(ungen|ung|keit|heit|schaft|lich|isch)$", re.IGNORECASE)
WORD = re.compile(r"[A-Za-zÄÖÜäöüß]+")
EMAIL = re.compile(r"\S+@\S+")

# Proper names, longest first so that a longer name is removed before a part of it.
PROPER_NAMES = sorted(
    [
        "Gütesiegel Familienzentrum NRW",
        "Gütesiegel Familienzentrum",  # the seal's name in the navigation bar
        "Kindertagesbetreuung Kreismäuse AöR",
        "Familienzentrum und Integrative Kita „Purzelbaum“",
        "Kita „Eifelzwerge“",
        "Kita „Straßer Wichtel“",
        "Erziehungs- und Familienberatungsstelle Jülich",
        "Jugendamt der Stadt Jülich",
        "Jugendamt des Kreises Düren",
        "Jülich-Broich",
        "Hürtgenwald-Gey",
        "Hürtgenwald-Straß",
        "Jülich",
        "Düren",
        "Thomas Krüger",
        "Deutsch",  # the language switch names each language in itself
    ],
    key=len,
    reverse=True,
)

PAGE_TEXT = """() => {
  const texts = [document.title, document.body.innerText];
  for (const el of document.querySelectorAll("[aria-label],[title],[placeholder],[alt]")) {
    for (const name of ["aria-label", "title", "placeholder", "alt"]) {
      if (el.getAttribute(name)) texts.push(el.getAttribute(name));
    }
  }
  for (const option of document.querySelectorAll("option")) texts.push(option.textContent);
  return texts.join("\\n");
}"""


def _looks_german(word: str) -> bool:
    return (
        word.lower() in GERMAN_WORDS
        or bool(UMLAUT.search(word))
        or (len(word) >= 7 and bool(GERMAN_ENDING.search(word)))
    )


def german_lines(text: str) -> list[str]:
    """The lines of `text` that look German, each with the words that gave it away."""
    text = EMAIL.sub(" ", text)  # leitung.purzelbaum@example.org is an address, not a word
    for name in PROPER_NAMES:
        text = text.replace(name, " ")
    found = []
    for line in text.splitlines():
        hits = [word for word in WORD.findall(line) if _looks_german(word)]
        if hits:
            found.append(f"{hits}: {line.strip()[:160]}")
    return found


def test_the_detector_sees_german_and_lets_names_and_english_pass():
    assert german_lines("Bitte wählen Sie ein Kriterium.")
    assert german_lines("Threshold “Basisleistungen”: 3 more points needed")  # a German compound
    assert german_lines("Größe")
    assert not german_lines("Welcome to Familienzentrum Purzelbaum, Kita „Straßer Wichtel“ in Hürtgenwald-Straß.")
    assert not german_lines("Gütesiegel Familienzentrum · Sign out · Criteria catalogue · Deutsch English")
    assert not german_lines("Signed in as leitung.purzelbaum@example.org")


def sign_in_in_english(page: Page, live_server, email: str) -> None:
    page.goto(live_server.url + reverse("accounts:login"))
    page.locator("#language-select").select_option("en")
    page.get_by_role("button", name="Wechseln").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Sign in").click()
    home = live_server.url + reverse("home")
    verify = live_server.url + reverse("accounts:two_factor_verify")
    page.wait_for_url(lambda url: url == home or url.startswith(verify))
    if page.url.startswith(verify):
        from tests.two_factor import demo_code

        page.get_by_label("Six-digit code from the app").fill(demo_code(email))
        page.get_by_role("main").get_by_role("button", name="Confirm").click()
    expect(page).to_have_url(home)


def journey_pages(journey) -> dict[str, list[str]]:
    purzelbaum, eifelzwerge = journey.purzelbaum.pk, journey.eifelzwerge.pk
    shared = [reverse("home"), reverse("notifications:list"), reverse("certification:catalogue_list")]
    return {
        LEITUNG: shared
        + [
            reverse("assessments:detail", args=[purzelbaum]),
            reverse("assessments:area", args=[purzelbaum, "1"]),
            reverse("assessments:ready", args=[purzelbaum]),
            reverse("assessments:queries", args=[purzelbaum]),
            reverse("assessments:evidence_index", args=[purzelbaum]),
            reverse("reports:assessment_reports", args=[purzelbaum]),
        ],
        LEITUNG_VERBUND: shared
        + [
            reverse("assessments:detail", args=[eifelzwerge]),
            reverse("assessments:profile", args=[eifelzwerge]),
            reverse("assessments:area", args=[eifelzwerge, "1"]),
            reverse("assessments:area", args=[eifelzwerge, "4B"]),
            reverse("assessments:ready", args=[eifelzwerge]),
            reverse("assessments:invite", args=[eifelzwerge]),
            reverse("assessments:withdraw", args=[eifelzwerge]),
        ],
        TRAEGER: [
            reverse("home"),
            reverse("assessments:detail", args=[purzelbaum]),
            reverse("assessments:detail", args=[eifelzwerge]),
        ],
        PARTNER: [reverse("home"), reverse("assessments:partner_home")],
        REVIEWER: [
            reverse("home"),
            reverse("assessments:review", args=[purzelbaum]),
            reverse("assessments:review_area", args=[purzelbaum, "1"]),
            reverse("assessments:site_visit", args=[purzelbaum]),
            reverse("notifications:list"),
        ],
        SECOND: [reverse("home")],
        OFFICE: [
            reverse("home"),
            reverse("assessments:review_overview"),
            reverse("assessments:detail", args=[purzelbaum]),
        ],
    }


def test_every_page_of_the_demo_journey_is_english(live_server, chromium_browser):
    journey = build_journey()
    problems = []
    for email, paths in journey_pages(journey).items():
        context = chromium_browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
        context.set_default_timeout(15_000)
        page = context.new_page()
        sign_in_in_english(page, live_server, email)
        for path in paths:
            response = page.goto(live_server.url + path)
            assert response.ok, f"{email} {path}: HTTP {response.status}"
            expect(page.locator("html")).to_have_attribute("lang", "en")
            problems += [f"{email} {path}: {line}" for line in german_lines(page.evaluate(PAGE_TEXT))]
        context.close()
    assert not problems, "German text on English pages:\n" + "\n".join(problems)


def test_the_english_timeline_names_the_kind_in_english(live_server, page):
    """The start event stored the kind's label in German; it is shown in the reader's language."""
    journey = build_journey()
    sign_in_in_english(page, live_server, LEITUNG)
    page.goto(live_server.url + reverse("assessments:detail", args=[journey.purzelbaum.pk]))
    start = page.locator('[data-action="start"]')
    expect(start).to_contain_text("Initial certification")
    expect(start).not_to_contain_text("Erstzertifizierung")
