"""The rules for single centres and Verbünde: 2-5 sites, one grant
recipient, at most 3 km apart unless the youth office allowed more."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from certification.models import Familienzentrum, FamilienzentrumForm, FamilienzentrumSite
from certification.services import SiteChoice, create_familienzentrum, distance_km, validate_site_composition
from tests.factories import EinrichtungFactory, TraegerFactory

# Gey and Straß (Hürtgenwald) lie about 1.2 km apart; Jülich is about 20 km away.
GEY = (Decimal("50.736600"), Decimal("6.438300"))
STRASS = (Decimal("50.745100"), Decimal("6.426200"))
JUELICH = (Decimal("50.905500"), Decimal("6.371900"))


@pytest.fixture
def traeger(db):
    return TraegerFactory()


def make_sites(traeger, *coordinates):
    return [EinrichtungFactory(traeger=traeger, latitude=lat, longitude=lon) for lat, lon in coordinates]


def choices(sites):
    return [SiteChoice(site=site, is_grant_recipient=index == 0) for index, site in enumerate(sites)]


def validate(traeger, form, sites, **flags):
    validate_site_composition(
        form=form,
        traeger_id=traeger.pk,
        sites=choices(sites),
        distance_exception=flags.get("distance_exception", False),
        extra_sites_approved=flags.get("extra_sites_approved", False),
    )


def messages_of(error: ValidationError) -> str:
    return " ".join(error.messages)


def test_distance_is_great_circle_kilometres():
    assert distance_km(*GEY, *STRASS) == pytest.approx(1.23, abs=0.05)
    assert distance_km(*GEY, *JUELICH) == pytest.approx(19.3, abs=0.5)


def test_a_verbund_of_two_close_sites_is_valid(traeger):
    validate(traeger, FamilienzentrumForm.VERBUND, make_sites(traeger, GEY, STRASS))


@pytest.mark.parametrize("count", [1, 6])
def test_a_verbund_needs_two_to_five_sites(traeger, count):
    sites = make_sites(traeger, *[GEY] * count)
    with pytest.raises(ValidationError) as error:
        validate(traeger, FamilienzentrumForm.VERBUND, sites)
    assert f"angegeben sind {count}" in messages_of(error.value)


def test_more_than_five_sites_with_ministry_approval(traeger):
    validate(traeger, FamilienzentrumForm.VERBUND, make_sites(traeger, *[GEY] * 6), extra_sites_approved=True)


def test_a_single_centre_has_exactly_one_site(traeger):
    with pytest.raises(ValidationError) as error:
        validate(traeger, FamilienzentrumForm.SINGLE, make_sites(traeger, GEY, STRASS))
    assert "genau einen Standort" in messages_of(error.value)


def test_sites_more_than_3_km_apart_need_an_exception(traeger):
    sites = make_sites(traeger, GEY, JUELICH)
    with pytest.raises(ValidationError) as error:
        validate(traeger, FamilienzentrumForm.VERBUND, sites)
    assert "km auseinander" in messages_of(error.value)
    validate(traeger, FamilienzentrumForm.VERBUND, sites, distance_exception=True)


def test_sites_without_coordinates_need_an_exception(traeger):
    sites = [EinrichtungFactory(traeger=traeger, latitude=None, longitude=None) for _ in range(2)]
    with pytest.raises(ValidationError) as error:
        validate(traeger, FamilienzentrumForm.VERBUND, sites)
    assert "fehlen Koordinaten" in messages_of(error.value)


def test_exactly_one_grant_recipient(traeger):
    sites = make_sites(traeger, GEY, STRASS)
    for flags in ([True, True], [False, False]):
        with pytest.raises(ValidationError) as error:
            validate_site_composition(
                form=FamilienzentrumForm.VERBUND,
                traeger_id=traeger.pk,
                sites=[SiteChoice(site=site, is_grant_recipient=flag) for site, flag in zip(sites, flags, strict=True)],
                distance_exception=False,
                extra_sites_approved=False,
            )
        assert "Zuschussempfänger" in messages_of(error.value)


def test_sites_of_another_traeger_are_refused(traeger):
    own = make_sites(traeger, GEY)[0]
    foreign = EinrichtungFactory(latitude=STRASS[0], longitude=STRASS[1])
    with pytest.raises(ValidationError) as error:
        validate(traeger, FamilienzentrumForm.VERBUND, [own, foreign])
    assert "anderen Träger" in messages_of(error.value)


def test_create_familienzentrum_writes_the_sites(traeger):
    sites = make_sites(traeger, GEY, STRASS)
    centre = create_familienzentrum(
        name="Eifelzwerge", traeger_id=traeger.pk, form=FamilienzentrumForm.VERBUND, sites=choices(sites)
    )
    links = list(centre.site_links.order_by("-is_grant_recipient"))
    assert [link.site for link in links] == sites
    assert links[0].is_grant_recipient and not links[1].is_grant_recipient


def test_create_refuses_an_exception_without_reason_and_writes_nothing(traeger):
    sites = make_sites(traeger, GEY, JUELICH)
    with pytest.raises(ValidationError, match="Begründung"):
        create_familienzentrum(
            name="Weit",
            traeger_id=traeger.pk,
            form=FamilienzentrumForm.VERBUND,
            sites=choices(sites),
            distance_exception=True,
        )
    assert not Familienzentrum.objects.exists()


def test_a_site_belongs_to_one_familienzentrum_only(traeger):
    sites = make_sites(traeger, GEY, STRASS)
    create_familienzentrum(
        name="Erstes", traeger_id=traeger.pk, form=FamilienzentrumForm.SINGLE, sites=choices(sites[:1])
    )
    with pytest.raises(ValidationError, match="schon zu einem Familienzentrum"):
        create_familienzentrum(
            name="Zweites", traeger_id=traeger.pk, form=FamilienzentrumForm.VERBUND, sites=choices(sites)
        )
    assert Familienzentrum.objects.count() == 1


# ---------------------------------------------------------------- the admin


def admin_post_data(traeger, form, sites, **extra):
    data = {
        "name": "Familienzentrum Test",
        "traeger": traeger.pk,
        "form": form,
        "certification_number": "",
        "youth_office": "",
        "distance_exception_note": "",
        "site_links-TOTAL_FORMS": str(len(sites)),
        "site_links-INITIAL_FORMS": "0",
        "site_links-MIN_NUM_FORMS": "0",
        "site_links-MAX_NUM_FORMS": "1000",
    }
    for index, site in enumerate(sites):
        data[f"site_links-{index}-site"] = site.pk
        if index == 0:
            data[f"site_links-{index}-is_grant_recipient"] = "on"
    data.update(extra)
    return data


def test_admin_refuses_a_verbund_of_one_site(client, olga, traeger):
    olga.is_superuser = True
    olga.save()
    client.force_login(olga)
    site = make_sites(traeger, GEY)[0]
    response = client.post(
        reverse("admin:certification_familienzentrum_add"),
        admin_post_data(traeger, FamilienzentrumForm.VERBUND, [site]),
    )
    assert response.status_code == 200
    assert "Ein Verbund hat mindestens 2 Standorte" in response.content.decode()
    assert not Familienzentrum.objects.exists()


def test_admin_refuses_distant_sites_without_exception_and_accepts_with_one(client, olga, traeger):
    olga.is_superuser = True
    olga.save()
    client.force_login(olga)
    sites = make_sites(traeger, GEY, JUELICH)
    url = reverse("admin:certification_familienzentrum_add")
    response = client.post(url, admin_post_data(traeger, FamilienzentrumForm.VERBUND, sites))
    assert response.status_code == 200
    assert "km auseinander" in response.content.decode()
    assert not Familienzentrum.objects.exists()

    response = client.post(
        url,
        admin_post_data(
            traeger,
            FamilienzentrumForm.VERBUND,
            sites,
            distance_exception="on",
            distance_exception_note="Ländlicher Raum, Jugendamt Düren 2025",
        ),
    )
    assert response.status_code == 302
    centre = Familienzentrum.objects.get()
    assert FamilienzentrumSite.objects.filter(familienzentrum=centre).count() == 2


def test_admin_membership_must_match_its_role(client, olga, traeger):
    olga.is_superuser = True
    olga.save()
    client.force_login(olga)
    response = client.post(
        reverse("admin:certification_membership_add"),
        {"user": olga.pk, "role": "leitung", "traeger": traeger.pk},
    )
    assert response.status_code == 200
    assert "Eine Leitung gehört zu genau einer Einrichtung" in response.content.decode()
