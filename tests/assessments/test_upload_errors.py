"""Uploads Django refuses before the view runs (too many files, a body above
the limit, a broken multipart body) are answered with a German message on the
page the form was on, and nothing is stored: no row, no file in private
storage (tests.unchanged.everything)."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from assessments import services
from evidence.models import Evidence, EvidenceKind, EvidenceRevision
from evidence.services import EvidenceDetails
from tests.assessments.files import PDF_BYTES, upload
from tests.unchanged import everything

TOO_MANY = 200  # above Django's DATA_UPLOAD_MAX_NUMBER_FILES (100)


def _messages(response) -> str:
    return " ".join(str(message) for message in response.context["messages"])


@pytest.fixture
def card(client, alice, draft):
    client.force_login(alice)
    criterion = draft.catalogue.criteria.get(code="1.1")
    return {
        "url": reverse("assessments:evidence_upload", args=[draft.pk, "1.1"]),
        "page": reverse("assessments:area", args=[draft.pk, criterion.area.code]),
        "anchor": f"#kriterium-{criterion.pk}",
        "prefix": f"e{criterion.pk}",
    }


def _fields(prefix: str, count: int) -> dict:
    def name(field: str) -> str:
        return f"{prefix}-{field}" if prefix else field

    return {
        name("files"): [upload(f"datei-{number}.pdf", PDF_BYTES) for number in range(count)],
        name("kind"): "offer",
        name("effective_date"): "2026-09-01",
    }


def test_too_many_files_return_to_the_card_with_the_message(client, card):
    before = everything()
    response = client.post(card["url"], _fields(card["prefix"], TOO_MANY))
    assert response.status_code == 303
    assert response["Location"] == card["page"] + card["anchor"]

    page = client.get(response["Location"])
    assert "Höchstens 10 Dateien" in _messages(page)
    assert not Evidence.objects.exists() and not EvidenceRevision.objects.exists()
    assert everything() == before


def test_too_many_files_on_a_new_revision_return_to_the_referer(client, alice, draft, card):
    (document,) = services.upload_for_criterion(
        user=alice,
        assessment_id=draft.pk,
        criterion_code="1.1",
        files=[upload("a.pdf", PDF_BYTES)],
        details=EvidenceDetails(kind=EvidenceKind.OFFER, effective_date=date(2026, 9, 1)),
    )
    before = everything()
    response = client.post(
        reverse("assessments:evidence_revision", args=[document.pk]),
        {"file": [upload(f"f{number}.pdf", PDF_BYTES) for number in range(TOO_MANY)]},
        HTTP_REFERER="http://testserver" + card["page"],
        follow=True,
    )
    assert response.redirect_chain[0] == ("http://testserver" + card["page"], 303)
    assert "Höchstens 10 Dateien" in _messages(response)
    assert document.revisions.count() == 1
    assert everything() == before


def test_too_many_files_for_a_partner_return_to_its_pages(client, alice, draft, paula, partner_org):
    invitation = services.invite_partner(
        user=alice, assessment_id=draft.pk, criterion_codes=["1.1"], email=paula.email, partner_id=partner_org.pk
    )
    access = services.accept_invitation(user=paula, invitation_id=invitation.pk)
    client.force_login(paula)
    before = everything()
    for url, back in (
        (
            reverse("assessments:partner_upload", args=[access.pk, "1.1"]),
            reverse("assessments:partner_access", args=[access.pk]),
        ),
        (reverse("assessments:library", args=[partner_org.pk]), reverse("assessments:library", args=[partner_org.pk])),
    ):
        response = client.post(url, _fields("", TOO_MANY))
        assert (response.status_code, response["Location"]) == (303, back)
        assert "Höchstens 10 Dateien" in _messages(client.get(back))
    assert not Evidence.objects.exists()
    assert everything() == before


def test_a_body_above_the_limit_returns_to_the_referer_with_the_message(client, card, settings):
    settings.MAX_UPLOAD_MB = 1
    settings.MAX_UPLOAD_FILES = 1
    before = everything()
    response = client.generic(
        "POST",
        card["url"],
        b"x" * 10,
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(3 * 1024 * 1024),
        HTTP_REFERER="http://testserver" + card["page"],
    )
    assert (response.status_code, response["Location"]) == (303, "http://testserver" + card["page"])
    page = client.get(response["Location"])
    assert "Die Dateien sind zu groß" in _messages(page)
    assert "höchstens 1 Dateien auf einmal mit je höchstens 1 MB" in _messages(page)
    assert not Evidence.objects.exists()
    assert everything() == before


def test_a_broken_body_without_a_card_or_referer_gets_the_page(client, alice, draft):
    (document,) = services.upload_for_criterion(
        user=alice,
        assessment_id=draft.pk,
        criterion_code="1.1",
        files=[upload("a.pdf", PDF_BYTES)],
        details=EvidenceDetails(kind=EvidenceKind.OFFER, effective_date=date(2026, 9, 1)),
    )
    client.force_login(alice)
    before = everything()
    response = client.generic(
        "POST",
        reverse("assessments:evidence_revision", args=[document.pk]),
        b"--a\r\nkaputt",
        content_type="multipart/form-data; boundary=b",
    )
    assert response.status_code == 400
    assert "fehlerhaft angekommen" in response.content.decode()
    assert document.revisions.count() == 1
    assert everything() == before


def test_a_body_above_the_limit_from_elsewhere_gets_the_page(client, card, settings):
    settings.MAX_UPLOAD_MB = 1
    settings.MAX_UPLOAD_FILES = 1
    before = everything()
    response = client.generic(
        "POST",
        card["url"],
        b"x" * 10,
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(3 * 1024 * 1024),
        HTTP_REFERER="https://evil.example/selbstbewertung/",
    )
    assert response.status_code == 413
    assert "Die Dateien sind zu groß" in response.content.decode()
    assert everything() == before


@pytest.mark.parametrize(
    "content_type",
    [
        "multipart/form-data; boundary=falsch",  # the body uses another boundary
        "multipart/form-data",  # no boundary at all
        "multipart/form-data; boundary=\u00e4",  # not a valid boundary
    ],
)
def test_a_broken_multipart_body_returns_to_the_card_with_the_message(client, card, content_type):
    body = (
        b"--richtig\r\n"
        b'Content-Disposition: form-data; name="' + card["prefix"].encode() + b'-files"; filename="a.pdf"\r\n'
        b"Content-Type: application/pdf\r\n\r\n" + PDF_BYTES + b"\r\n--richtig"  # cut off, never closed
    )
    before = everything()
    response = client.generic("POST", card["url"], body, content_type=content_type)
    assert (response.status_code, response["Location"]) == (303, card["page"] + card["anchor"])
    assert "Die Dateien sind nicht vollständig oder fehlerhaft angekommen" in _messages(
        client.get(response["Location"])
    )
    assert not Evidence.objects.exists()
    assert everything() == before
