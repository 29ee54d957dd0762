"""The app marks figures without a public source as "Annahme" and shows an
item's frequency: on the catalogue page and on the checklist card."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.urls import reverse

from assessments import services
from assessments.models import AssessmentKind
from certification.catalogue import CORRECTED_CATALOGUE, load_catalogue_file
from certification.models import Area
from tests.factories import UserFactory


@pytest.fixture
def corrected(db):
    return load_catalogue_file(CORRECTED_CATALOGUE).catalogue


def _article(body: str, anchor: str) -> str:
    """The <article> that contains `anchor`."""
    start = body.rindex("<article", 0, body.index(anchor))
    return body[start : body.index("</article>", start)]


def test_the_catalogue_page_marks_assumptions_and_shows_frequencies(client, corrected):
    client.force_login(UserFactory())

    body = client.get(reverse("certification:catalogue_detail", args=[corrected.pk])).content.decode()

    hours = _article(body, 'id="kriterium-1.3-heading"')
    assert "Qualifikation mindestens 30 Stunden" in hours
    assert 'data-testid="assumption"' in hours
    assert "Häufigkeit: wöchentlich (6 Lücken je Halbjahr erlaubt)" in hours
    course = _article(body, 'id="kriterium-4B1-heading"')
    assert "mindestens 1 Angebot mit mindestens 8 Terminen in jedem Halbjahr" in course
    # A frequency from the public checklist carries no mark.
    assert 'data-testid="assumption"' not in course
    rules = body[body.index('id="rules-heading"') :]
    rows = {
        code: row
        for row in re.findall(r"<tr>.*?</tr>", rules, flags=re.S)
        for code in ("Basisleistungen", "Beratung und Unterstützung")
        if f'<span lang="de">{code}</span>' in row
    }
    assert "Annahme" not in rows["Basisleistungen"]
    assert "Annahme" in rows["Beratung und Unterstützung"]


def test_the_checklist_card_shows_the_frequency_and_the_mark(client, centre, alice, corrected):
    assessment = services.start_assessment(
        user=alice,
        familienzentrum=centre,
        catalogue=corrected,
        kind=AssessmentKind.FIRST,
        profile_areas=[Area.objects.get(catalogue=corrected, code="4B")],
        review_period_start=date(2026, 8, 1),
        review_period_end=date(2027, 1, 31),
    )
    client.force_login(alice)

    body = client.get(reverse("assessments:area", args=[assessment.pk, "1"])).content.decode()

    card = _article(body, '<span class="criterion-code">1.3</span>')
    assert "Qualifikation mind. 30 Std." in card
    assert re.search(
        r"Häufigkeit 1\.3:</strong> wöchentlich \(6 Lücken je Halbjahr erlaubt\)\s*<span[^>]*assumption", card
    )
    plain = _article(body, '<span class="criterion-code">1.1</span>')
    assert 'data-testid="assumption"' not in plain
    assert 'data-testid="frequency"' not in plain
    # The evaluation beside the checklist marks the assumed thresholds.
    progress = client.get(reverse("assessments:detail", args=[assessment.pk])).content.decode()
    rule = re.search(r'<li[^>]*data-rule="bereich-1".*?</li>', progress, flags=re.S)
    assert rule and "Annahme" in rule.group(0)
    basis = re.search(r'<li[^>]*data-rule="basisleistungen".*?</li>', progress, flags=re.S)
    assert basis and "Annahme" not in basis.group(0)
