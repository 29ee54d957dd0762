"""Answering the reviewer's queries where the Leitung looks (issue 11, items
1 and 5): the question on the criterion card with a way back to the queries,
the reviewer's cover note on the queries page, and replies confirmed or
refused at the reply, with the script and without, the typed text kept."""

from __future__ import annotations

import pytest
from django.urls import reverse

from assessments import services
from assessments.models import AssessmentState, Verdict
from assessments.selectors import OpenQuery, open_queries_by_criterion
from assessments.views.review import anchor_for
from tests.unchanged import everything

COVER_NOTE = "Bitte ergänzen Sie die zwei Punkte bis Ende des Monats."


@pytest.fixture
def asked(reviewing, gabi):
    """gabi queried 1.1 and sent the round with a cover note; nothing answered yet."""
    services.set_verdict(
        user=gabi,
        assessment_id=reviewing.pk,
        criterion_code="1.1",
        verdict=Verdict.QUERIED,
        comment="Bitte legen Sie das aktuelle Verzeichnis bei.",
    )
    services.request_changes(user=gabi, assessment_id=reviewing.pk, note=COVER_NOTE)
    reviewing.refresh_from_db()
    return reviewing


def card_of(body: str, criterion) -> str:
    start = body.index(f'id="kriterium-{criterion.pk}"')
    return body[start : body.index("</article>", start)]


def query_of(body: str, code: str) -> str:
    start = body.index(f'id="{anchor_for(code)}"')
    return body[start : body.index("</article>", start)]


# ------------------------------------------------------------------ the card


def test_the_card_shows_the_question_and_leads_back_to_the_queries(client, alice, asked):
    client.force_login(alice)
    body = client.get(reverse("assessments:area", args=[asked.pk, "1"])).content.decode()
    criteria = {criterion.code: criterion for criterion in asked.catalogue.criteria.all()}
    card = card_of(body, criteria["1.1"])
    assert 'data-testid="criterion-query"' in card
    assert "Bitte legen Sie das aktuelle Verzeichnis bei." in card
    assert "Noch nicht beantwortet" in card
    back = reverse("assessments:queries", args=[asked.pk]) + "#" + anchor_for("1.1")
    assert f'href="{back}"' in card and "Zurück zu den Rückfragen" in card
    assert 'data-testid="criterion-query"' not in card_of(body, criteria["1.2"])  # not queried


def test_the_card_shows_the_reply_once_written(client, alice, asked):
    services.reply_to_query(user=alice, assessment_id=asked.pk, criterion_code="1.1", reply="Liegt jetzt bei.")
    client.force_login(alice)
    body = client.get(reverse("assessments:area", args=[asked.pk, "1"])).content.decode()
    card = card_of(body, asked.catalogue.criteria.get(code="1.1"))
    assert "Liegt jetzt bei." in card and "Noch nicht beantwortet" not in card


def test_outside_a_query_round_the_card_shows_no_query(client, alice, queried):
    services.resubmit(user=alice, assessment_id=queried.pk)
    queried.refresh_from_db()
    assert queried.state == AssessmentState.IN_REVIEW
    assert open_queries_by_criterion(queried) == {}
    client.force_login(alice)
    body = client.get(reverse("assessments:area", args=[queried.pk, "1"])).content.decode()
    assert 'data-testid="criterion-query"' not in body


def test_the_cards_query_anchor_is_the_queries_pages_anchor(asked, django_assert_num_queries):
    with django_assert_num_queries(1):
        queries = open_queries_by_criterion(asked)
    (query,) = queries.values()
    assert isinstance(query, OpenQuery)
    assert query.anchor == anchor_for("1.1")
    assert anchor_for("4B1.1") == OpenQuery(type("V", (), {"criterion": type("C", (), {"code": "4B1.1"})})).anchor


# ------------------------------------------------------------------ the queries page


def test_the_queries_page_shows_the_reviewers_cover_note(client, alice, asked):
    client.force_login(alice)
    body = client.get(reverse("assessments:queries", args=[asked.pk])).content.decode()
    assert 'data-testid="cover-note"' in body and COVER_NOTE in body
    assert "Gabi Gutachterin" in body[body.index('data-testid="cover-note"') :]


def test_an_earlier_rounds_cover_note_stays_with_that_round(client, alice, asked, gabi):
    services.reply_to_query(user=alice, assessment_id=asked.pk, criterion_code="1.1", reply="Liegt bei.")
    services.resubmit(user=alice, assessment_id=asked.pk)
    client.force_login(alice)
    body = client.get(reverse("assessments:queries", args=[asked.pk])).content.decode()
    earlier = body[body.index('id="earlier-heading"') :]
    assert "zu Einreichung #1" in earlier and COVER_NOTE in earlier
    assert 'data-testid="cover-note"' not in body  # no open round


# ------------------------------------------------------------------ replies without the script


def test_a_saved_reply_is_confirmed_at_the_reply_without_script(client, alice, asked):
    client.force_login(alice)
    response = client.post(reverse("assessments:reply", args=[asked.pk, "1.1"]), {"reply": "Liegt jetzt bei."})
    assert response.status_code == 302
    assert response.url.endswith(f"?gespeichert=1.1#{anchor_for('1.1')}")
    query = query_of(client.get(response.url).content.decode(), "1.1")
    assert "Antwort zu 1.1 gespeichert." in query and "Liegt jetzt bei." in query


@pytest.mark.parametrize(
    ("text", "reason"),
    [("", "Dieses Feld ist zwingend erforderlich."), ("x" * 4001, "höchstens 4000 Zeichen")],
)
def test_a_refused_reply_is_explained_at_the_reply_with_the_text_kept(client, alice, asked, text, reason):
    client.force_login(alice)
    before = everything()
    response = client.post(reverse("assessments:reply", args=[asked.pk, "1.1"]), {"reply": text})
    assert response.status_code == 400
    # Nothing saved, no event, nobody told.
    assert everything() == before
    query = query_of(response.content.decode(), "1.1")
    assert "Nicht gespeichert:" in query and reason in query
    assert 'aria-invalid="true"' in query and f'aria-describedby="{anchor_for("1.1")}-error"' in query
    if text:
        assert text in query
    asked.refresh_from_db()
    assert asked.latest_submission.verdicts.get(criterion__code="1.1").reply == ""


def test_a_reply_after_the_round_ended_is_explained_and_the_text_kept(client, alice, queried):
    services.resubmit(user=alice, assessment_id=queried.pk)  # e.g. in another tab
    client.force_login(alice)
    before = everything()
    response = client.post(
        reverse("assessments:reply", args=[queried.pk, "1.1"]), {"reply": "Mein neuer, langer Text."}
    )
    assert response.status_code == 400
    # The text is shown again, not written into the ended round (or the new one).
    assert everything() == before
    body = response.content.decode()
    assert "Ihre Antwort wurde nicht gespeichert" in body
    query = query_of(body, "1.1")
    assert "solange sie offen sind" in query and "Mein neuer, langer Text." in query


# ------------------------------------------------------------------ replies with htmx


def test_htmx_reply_saved_and_refused_answer_in_the_fragment(client, alice, asked):
    client.force_login(alice)
    url = reverse("assessments:reply", args=[asked.pk, "1.1"])
    before = everything()
    response = client.post(url, {"reply": "x" * 4001}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200  # htmx swaps only successful answers
    assert everything() == before  # refused: answered as a fragment, saved nowhere
    body = response.content.decode()
    assert 'data-reply-just="error"' in body and "höchstens 4000 Zeichen" in body and "x" * 4001 in body
    response = client.post(url, {"reply": "Liegt jetzt bei."}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert 'data-reply-just="ok"' in body and "Antwort zu 1.1 gespeichert." in body
    assert "Alle Rückfragen sind beantwortet." in body


def test_htmx_reply_after_the_round_ended_keeps_the_text_in_the_fragment(client, alice, queried):
    services.resubmit(user=alice, assessment_id=queried.pk)
    client.force_login(alice)
    before = everything()
    response = client.post(
        reverse("assessments:reply", args=[queried.pk, "1.1"]), {"reply": "Noch ein Satz."}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert everything() == before
    body = response.content.decode()
    assert f'id="{anchor_for("1.1")}"' in body and 'data-reply-just="error"' in body
    assert "Nicht gespeichert." in body and "Noch ein Satz." in body


def test_resubmitting_shows_no_checksum_to_the_centre(client, alice, queried):
    client.force_login(alice)
    response = client.post(reverse("assessments:resubmit", args=[queried.pk]), follow=True)
    body = response.content.decode()
    start = body.index('<div class="messages">')
    message = body[start : body.index("</div>", start + 30)]
    assert "erneut eingereicht (Einreichung #2)" in message
    assert queried.submissions.order_by("-number").first().sha256[:16] not in message
