"""The offer journal on a phone (issue 13): the Leitung records a weekly
series for 1.3 in one go and sees 1.3 covered in the coverage panel; a typo
is refused on its field with everything typed kept; the demo partner adds an
offer through its invitation. Screenshots go to $SHOTS_DIR when it is set."""

from __future__ import annotations

import os
import re
import secrets
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
from assessments.models import AssessmentKind, PartnerAccess, PartnerInvitation
from certification.models import Area, Criterion, CriterionItem, Familienzentrum, Kooperationspartner
from journal.models import JournalEntry
from tests.browser.helpers import assert_accessible, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHIPPED = Path(settings.BASE_DIR) / "certification" / "catalogues" / "gfz-2020-arbeitsfassung.yaml"
LEITUNG = "leitung.purzelbaum@example.org"
PARTNER = "partner@example.org"
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
    centre = Familienzentrum.objects.get(name__contains="Purzelbaum")
    # An empty journal, and 1.3 asked weekly (until the catalogue version
    # with frequencies lands; two weeks per half may stay empty).
    JournalEntry.objects.filter(familienzentrum=centre).delete()
    catalogue = services.current_catalogue()
    CriterionItem.objects.filter(criterion__catalogue=catalogue, code="1.3").update(
        frequency={"per": "week", "allowed_gaps": 2}
    )
    return centre


def test_the_leitung_records_a_weekly_series_and_sees_1_3_covered(centre, page, live_server):
    year = timezone.localdate().year
    page.set_viewport_size(PHONE)
    login(page, live_server, LEITUNG)
    page.get_by_test_id("journal-link").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Angebotsjournal")
    coverage = page.get_by_test_id("coverage").locator('[data-criterion="1.3"]')
    expect(coverage).not_to_have_attribute("data-status", "met")
    assert_accessible(page)

    form = page.locator("form[action$='/eintragen/']")
    form.get_by_label("Was fand statt?").fill("Eltern-Kind-Gruppe „Krabbelkäfer“")
    form.get_by_label("Datum (erster Termin)").fill(f"{year}-01-01")
    form.get_by_label("Teilnehmende").fill("-3")
    form.get_by_role("checkbox", name=re.compile(r"^1\.3 ")).check()
    form.locator("summary", has_text="Mehr Angaben").click()
    form.get_by_label("Wiederholung").select_option(label="wöchentlich")
    form.get_by_label("bis (letzter möglicher Termin)").fill(f"{year + 1}-01-31")
    form.get_by_role("button", name="Eintragen").click()

    # Refused on its field; everything typed is still there.
    expect(page.get_by_test_id("form-errors")).to_be_visible()
    participants = page.get_by_label("Teilnehmende")
    expect(participants).to_have_value("-3")
    expect(page.locator("#id_participants").locator("xpath=..")).to_contain_text("zwischen 0 und")
    expect(page.get_by_label("Was fand statt?")).to_have_value("Eltern-Kind-Gruppe „Krabbelkäfer“")
    expect(page.get_by_label("Wiederholung")).to_have_value("weekly")
    assert not JournalEntry.objects.exists()
    assert_accessible(page)
    shoot(page, "journal-form-errors")

    participants.fill("9")
    page.get_by_role("button", name="Eintragen").click()
    expect(page.get_by_role("status").filter(has_text="Serie „Eltern-Kind-Gruppe „Krabbelkäfer““ mit")).to_be_visible()
    entry = JournalEntry.objects.get()
    assert entry.sessions.count() >= 56
    coverage = page.get_by_test_id("coverage").locator('[data-criterion="1.3"]')
    expect(coverage).to_have_attribute("data-status", "met")
    expect(coverage).to_contain_text("1. Halbjahr erfüllt")
    expect(coverage).to_contain_text("2. Halbjahr erfüllt")
    expect(page.get_by_test_id("entries")).to_contain_text("wöchentlich")
    assert_accessible(page)
    shoot(page, "journal-page")


@pytest.fixture
def partner_access(centre):
    leitung = User.objects.get(email=LEITUNG)
    catalogue = services.current_catalogue()
    assessment = services.start_assessment(
        user=leitung,
        familienzentrum=centre,
        catalogue=catalogue,
        kind=AssessmentKind.FIRST,
        profile_areas=[Area.objects.get(catalogue=catalogue, code="4B")],
        review_period_start=date(2026, 8, 1),
        review_period_end=date(2027, 1, 31),
    )
    partner = Kooperationspartner.objects.get(memberships__user__email=PARTNER)
    invitation = PartnerInvitation.objects.create(
        assessment=assessment,
        partner=partner,
        email=PARTNER,
        nonce=secrets.token_hex(16),
        created_by=leitung,
        accepted_at=timezone.now(),
    )
    criteria = Criterion.objects.filter(catalogue=catalogue, code__in=["1.5", "4B1"])
    invitation.criteria.set(criteria)
    access = PartnerAccess.objects.create(assessment=assessment, partner=partner, invitation=invitation)
    access.criteria.set(criteria)
    return access


def test_the_partner_adds_an_offer_through_its_invitation(partner_access, page, live_server):
    page.set_viewport_size(PHONE)
    login(page, live_server, PARTNER)
    page.goto(live_server.url + reverse("assessments:partner_access", args=[partner_access.pk]))
    page.get_by_test_id("partner-journal-link").click()
    form = page.get_by_test_id("partner-journal-form")
    # Only the invited criteria.
    expect(form.get_by_role("checkbox")).to_have_count(2)
    form.get_by_label("Was fand statt?").fill("Offene Sprechstunde der Erziehungsberatung")
    form.get_by_label("Teilnehmende").fill("5")
    form.get_by_role("checkbox", name=re.compile(r"^1\.5 ")).check()
    assert_accessible(page)
    shoot(page, "partner-form")
    form.get_by_role("button", name="Eintragen").click()
    expect(page.get_by_role("status").filter(has_text="ist im Journal gespeichert")).to_be_visible()
    expect(page.get_by_test_id("own-entries")).to_contain_text("Offene Sprechstunde der Erziehungsberatung")
    entry = JournalEntry.objects.get()
    assert entry.partner_id == partner_access.partner_id
    assert list(entry.tags.values_list("criterion_code", flat=True)) == ["1.5"]
