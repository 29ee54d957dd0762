"""Invitations and uploads are limited per user and per client address
(settings.ACTION_LIMITS): past the limit the user reads why on the page the
form was on, and nothing is stored or sent."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from assessments.models import PartnerInvitation
from evidence.models import Evidence
from notifications.models import Notification
from tests.assessments.files import PDF_BYTES, upload
from tests.unchanged import everything


@pytest.fixture
def tight_limits(settings):
    settings.ACTION_LIMITS = {"invitation": (2, 100), "upload": (2, 3)}


def post_upload(client, draft, name: str):
    criterion = draft.catalogue.criteria.get(code="1.1")
    prefix = f"e{criterion.pk}"
    return client.post(
        reverse("assessments:evidence_upload", args=[draft.pk, "1.1"]),
        {
            f"{prefix}-files": [upload(name, PDF_BYTES)],
            f"{prefix}-kind": "offer",
            f"{prefix}-effective_date": "2026-09-01",
        },
    )


def texts(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_uploads_stop_at_the_users_limit_with_a_message(client, alice, draft, tight_limits):
    client.force_login(alice)
    for number in range(2):
        assert post_upload(client, draft, f"nachweis-{number}.pdf").status_code == 302
    assert Evidence.objects.count() == 2
    before = everything()
    response = post_upload(client, draft, "zu-viel.pdf")
    assert response.status_code == 302 and "#kriterium-" in response.url  # back to the card
    assert any("Zu viele Anfragen" in text for text in texts(response))
    assert Evidence.objects.count() == 2  # nothing stored
    assert everything() == before  # no row, no file in private storage


def test_uploads_are_limited_per_address_across_accounts(client, alice, tina, draft, tight_limits, settings):
    from certification.models import MembershipRole
    from tests.factories import MembershipFactory, UserFactory

    second = UserFactory(email="zweite.leitung@example.org")
    MembershipFactory(user=second, role=MembershipRole.LEITUNG, site=draft.familienzentrum.site_links.first().site)
    client.force_login(alice)
    for number in range(2):
        post_upload(client, draft, f"a-{number}.pdf")
    client.force_login(second)
    assert post_upload(client, draft, "b-0.pdf").status_code == 302
    assert Evidence.objects.count() == 3
    before = everything()
    response = post_upload(client, draft, "b-1.pdf")  # the address's fourth upload within the hour
    assert any("Zu viele Anfragen" in text for text in texts(response))
    assert Evidence.objects.count() == 3
    assert everything() == before


def test_invitations_stop_at_the_limit_and_send_nothing_more(client, alice, draft, tight_limits):
    client.force_login(alice)
    url = reverse("assessments:invite", args=[draft.pk])
    for number in range(2):
        response = client.post(
            url, {"organisation_name": f"Beratung {number}", "email": f"p{number}@example.org", "criteria": ["1.1"]}
        )
        assert response.status_code == 302
    before = everything()
    response = client.post(url, {"organisation_name": "Beratung 3", "email": "p3@example.org", "criteria": ["1.1"]})
    assert response.status_code == 200  # the form again, with the message
    assert "Zu viele Anfragen" in response.content.decode()
    assert PartnerInvitation.objects.count() == 2
    assert Notification.objects.filter(kind="partner_invitation").count() == 2
    assert everything() == before
