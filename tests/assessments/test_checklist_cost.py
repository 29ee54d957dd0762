"""What the checklist page and an autosave cost in queries and work: the
catalogue read once per process, evidence read for the area shown only."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.html import conditional_escape

from assessments.services import CriterionNotInCatalogue, criterion_of
from certification.selectors import catalogue_structure

pytestmark = pytest.mark.django_db


def test_criterion_of_answers_from_the_kept_structure_with_area_and_items(draft):
    catalogue_structure(draft.catalogue)
    with CaptureQueriesContext(connection) as queries:
        criterion = criterion_of(draft, "1.2")
        assert criterion.area.code == "1"
        assert [item.code for item in criterion.items.all()] == ["1.2", "1.2.1"]
    assert len(queries) == 0
    with pytest.raises(CriterionNotInCatalogue):
        criterion_of(draft, "9.9")


def _widget_markup(bound_field) -> list[str]:
    """What Django's own widget rendering gives, in the card's wrapper."""
    return [
        f'<div class="form-check form-check-inline">{choice.tag()} '
        f'<label class="form-check-label" for="{choice.id_for_label}">'
        f"{conditional_escape(choice.choice_label)}</label></div>"
        for choice in bound_field
    ]


@pytest.mark.parametrize("status", ["", "fulfilled", "not_fulfilled", "planned"])
def test_answer_radios_are_those_django_renders(draft, status):
    from assessments.forms import AnswerForm
    from assessments.templatetags.checklist_tags import choice_inputs

    criterion = criterion_of(draft, "1.1")
    form = AnswerForm(criterion=criterion, initial={"version": 0, "item_1.1": status})
    bound = form["item_1.1"]
    assert str(choice_inputs(bound)).split("\n") == _widget_markup(bound)
    assert str(choice_inputs(bound)).count(" checked") == 1


def test_site_checkboxes_are_those_django_renders(draft):
    from assessments.forms import AnswerForm
    from assessments.templatetags.checklist_tags import choice_inputs

    class Site:
        def __init__(self, pk, name):
            self.pk, self.name = pk, name

    sites = [Site(4, "Kita Nord"), Site(9, "Kita <Süd>")]
    criterion = criterion_of(draft, "1.1")
    form = AnswerForm(criterion=criterion, sites=sites, initial={"version": 0, "sites": ["9"]})
    markup = str(choice_inputs(form["sites"]))
    assert markup.split("\n") == _widget_markup(form["sites"])
    assert "Kita &lt;Süd&gt;" in markup and markup.count(" checked") == 1


# ---------------------------------------------------------------- the checklist page


@pytest.fixture
def documents(alice, draft):
    """Two documents of alice's centre: one linked to 1.1, one not."""
    from datetime import date

    from django.core.files.uploadedfile import SimpleUploadedFile

    from assessments import services
    from evidence.models import EvidenceKind
    from evidence.services import EvidenceDetails

    pdf = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    linked, unlinked = (
        services.upload_for_criterion(
            user=alice,
            assessment_id=draft.pk,
            criterion_code=code,
            files=[SimpleUploadedFile(name, pdf, content_type="application/pdf")],
            details=EvidenceDetails(kind=EvidenceKind.OFFER, effective_date=date(2026, 9, 1), title=title),
        )[0]
        for code, name, title in [("1.1", "a.pdf", "Wegweiser"), ("1.2", "b.pdf", "Hygieneplan")]
    )
    return linked, unlinked


def test_the_card_offers_linking_without_listing_the_documents(client, alice, draft, documents):
    from django.urls import reverse

    client.force_login(alice)
    page = client.get(reverse("assessments:area", args=[draft.pk, "1"])).content.decode()
    card_11 = page.split(f'id="kriterium-{criterion_of(draft, "1.1").pk}"')[1].split('id="kriterium-')[0]
    assert "Vorhandenes oder freigegebenes Dokument verknüpfen" in card_11
    assert "Wegweiser" in card_11
    # 1.1 could link the Hygieneplan (on 1.2), but it is not offered until asked for.
    assert "Hygieneplan" not in card_11


def test_the_chooser_lists_what_can_be_linked_with_and_without_javascript(client, alice, bob, draft, documents):
    from django.urls import reverse

    linked, unlinked = documents
    url = reverse("assessments:evidence_link", args=[draft.pk, "1.1"])
    client.force_login(alice)
    partial = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert f'<option value="{unlinked.pk}">Hygieneplan</option>' in partial
    assert f'value="{linked.pk}"' not in partial  # already linked to 1.1
    assert "<html" not in partial
    page = client.get(url)
    assert page.status_code == 200
    assert "<html" in page.content.decode() and "Hygieneplan" in page.content.decode()
    # Choosing there links it and returns to the card.
    response = client.post(url, {"evidence": unlinked.pk})
    assert response.status_code == 302 and response["Location"].endswith(f"#kriterium-{criterion_of(draft, '1.1').pk}")
    assert draft.evidence_links.filter(criterion__code="1.1", evidence=unlinked).exists()
    # Someone from another centre sees no chooser (404), and nothing was linked.
    client.force_login(bob)
    assert client.get(url).status_code == 404
    assert draft.evidence_links.count() == 3


# ---------------------------------------------------------------- kept cards stay true


def _area_page(client, draft) -> str:
    from django.urls import reverse

    return client.get(reverse("assessments:area", args=[draft.pk, "1"])).content.decode()


def test_a_kept_card_shows_every_change_made_since(client, alice, draft, documents):
    from assessments import services

    linked, unlinked = documents
    client.force_login(alice)

    def without_tokens(page: str) -> str:  # each response masks the CSRF token anew
        return re.sub(r'(csrfmiddlewaretoken" value="|X-CSRFToken": ")[^"]+', r"\1", page)

    first = _area_page(client, draft)
    assert without_tokens(_area_page(client, draft)) == without_tokens(first)  # kept, and the same
    services.save_answer(
        user=alice,
        assessment_id=draft.pk,
        criterion_code="1.1",
        item_statuses={"1.1": "fulfilled", "1.1.1": "planned"},
        narrative="Neu beschrieben.",
        site_ids=[],
        expected_version=0,
    )
    services.link_evidence(user=alice, assessment_id=draft.pk, criterion_code="1.1", evidence_id=unlinked.pk)
    after = _area_page(client, draft)
    card_11 = after.split(f'id="kriterium-{criterion_of(draft, "1.1").pk}"')[1].split('id="kriterium-')[0]
    assert "Neu beschrieben." in card_11
    assert "Hygieneplan" in card_11  # the document linked since
    assert 'value="fulfilled" id="id_c' in card_11 and " checked" in card_11


def test_kept_forms_carry_the_requesters_csrf_token(alice, draft, documents):
    from django.test import Client
    from django.urls import reverse

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(alice)
    page = strict.get(reverse("assessments:area", args=[draft.pk, "1"]))
    body = page.content.decode()
    assert "{csrf-token-slot}" not in body
    token = body.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    criterion = criterion_of(draft, "1.2")
    response = strict.post(
        reverse("assessments:save_answer", args=[draft.pk, "1.2"]),
        {
            "csrfmiddlewaretoken": token,
            f"c{criterion.pk}-item_1.2": "fulfilled",
            f"c{criterion.pk}-item_1.2.1": "fulfilled",
            f"c{criterion.pk}-narrative": "Mit dem Token des Formulars.",
            f"c{criterion.pk}-version": "0",
        },
    )
    assert response.status_code == 302
    assert draft.answers.get(criterion=criterion).narrative == "Mit dem Token des Formulars."
    # Another visitor's page (kept cards reused) carries that visitor's own token.
    other = Client(enforce_csrf_checks=True)
    other.force_login(alice)
    other_body = other.get(reverse("assessments:area", args=[draft.pk, "1"])).content.decode()
    assert "{csrf-token-slot}" not in other_body


# ---------------------------------------------------------------- counted once per distinct input


def _save_11(alice, draft, statuses: dict, narrative: str, version: int):
    from assessments import services

    return services.save_answer(
        user=alice,
        assessment_id=draft.pk,
        criterion_code="1.1",
        item_statuses=statuses,
        narrative=narrative,
        site_ids=[],
        expected_version=version,
    )


def _counts(evaluation) -> list[tuple]:
    return [(entry.area.code, entry.answered, entry.fulfilled, entry.points) for entry in evaluation.progress]


def test_counts_are_made_once_per_distinct_input_and_equal_a_fresh_evaluation(alice, draft):
    from django.utils import translation

    from assessments.evaluation import evaluate, evaluate_counts

    empty = evaluate_counts(draft)
    assert evaluate_counts(draft) is empty  # nothing changed: the kept one
    _save_11(alice, draft, {"1.1": "fulfilled", "1.1.1": "fulfilled"}, "Erste Fassung.", 0)
    answered = evaluate_counts(draft)
    assert answered is not empty
    assert _counts(answered) == _counts(evaluate(draft)) != _counts(empty)
    # Another narrative, the same statuses: nothing to count again.
    _save_11(alice, draft, {"1.1": "fulfilled", "1.1.1": "fulfilled"}, "Zweite Fassung.", 1)
    assert evaluate_counts(draft) is answered
    # A status set back counts anew, and the result is a fresh evaluation's.
    _save_11(alice, draft, {"1.1": "fulfilled", "1.1.1": "planned"}, "Zweite Fassung.", 2)
    planned = evaluate_counts(draft)
    assert planned is not answered and _counts(planned) == _counts(evaluate(draft))
    # The rules' messages are phrased in the reader's language.
    with translation.override("en"):
        english = evaluate_counts(draft)
    assert english is not planned
    assert _counts(english) == _counts(planned)


def _panel_line(page: str, area_code: str) -> str:
    return page.split(f'data-area-progress="{area_code}">')[1].split("</small>")[0].strip()


def test_the_kept_progress_panel_follows_every_count(client, alice, draft):
    from django.urls import reverse

    from assessments.evaluation import evaluate

    client.force_login(alice)
    criterion = criterion_of(draft, "1.1")
    prefix = f"c{criterion.pk}"

    def autosave(status_11: str, narrative: str, version: int) -> str:
        response = client.post(
            reverse("assessments:save_answer", args=[draft.pk, "1.1"]),
            {
                f"{prefix}-item_1.1": "fulfilled",
                f"{prefix}-item_1.1.1": status_11,
                f"{prefix}-narrative": narrative,
                f"{prefix}-version": version,
            },
            HTTP_HX_REQUEST="true",
        )
        assert response.status_code == 200
        return response.content.decode()

    def expected() -> str:
        entry = evaluate(draft).progress_for(criterion.area)
        return f"{entry.answered} von {entry.total} beantwortet · {entry.fulfilled} erfüllt"

    assert _panel_line(_area_page(client, draft), "1").startswith(expected())
    saved = autosave("fulfilled", "Erste Fassung.", 0)
    assert _panel_line(saved, "1").startswith(expected())
    assert "1 von" in _panel_line(saved, "1")
    assert _panel_line(_area_page(client, draft), "1") == _panel_line(saved, "1")
    # The narrative alone: the same panel; a status set back: the panel moves.
    assert _panel_line(autosave("fulfilled", "Zweite Fassung.", 1), "1") == _panel_line(saved, "1")
    moved = autosave("not_fulfilled", "Zweite Fassung.", 2)
    assert _panel_line(moved, "1").startswith(expected())
    assert _panel_line(moved, "1") != _panel_line(saved, "1")
    assert _panel_line(_area_page(client, draft), "1") == _panel_line(moved, "1")
