"""The Verbund and site-visit rules case by case, each error message checked
word for word and in order: the boundaries of 2-5 sites, the one grant
recipient, at most one contact site, the 3 km between every pair of located
sites, and the two sites a Verbund's Begehung visits (one of them the grant
recipient)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from certification.models import Einrichtung, FamilienzentrumForm, FamilienzentrumSite
from certification.services import SiteChoice, _distance_errors, validate_site_composition, validate_site_visit_sites
from tests.factories import EinrichtungFactory, FamilienzentrumFactory

SINGLE = FamilienzentrumForm.SINGLE
VERBUND = FamilienzentrumForm.VERBUND
TRAEGER = 7
# One degree of latitude is 2 * pi * 6371 km / 360 = 111.195 km: these lie
# 2.95 km and 3.05 km north of BASE, just inside and just outside the limit.
BASE = (Decimal("50.900000"), Decimal("6.400000"))
INSIDE = (Decimal("50.926530"), Decimal("6.400000"))
OUTSIDE = (Decimal("50.927430"), Decimal("6.400000"))
# About 19 km north of BASE.
FAR = (Decimal("51.071000"), Decimal("6.400000"))


def site(pk: int, name: str, at=BASE, *, traeger_id: int = TRAEGER, city: str = "Jülich") -> Einrichtung:
    """An Einrichtung as the validators read it (key, name, Träger, place);
    they ask nothing of the database, so none is written."""
    latitude, longitude = at if at is not None else (None, None)
    return Einrichtung(pk=pk, name=name, city=city, traeger_id=traeger_id, latitude=latitude, longitude=longitude)


def composition_errors(
    form, sites, *, grant=(0,), contact=(), traeger_id=TRAEGER, distance_exception=False, extra_sites_approved=False
) -> list[str]:
    """The messages validate_site_composition raises, [] when it accepts."""
    choices = [
        SiteChoice(site=choice, is_grant_recipient=index in grant, is_contact_site=index in contact)
        for index, choice in enumerate(sites)
    ]
    try:
        validate_site_composition(
            form=form,
            traeger_id=traeger_id,
            sites=choices,
            distance_exception=distance_exception,
            extra_sites_approved=extra_sites_approved,
        )
    except ValidationError as error:
        return error.messages
    return []


def sites_near(count: int) -> list[Einrichtung]:
    return [site(index + 1, f"Kita {index + 1}") for index in range(count)]


# ---------------------------------------------------------------- the number of sites


def test_a_single_centre_with_its_one_site_is_valid():
    assert composition_errors(SINGLE, sites_near(1)) == []


@pytest.mark.parametrize("count", [0, 2])
def test_a_single_centre_has_exactly_one_site(count):
    # Without any site there is no grant recipient to ask for either; the
    # single centre's sites are never measured against each other.
    sites = [site(1, "Kita 1", BASE), site(2, "Kita 2", FAR)][:count]
    assert composition_errors(SINGLE, sites) == [
        f"Eine Einzeleinrichtung hat genau einen Standort, angegeben sind {count}."
    ]


@pytest.mark.parametrize("count", [2, 5])
def test_a_verbund_of_two_to_five_sites_is_valid(count):
    assert composition_errors(VERBUND, sites_near(count)) == []


def test_a_verbund_of_one_site_is_refused():
    assert composition_errors(VERBUND, sites_near(1)) == ["Ein Verbund hat mindestens 2 Standorte, angegeben sind 1."]


def test_a_verbund_of_no_site_is_refused_for_its_size_only():
    assert composition_errors(VERBUND, [], grant=()) == ["Ein Verbund hat mindestens 2 Standorte, angegeben sind 0."]


def test_a_sixth_site_needs_the_ministrys_approval():
    assert composition_errors(VERBUND, sites_near(6)) == [
        "Ein Verbund hat höchstens 5 Standorte, angegeben sind 6. "
        "Mehr sind nur mit Genehmigung des Ministeriums möglich."
    ]
    assert composition_errors(VERBUND, sites_near(6), extra_sites_approved=True) == []


def test_the_approval_does_not_lift_the_minimum():
    assert composition_errors(VERBUND, sites_near(1), extra_sites_approved=True) == [
        "Ein Verbund hat mindestens 2 Standorte, angegeben sind 1."
    ]


# ---------------------------------------------------------------- grant recipient, contact site, duplicates


@pytest.mark.parametrize("grant", [(), (0, 1)])
def test_exactly_one_site_is_the_grant_recipient(grant):
    assert composition_errors(VERBUND, sites_near(2), grant=grant) == [
        "Genau ein Standort muss Zuschussempfänger sein."
    ]


def test_the_grant_recipient_may_be_any_site():
    assert composition_errors(VERBUND, sites_near(3), grant=(2,)) == []


def test_one_contact_site_is_allowed_and_two_are_not():
    assert composition_errors(VERBUND, sites_near(3), contact=(1,)) == []
    assert composition_errors(VERBUND, sites_near(3), contact=(1, 2)) == [
        "Höchstens ein Standort kann Ansprechstandort sein."
    ]


def test_a_site_named_twice_is_refused():
    kita = site(1, "Kita 1")
    assert composition_errors(VERBUND, [kita, kita, site(2, "Kita 2")]) == ["Eine Einrichtung ist mehrfach angegeben."]


# ---------------------------------------------------------------- the Träger


def test_sites_of_another_traeger_are_named():
    sites = [site(1, "Kita 1"), site(2, "Kita Fremd", traeger_id=8), site(3, "Kita Auch Fremd", traeger_id=9, city="")]
    assert composition_errors(VERBUND, sites) == [
        "Diese Einrichtungen gehören zu einem anderen Träger: Kita Fremd (Jülich), Kita Auch Fremd."
    ]


def test_without_a_traeger_no_site_is_foreign():
    # The admin validates before the Träger is chosen.
    sites = [site(1, "Kita 1", traeger_id=8), site(2, "Kita 2", traeger_id=9)]
    assert composition_errors(VERBUND, sites, traeger_id=None) == []


# ---------------------------------------------------------------- 3 km


def test_sites_just_inside_3_km_are_valid_and_just_outside_are_not():
    assert composition_errors(VERBUND, [site(1, "Nord", INSIDE), site(2, "Süd", BASE)]) == []
    assert composition_errors(VERBUND, [site(1, "Nord", OUTSIDE), site(2, "Süd", BASE)]) == [
        "Nord (Jülich) und Süd (Jülich) liegen 3.1 km auseinander (erlaubt sind 3 km). "
        "Dafür ist eine vermerkte Ausnahme des Jugendamts nötig."
    ]


def test_every_pair_too_far_apart_is_named_in_order():
    sites = [site(1, "Eins", BASE), site(2, "Zwei", INSIDE), site(3, "Weit", FAR)]
    assert _distance_errors(sites) == [
        "Eins (Jülich) und Weit (Jülich) liegen 19.0 km auseinander (erlaubt sind 3 km). "
        "Dafür ist eine vermerkte Ausnahme des Jugendamts nötig.",
        "Zwei (Jülich) und Weit (Jülich) liegen 16.1 km auseinander (erlaubt sind 3 km). "
        "Dafür ist eine vermerkte Ausnahme des Jugendamts nötig.",
    ]


def test_the_youth_offices_exception_lifts_the_distance_rule_only():
    sites = [site(1, "Eins", BASE), site(2, "Weit", FAR), site(3, "Ohne", None)]
    assert composition_errors(VERBUND, sites, distance_exception=True) == []
    assert composition_errors(VERBUND, sites, grant=(), distance_exception=True) == [
        "Genau ein Standort muss Zuschussempfänger sein."
    ]


def test_sites_without_coordinates_are_named_and_the_others_still_measured():
    sites = [
        site(1, "Eins", BASE),
        site(2, "Ohne", None),
        site(3, "Halb", (Decimal("50.9"), None)),
        site(4, "Weit", FAR),
    ]
    assert _distance_errors(sites) == [
        "Für diese Standorte fehlen Koordinaten, der Abstand von höchstens 3 km lässt sich nicht prüfen: "
        "Ohne (Jülich), Halb (Jülich). Tragen Sie Koordinaten ein oder vermerken Sie eine Ausnahme des Jugendamts.",
        "Eins (Jülich) und Weit (Jülich) liegen 19.0 km auseinander (erlaubt sind 3 km). "
        "Dafür ist eine vermerkte Ausnahme des Jugendamts nötig.",
    ]


def test_one_located_site_alone_has_nothing_to_be_measured_against():
    assert _distance_errors([site(1, "Eins", BASE)]) == []
    assert _distance_errors([]) == []


def test_the_verbund_reports_every_broken_rule_at_once():
    kita = site(1, "Kita 1", BASE)
    sites = [kita, kita, site(2, "Fremd", FAR, traeger_id=8), *sites_near(4)[1:]]
    assert composition_errors(VERBUND, sites, grant=(), contact=(0, 1)) == [
        "Ein Verbund hat höchstens 5 Standorte, angegeben sind 6. "
        "Mehr sind nur mit Genehmigung des Ministeriums möglich.",
        "Genau ein Standort muss Zuschussempfänger sein.",
        "Höchstens ein Standort kann Ansprechstandort sein.",
        "Eine Einrichtung ist mehrfach angegeben.",
        "Diese Einrichtungen gehören zu einem anderen Träger: Fremd (Jülich).",
        "Kita 1 (Jülich) und Fremd (Jülich) liegen 19.0 km auseinander (erlaubt sind 3 km). "
        "Dafür ist eine vermerkte Ausnahme des Jugendamts nötig.",
        "Kita 1 (Jülich) und Fremd (Jülich) liegen 19.0 km auseinander (erlaubt sind 3 km). "
        "Dafür ist eine vermerkte Ausnahme des Jugendamts nötig.",
        "Fremd (Jülich) und Kita 2 (Jülich) liegen 19.0 km auseinander (erlaubt sind 3 km). "
        "Dafür ist eine vermerkte Ausnahme des Jugendamts nötig.",
        "Fremd (Jülich) und Kita 3 (Jülich) liegen 19.0 km auseinander (erlaubt sind 3 km). "
        "Dafür ist eine vermerkte Ausnahme des Jugendamts nötig.",
        "Fremd (Jülich) und Kita 4 (Jülich) liegen 19.0 km auseinander (erlaubt sind 3 km). "
        "Dafür ist eine vermerkte Ausnahme des Jugendamts nötig.",
    ]


# ---------------------------------------------------------------- the sites a Begehung visits


def visit_errors(centre, site_ids) -> list[str]:
    try:
        validate_site_visit_sites(centre, list(site_ids))
    except ValidationError as error:
        return error.messages
    return []


@pytest.fixture
def verbund(db):
    """A Verbund of three sites; the first ("Kita Anfang") receives the grant."""
    traeger_sites = [EinrichtungFactory(name=name) for name in ("Kita Anfang", "Kita Mitte", "Kita Ende")]
    centre = FamilienzentrumFactory(form=VERBUND, sites=traeger_sites)
    return centre, [choice.pk for choice in traeger_sites]


NOT_OURS = "Wählen Sie Standorte dieses Familienzentrums."


def test_a_verbund_visits_the_grant_recipient_and_one_more(verbund):
    centre, (grant, middle, end) = verbund
    assert visit_errors(centre, [grant, middle]) == []
    assert visit_errors(centre, [end, grant]) == []


def test_a_verbund_visits_exactly_two_sites(verbund):
    centre, (grant, middle, end) = verbund
    assert visit_errors(centre, [grant, middle, end]) == [
        "Bei einem Verbund werden genau zwei Standorte besucht, gewählt sind 3."
    ]
    # A site named twice is one site.
    assert visit_errors(centre, [grant, grant]) == [
        "Bei einem Verbund werden genau zwei Standorte besucht, gewählt sind 1."
    ]


def test_a_verbund_visit_without_the_grant_recipient_is_refused(verbund):
    centre, (grant, middle, end) = verbund
    assert visit_errors(centre, [middle, end]) == [
        "Einer der besuchten Standorte muss der Zuschussempfänger sein: Kita Anfang."
    ]
    assert visit_errors(centre, [end]) == [
        "Bei einem Verbund werden genau zwei Standorte besucht, gewählt sind 1.",
        "Einer der besuchten Standorte muss der Zuschussempfänger sein: Kita Anfang.",
    ]


def test_a_verbund_without_a_grant_recipient_on_record_asks_only_for_two_sites(verbund):
    centre, (grant, middle, end) = verbund
    FamilienzentrumSite.objects.filter(familienzentrum=centre).update(is_grant_recipient=False)
    assert visit_errors(centre, [middle, end]) == []
    assert visit_errors(centre, [end]) == ["Bei einem Verbund werden genau zwei Standorte besucht, gewählt sind 1."]


def test_the_visited_sites_must_be_the_centres_own(verbund):
    centre, (grant, middle, end) = verbund
    stranger = EinrichtungFactory().pk
    assert visit_errors(centre, []) == [NOT_OURS]
    assert visit_errors(centre, [grant, stranger]) == [NOT_OURS]


def test_a_single_centre_visits_its_one_site(db):
    centre = FamilienzentrumFactory()
    own = centre.site_links.get().site_id
    assert visit_errors(centre, [own]) == []
    assert visit_errors(centre, []) == [NOT_OURS]
    assert visit_errors(centre, [EinrichtungFactory().pk]) == [NOT_OURS]


def test_a_single_centre_recorded_with_two_sites_is_visited_at_all_of_them(db):
    # Should a single centre's data hold two sites, the visit may not leave one out.
    first, second = EinrichtungFactory(), EinrichtungFactory()
    centre = FamilienzentrumFactory(sites=[first, second])
    assert visit_errors(centre, [first.pk, second.pk]) == []
    assert visit_errors(centre, [second.pk]) == ["Bei einer Einzeleinrichtung wird ihr Standort besucht."]
