"""The review screens over HTTP: the permission table for every review view
and persona (plus the assigned reviewer gabi and the second reviewer zeno),
then the paths through them: assignment (also crafted), verdicts (htmx and
plain), queries and replies, the diff after resubmission, the site visit, and
the four-eyes decision refusing a crafted approval by the recommender."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from assessments import services
from assessments.models import Assessment, AssessmentState, CriterionVerdict, SiteVisit, Verdict
from certification.services import seal_valid_until
from tests.assessments.conftest import accept_all, schedule_visit
from tests.factories import ReviewerFactory
from tests.unchanged import everything

PERSONAS = ["alice", "bob", "tina", "tom", "paula", "rita", "olga", "gabi", "zeno", "anonymous"]


@pytest.fixture
def people(alice, bob, tina, tom, paula, rita, olga, gabi, zeno):
    return {
        "alice": alice,
        "bob": bob,
        "tina": tina,
        "tom": tom,
        "paula": paula,
        "rita": rita,
        "olga": olga,
        "gabi": gabi,
        "zeno": zeno,
    }


def table(**overrides) -> dict:
    """Default: nobody outside the centre and the review knows it exists (404)."""
    base = {name: 404 for name in PERSONAS}
    base["anonymous"] = 302
    base.update(overrides)
    return base


# The office's own pages do not exist for anyone else (404, like the export of all assessments).
OFFICE_ONLY = {**{name: 404 for name in PERSONAS}, "olga": 200, "anonymous": 302}
REVIEW_READERS = table(alice=403, tina=403, olga=200, gabi=200, zeno=200)
REVIEWER_ONLY = table(alice=403, tina=403, olga=403, gabi=200, zeno=403)
REVIEWER_POST = {**REVIEWER_ONLY, "gabi": 302}
VIEWERS = table(alice=200, tina=200, olga=200, gabi=200, zeno=200)
EDITOR_POST = table(alice=302, tina=403, olga=403, gabi=403, zeno=403)
DECIDERS_POST = table(alice=403, tina=403, olga=302, gabi=302, zeno=302)
DECLINE = table(alice=403, tina=403, olga=200, gabi=200, zeno=403)
RECERTIFY = table(alice=200, tina=403, olga=403)

# (view, url name, method, the assessment's state fixture, post data, expected per persona)
TABLE = [
    ("overview", "review_overview", "get", "reviewing", {}, OFFICE_ONLY),
    ("assign", "assign", "get", "submitted", {}, table(alice=403, tina=403, olga=200)),
    ("workspace", "review", "get", "reviewing", {}, REVIEW_READERS),
    ("review_area", "review_area", "get", "reviewing", {}, REVIEW_READERS),
    ("set_verdict", "set_verdict", "post", "reviewing", {"verdict": "accepted", "comment": ""}, REVIEWER_POST),
    ("request_changes", "request_changes", "post", "reviewing", {}, REVIEWER_POST),
    ("queries", "queries", "get", "queried", {}, VIEWERS),
    ("reply", "reply", "post", "queried", {"reply": "Ergänzt."}, EDITOR_POST),
    ("resubmit", "resubmit", "post", "queried", {}, EDITOR_POST),
    ("site_visit", "site_visit", "get", "visited", {}, REVIEWER_ONLY),
    ("site_visit_done", "site_visit_done", "post", "visited", {}, REVIEWER_POST),
    ("site_visit_ics", "site_visit_ics", "get", "visited", {}, VIEWERS),
    ("recommend", "recommend", "get", "reviewing", {}, REVIEWER_ONLY),
    ("decision", "decision", "get", "recommended_by_gabi", {}, REVIEW_READERS),
    ("approve", "approve", "post", "recommended_by_gabi", {}, DECIDERS_POST),
    ("send_back", "send_back", "post", "recommended_by_gabi", {"reason": "Bitte 1.1 prüfen."}, DECIDERS_POST),
    ("decline", "decline", "get", "reviewing", {}, DECLINE),
    ("recertify", "recertify", "get", "reviewing", {}, RECERTIFY),
]


def url_for(name: str, assessment: Assessment) -> str:
    if name == "review_overview":
        return reverse("assessments:review_overview")
    if name == "review_area":
        return reverse("assessments:review_area", args=[assessment.pk, "1"])
    if name in ("set_verdict", "reply"):
        return reverse(f"assessments:{name}", args=[assessment.pk, "1.1"])
    if name == "recertify":
        return reverse("assessments:recertify", args=[assessment.familienzentrum_id])
    return reverse(f"assessments:{name}", args=[assessment.pk])


@pytest.mark.parametrize("view,name,method,state,data,expected", TABLE, ids=[f"{row[0]}-{row[2]}" for row in TABLE])
@pytest.mark.parametrize("who", PERSONAS)
def test_permission_table(client, request, people, who, view, name, method, state, data, expected):
    assessment = request.getfixturevalue(state)
    if who != "anonymous":
        client.force_login(people[who])
    url = url_for(name, assessment)
    response = client.post(url, data) if method == "post" else client.get(url)
    assert response.status_code == expected[who], f"{who} {method.upper()} {view}"
    if who == "anonymous":
        assert response.url.startswith(reverse("accounts:login"))


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def state_of(assessment) -> str:
    return Assessment.objects.get(pk=assessment.pk).state


# ------------------------------------------------------------------ office


def test_overview_lists_the_queue_with_the_next_action(client, olga, submitted, other_centre):
    client.force_login(olga)
    body = client.get(reverse("assessments:review_overview")).content.decode()
    assert submitted.familienzentrum.name in body
    assert reverse("assessments:assign", args=[submitted.pk]) in body


def test_assign_offers_only_untied_pool_members(client, olga, submitted, gabi, zeno, tina, rita):
    ReviewerFactory(user=tina, may_confirm=True)  # tied to the centre's Träger
    client.force_login(olga)
    body = client.get(reverse("assessments:assign", args=[submitted.pk])).content.decode()
    assert gabi.email in body and zeno.email in body and rita.email in body
    assert tina.email not in body


def test_a_crafted_assignment_of_a_tied_reviewer_shows_the_services_refusal(client, olga, submitted, zeno, tina):
    ReviewerFactory(user=tina)
    client.force_login(olga)
    response = client.post(
        reverse("assessments:assign", args=[submitted.pk]), {"reviewer": tina.pk, "second_reviewer": zeno.pk}
    )
    assert response.status_code == 200
    assert "ist mit dem Träger dieses Familienzentrums verbunden" in response.content.decode()
    assert state_of(submitted) == AssessmentState.SUBMITTED


def test_assign_starts_the_review(client, olga, submitted, gabi, zeno):
    client.force_login(olga)
    response = client.post(
        reverse("assessments:assign", args=[submitted.pk]), {"reviewer": gabi.pk, "second_reviewer": zeno.pk}
    )
    assert response.status_code == 302
    assessment = Assessment.objects.get(pk=submitted.pk)
    assert (assessment.state, assessment.reviewer, assessment.second_reviewer) == ("in_review", gabi, zeno)


# ------------------------------------------------------------------ workspace and verdicts


def test_workspace_shows_the_frozen_submission_and_progress(client, gabi, reviewing):
    client.force_login(gabi)
    body = client.get(reverse("assessments:review", args=[reviewing.pk])).content.decode()
    submission = reviewing.latest_submission
    total = len(submission.payload["criteria"])
    assert submission.sha256 in body
    assert f"0 von {total} beurteilt" in body


def test_area_page_shows_items_narrative_and_evidence_from_the_snapshot(client, gabi, reviewing):
    submission = reviewing.latest_submission
    payload = submission.payload
    entry = next(entry for entry in payload["criteria"] if entry["code"] == "1.1")
    entry["evidence"] = [
        {
            "title": "Beratungsverzeichnis",
            "filename": "verzeichnis.pdf",
            "sha256": "ab" * 32,
            "effective_date": "2026-09-01",
            "valid_until": None,
            "revision_id": None,
            "download_url": "/datei/x/",
            "warnings": ["Älter als der Prüfzeitraum."],
        }
    ]
    entry["warnings"] = ["Ein Nachweis läuft bald ab."]
    type(submission).objects.filter(pk=submission.pk).update(payload=payload)
    client.force_login(gabi)
    body = client.get(reverse("assessments:review_area", args=[reviewing.pk, "1"])).content.decode()
    assert "So erfüllen wir 1.1." in body
    assert "Beratungsverzeichnis" in body and 'href="/datei/x/"' in body and "01.09.2026" in body
    assert "Älter als der Prüfzeitraum." in body and "Ein Nachweis läuft bald ab." in body
    assert "Akzeptieren" in body


def test_htmx_verdict_returns_the_card_and_the_progress(client, gabi, reviewing):
    client.force_login(gabi)
    url = reverse("assessments:set_verdict", args=[reviewing.pk, "1.1"])
    response = client.post(url, {"verdict": "accepted", "comment": ""}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    total = len(reviewing.latest_submission.payload["criteria"])
    assert response.status_code == 200
    assert 'id="pruefung-1-1"' in body and 'data-just-saved="ok"' in body
    assert 'id="review-progress"' in body and 'hx-swap-oob="true"' in body
    assert f"1 von {total} beurteilt" in body
    assert CriterionVerdict.objects.get(criterion__code="1.1").verdict == Verdict.ACCEPTED


def test_a_query_without_comment_is_refused_in_place(client, gabi, reviewing):
    client.force_login(gabi)
    url = reverse("assessments:set_verdict", args=[reviewing.pk, "1.1"])
    before = everything()
    response = client.post(url, {"verdict": "queried", "comment": "  "}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200 and 'role="alert"' in body and "braucht einen Kommentar" in body
    assert not CriterionVerdict.objects.exists()
    assert everything() == before


def test_plain_verdict_redirects_to_the_criterion_keeping_the_filter(client, gabi, reviewing):
    client.force_login(gabi)
    url = reverse("assessments:set_verdict", args=[reviewing.pk, "1.1"])
    response = client.post(url, {"verdict": "queried", "comment": "Bitte belegen.", "offen": "1"})
    assert response.status_code == 302
    assert response.url.endswith("/begutachtung/bereich/1/?offen=1#pruefung-1-1")


def test_filter_only_open_hides_accepted_criteria(client, gabi, reviewing):
    services.set_verdict(user=gabi, assessment_id=reviewing.pk, criterion_code="1.1", verdict="accepted", comment="")
    client.force_login(gabi)
    url = reverse("assessments:review_area", args=[reviewing.pk, "1"])
    assert 'data-criterion="1.1"' in client.get(url).content.decode()
    body = client.get(url + "?offen=1").content.decode()
    assert 'data-criterion="1.1"' not in body and 'data-criterion="1.2"' in body


def test_unknown_area_or_criterion_is_404(client, gabi, reviewing):
    client.force_login(gabi)
    assert client.get(reverse("assessments:review_area", args=[reviewing.pk, "4F"])).status_code == 404
    url = reverse("assessments:set_verdict", args=[reviewing.pk, "9.9"])
    before = everything()
    assert client.post(url, {"verdict": "accepted"}).status_code == 404
    assert everything() == before


def test_second_reviewer_reads_but_cannot_judge(client, zeno, reviewing):
    client.force_login(zeno)
    body = client.get(reverse("assessments:review_area", args=[reviewing.pk, "1"])).content.decode()
    assert "nur lesen" in body and "Akzeptieren" not in body


def test_workspace_query_count_does_not_grow_with_the_criteria(client, gabi, reviewing, django_assert_max_num_queries):
    client.force_login(gabi)
    with django_assert_max_num_queries(20):
        assert client.get(reverse("assessments:review_area", args=[reviewing.pk, "1"])).status_code == 200


# ------------------------------------------------------------------ queries, replies, resubmission, diff


def test_the_whole_query_round_over_http(client, gabi, alice, reviewing):
    client.force_login(gabi)
    client.post(
        reverse("assessments:set_verdict", args=[reviewing.pk, "1.1"]),
        {"verdict": "queried", "comment": "Bitte das Verzeichnis beilegen."},
    )
    client.post(reverse("assessments:set_verdict", args=[reviewing.pk, "1.2"]), {"verdict": "accepted"})
    response = client.post(reverse("assessments:request_changes", args=[reviewing.pk]), {"note": "Eine Frage."})
    assert response.status_code == 302 and state_of(reviewing) == AssessmentState.CHANGES_REQUESTED

    client.force_login(alice)
    queries_url = reverse("assessments:queries", args=[reviewing.pk])
    body = client.get(queries_url).content.decode()
    criterion = reviewing.catalogue.criteria.get(code="1.1")
    assert "Bitte das Verzeichnis beilegen." in body
    assert f"/bereich/1/#kriterium-{criterion.pk}" in body  # to change the answer on the area page
    # Resubmitting before answering is refused with the list.
    body = client.post(reverse("assessments:resubmit", args=[reviewing.pk])).content.decode()
    assert "Beantworten Sie zuerst alle Rückfragen" in body and state_of(reviewing) == "changes_requested"
    # An htmx reply updates the query and the counter.
    response = client.post(
        reverse("assessments:reply", args=[reviewing.pk, "1.1"]), {"reply": "Liegt bei."}, HTTP_HX_REQUEST="true"
    )
    assert "Alle Rückfragen sind beantwortet" in response.content.decode()
    # She changes the answer, then resubmits.
    answer = reviewing.answers.get(criterion=criterion)
    services.save_answer(
        user=alice,
        assessment_id=reviewing.pk,
        criterion_code="1.1",
        item_statuses={"1.1": "fulfilled", "1.1.1": "planned"},
        narrative="Das Verzeichnis hängt jetzt an.",
        site_ids=[],
        expected_version=answer.version,
    )
    response = client.post(reverse("assessments:resubmit", args=[reviewing.pk]))
    assert response.status_code == 302 and state_of(reviewing) == AssessmentState.IN_REVIEW
    assert reviewing.submissions.count() == 2

    # The reviewer sees what changed, with the query and the reply.
    client.force_login(gabi)
    body = client.get(reverse("assessments:review_area", args=[reviewing.pk, "1"])).content.decode()
    assert 'data-testid="diff"' in body
    assert "Änderungen seit Einreichung #1" in body
    assert "<ins>" in body and "hängt" in body
    assert "erfüllt → <strong>in Planung</strong>" in body
    assert "Liegt bei." in body and "Bitte das Verzeichnis beilegen." in body
    overview = client.get(reverse("assessments:review", args=[reviewing.pk])).content.decode()
    assert "Geändert seit Einreichung #1" in overview


def test_reply_outside_an_open_round_is_refused(client, alice, reviewing, gabi):
    # A query the reviewer has written but not yet sent: no open round to reply in.
    services.set_verdict(
        user=gabi, assessment_id=reviewing.pk, criterion_code="1.1", verdict=Verdict.QUERIED, comment="Welche Angebote?"
    )
    from notifications.models import Notification

    def state():
        reviewing.refresh_from_db()
        verdicts = list(CriterionVerdict.objects.order_by("pk").values_list("reply", "replied_at", "updated_at"))
        return reviewing.state, reviewing.updated_at, verdicts, Notification.objects.count(), len(mail.outbox)

    before = state()
    client.force_login(alice)
    response = client.post(reverse("assessments:reply", args=[reviewing.pk, "1.1"]), {"reply": "x"})
    assert response.status_code == 400
    assert state() == before
    assert CriterionVerdict.objects.get(criterion__code="1.1").reply == ""


def test_replayed_resubmit_resubmits_once(client, alice, queried):
    client.force_login(alice)
    url = reverse("assessments:resubmit", args=[queried.pk])
    client.post(url)
    second = client.post(url, follow=True)
    assert "bereits erneut eingereicht" in second.content.decode()
    assert queried.submissions.count() == 2


# ------------------------------------------------------------------ site visit


def test_site_visit_form_plans_and_invites(client, gabi, alice, reviewing, django_capture_on_commit_callbacks):
    client.force_login(gabi)
    site = reviewing.familienzentrum.site_links.get().site
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("assessments:site_visit", args=[reviewing.pk]),
            {"date": "2030-03-10", "time": "09:30", "sites": [str(site.pk)], "notes": "Elterncafé"},
        )
    assert response.status_code == 302
    visit = SiteVisit.objects.get(assessment=reviewing)
    assert visit.scheduled_for.isoformat() == "2030-03-10T08:30:00+00:00"  # 09:30 in Berlin
    assert mail.outbox[-1].to == [alice.email] and mail.outbox[-1].attachments
    # Marked done on the visit's day (issue 12: not before it).
    with time_machine.travel(visit.scheduled_for + timedelta(hours=4), tick=False):
        client.force_login(gabi)
        response = client.post(reverse("assessments:site_visit_done", args=[reviewing.pk]), {"note": "Gut."})
    assert response.status_code == 302 and SiteVisit.objects.get(pk=visit.pk).is_done


def test_the_calendar_file_downloads(client, alice, visited):
    client.force_login(alice)
    response = client.get(reverse("assessments:site_visit_ics", args=[visited.pk]))
    assert response["Content-Type"].startswith("text/calendar")
    assert b"BEGIN:VEVENT" in response.content and b"METHOD:PUBLISH" in response.content


def test_a_verbund_visit_of_one_site_shows_the_rule(client, alice, mini_catalogue, olga, gabi, zeno):
    from tests.assessments.test_review_services import make_verbund

    assessment, grant_site, _second, _third = make_verbund(alice, mini_catalogue)
    services.assign_reviewers(user=olga, assessment_id=assessment.pk, reviewer=gabi, second_reviewer=zeno)
    client.force_login(gabi)
    response = client.post(
        reverse("assessments:site_visit", args=[assessment.pk]),
        {"date": "2030-03-10", "time": "09:30", "sites": [str(grant_site.pk)]},
    )
    assert response.status_code == 200
    assert "genau zwei Standorte" in response.content.decode()
    assert not SiteVisit.objects.exists()


# ------------------------------------------------------------------ recommendation and four-eyes


def test_recommend_page_lists_what_is_missing(client, gabi, reviewing):
    client.force_login(gabi)
    body = client.get(reverse("assessments:recommend", args=[reviewing.pk])).content.decode()
    assert "Noch nicht akzeptiert." in body and "Begehung ist noch nicht durchgeführt" in body
    response = client.post(reverse("assessments:recommend", args=[reviewing.pk]), {"note": ""}, follow=True)
    assert "Eine Empfehlung ist noch nicht möglich" in response.content.decode()
    assert state_of(reviewing) == AssessmentState.IN_REVIEW


def test_recommend_then_the_second_reviewer_approves(client, gabi, zeno, reviewing):
    accept_all(reviewing, gabi)
    schedule_visit(reviewing, gabi, done=True)
    client.force_login(gabi)
    assert client.post(reverse("assessments:recommend", args=[reviewing.pk]), {"note": "Gut."}).status_code == 302
    assert state_of(reviewing) == AssessmentState.RECOMMENDED
    # The recommender's decision page offers no decision.
    body = client.get(reverse("assessments:decision", args=[reviewing.pk])).content.decode()
    assert "Sie haben diese Selbstbewertung empfohlen" in body and "Bestätigen</button>" not in body

    client.force_login(zeno)
    body = client.get(reverse("assessments:decision", args=[reviewing.pk])).content.decode()
    sha = reviewing.latest_submission.sha256
    assert sha in body and "Bestätigen</button>" in body
    # The seal is issued after its confirmation step (issue 12), which names what is confirmed.
    confirmation = client.get(reverse("assessments:approve_confirm", args=[reviewing.pk])).content.decode()
    assert sha in confirmation
    data = {"note": "", "confirm": sha, "valid_until": seal_valid_until(timezone.localdate()).isoformat()}
    response = client.post(reverse("assessments:approve", args=[reviewing.pk]), data, follow=True)
    body = response.content.decode()
    assessment = Assessment.objects.get(pk=reviewing.pk)
    assert assessment.state == AssessmentState.CERTIFIED
    assert assessment.seal.number in body and 'data-testid="decision-result"' in body and sha in body
    # The timeline on the detail page names the snapshot too.
    detail = client.get(reverse("assessments:detail", args=[reviewing.pk])).content.decode()
    assert "bestätigt und zertifiziert" in detail and sha in detail


def test_four_eyes_a_crafted_approval_by_the_recommender_is_refused(client, gabi, recommended_by_gabi):
    # Even with office rights and named as second reviewer.
    gabi.is_staff = True
    gabi.save()
    Assessment.objects.filter(pk=recommended_by_gabi.pk).update(second_reviewer=gabi)
    client.force_login(gabi)
    before = everything()
    for name, data in (("approve", {}), ("send_back", {"reason": "selbst"})):
        response = client.post(reverse(f"assessments:{name}", args=[recommended_by_gabi.pk]), data)
        assert response.status_code == 302
        assert any("empfohlen" in message or "nicht berechtigt" in message for message in messages_of(response))
    assessment = Assessment.objects.get(pk=recommended_by_gabi.pk)
    assert assessment.state == AssessmentState.RECOMMENDED and assessment.seal is None
    assert not assessment.events.filter(action__in=["approve", "send_back"]).exists()
    # No seal number drawn, no LogEntry, nobody told.
    assert everything() == before


def test_send_back_needs_a_reason_and_returns_to_review(client, zeno, recommended_by_gabi):
    client.force_login(zeno)
    url = reverse("assessments:send_back", args=[recommended_by_gabi.pk])
    before = everything()
    client.post(url, {"reason": ""})
    assert state_of(recommended_by_gabi) == AssessmentState.RECOMMENDED
    assert everything() == before
    client.post(url, {"reason": "Nachweis zu 1.1 fehlt."})
    assert state_of(recommended_by_gabi) == AssessmentState.IN_REVIEW


def test_decline_with_a_reason(client, olga, reviewing):
    client.force_login(olga)
    response = client.post(reverse("assessments:decline", args=[reviewing.pk]), {"reason": "Schwellen verfehlt."})
    assert response.status_code == 302 and state_of(reviewing) == AssessmentState.NOT_CERTIFIED


# ------------------------------------------------------------------ seal and start page


def test_seal_on_detail_and_start_page_for_centre_traeger_and_office(
    client, alice, tina, olga, zeno, recommended_by_gabi
):
    services.approve(user=zeno, assessment_id=recommended_by_gabi.pk)
    seal = Assessment.objects.get(pk=recommended_by_gabi.pk).seal
    for user in (alice, tina, olga):
        client.force_login(user)
        home = client.get(reverse("home")).content.decode()
        detail = client.get(reverse("assessments:detail", args=[recommended_by_gabi.pk])).content.decode()
        assert seal.number in home and seal.number in detail, user
        assert seal.valid_until.strftime("%d.%m.%Y") in home
    client.force_login(alice)
    home = client.get(reverse("home")).content.decode()
    assert reverse("assessments:recertify", args=[recommended_by_gabi.familienzentrum_id]) in home


def test_reviewer_start_page_lists_assignments(client, gabi, zeno, reviewing):
    client.force_login(gabi)
    body = client.get(reverse("home")).content.decode()
    assert "Ihre Begutachtungen" in body and reverse("assessments:review", args=[reviewing.pk]) in body
    client.force_login(zeno)
    assert "Zweitgutachter:in" in client.get(reverse("home")).content.decode()


def test_recertify_page_starts_a_prefilled_assessment(client, alice, zeno, recommended_by_gabi):
    services.approve(user=zeno, assessment_id=recommended_by_gabi.pk)
    client.force_login(alice)
    url = reverse("assessments:recertify", args=[recommended_by_gabi.familienzentrum_id])
    response = client.post(url, {"review_period_start": "2030-01-01", "review_period_end": "2030-07-31"})
    fresh = Assessment.objects.exclude(pk=recommended_by_gabi.pk).get()
    assert response.status_code == 302 and response.url == reverse("assessments:detail", args=[fresh.pk])
    assert fresh.kind == "recertification" and fresh.answers.filter(to_confirm=True).exists()
