"""`manage.py seed_demo`: the documented demo accounts and centres, idempotent."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse

from certification.models import (
    CatalogueVersion,
    Einrichtung,
    Familienzentrum,
    FamilienzentrumForm,
    FamilienzentrumSite,
    Kooperationspartner,
    Membership,
    MembershipRole,
    PartnerKind,
    Reviewer,
    Traeger,
)
from certification.services import VERBUND_MAX_DISTANCE_KM, distance_km
from tests.two_factor import demo_code

PASSWORD = "familienzentrum"
ACCOUNTS = [
    "leitung.purzelbaum@example.org",
    "leitung.eifelzwerge@example.org",
    "traeger@example.org",
    "partner@example.org",
    "gutachterin@example.org",
    "zweitgutachter@example.org",
    "office@example.org",
]
TWO_FACTOR_ACCOUNTS = {"gutachterin@example.org", "zweitgutachter@example.org", "office@example.org"}


def seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", "--no-catalogue", stdout=out)
    return out.getvalue()


@pytest.fixture
def seeded(db):
    seed()


def test_creates_every_account_with_a_german_name(seeded):
    users = {user.email: user for user in get_user_model().objects.filter(email__in=ACCOUNTS)}
    assert sorted(users) == sorted(ACCOUNTS)
    for user in users.values():
        assert user.is_active
        assert " " in user.full_name
    assert users["office@example.org"].is_staff and users["office@example.org"].is_superuser
    assert not any(user.is_staff for email, user in users.items() if email != "office@example.org")


@pytest.mark.parametrize("email", ACCOUNTS)
def test_each_account_can_sign_in(client, seeded, email):
    response = client.post(reverse("accounts:login"), {"username": email, "password": PASSWORD})
    assert response.status_code == 302
    assert response.url == reverse("home")
    if email in TWO_FACTOR_ACCOUNTS:
        # Reviewers and office staff give their TOTP code (the documented demo secret) first.
        asked = client.get(reverse("home"))
        assert asked.url.startswith(reverse("accounts:two_factor_verify"))
        assert client.post(asked.url, {"token": demo_code(email)}).status_code == 302
    assert client.get(reverse("home")).status_code == 200


def test_roles(seeded):
    traeger = Traeger.objects.get(name="Kindertagesbetreuung Kreismäuse AöR")
    assert traeger.city == "Düren"

    leitung = Membership.objects.get(user__email="leitung.purzelbaum@example.org")
    assert leitung.role == MembershipRole.LEITUNG
    assert "Purzelbaum" in leitung.site.name
    assert leitung.site.familienzentrum_link.familienzentrum.name == "Familienzentrum Purzelbaum"

    leitung = Membership.objects.get(user__email="leitung.eifelzwerge@example.org")
    assert leitung.role == MembershipRole.LEITUNG
    assert "Eifelzwerge" in leitung.site.name

    staff = Membership.objects.get(user__email="traeger@example.org")
    assert staff.role == MembershipRole.TRAEGER and staff.traeger == traeger
    assert not staff.can_act_as_leitung

    partner = Membership.objects.get(user__email="partner@example.org")
    assert partner.role == MembershipRole.PARTNER
    assert partner.partner.kind == PartnerKind.COUNSELLING

    assert not Reviewer.objects.get(user__email="gutachterin@example.org").may_confirm
    assert Reviewer.objects.get(user__email="zweitgutachter@example.org").may_confirm


def test_purzelbaum_is_a_single_site(seeded):
    centre = Familienzentrum.objects.get(name="Familienzentrum Purzelbaum")
    assert centre.form == FamilienzentrumForm.SINGLE
    link = centre.site_links.get()
    assert link.is_grant_recipient
    assert "Jülich" in link.site.city


def test_eifelzwerge_is_a_verbund_of_two_close_sites(seeded):
    centre = Familienzentrum.objects.get(name="Familienzentrum Eifelzwerge")
    assert centre.is_verbund
    assert not centre.distance_exception
    links = list(centre.site_links.select_related("site"))
    assert len(links) == 2
    recipients = [link for link in links if link.is_grant_recipient]
    assert len(recipients) == 1
    assert "Eifelzwerge" in recipients[0].site.name
    first, second = (link.site for link in links)
    assert distance_km(first.latitude, first.longitude, second.latitude, second.longitude) < VERBUND_MAX_DISTANCE_KM


def _counts() -> dict[str, int]:
    models = [
        get_user_model(),
        Traeger,
        Einrichtung,
        Familienzentrum,
        FamilienzentrumSite,
        Kooperationspartner,
        Membership,
        Reviewer,
    ]
    return {model._meta.label: model.objects.count() for model in models}


def test_running_twice_changes_nothing(seeded):
    before = _counts()
    user = get_user_model().objects.get(email="office@example.org")
    seed()
    assert _counts() == before
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_restores_a_changed_password_and_role(seeded):
    user = get_user_model().objects.get(email="traeger@example.org")
    user.set_password("etwas-anderes")
    user.save()
    Reviewer.objects.filter(user__email="zweitgutachter@example.org").update(may_confirm=False)
    seed()
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    assert Reviewer.objects.get(user__email="zweitgutachter@example.org").may_confirm


def test_names_the_partner_organisation(seeded):
    assert Kooperationspartner.objects.filter(name__icontains="Erziehungs").exists()


def test_prints_the_accounts(db):
    output = seed()
    for email in ACCOUNTS:
        assert email in output


def test_loads_the_shipped_catalogue_when_none_is_loaded(db):
    call_command("seed_demo", stdout=io.StringIO())
    loaded = CatalogueVersion.objects.count()
    assert loaded >= 1
    assert CatalogueVersion.objects.filter(code="familienzentrum-nrw").exists()
    call_command("seed_demo", stdout=io.StringIO())
    assert CatalogueVersion.objects.count() == loaded
