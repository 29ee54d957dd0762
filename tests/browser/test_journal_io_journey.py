"""The journal's import on a phone (issue 13): the Leitung uploads a CSV with
two bad rows and sees both named above the form, nothing imported; she
uploads the fixed file and finds the entries in her journal; the print view
shows them by criterion. Screenshots go to $SHOTS_DIR when it is set."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from certification.models import CriterionItem, Familienzentrum
from journal.models import JournalEntry
from tests.browser.helpers import assert_accessible, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHIPPED = Path(settings.BASE_DIR) / "certification" / "catalogues" / "gfz-2020-arbeitsfassung.yaml"
LEITUNG = "leitung.purzelbaum@example.org"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}


def shoot(page, name: str) -> None:
    folder = os.environ.get("SHOTS_DIR")
    if not folder:
        return
    Path(folder).mkdir(parents=True, exist_ok=True)
    for label, size in (("1366", DESKTOP), ("390", PHONE)):
        page.set_viewport_size(size)
        page.screenshot(path=str(Path(folder) / f"{name}-{label}.png"), full_page=True)
    page.set_viewport_size(PHONE)


@pytest.fixture
def centre(live_server):
    call_command("load_catalogue", str(SHIPPED), verbosity=0)
    call_command("seed_demo", verbosity=0)
    # The frequencies the corrected catalogue states (until that version lands).
    wanted = {
        "1.3": {"per": "week", "allowed_gaps": 6},
        "1.5": {"per": "month"},
        "4B1": {"per": "half_year", "min_sessions": 8},
        "4B2": {"per": "half_year"},
        "4F2": {"per": "year"},
    }
    for code, frequency in wanted.items():
        CriterionItem.objects.filter(code=code).update(frequency=frequency)
    return Familienzentrum.objects.get(name__contains="Purzelbaum")


def csv_text(year: int, *, broken: bool) -> str:
    lines = [
        "Titel;Art;Datum;Wiederholung;bis;Termine;Teilnehmende;Kriterien;Notiz",
        f"Babymassage;Kurs;;einzelne Termine;;02.03.{year}, 09.03.{year}, 16.03.{year};6;1.3;",
        f"Elterncafé;Gruppe oder Treff;05.02.{year};monatlich;05.06.{year};;{'-5' if broken else '12'};1.5;",
        f"Vorlesestunde;Veranstaltung;{year}-04-22;einmalig;;;15;4B2;mit der Stadtbibliothek",
        f"Waldtag;Veranstaltung;13.06.{year};;;;20;{'4Q7' if broken else '4B2'};",
    ]
    return "\r\n".join(lines) + "\r\n"


def test_an_import_with_two_bad_rows_names_both_and_the_fixed_file_goes_in(centre, page, live_server, tmp_path):
    year = timezone.localdate().year
    before = JournalEntry.objects.filter(familienzentrum=centre).count()
    page.set_viewport_size(PHONE)
    login(page, live_server, LEITUNG)
    page.goto(live_server.url + reverse("journal:import", args=[centre.pk]))
    expect(page.get_by_role("heading", level=1)).to_have_text("Angebote importieren")

    broken = tmp_path / "journal.csv"
    broken.write_text(csv_text(year, broken=True), encoding="utf-8-sig")
    page.get_by_label("Datei (CSV oder XLSX)").set_input_files(str(broken))
    page.get_by_role("button", name="Importieren").click()

    problems = page.get_by_test_id("import-problems")
    expect(problems).to_be_visible()
    expect(problems).to_contain_text("Nichts importiert: 2 Probleme")
    expect(problems).to_contain_text("Zeile 3, Teilnehmende:")
    expect(problems).to_contain_text("Zeile 5, Kriterien: Unbekanntes Kriterium: 4Q7.")
    assert JournalEntry.objects.filter(familienzentrum=centre).count() == before
    assert_accessible(page)
    shoot(page, "journal-import-errors")

    fixed = tmp_path / "journal-korrigiert.csv"
    fixed.write_text(csv_text(year, broken=False), encoding="utf-8-sig")
    page.get_by_label("Datei (CSV oder XLSX)").set_input_files(str(fixed))
    page.get_by_role("button", name="Importieren").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Angebotsjournal")
    expect(page.get_by_text("4 Einträge mit 10 Terminen importiert.")).to_be_visible()
    entries = page.get_by_test_id("entries")
    for title in ("Babymassage", "Elterncafé", "Vorlesestunde", "Waldtag"):
        expect(entries.get_by_text(title, exact=True)).to_be_visible()
    assert JournalEntry.objects.filter(familienzentrum=centre).count() == before + 4

    page.goto(live_server.url + reverse("journal:print", args=[centre.pk]) + f"?jahr={year}")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Angebotsjournal")
    expect(page.get_by_role("heading", name="Einträge nach Kriterium und Halbjahr")).to_be_visible()
    expect(page.locator("article.criterion", has_text="Vorlesestunde").first).to_be_visible()
    expect(page.locator("table.coverage")).to_contain_text("4B1")
    expect(page.locator("table.coverage")).to_contain_text("im 2. Halbjahr fehlt ein Angebot mit mindestens 8 Terminen")
    expect(page.get_by_role("button", name="Drucken")).to_be_visible()
    assert_accessible(page)
    shoot(page, "journal-print")
    page.emulate_media(media="print")
    expect(page.get_by_role("button", name="Drucken")).to_be_hidden()
    if os.environ.get("SHOTS_DIR"):
        page.set_viewport_size(DESKTOP)
        page.screenshot(path=str(Path(os.environ["SHOTS_DIR"]) / "journal-print-media-print.png"), full_page=True)
