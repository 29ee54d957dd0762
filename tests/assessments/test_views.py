"""The assessment pages over HTTP: who gets what (the permission table), the
bad paths (stale save, unknown criterion, double submit) and query counts."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments import services
from assessments.models import Answer, Assessment, AssessmentKind, AssessmentState
from certification.models import Area
from tests.assessments.conftest import answer_all, build_catalogue
from tests.unchanged import everything

PERSONAS = ["alice", "bob", "tina", "tom", "paula", "rita", "olga", "anonymous"]


@pytest.fixture
def persona(request, alice, bob, tina, tom, paula, rita, olga):
    people = {"alice": alice, "bob": bob, "tina": tina, "tom": tom, "paula": paula, "rita": rita, "olga": olga}
    return people


# Expected status per view and persona. 404: may not know it exists; 403: may
# see the assessment but not do this; 302 for anonymous: to the login page.
VIEW_ONLY = {
    "alice": 200,
    "bob": 404,
    "tina": 200,
    "tom": 404,
    "paula": 404,
    "rita": 404,
    "olga": 200,
    "anonymous": 302,
}
EDIT = {"alice": 200, "bob": 404, "tina": 403, "tom": 404, "paula": 404, "rita": 404, "olga": 403, "anonymous": 302}
EDIT_POST = {**EDIT, "alice": 302}
WITHDRAW = {**EDIT, "tina": 200}

TABLE = [
    ("detail", "get", VIEW_ONLY),
    ("area", "get", VIEW_ONLY),
    ("profile", "get", EDIT),
    ("ready", "get", EDIT),
    ("save_answer", "post", EDIT_POST),
    ("withdraw", "get", WITHDRAW),
    ("withdraw", "post", {**EDIT_POST, "tina": 302}),
]


def url_for(name, assessment):
    if name == "area":
        return reverse("assessments:area", args=[assessment.pk, "1"])
    if name == "save_answer":
        return reverse("assessments:save_answer", args=[assessment.pk, "1.1"])
    return reverse(f"assessments:{name}", args=[assessment.pk])


def post_data_for(name, assessment):
    if name == "save_answer":
        prefix = f"c{assessment.catalogue.criteria.get(code='1.1').pk}"
        return {f"{prefix}-item_1.1": "fulfilled", f"{prefix}-narrative": "", f"{prefix}-version": "0"}
    if name == "withdraw":
        return {"reason": "Wir hören auf."}
    return {}


@pytest.mark.parametrize("name,method,expected", TABLE, ids=[f"{n}-{m}" for n, m, _ in TABLE])
@pytest.mark.parametrize("who", PERSONAS)
def test_permission_table(client, draft, persona, who, name, method, expected):
    if who != "anonymous":
        client.force_login(persona[who])
    url = url_for(name, draft)
    response = client.post(url, post_data_for(name, draft)) if method == "post" else client.get(url)
    assert response.status_code == expected[who], f"{who} {method.upper()} {name}"
    if response.status_code == 302 and who == "anonymous":
        assert response.url.startswith(reverse("accounts:login"))


START = {"alice": 200, "bob": 404, "tina": 403, "tom": 404, "paula": 404, "rita": 404, "olga": 403, "anonymous": 302}


@pytest.mark.parametrize("who", PERSONAS)
def test_permission_table_start(client, centre, mini_catalogue, persona, who):
    if who != "anonymous":
        client.force_login(persona[who])
    response = client.get(reverse("assessments:start", args=[centre.pk]))
    assert response.status_code == START[who]


def test_leitung_starts_an_assessment_in_the_browser_form(client, alice, centre, mini_catalogue):
    client.force_login(alice)
    area_4b = Area.objects.get(catalogue=mini_catalogue, code="4B")
    response = client.post(
        reverse("assessments:start", args=[centre.pk]),
        {
            "kind": AssessmentKind.FIRST,
            "profile_areas": [area_4b.pk],
            "review_period_start": "2026-08-01",
            "review_period_end": "2027-01-31",
        },
    )
    assessment = Assessment.objects.get()
    assert response.status_code == 302 and response.url == reverse("assessments:detail", args=[assessment.pk])
    assert list(assessment.profile_areas.all()) == [area_4b]
    # A second start goes to the open assessment instead of creating one.
    again = client.get(reverse("assessments:start", args=[centre.pk]))
    assert again.url == reverse("assessments:detail", args=[assessment.pk])


def test_start_with_too_many_profiles_shows_the_error(client, alice, centre, mini_catalogue):
    client.force_login(alice)
    areas = Area.objects.filter(catalogue=mini_catalogue, code__in=["4B", "4F"])
    response = client.post(
        reverse("assessments:start", args=[centre.pk]),
        {
            "kind": "first",
            "profile_areas": [area.pk for area in areas],
            "review_period_start": "2026-08-01",
            "review_period_end": "2027-01-31",
        },
    )
    assert response.status_code == 200
    assert "Wählen Sie zwischen 1 und 1 Profilbereiche" in response.content.decode()
    assert not Assessment.objects.exists()


def save(client, assessment, code, version, status="fulfilled", narrative="", htmx=False):
    criterion = assessment.catalogue.criteria.get(code=code)
    prefix = f"c{criterion.pk}"
    data = {f"{prefix}-item_{item.code}": status for item in criterion.items.all()}
    data.update({f"{prefix}-narrative": narrative, f"{prefix}-version": str(version)})
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    return client.post(reverse("assessments:save_answer", args=[assessment.pk, code]), data, **headers)


def test_plain_save_redirects_back_to_the_criterion(client, alice, draft):
    client.force_login(alice)
    response = save(client, draft, "1.1", 0, narrative="Wir haben ein Verzeichnis.")
    criterion = draft.catalogue.criteria.get(code="1.1")
    assert response.status_code == 302
    assert response.url.endswith(f"/bereich/1/#kriterium-{criterion.pk}")
    assert Answer.objects.get(assessment=draft, criterion=criterion).narrative == "Wir haben ein Verzeichnis."


def test_htmx_save_returns_the_new_version_and_progress(client, alice, draft):
    client.force_login(alice)
    response = save(client, draft, "1.1", 0, htmx=True)
    body = response.content.decode()
    assert response.status_code == 200
    assert 'hx-swap-oob="true"' in body and 'value="1"' in body
    assert 'data-area-progress="1"' in body and "1 von 2 beantwortet" in body


def test_stale_save_shows_both_versions_and_loses_nothing(client, alice, draft):
    client.force_login(alice)
    save(client, draft, "1.1", 0, narrative="Fassung von Kollegin")
    before = everything()
    response = save(client, draft, "1.1", 0, status="planned", narrative="Meine Fassung")
    body = response.content.decode()
    assert response.status_code == 409
    # The colleague's answer, its items and the assessment's dates stand as they were.
    assert everything() == before
    assert "Jemand anderes hat diese Antwort inzwischen gespeichert" in body
    assert "Fassung von Kollegin" in body and "Meine Fassung" in body
    answer = Answer.objects.get(assessment=draft, criterion__code="1.1")
    assert answer.narrative == "Fassung von Kollegin" and answer.version == 1
    # Saving "mine" from the conflict form is based on the current version and wins consciously.
    assert save(client, draft, "1.1", 1, status="planned", narrative="Meine Fassung").status_code == 302
    answer.refresh_from_db()
    assert (answer.narrative, answer.version) == ("Meine Fassung", 2)


def test_htmx_stale_save_retargets_the_card(client, alice, draft):
    client.force_login(alice)
    save(client, draft, "1.1", 0, narrative="erste")
    before = everything()
    response = save(client, draft, "1.1", 0, narrative="zweite", htmx=True)
    assert response.status_code == 200
    assert everything() == before  # a conflict, shown in the card: "zweite" is saved nowhere
    assert response["HX-Retarget"].startswith("#kriterium-")
    assert "zweite" in response.content.decode() and "erste" in response.content.decode()


def test_unknown_criterion_code_is_a_bad_request(client, alice, draft):
    client.force_login(alice)
    before = everything()
    response = client.post(reverse("assessments:save_answer", args=[draft.pk, "99.9"]), {})
    assert response.status_code == 400
    assert everything() == before
    assert "Katalogversion" in response.content.decode()


def test_unknown_area_is_not_found(client, alice, draft):
    client.force_login(alice)
    assert client.get(reverse("assessments:area", args=[draft.pk, "4F"])).status_code == 404  # not chosen
    assert client.get(reverse("assessments:area", args=[draft.pk, "99"])).status_code == 404


def test_ready_page_lists_what_is_missing_with_links(client, alice, draft):
    client.force_login(alice)
    response = client.get(reverse("assessments:ready", args=[draft.pk]))
    body = response.content.decode()
    criterion = draft.catalogue.criteria.get(code="4B1")
    assert f"/bereich/4B/#kriterium-{criterion.pk}" in body
    assert "Schwelle „Basisleistungen“" in body
    assert "Jetzt verbindlich einreichen" not in body
    before = everything()
    response = client.post(reverse("assessments:ready", args=[draft.pk]))
    assert response.status_code == 200
    assert Assessment.objects.get(pk=draft.pk).state == AssessmentState.DRAFT
    # A refused submit: no submission, no event, no report queued, nobody told.
    assert everything() == before


def test_replayed_submit_post_submits_once(client, alice, draft):
    answer_all(draft, alice)
    client.force_login(alice)
    url = reverse("assessments:ready", args=[draft.pk])
    first = client.post(url, follow=True)
    after_first = everything()
    second = client.post(url, follow=True)
    # The replay is refused: no second snapshot, report or mail.
    assert everything() == after_first
    assert "Die Selbstbewertung ist eingereicht" in first.content.decode()
    assert "bereits eingereicht" in second.content.decode()
    assert draft.submissions.count() == 1
    assert draft.events.filter(action="submit").count() == 1


def test_detail_shows_the_timeline(client, alice, draft):
    services.withdraw(user=alice, assessment_id=draft.pk, reason="Kita schließt")
    client.force_login(alice)
    body = client.get(reverse("assessments:detail", args=[draft.pk])).content.decode()
    assert "Selbstbewertung angelegt" in body and "zurückgezogen" in body and "Kita schließt" in body


def area_queries(client, assessment, area_code="1"):
    with CaptureQueriesContext(connection) as context:
        response = client.get(reverse("assessments:area", args=[assessment.pk, area_code]))
    assert response.status_code == 200
    return len(context.captured_queries)


def test_area_page_queries_do_not_grow_with_the_catalogue(client, alice, centre):
    client.force_login(alice)
    counts = []
    for scale in (1, 3):
        catalogue = build_catalogue(scale=scale, code=f"scale{scale}")
        assessment = services.start_assessment(
            user=alice,
            familienzentrum=centre,
            catalogue=catalogue,
            kind="first",
            profile_areas=[Area.objects.get(catalogue=catalogue, code="4B")],
            review_period_start=date(2026, 8, 1),
            review_period_end=date(2027, 1, 31),
        )
        answer_all(assessment, alice)
        counts.append(area_queries(client, assessment))
        services.withdraw(user=alice, assessment_id=assessment.pk, reason="nächste Skala")
    assert counts[0] == counts[1], counts


def test_a_closed_assessment_stays_reachable_from_the_start_page(client, alice, draft):
    services.withdraw(user=alice, assessment_id=draft.pk, reason="Kita schließt")
    client.force_login(alice)
    body = client.get(reverse("home")).content.decode()
    assert "Letzte Selbstbewertung ansehen" in body
    assert reverse("assessments:detail", args=[draft.pk]) in body
    assert "Selbstbewertung starten" in body
