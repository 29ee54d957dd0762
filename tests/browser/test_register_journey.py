"""The standing register on a phone (390 px): the Leitung finds it from her
start page, adds a qualification with its certificate (a PDF) and sees it in
the register, then adds a two-day course that lapses before the review year
ends and finds it in the list of what lapses."""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from certification.models import MembershipRole
from register.models import StaffQualification
from register.validity import current_review_year, years_after
from tests.assessments.files import PDF_BYTES
from tests.browser.helpers import assert_accessible, login
from tests.factories import FamilienzentrumFactory, MembershipFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHIPPED = Path(settings.BASE_DIR) / "certification" / "catalogues" / "gfz-2020-arbeitsfassung.yaml"
PHONE = {"width": 390, "height": 844}
SHOTS = os.environ.get("REGISTER_SHOTS")  # a folder: keep screenshots of each page there


def shot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/{name}-{page.viewport_size['width']}.png", full_page=True)


@pytest.fixture
def leitung(live_server):
    call_command("load_catalogue", str(SHIPPED), verbosity=0)
    centre = FamilienzentrumFactory(name="Familienzentrum Purzelbaum")
    user = UserFactory(email="leitung.register@example.org", full_name="Lea Leitung")
    MembershipFactory(user=user, role=MembershipRole.LEITUNG, site=centre.site_links.first().site)
    return user, centre


def test_the_leitung_keeps_her_register_on_a_phone(leitung, live_server, chromium_browser, tmp_path):
    user, centre = leitung
    context = chromium_browser.new_context(locale="de-DE", viewport=PHONE)
    context.set_default_timeout(15_000)
    page = context.new_page()
    certificate = tmp_path / "Bescheinigung Interkulturelle Öffnung.pdf"
    certificate.write_bytes(PDF_BYTES + b"% bescheinigung\n")
    today = timezone.localdate()
    end = current_review_year(today).end
    lapses_on = today + timedelta(days=max((end - today).days // 2, 0))

    login(page, live_server, user.email)
    page.get_by_test_id("register-link").click()
    expect(page.get_by_role("heading", name="Nachweisregister")).to_be_visible()
    assert_accessible(page)
    shot(page, "register-empty")

    page.get_by_role("link", name="Qualifikation eintragen").click()
    page.get_by_label(re.compile(r"^\s*Name")).fill("Maria Schmitz")
    page.get_by_label("Funktion").fill("Erzieherin")
    page.get_by_label(re.compile(r"^\s*Fortbildung")).fill("Interkulturelle Öffnung")
    page.get_by_label("abgeschlossen am").fill(years_after(today, -2).isoformat())
    page.get_by_label("Umfang (Stunden)").fill("40")
    page.get_by_label("Dauer (Tage)").fill("5")
    page.get_by_label("Bescheinigung (Datei)").set_input_files(str(certificate))
    assert_accessible(page)
    shot(page, "qualification-form")
    page.get_by_role("button", name="Eintragen").click()

    expect(page.get_by_role("status").first).to_contain_text("Interkulturelle Öffnung")
    row = page.get_by_test_id("qualifications").locator("tr", has_text="Interkulturelle Öffnung")
    expect(row.locator("[data-status=valid]")).to_be_visible()
    expect(row.get_by_role("link", name="herunterladen")).to_be_visible()
    # The page itself does not scroll sideways at 390 px: wide tables scroll in their own region.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert StaffQualification.objects.get().certificate.revisions.count() == 1

    page.get_by_role("link", name="Qualifikation eintragen").click()
    page.get_by_label(re.compile(r"^\s*Name")).fill("Jonas Becker")
    page.get_by_label(re.compile(r"^\s*Fortbildung")).fill("Elterngespräche führen")
    page.get_by_label("abgeschlossen am").fill(years_after(lapses_on, -7).isoformat())
    page.get_by_label("Umfang (Stunden)").fill("14")
    page.get_by_label("Dauer (Tage)").fill("2")
    # A second click cannot send the form again: the first disables the
    # button (seen here with the navigation held back, then let go).
    disabled_by_submit = page.evaluate(
        """() => {
            const button = document.querySelector("[data-submit-once]");
            const hold = (event) => event.preventDefault();
            button.form.addEventListener("submit", hold);
            button.click();
            const disabled = button.disabled;
            button.form.removeEventListener("submit", hold);
            button.disabled = false;
            return disabled;
        }"""
    )
    assert disabled_by_submit
    page.get_by_role("button", name="Eintragen").click()
    expect(page.get_by_test_id("register-summary")).to_contain_text("1 Eintrag")
    assert StaffQualification.objects.filter(person="Jonas Becker").count() == 1
    shot(page, "register")

    page.get_by_test_id("lapsing-link").click()
    expect(page).to_have_url(live_server.url + reverse("register:lapsing", args=[centre.pk]))
    listed = page.get_by_test_id("lapsing")
    expect(listed).to_contain_text("Elterngespräche führen")
    expect(listed).to_contain_text(f"läuft am {lapses_on:%d.%m.%Y} ab")
    expect(listed).not_to_contain_text("Interkulturelle Öffnung")
    assert_accessible(page)
    shot(page, "lapsing")
    if SHOTS:
        page.set_viewport_size({"width": 1366, "height": 900})
        shot(page, "lapsing")
        page.goto(live_server.url + reverse("register:register", args=[centre.pk]))
        shot(page, "register")
        page.get_by_role("link", name="Qualifikation eintragen").click()
        page.get_by_role("button", name="Eintragen").click()
        shot(page, "qualification-form-errors")
    context.close()
