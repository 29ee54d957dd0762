"""Evidence in a real browser: the Leitung invites the partner, the partner
accepts and uploads (and shares a library document), the Leitung links the
shared document and submits; the snapshot names each revision and its sha256."""

from __future__ import annotations

import hashlib
import re
from datetime import date
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from playwright.sync_api import expect

from accounts.models import User
from assessments import services
from assessments.models import AssessmentState
from certification.models import Area, Familienzentrum, Kooperationspartner
from evidence.models import Evidence, EvidenceRevision
from tests.assessments.conftest import answer_all
from tests.assessments.files import PDF_BYTES
from tests.browser.helpers import assert_accessible, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHIPPED = Path(settings.BASE_DIR) / "certification" / "catalogues" / "gfz-2020-arbeitsfassung.yaml"
LEITUNG = "leitung.purzelbaum@example.org"
PARTNER = "partner@example.org"


@pytest.fixture
def prepared(live_server):
    call_command("load_catalogue", str(SHIPPED), verbosity=0)
    # An empty document library: without the demo centre's year of records.
    call_command("seed_demo", "--no-records", verbosity=0)
    leitung = User.objects.get(email=LEITUNG)
    centre = Familienzentrum.objects.get(name__contains="Purzelbaum")
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
    answer_all(assessment, leitung)
    # 1.1 and 1.2 get their evidence in the browser (the partner's upload and
    # the shared agreement): the helper's document is taken off them.
    document = assessment.evidence_links.first().evidence
    for code in ("1.1", "1.2"):
        services.unlink_evidence(
            user=leitung, assessment_id=assessment.pk, criterion_code=code, evidence_id=document.pk
        )
    return assessment


def test_partner_contributes_and_the_snapshot_names_the_revisions(
    prepared, page, live_server, chromium_browser, tmp_path
):
    assessment = prepared
    pdf = tmp_path / "Kursnachweis Elternkurs.pdf"
    pdf.write_bytes(PDF_BYTES + b"% kursnachweis\n")
    agreement = tmp_path / "Kooperationsvereinbarung.pdf"
    agreement.write_bytes(PDF_BYTES + b"% vereinbarung\n")

    # The Leitung invites the partner to criterion 1.1.
    login(page, live_server, LEITUNG)
    page.goto(live_server.url + reverse("assessments:invite", args=[assessment.pk]))
    assert_accessible(page)
    partner_name = Kooperationspartner.objects.get(memberships__user__email=PARTNER).name
    page.get_by_label("Kooperationspartner", exact=True).select_option(label=partner_name)
    page.get_by_label("E-Mail-Adresse der Ansprechperson").fill(PARTNER)
    page.get_by_label(re.compile(r"^\s*1\.1 ")).check()
    page.get_by_role("button", name="Einladung senden").click()
    expect(page.get_by_role("status").first).to_contain_text("Einladung")
    link = re.search(r"https?://\S+/einladung/\S+/", mail.outbox[-1].body).group(0)
    link = live_server.url + link[link.index("/selbstbewertung/") :]

    # The partner accepts and uploads to the invited criterion, then shares a library document.
    partner_context = chromium_browser.new_context(locale="de-DE")
    partner = partner_context.new_page()
    try:
        login(partner, live_server, PARTNER)
        partner.goto(link)
        assert_accessible(partner)
        partner.get_by_role("button", name="Einladung annehmen").click()
        expect(partner.get_by_role("heading", level=1)).to_contain_text("Purzelbaum")
        assert_accessible(partner)
        card = partner.locator("article", has_text="1.1")
        card.get_by_label("Dateien wählen oder hierher ziehen").set_input_files(str(pdf))
        card.get_by_label("Art des Nachweises").select_option("offer")
        card.get_by_label("Datum des Nachweises").fill("2026-10-01")
        card.get_by_role("button", name="Hochladen").click()
        expect(partner.locator("article", has_text="1.1")).to_contain_text("Kursnachweis Elternkurs")

        partner.goto(live_server.url + reverse("assessments:partner_home"))
        partner.get_by_role("link", name=partner_name).click()
        assert_accessible(partner)
        partner.get_by_label("Dateien wählen oder hierher ziehen").set_input_files(str(agreement))
        partner.get_by_label("Art des Nachweises").select_option("agreement")
        partner.get_by_label("Datum des Nachweises").fill("2024-03-01")
        partner.get_by_role("button", name="Hochladen").click()
        document = partner.locator("article", has_text="Kooperationsvereinbarung")
        expect(document).to_be_visible()
        document.get_by_role("button", name="Freigeben").click()
        expect(partner.locator("article", has_text="Kooperationsvereinbarung")).to_contain_text("freigegeben für")
    finally:
        partner_context.close()

    # The Leitung sees the partner's upload on 1.1 and links the shared agreement to 1.2.
    page.goto(live_server.url + reverse("assessments:area", args=[assessment.pk, "1"]))
    criterion_12 = assessment.catalogue.criteria.get(code="1.2")
    card = page.locator(f"#kriterium-{assessment.catalogue.criteria.get(code='1.1').pk}")
    expect(card).to_contain_text("Kursnachweis Elternkurs")
    card_12 = page.locator(f"#kriterium-{criterion_12.pk}")
    shared = Evidence.objects.get(title__startswith="Kooperationsvereinbarung")
    # The documents to choose from arrive when the disclosure is opened.
    card_12.locator("summary", has_text="Vorhandenes oder freigegebenes Dokument verknüpfen").click()
    card_12.get_by_label("Dokument für 1.2").select_option(value=str(shared.pk))
    card_12.get_by_role("button", name="Verknüpfen").click()
    expect(page.locator(f"#kriterium-{criterion_12.pk}")).to_contain_text("Kooperationsvereinbarung")
    assert_accessible(page)

    # ... and submits.
    page.goto(live_server.url + reverse("assessments:ready", args=[assessment.pk]))
    page.get_by_role("button", name="Jetzt verbindlich einreichen").click()
    expect(page.get_by_test_id("state")).to_have_text("eingereicht")

    assessment.refresh_from_db()
    assert assessment.state == AssessmentState.SUBMITTED
    payload = assessment.latest_submission.payload
    by_code = {entry["code"]: entry for entry in payload["criteria"]}
    for code, content in (("1.1", pdf.read_bytes()), ("1.2", agreement.read_bytes())):
        (entry,) = by_code[code]["evidence"]
        revision = EvidenceRevision.objects.get(pk=entry["revision_id"])
        assert entry["sha256"] == revision.sha256 == hashlib.sha256(content).hexdigest()
