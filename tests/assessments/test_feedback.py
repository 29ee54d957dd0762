"""Issue 11 without JavaScript: upload results (saved, refused with the
reason, renamed to what the content is) shown in the criterion's card after
the redirect, never only at the top of the page; fingerprints only for the
review side; an ended session that leads through the login back to the card,
and no POST-only URL answering a GET with 405."""

from __future__ import annotations

from datetime import date
from urllib.parse import quote

import pytest
from django.urls import reverse

from assessments import services
from evidence.models import Evidence, EvidenceKind
from evidence.services import EvidenceDetails
from tests.assessments.files import PDF_BYTES, upload
from tests.factories import PASSWORD
from tests.unchanged import everything

LOGIN = reverse("accounts:login")


def _region(body: str, region_id: str) -> str:
    """The HTML of the element with this id, up to the end of its section or article."""
    start = body.index(f'id="{region_id}"')
    end = min(index for index in (body.find("</section>", start), body.find("</article>", start)) if index > 0)
    return body[start:end]


def _top_messages(body: str) -> str:
    """The messages base.html shows above the page's content (here: before its breadcrumbs)."""
    if '<div class="messages">' not in body:
        return ""
    return body[body.index('<div class="messages">') : body.index('aria-label="Brotkrumen"')]


@pytest.fixture
def card(client, alice, draft):
    client.force_login(alice)
    criterion = draft.catalogue.criteria.get(code="1.1")
    area = reverse("assessments:area", args=[draft.pk, criterion.area.code])
    return {
        "criterion": criterion,
        "upload": reverse("assessments:evidence_upload", args=[draft.pk, "1.1"]),
        "save": reverse("assessments:save_answer", args=[draft.pk, "1.1"]),
        "area": area,
        "card": f"{area}#kriterium-{criterion.pk}",
        "prefix": f"e{criterion.pk}",
        "region": f"nachweise-{criterion.pk}",
    }


def _post_files(client, card, *files):
    prefix = card["prefix"]
    data = {f"{prefix}-files": list(files), f"{prefix}-kind": "offer", f"{prefix}-effective_date": "2026-09-01"}
    return client.post(card["upload"], data, follow=True)


def test_a_refused_file_is_named_with_its_reason_in_the_card(client, card):
    before = everything()
    response = _post_files(
        client, card, upload("setup.exe", b"MZ\x90\x00" + b"\x00" * 64), upload("Plan.pdf", PDF_BYTES)
    )
    assert response.redirect_chain[-1] == (card["card"], 302)
    body = response.content.decode()
    section = _region(body, card["region"])
    assert "Nichts wurde gespeichert." in section
    assert "„setup.exe“ abgelehnt: Nicht erlaubt: ausführbare Programmdatei" in section
    assert "„Plan.pdf“ wäre in Ordnung, ist aber mit den anderen nicht gespeichert" in section
    assert "abgelehnt" not in _top_messages(body)
    assert not Evidence.objects.exists()
    # Not even the acceptable Plan.pdf is left behind in storage.
    assert everything() == before


def test_a_saved_file_is_confirmed_in_the_card(client, card):
    body = _post_files(client, card, upload("Hygieneplan.pdf", PDF_BYTES)).content.decode()
    section = _region(body, card["region"])
    assert "„Hygieneplan.pdf“ gespeichert." in section
    assert 'data-result="success"' in section


def test_a_file_whose_content_differs_from_its_name_is_reported(client, card):
    body = _post_files(client, card, upload("Hygieneplan.pdf", b"Hygieneplan\nHaende waschen\n")).content.decode()
    section = _region(body, card["region"])
    assert "„Hygieneplan.pdf“ wurde als Textdatei erkannt und als „Hygieneplan.txt“ gespeichert." in section
    assert Evidence.objects.get().revisions.get().original_name == "Hygieneplan.txt"


def test_a_jpeg_named_jpeg_is_not_reported_as_renamed(client, card):
    from tests.assessments.files import JPEG_BYTES

    body = _post_files(client, card, upload("Foto.jpeg", JPEG_BYTES)).content.decode()
    section = _region(body, card["region"])
    assert "gespeichert." in section and "erkannt" not in section


def test_a_refused_new_revision_answers_in_the_card(client, card, alice, draft):
    (document,) = services.upload_for_criterion(
        user=alice,
        assessment_id=draft.pk,
        criterion_code="1.1",
        files=[upload("Plan.pdf", PDF_BYTES)],
        details=EvidenceDetails(kind=EvidenceKind.OFFER, effective_date=date(2026, 9, 1)),
    )
    url = reverse("assessments:evidence_revision", args=[document.pk]) + f"?next={quote(card['card'])}"
    before = everything()
    response = client.post(
        url,
        {"file": upload("setup.exe", b"MZ\x90\x00"), "next": card["card"], "region": card["region"]},
        follow=True,
    )
    section = _region(response.content.decode(), card["region"])
    assert "„setup.exe“ abgelehnt" in section
    assert document.revisions.count() == 1
    assert everything() == before


def test_the_centre_sees_no_fingerprints_the_office_does(client, card, alice, draft, olga):
    services.upload_for_criterion(
        user=alice,
        assessment_id=draft.pk,
        criterion_code="1.1",
        files=[upload("Plan.pdf", PDF_BYTES)],
        details=EvidenceDetails(kind=EvidenceKind.OFFER, effective_date=date(2026, 9, 1)),
    )
    sha = Evidence.objects.get().revisions.get().sha256[:12]
    body = client.get(card["area"]).content.decode()
    assert "Plan.pdf" in body and sha not in body
    client.force_login(olga)
    assert sha in client.get(card["area"]).content.decode()


def test_the_plain_speichern_confirms_in_the_card(client, card):
    data = {f"c{card['criterion'].pk}-version": "0", f"c{card['criterion'].pk}-narrative": "Liste liegt aus."}
    response = client.post(card["save"], data, follow=True)
    body = response.content.decode()
    assert "Antwort zu 1.1 gespeichert." in _region(body, f"antwort-{card['criterion'].pk}-results")
    assert "Antwort zu 1.1 gespeichert." not in _top_messages(body)


def test_an_autosave_says_it_was_saved_and_the_login_page_says_what_it_is(client, card):
    data = {f"c{card['criterion'].pk}-version": "0", f"c{card['criterion'].pk}-narrative": "Liste liegt aus."}
    saved = client.post(card["save"], data, HTTP_HX_REQUEST="true")
    assert saved.status_code == 200 and saved["X-Answer-Saved"] == "1"
    assert "Gespeichert um" in saved.content.decode()
    client.logout()
    assert client.get(LOGIN)["X-Login-Page"] == "1"
    # An autosave of an ended session follows the redirect to the login page, which says so.
    followed = client.post(card["save"], data, HTTP_HX_REQUEST="true", follow=True)
    assert followed.redirect_chain[0][0].startswith(f"{LOGIN}?next=")
    assert followed["X-Login-Page"] == "1"


def test_speichern_after_the_session_ended_returns_to_the_card_after_signing_in(client, card, alice):
    client.logout()
    data = {f"c{card['criterion'].pk}-version": "0", f"c{card['criterion'].pk}-narrative": "Nach dem Ende."}
    response = client.post(card["save"], data)
    assert response.status_code == 302
    assert response.url == f"{LOGIN}?next={card['save']}"

    signed_in = client.post(LOGIN, {"username": alice.email, "password": PASSWORD, "next": card["save"]})
    assert (signed_in.status_code, signed_in.url) == (302, card["save"])
    landing = client.get(signed_in.url)
    assert (landing.status_code, landing.url) == (302, card["card"])
    assert client.get(landing.url).status_code == 200


def test_the_sign_in_link_of_the_card_returns_to_the_criterion(client, card, alice):
    client.logout()
    next_url = card["card"]
    signed_in = client.post(LOGIN, {"username": alice.email, "password": PASSWORD, "next": next_url})
    assert (signed_in.status_code, signed_in.url) == (302, next_url)


def test_post_only_urls_send_a_get_somewhere_sensible(client, card, alice, draft):
    (document,) = services.upload_for_criterion(
        user=alice,
        assessment_id=draft.pk,
        criterion_code="1.1",
        files=[upload("Plan.pdf", PDF_BYTES)],
        details=EvidenceDetails(kind=EvidenceKind.OFFER, effective_date=date(2026, 9, 1)),
    )
    pk = draft.pk
    revision = reverse("assessments:evidence_revision", args=[document.pk])
    expected = {
        card["save"]: card["card"],
        card["upload"]: card["card"],
        reverse("assessments:evidence_unlink", args=[pk, "1.1", document.pk]): card["card"],
        reverse("assessments:save_answer", args=[pk, "9.99"]): reverse("assessments:detail", args=[pk]),
        f"{revision}?next={quote(card['card'])}": card["card"],
        revision: reverse("home"),
        f"{revision}?next=https://example.com/": reverse("home"),
        reverse("assessments:set_verdict", args=[pk, "1.1"]): reverse("assessments:review", args=[pk]),
        reverse("assessments:request_changes", args=[pk]): reverse("assessments:review", args=[pk]),
        reverse("assessments:site_visit_done", args=[pk]): reverse("assessments:site_visit", args=[pk]),
        reverse("assessments:approve", args=[pk]): reverse("assessments:decision", args=[pk]),
        reverse("assessments:send_back", args=[pk]): reverse("assessments:decision", args=[pk]),
        reverse("assessments:grant", args=[document.pk]): reverse("assessments:partner_home"),
        reverse("notifications:mark_all_read"): reverse("notifications:list"),
        reverse("reports:request", args=[pk]): reverse("reports:assessment_reports", args=[pk]),
    }
    for url, target in expected.items():
        response = client.get(url)
        assert (url, response.status_code, response.url) == (url, 302, target)
    # Other methods than GET and POST still get 405.
    assert client.put(card["save"]).status_code == 405


def test_a_get_of_a_foreign_criterion_url_is_still_404(client, card, bob, draft):
    client.force_login(bob)
    assert client.get(card["save"]).status_code == 404
    assert client.get(card["upload"]).status_code == 404
