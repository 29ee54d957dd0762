"""The start page shows each persona its own section and nobody else's data."""

from __future__ import annotations

import pytest
from django.urls import reverse

from certification.models import MembershipRole
from tests.factories import EinrichtungFactory, MembershipFactory, UserFactory

HOME = reverse("home")

SECTIONS = {
    "leitung": "Ihr Familienzentrum",
    "traeger": "Ihre Einrichtungen",
    "partner": "Ihre Organisation",
    "reviewer": "Ihre Begutachtungen",
    "office": "Alle Familienzentren",
    "none": "Ihrem Konto ist noch keine Rolle zugeordnet",
}


def start_page(client, user) -> str:
    client.force_login(user)
    response = client.get(HOME)
    assert response.status_code == 200
    return response.content.decode()


def assert_sections(body: str, *expected: str) -> None:
    for key, heading in SECTIONS.items():
        if key in expected:
            assert heading in body, f"section {key!r} missing"
        else:
            assert heading not in body, f"section {key!r} shown but must not be"


def test_anonymous_is_redirected_to_login(client, db):
    response = client.get(HOME)
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


def test_leitung_sees_own_centre_only(client, alice, centre, other_centre, partner_org):
    body = start_page(client, alice)
    assert_sections(body, "leitung")
    assert centre.name in body
    assert str(centre.site_links.get().site.name) in body
    assert other_centre.name not in body
    assert other_centre.traeger.name not in body
    assert partner_org.name not in body
    assert reverse("certification:catalogue_list") in body


def test_traeger_sees_its_sites_and_not_other_traeger(client, tina, centre, other_centre):
    spare_site = EinrichtungFactory(traeger=centre.traeger, name="Kita ohne Familienzentrum")
    body = start_page(client, tina)
    assert_sections(body, "traeger")
    assert centre.traeger.name in body
    assert centre.site_links.get().site.name in body
    assert centre.name in body
    assert spare_site.name in body
    assert other_centre.name not in body
    assert other_centre.site_links.get().site.name not in body
    assert other_centre.traeger.name not in body


def test_traeger_acting_as_leitung_also_gets_the_leitung_section(client, centre, other_centre):
    user = UserFactory()
    MembershipFactory(user=user, role=MembershipRole.TRAEGER, traeger=centre.traeger, can_act_as_leitung=True)
    body = start_page(client, user)
    assert_sections(body, "traeger", "leitung")
    assert other_centre.name not in body


def test_partner_sees_only_its_organisation(client, paula, partner_org, centre, other_centre):
    body = start_page(client, paula)
    assert_sections(body, "partner")
    assert partner_org.name in body
    assert centre.name not in body
    assert other_centre.name not in body


def test_reviewer_without_assignment_sees_no_centres(client, rita, centre, other_centre):
    body = start_page(client, rita)
    assert_sections(body, "reviewer")
    assert centre.name not in body
    assert other_centre.name not in body


def test_office_sees_all_familienzentren(client, olga, centre, other_centre):
    body = start_page(client, olga)
    assert_sections(body, "office")
    assert centre.name in body
    assert other_centre.name in body
    assert reverse("admin:index") in body


def test_user_without_role_sees_hint_and_no_data(client, centre, other_centre):
    body = start_page(client, UserFactory(full_name="Nora Niemand"))
    assert_sections(body, "none")
    assert "Willkommen, Nora Niemand" in body
    assert centre.name not in body
    assert other_centre.name not in body


@pytest.mark.parametrize("persona", ["alice", "tina", "paula", "rita", "olga"])
def test_start_page_query_count_is_bounded(
    client, persona, request, centre, other_centre, django_assert_max_num_queries
):
    user = request.getfixturevalue(persona)
    client.force_login(user)
    with django_assert_max_num_queries(12):
        assert client.get(HOME).status_code == 200
