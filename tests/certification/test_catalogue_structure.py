"""The process keeps each loaded catalogue version's structure: read once,
read afresh when a version is loaded again, never mixed up between versions."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from certification.models import CatalogueVersion
from certification.selectors import catalogue_structure
from tests.assessments.conftest import build_catalogue

pytestmark = pytest.mark.django_db


def test_the_structure_is_read_once_and_then_costs_no_query():
    catalogue = build_catalogue()
    with CaptureQueriesContext(connection) as first:
        structure = catalogue_structure(catalogue)
    assert len(first) > 0
    assert [area.code for area in structure.areas] == ["1", "4B", "4F", "4H", "5"]
    assert [rule.code for rule in structure.rules] == ["basis", "struktur"]
    with CaptureQueriesContext(connection) as again:
        assert catalogue_structure(CatalogueVersion.objects.get(pk=catalogue.pk)) is structure
    assert len(again) == 1  # the CatalogueVersion row itself, not the structure


def test_two_versions_keep_their_own_structure():
    small = build_catalogue(scale=1, code="small")
    large = build_catalogue(scale=2, code="large")
    assert len(catalogue_structure(small).criteria_by_code) == 10
    assert len(catalogue_structure(large).criteria_by_code) == 20
    assert "1.3" not in catalogue_structure(small).criteria_by_code


def test_a_version_loaded_again_is_read_afresh():
    catalogue = build_catalogue()
    assert len(catalogue_structure(catalogue).criteria_by_code) == 10
    catalogue.delete()
    # SQLite may hand out the same primary key again; the load time differs.
    reloaded = build_catalogue(scale=2)
    assert len(catalogue_structure(reloaded).criteria_by_code) == 20
