"""The catalogue browser: list of versions and one version by area."""

from __future__ import annotations

import datetime
import io
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from certification.models import (
    Area,
    AreaKind,
    CatalogueVersion,
    Criterion,
    CriterionItem,
    CriterionLevel,
    ItemLogic,
    ThresholdRule,
)
from tests.factories import UserFactory

LIST_URL = reverse("certification:catalogue_list")
SHIPPED_CATALOGUE = Path(settings.BASE_DIR) / "certification" / "catalogues" / "gfz-2020-arbeitsfassung.yaml"


def add_criterion(
    area: Area, code: str, *, level=CriterionLevel.BASIS, points=1, logic=ItemLogic.ALL, items=(), **extra
):
    criterion = Criterion.objects.create(
        catalogue=area.catalogue,
        area=area,
        code=code,
        title=f"Kriterium {code}",
        level=level,
        points=points,
        logic=logic,
        order=area.criteria.count() + 1,
        **extra,
    )
    for order, (item_code, text) in enumerate(items or [(code, f"Aussage {code}")], start=1):
        CriterionItem.objects.create(criterion=criterion, code=item_code, text=text, order=order)
    return criterion


@pytest.fixture
def small_catalogue(db):
    """A small catalogue of two areas and two rules, built directly so that
    the test does not depend on the shipped file."""
    version = CatalogueVersion.objects.create(
        code="test-katalog",
        version="1.0",
        title="Testkatalog",
        valid_from=datetime.date(2020, 8, 1),
        is_working_version=True,
        source_name="test.yaml",
        source_sha256="0" * 64,
    )
    service = Area.objects.create(
        catalogue=version, code="1", kind=AreaKind.SERVICE, title="Beratung und Unterstützung", order=1
    )
    profile = Area.objects.create(catalogue=version, code="4B", kind=AreaKind.PROFILE, title="Berufstätigkeit", order=2)
    add_criterion(
        service,
        "1.1",
        points=2,
        items=[
            ("1.1", "Ein aktuelles Verzeichnis der Beratungsstellen"),
            ("1.1.1", "Ein Verzeichnis der Gesundheitsangebote"),
        ],
        guidance="Das Verzeichnis ist höchstens ein Jahr alt.",
        typical_evidence="Verzeichnis als PDF",
    )
    add_criterion(
        service,
        "1.3",
        level=CriterionLevel.AUFBAU,
        points=3,
        logic=ItemLogic.ANY,
        items=[("1.3", "Eltern-Kind-Gruppen für unter Dreijährige"), ("1.3.1", "Vermittlung in eine Gruppe")],
        qualification_min_hours=30,
        per_site=True,
    )
    add_criterion(profile, "4B1", items=[("4B1", "Ein Kinderkurs mit einem Partner")])
    basis_rule = ThresholdRule.objects.create(
        catalogue=version, code="leistungen", title="Mindestens Basisleistungen", min_basis=1, order=1
    )
    basis_rule.areas.set([service])
    profile_rule = ThresholdRule.objects.create(
        catalogue=version,
        code="profil",
        title="Gewähltes Profil",
        min_points=1,
        applies_to_chosen_profiles_only=True,
        order=2,
    )
    profile_rule.areas.set([profile])
    return version


@pytest.fixture
def signed_in(client, db):
    client.force_login(UserFactory())
    return client


def detail_url(catalogue, **query):
    url = reverse("certification:catalogue_detail", args=[catalogue.pk])
    if query:
        url += "?" + "&".join(f"{key}={value}" for key, value in query.items())
    return url


@pytest.mark.parametrize(
    "url_name, args", [("certification:catalogue_list", []), ("certification:catalogue_detail", [1])]
)
def test_anonymous_is_sent_to_login(client, db, url_name, args):
    response = client.get(reverse(url_name, args=args))
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


def test_list_shows_every_version(signed_in, small_catalogue):
    CatalogueVersion.objects.create(
        code="amtlich",
        version="2020",
        title="Amtlicher Katalog",
        valid_from=datetime.date(2020, 8, 1),
        source_name="amtlich.yaml",
        source_sha256="1" * 64,
    )
    response = signed_in.get(LIST_URL)
    body = response.content.decode()
    assert response.status_code == 200
    assert "Testkatalog" in body and "Amtlicher Katalog" in body
    assert "Arbeitsfassung" in body
    assert detail_url(small_catalogue) in body
    assert response.context["catalogues"].get(pk=small_catalogue.pk).criteria_count == 3


def test_list_without_catalogues(signed_in):
    response = signed_in.get(LIST_URL)
    assert response.status_code == 200
    assert "noch kein Kriterienkatalog geladen" in response.content.decode()


def test_detail_shows_criteria_levels_points_and_logic(signed_in, small_catalogue):
    response = signed_in.get(detail_url(small_catalogue))
    body = response.content.decode()
    assert response.status_code == 200
    for code in ["1.1", "1.1.1", "1.3", "1.3.1", "4B1"]:
        assert f'<span class="criterion-code">{code}</span>' in body
    assert "Basis" in body and "Aufbau" in body
    assert "2 Punkte" in body and "3 Punkte" in body and "1 Punkt" in body
    assert "1.1 UND 1.1.1" in body
    assert "Erfüllt, wenn alle Punkte erfüllt sind." in body
    assert "1.3 ODER 1.3.1" in body
    assert "Erfüllt, wenn mindestens ein Punkt erfüllt ist." in body
    assert "Qualifikation mindestens 30 Stunden" in body
    assert "je Standort" in body
    assert "Das Verzeichnis ist höchstens ein Jahr alt." in body
    assert "Verzeichnis als PDF" in body
    # The area navigation links into the page, the rules are listed.
    assert 'href="#bereich-1"' in body and 'id="bereich-4B"' in body
    assert "Mindestens Basisleistungen" in body and "Gewähltes Profil" in body


def test_detail_filters_by_area(signed_in, small_catalogue):
    response = signed_in.get(detail_url(small_catalogue, bereich="4B"))
    body = response.content.decode()
    assert response.status_code == 200
    assert [area.code for area in response.context["areas"]] == ["4B"]
    assert '<span class="criterion-code">4B1</span>' in body
    assert '<span class="criterion-code">1.1.1</span>' not in body
    # The overview still offers every area; only rules counting 4B remain.
    assert "?bereich=1" in body
    assert [rule.code for rule in response.context["rules"]] == ["profil"]


def test_unknown_area_is_404(signed_in, small_catalogue):
    assert signed_in.get(detail_url(small_catalogue, bereich="9Z")).status_code == 404


def test_unknown_catalogue_is_404(signed_in, small_catalogue):
    response = signed_in.get(reverse("certification:catalogue_detail", args=[small_catalogue.pk + 1000]))
    assert response.status_code == 404


def test_detail_in_english_uses_translations_where_present(signed_in, small_catalogue):
    Criterion.objects.filter(code="1.1").update(title_en="Directory of counselling services")
    signed_in.cookies["django_language"] = "en"
    body = signed_in.get(detail_url(small_catalogue)).content.decode()
    assert '<html lang="en">' in body
    assert "Directory of counselling services" in body
    # An untranslated text keeps its German and says so to screen readers.
    assert '<span lang="de">Kriterium 1.3</span>' in body


def _count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context.captured_queries)


@pytest.mark.parametrize("query", [{}, {"bereich": "1"}])
def test_detail_query_count_does_not_grow_with_the_catalogue(signed_in, small_catalogue, query):
    url = detail_url(small_catalogue, **query)
    _count_queries(signed_in, url)  # warm up: session and user lookups settle
    small = _count_queries(signed_in, url)

    service = small_catalogue.areas.get(code="1")
    for number in range(10, 40):
        add_criterion(service, f"1.{number}", items=[(f"1.{number}", "Aussage"), (f"1.{number}.1", "Zusatz")])
    extra_area = Area.objects.create(
        catalogue=small_catalogue, code="5", kind=AreaKind.STRUCTURE, title="Sozialraum", order=3
    )
    add_criterion(extra_area, "5.1")
    small_catalogue.rules.get(code="leistungen").areas.add(extra_area)

    large = _count_queries(signed_in, url)
    assert large == small
    # The page's own reads, the session, the user's roles (read once for the
    # second-factor check and every rule after it) and the bell's unread count.
    assert small <= 12


def test_list_query_count_does_not_grow_with_the_versions(signed_in, small_catalogue):
    small = _count_queries(signed_in, LIST_URL)
    for number in range(5):
        CatalogueVersion.objects.create(
            code=f"weitere-{number}",
            version="1.0",
            title=f"Weitere {number}",
            valid_from=datetime.date(2021, 8, 1),
            source_name="x.yaml",
            source_sha256="2" * 64,
        )
    assert _count_queries(signed_in, LIST_URL) == small


def test_shipped_catalogue_costs_as_many_queries_as_a_small_one(signed_in, small_catalogue):
    out = io.StringIO()
    call_command("load_catalogue", str(SHIPPED_CATALOGUE), stdout=out)
    shipped = CatalogueVersion.objects.exclude(pk=small_catalogue.pk).get()
    assert shipped.criteria.count() > 3 * small_catalogue.criteria.count()

    _count_queries(signed_in, detail_url(small_catalogue))  # warm up
    small = _count_queries(signed_in, detail_url(small_catalogue))
    with CaptureQueriesContext(connection) as context:
        response = signed_in.get(detail_url(shipped))
    assert response.status_code == 200
    assert len(context.captured_queries) == small
    body = response.content.decode()
    assert "1.1 UND 1.1.1" in body
    assert " ODER " in body
