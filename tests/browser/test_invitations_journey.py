"""Invitations followed up and queries answered where the Leitung looks
(issue 11, items 1, 4 and 5), in Chromium with JavaScript on and the demo
accounts: she invites the demo partner with "alle im Bereich" (the partner's
address filled in by choosing it), sees the invitation in the list, resends
it (the old link is refused with a clear message), the partner accepts, she
revokes it (the partner's link says it was withdrawn). Then, in a query
round, she reads the reviewer's cover note, sees the question on the
criterion card, goes back to the queries and replies: saved and refused
replies answer at the reply."""

from __future__ import annotations

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
from assessments.models import AssessmentKind, PartnerInvitation, Verdict
from assessments.views.review import anchor_for
from certification.models import Area, Familienzentrum, Kooperationspartner
from tests.assessments.conftest import answer_all
from tests.browser.helpers import assert_accessible, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHIPPED = Path(settings.BASE_DIR) / "certification" / "catalogues" / "gfz-2020-arbeitsfassung.yaml"
LEITUNG = "leitung.purzelbaum@example.org"
PARTNER = "partner@example.org"
REVIEWER = "gutachterin@example.org"
SECOND = "zweitgutachter@example.org"
COVER_NOTE = "Bitte beantworten Sie die Rückfrage bis Ende des Monats."
QUESTION = "Bitte legen Sie das aktuelle Verzeichnis der Beratungsstellen bei."


@pytest.fixture
def draft(live_server):
    call_command("load_catalogue", str(SHIPPED), verbosity=0)
    call_command("seed_demo", verbosity=0)
    # The demo partner with an address on file, as a registered organisation has.
    Kooperationspartner.objects.filter(memberships__user__email=PARTNER).update(email=PARTNER)
    leitung = User.objects.get(email=LEITUNG)
    catalogue = services.current_catalogue()
    return services.start_assessment(
        user=leitung,
        familienzentrum=Familienzentrum.objects.get(name__contains="Purzelbaum"),
        catalogue=catalogue,
        kind=AssessmentKind.FIRST,
        profile_areas=[Area.objects.get(catalogue=catalogue, code="4B")],
        review_period_start=date(2026, 8, 1),
        review_period_end=date(2027, 1, 31),
    )


def invitation_link(live_server) -> str:
    link = re.search(r"https?://\S+/einladung/\S+/", mail.outbox[-1].body).group(0)
    return live_server.url + link[link.index("/selbstbewertung/") :]


def test_invite_resend_revoke_and_the_partners_links(draft, page, live_server, chromium_browser):
    area_1 = draft.catalogue.areas.get(code="1")
    area_1_codes = list(area_1.criteria.order_by("order").values_list("code", flat=True))
    partner_name = Kooperationspartner.objects.get(memberships__user__email=PARTNER).name

    # --- The form: criteria grouped by area; the partner's address filled in.
    login(page, live_server, LEITUNG)
    page.goto(live_server.url + reverse("assessments:detail", args=[draft.pk]))
    page.get_by_role("link", name="Partner einladen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Kooperationspartner einladen")
    assert_accessible(page)
    area_group = page.get_by_role("group", name=f"{area_1.code} {area_1.title}")
    expect(area_group).to_be_visible()
    page.get_by_label("Kooperationspartner", exact=True).select_option(label=partner_name)
    expect(page.get_by_label("E-Mail-Adresse der Ansprechperson")).to_have_value(PARTNER)
    expect(page.locator("#email-filled")).to_contain_text("hinterlegte Adresse")
    area_group.get_by_label(re.compile(r"^alle im Bereich")).check()
    for code in area_1_codes:
        expect(area_group.get_by_label(re.compile(rf"^{re.escape(code)} "))).to_be_checked()
    # One criterion less: "alle im Bereich" shows half-chosen, the rest stay chosen.
    area_group.get_by_label(re.compile(rf"^{re.escape(area_1_codes[-1])} ")).uncheck()
    expect(area_group.get_by_label(re.compile(r"^alle im Bereich"))).not_to_be_checked()
    assert area_group.get_by_label(re.compile(r"^alle im Bereich")).evaluate("box => box.indeterminate")
    page.get_by_label(re.compile(r"^4B1 ")).check()
    page.get_by_role("button", name="Einladung senden").click()

    # --- The list shows whom she invited.
    expect(page.get_by_role("heading", level=1)).to_have_text("Eingeladene Kooperationspartner")
    expect(page.get_by_role("status").first).to_contain_text(f"Die Einladung an {PARTNER} ist angelegt")
    row = page.get_by_test_id("invitation")
    expect(row).to_have_count(1)
    expect(row.get_by_test_id("invitation-state")).to_have_text("eingeladen")
    expect(row).to_contain_text(partner_name)
    expect(row).to_contain_text(PARTNER)
    invitation = PartnerInvitation.objects.get()
    assert sorted(invitation.criteria.values_list("code", flat=True)) == sorted([*area_1_codes[:-1], "4B1"])
    expect(row.locator("summary")).to_contain_text(f"{len(area_1_codes)} Kriterien")
    assert_accessible(page)
    first_link = invitation_link(live_server)

    # --- Resend: a new link; the old one is refused with a clear message.
    row.get_by_role("button", name=re.compile(r"^Erneut senden")).click()
    expect(page.get_by_role("status").first).to_contain_text("neu gesendet")
    expect(page.get_by_test_id("invitation")).to_contain_text("zuletzt gesendet")
    second_link = invitation_link(live_server)
    assert second_link != first_link

    partner_context = chromium_browser.new_context(locale="de-DE")
    partner = partner_context.new_page()
    try:
        login(partner, live_server, PARTNER)
        partner.goto(first_link)
        expect(partner.get_by_role("heading", level=1)).to_have_text("Dieser Einladungslink gilt nicht")
        expect(partner.get_by_test_id("invitation-invalid")).to_contain_text("neuesten E-Mail")
        assert_accessible(partner)
        partner.goto(second_link)
        partner.get_by_role("button", name="Einladung annehmen").click()
        expect(partner.get_by_role("heading", level=1)).to_contain_text("Purzelbaum")
        access_url = partner.url

        # --- The Leitung sees the acceptance and revokes (after a question).
        page.reload()
        expect(page.get_by_test_id("invitation-state")).to_have_text("angenommen")
        page.once("dialog", lambda dialog: dialog.accept())
        page.get_by_test_id("invitation").get_by_role("button", name=re.compile(r"^Zurücknehmen")).click()
        expect(page.get_by_role("status").first).to_contain_text("ist zurückgenommen")
        expect(page.get_by_test_id("invitation-state")).to_have_text("zurückgenommen")
        expect(page.get_by_test_id("invitation").get_by_role("button")).to_have_count(0)
        assert_accessible(page)

        # --- The partner's link says it was withdrawn; the access is gone.
        partner.goto(second_link)
        expect(partner.get_by_test_id("invitation-invalid")).to_contain_text("hat diese Einladung zurückgenommen")
        response = partner.goto(access_url)
        assert response.status == 404
        partner.goto(live_server.url + reverse("assessments:partner_home"))
        expect(partner.get_by_role("main")).to_contain_text("Noch keine angenommenen Einladungen")
    finally:
        partner_context.close()

    # The timeline names each step.
    page.goto(live_server.url + reverse("assessments:detail", args=[draft.pk]))
    timeline = page.locator("ol.timeline")
    for step in ("Kooperationspartner eingeladen", "Einladung erneut gesendet", "Einladung angenommen"):
        expect(timeline).to_contain_text(step)
    expect(timeline).to_contain_text("Einladung zurückgenommen")


def test_revoking_can_be_cancelled(draft, page, live_server):
    leitung = User.objects.get(email=LEITUNG)
    invitation = services.invite_partner(
        user=leitung, assessment_id=draft.pk, criterion_codes=["1.1"], email=PARTNER, organisation_name="Neu e.V."
    )
    login(page, live_server, LEITUNG)
    page.goto(live_server.url + reverse("assessments:invitations", args=[draft.pk]))
    page.once("dialog", lambda dialog: dialog.dismiss())
    button = page.get_by_role("button", name=re.compile(r"^Zurücknehmen"))
    button.click()
    expect(button).to_be_enabled()  # not sent, and ready for another try
    invitation.refresh_from_db()
    assert invitation.revoked_at is None
    expect(page.get_by_test_id("invitation-state")).to_have_text("eingeladen")


@pytest.fixture
def asked(draft):
    """Submitted, assigned, 1.1 queried and the round sent with a cover note."""
    leitung = User.objects.get(email=LEITUNG)
    answer_all(draft, leitung)
    services.submit(user=leitung, assessment_id=draft.pk)
    office = User.objects.get(email="office@example.org")
    reviewer, second = User.objects.get(email=REVIEWER), User.objects.get(email=SECOND)
    services.assign_reviewers(user=office, assessment_id=draft.pk, reviewer=reviewer, second_reviewer=second)
    services.set_verdict(
        user=reviewer, assessment_id=draft.pk, criterion_code="1.1", verdict=Verdict.QUERIED, comment=QUESTION
    )
    services.request_changes(user=reviewer, assessment_id=draft.pk, note=COVER_NOTE)
    return draft


def test_answering_a_query_shows_it_on_the_card_and_confirms_the_reply(asked, page, live_server):
    criterion = asked.catalogue.criteria.get(code="1.1")
    login(page, live_server, LEITUNG)
    page.goto(live_server.url + reverse("assessments:queries", args=[asked.pk]))
    expect(page.get_by_test_id("cover-note")).to_contain_text(COVER_NOTE)
    assert_accessible(page)

    # To the criterion: the question is on its card, with a way back.
    page.get_by_role("link", name="Antwort zu 1.1 im Bereich ändern").click()
    card = page.locator(f"#kriterium-{criterion.pk}")
    expect(card.get_by_test_id("criterion-query")).to_contain_text(QUESTION)
    assert_accessible(page)
    card.get_by_role("link", name=re.compile(r"^Zurück zu den Rückfragen")).click()
    expect(page).to_have_url(re.compile(rf"/rueckfragen/#{anchor_for('1.1')}$"))

    # A refused reply (empty) is explained at the reply; focus goes there.
    query = page.locator(f"#{anchor_for('1.1')}")
    query.get_by_role("button", name=re.compile(r"^Antwort speichern")).click()
    expect(query.get_by_role("alert")).to_contain_text("Nicht gespeichert:")
    expect(query.get_by_label("Ihre Antwort zu 1.1")).to_have_attribute("aria-invalid", "true")
    expect(page.locator(f"#{anchor_for('1.1')}-error")).to_be_focused()

    # A saved reply is confirmed beside its button.
    query.get_by_label("Ihre Antwort zu 1.1").fill("Das Verzeichnis von 2026 hängt jetzt an.")
    query.get_by_role("button", name=re.compile(r"^Antwort speichern")).click()
    status = page.locator(f"#{anchor_for('1.1')}-status")
    expect(status).to_have_text("Antwort zu 1.1 gespeichert.")
    expect(status).to_be_focused()
    expect(page.get_by_test_id("unanswered")).to_have_text("Alle Rückfragen sind beantwortet.")

    # The card now shows the reply too.
    page.goto(live_server.url + reverse("assessments:area", args=[asked.pk, "1"]))
    expect(page.locator(f"#kriterium-{criterion.pk}").get_by_test_id("criterion-query")).to_contain_text(
        "Das Verzeichnis von 2026"
    )

    # A stale tab: the round ended meanwhile; the reason shows, the text stays.
    page.goto(live_server.url + reverse("assessments:queries", args=[asked.pk]))
    services.resubmit(user=User.objects.get(email=LEITUNG), assessment_id=asked.pk)
    query = page.locator(f"#{anchor_for('1.1')}")
    query.get_by_label("Ihre Antwort zu 1.1").fill("Noch ein Nachtrag, der nicht verloren gehen darf.")
    query.get_by_role("button", name=re.compile(r"^Antwort speichern")).click()
    expect(query.get_by_role("alert")).to_contain_text("solange sie offen sind")
    expect(query.get_by_label(re.compile(r"nicht gespeicherter Text"))).to_have_value(
        "Noch ein Nachtrag, der nicht verloren gehen darf."
    )
    assert_accessible(page)


def test_a_reply_after_the_session_ended_keeps_the_text(asked, page, live_server):
    login(page, live_server, LEITUNG)
    page.goto(live_server.url + reverse("assessments:queries", args=[asked.pk]))
    page.context.clear_cookies()
    query = page.locator(f"#{anchor_for('1.1')}")
    query.get_by_label("Ihre Antwort zu 1.1").fill("Getippt, als die Sitzung schon vorbei war.")
    query.get_by_role("button", name=re.compile(r"^Antwort speichern")).click()
    expect(page.locator(f"#{anchor_for('1.1')}-status")).to_contain_text("bitte neu anmelden")
    expect(query.get_by_label("Ihre Antwort zu 1.1")).to_have_value("Getippt, als die Sitzung schon vorbei war.")
