"""The reviewer's tools of issue 12: an area accepted at once after a
confirmation (stale and queried criteria refused or left alone, queries
counted at two sizes), evidence previewed in the browser (the headers for
PDF and images, HTML, SVG and disguised files always downloaded, the same
people as the download), the send-back reason on top of the workspace,
the personal calendar feed (its token page, revoked and wrong tokens 404),
visits only in the future and done only from their day on, and the seal
issued only after its confirmation step."""

from __future__ import annotations

import hashlib
import re
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from accounts.services import SECOND_FACTOR_AT_SESSION_KEY
from assessments import services
from assessments.models import (
    Assessment,
    AssessmentKind,
    AssessmentState,
    CriterionVerdict,
    EventAction,
    SiteVisit,
    SubmissionRevision,
    Verdict,
)
from assessments.views.review_tools import PREVIEW_POLICY
from certification.models import Area, Guetesiegel, LogAction, LogEntry, Reviewer
from certification.services import seal_valid_until
from evidence.models import EvidenceRevision
from tests.assessments.conftest import answer_all, build_catalogue, later_today, link_one_document, schedule_visit
from tests.assessments.files import JPEG_BYTES, PNG_BYTES, TEXT_BYTES
from tests.factories import FamilienzentrumFactory
from tests.unchanged import everything

BERLIN = ZoneInfo("Europe/Berlin")
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


def login(client, people, who):
    if who != "anonymous":
        client.force_login(people[who])


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def area_codes(assessment, area_code: str = "1") -> list[str]:
    return [entry["code"] for entry in assessment.latest_submission.payload["criteria"] if entry["area"] == area_code]


def accept_url(assessment, area_code: str = "1") -> str:
    return reverse("assessments:accept_area", args=[assessment.pk, area_code])


def confirm_data(assessment, area_code: str = "1") -> dict:
    return {"submission": assessment.latest_submission.number, "criteria": area_codes(assessment, area_code)}


def verdict_rows(assessment) -> list[tuple]:
    return sorted(
        CriterionVerdict.objects.filter(submission__assessment=assessment).values_list(
            "submission__number", "criterion__code", "verdict", "comment", "reviewer_id"
        )
    )


# ================================================================ an area at once


def test_the_area_page_offers_the_button_to_the_reviewer_only(client, gabi, zeno, reviewing):
    url = reverse("assessments:review_area", args=[reviewing.pk, "1"])
    client.force_login(gabi)
    body = client.get(url).content.decode()
    assert "Alle offenen Kriterien dieses Bereichs annehmen" in body and accept_url(reviewing) in body
    client.force_login(zeno)
    assert "Alle offenen Kriterien dieses Bereichs annehmen" not in client.get(url).content.decode()


def test_the_confirmation_names_what_will_be_accepted_and_changes_nothing(client, gabi, reviewing):
    services.set_verdict(
        user=gabi, assessment_id=reviewing.pk, criterion_code="1.1", verdict=Verdict.QUERIED, comment="Beleg?"
    )
    client.force_login(gabi)
    response = client.get(accept_url(reviewing))
    body = response.content.decode()
    assert response.status_code == 200
    assert "1 Kriterium wird als „akzeptiert“ vermerkt" in body
    assert 'name="criteria" value="1.2"' in body and 'name="criteria" value="1.1"' not in body
    assert "1 Kriterium mit Rückfrage bleibt unverändert" in body
    assert ">Annehmen</button>" in body and "Abbrechen" in body
    assert CriterionVerdict.objects.filter(verdict=Verdict.ACCEPTED).count() == 0


def test_accepting_an_area_accepts_the_unjudged_and_never_touches_a_query(client, gabi, reviewing):
    services.set_verdict(
        user=gabi, assessment_id=reviewing.pk, criterion_code="1.1", verdict=Verdict.QUERIED, comment="Beleg?"
    )
    client.force_login(gabi)
    # The crafted list names the queried one too, and a criterion of another area.
    data = {"submission": 1, "criteria": ["1.1", "1.2", "5.1"]}
    response = client.post(accept_url(reviewing), data)
    assert response.status_code == 302
    assert response.url == reverse("assessments:review_area", args=[reviewing.pk, "1"])
    assert "1 Kriterium akzeptiert: 1.2." in messages_of(response)
    assert verdict_rows(reviewing) == [
        (1, "1.1", Verdict.QUERIED, "Beleg?", gabi.pk),
        (1, "1.2", Verdict.ACCEPTED, "", gabi.pk),
    ]
    (entry,) = LogEntry.objects.filter(action=LogAction.AREA_ACCEPTED)
    assert entry.actor == gabi and entry.content_object == reviewing.latest_submission
    assert entry.data == {"area": "1", "submission": 1, "criteria": ["1.2"]}
    # Nothing left to accept: refused with a message, nothing more written.
    again = client.post(accept_url(reviewing), data)
    assert "kein bestätigtes Kriterium mehr ohne Urteil" in " ".join(messages_of(again))
    assert (
        CriterionVerdict.objects.count() == 2 and LogEntry.objects.filter(action=LogAction.AREA_ACCEPTED).count() == 1
    )


def test_a_criterion_judged_between_confirmation_and_post_is_left_as_it_is(client, gabi, reviewing):
    client.force_login(gabi)
    data = confirm_data(reviewing)  # what the confirmation page named
    services.set_verdict(
        user=gabi, assessment_id=reviewing.pk, criterion_code="1.2", verdict=Verdict.QUERIED, comment="Und hier?"
    )
    response = client.post(accept_url(reviewing), data)
    assert "Inzwischen beurteilt und unverändert geblieben: 1.2." in messages_of(response)
    assert verdict_rows(reviewing) == [
        (1, "1.1", Verdict.ACCEPTED, "", gabi.pk),
        (1, "1.2", Verdict.QUERIED, "Und hier?", gabi.pk),
    ]


def test_a_confirmation_of_an_older_submission_is_refused_and_nothing_changes(client, gabi, alice, queried):
    client.force_login(gabi)
    stale = {"submission": 1, "criteria": area_codes(queried, "5")}
    services.resubmit(user=alice, assessment_id=queried.pk)
    before = verdict_rows(queried)
    unchanged = everything()
    response = client.post(accept_url(queried, "5"), stale)
    assert response.status_code == 302
    assert any("inzwischen erneut eingereicht" in message for message in messages_of(response))
    assert verdict_rows(queried) == before
    assert not LogEntry.objects.filter(action=LogAction.AREA_ACCEPTED).exists()
    assert everything() == unchanged


@pytest.mark.parametrize("data", [{}, {"submission": "x", "criteria": ["1.1"]}, {"submission": "²"}])
def test_a_broken_confirmation_is_refused_with_a_message(client, gabi, reviewing, data):
    client.force_login(gabi)
    before = everything()
    response = client.post(accept_url(reviewing), data)
    assert response.status_code == 302 and messages_of(response)
    assert not CriterionVerdict.objects.exists()
    assert everything() == before


def test_an_unknown_area_is_404(client, gabi, reviewing):
    client.force_login(gabi)
    assert client.get(accept_url(reviewing, "9Z")).status_code == 404
    before = everything()
    assert client.post(accept_url(reviewing, "9Z"), {"submission": 1, "criteria": ["1.1"]}).status_code == 404
    assert everything() == before


def test_outside_the_review_the_area_is_not_accepted(client, gabi, recommended_by_gabi):
    CriterionVerdict.objects.filter(criterion__code="1.1").delete()
    client.force_login(gabi)
    page = client.get(accept_url(recommended_by_gabi))
    assert page.status_code == 302 and "nur während der Begutachtung" in " ".join(messages_of(page))
    data = confirm_data(recommended_by_gabi)
    before = everything()
    response = client.post(accept_url(recommended_by_gabi), data)
    assert "nur während der Begutachtung" in " ".join(messages_of(response))
    assert not CriterionVerdict.objects.filter(criterion__code="1.1").exists()
    assert everything() == before


ACCEPT_GET = {**{name: 404 for name in PERSONAS}, "alice": 403, "tina": 403, "olga": 403, "zeno": 403}
ACCEPT_GET.update({"gabi": 200, "anonymous": 302})
ACCEPT_POST = {**ACCEPT_GET, "gabi": 302}


@pytest.mark.parametrize("who", PERSONAS)
def test_accept_area_permission_table(client, people, reviewing, who):
    login(client, people, who)
    assert client.get(accept_url(reviewing)).status_code == ACCEPT_GET[who], who
    response = client.post(accept_url(reviewing), confirm_data(reviewing))
    assert response.status_code == ACCEPT_POST[who], who
    if who == "anonymous":
        assert response.url.startswith(reverse("accounts:login"))
    assert CriterionVerdict.objects.count() == (2 if who == "gabi" else 0)


def _reviewing_on(catalogue, centre, leitung, olga, gabi, zeno) -> Assessment:
    from datetime import date

    assessment = services.start_assessment(
        user=leitung,
        familienzentrum=centre,
        catalogue=catalogue,
        kind=AssessmentKind.FIRST,
        profile_areas=[Area.objects.get(catalogue=catalogue, code="4B")],
        review_period_start=date(2026, 8, 1),
        review_period_end=date(2027, 1, 31),
    )
    answer_all(assessment, leitung)
    services.submit(user=leitung, assessment_id=assessment.pk)
    services.assign_reviewers(user=olga, assessment_id=assessment.pk, reviewer=gabi, second_reviewer=zeno)
    return assessment


def test_accepting_an_area_costs_the_same_queries_for_2_and_12_criteria(
    client, centre, other_centre, alice, bob, olga, gabi, zeno
):
    small = _reviewing_on(build_catalogue(scale=1), centre, alice, olga, gabi, zeno)
    large = _reviewing_on(build_catalogue(scale=6), other_centre, bob, olga, gabi, zeno)
    client.force_login(gabi)
    counts = {}
    for assessment in (small, large):
        data = confirm_data(assessment)
        client.get(accept_url(assessment))  # warm the session and the catalogue structure
        with CaptureQueriesContext(connection) as queries:
            response = client.post(accept_url(assessment), data)
        assert response.status_code == 302
        assert CriterionVerdict.objects.filter(submission__assessment=assessment).count() == len(data["criteria"])
        counts[len(data["criteria"])] = len(queries)
    assert set(counts) == {2, 12}
    assert counts[2] == counts[12], counts


# ================================================================ evidence in the browser


@pytest.fixture
def with_pdf(draft, alice, olga, gabi, zeno):
    """In review by gabi, with a PDF frozen on criterion 1.1."""
    answer_all(draft, alice)
    link_one_document(draft, alice, "1.1")
    services.submit(user=alice, assessment_id=draft.pk)
    services.assign_reviewers(user=olga, assessment_id=draft.pk, reviewer=gabi, second_reviewer=zeno)
    draft.refresh_from_db()
    return draft


def frozen_revision(assessment) -> EvidenceRevision:
    return SubmissionRevision.objects.filter(submission=assessment.latest_submission).first().revision


def add_revision(evidence, user, data: bytes, name: str, content_type: str) -> EvidenceRevision:
    """A revision stored as if it had passed the upload (which would refuse
    most of these): the preview must not trust the stored type alone."""
    key = uuid.uuid4().hex
    return EvidenceRevision.objects.create(
        evidence=evidence,
        number=evidence.revisions.count() + 1,
        storage_key=key,
        file=ContentFile(data, name=key),
        original_name=name,
        content_type=content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        uploaded_by=user,
    )


def csp_of(response) -> dict[str, list[str]]:
    directives = {}
    for part in response.headers["Content-Security-Policy"].split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def preview(client, revision):
    return client.get(reverse("assessments:evidence_preview", args=[revision.pk]))


def test_a_pdf_is_shown_inline_under_a_sandbox(client, gabi, with_pdf):
    client.force_login(gabi)
    revision = frozen_revision(with_pdf)
    response = preview(client, revision)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert (
        response["Content-Disposition"].startswith("inline")
        and revision.original_name in response["Content-Disposition"]
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"
    assert response["X-Frame-Options"] == "DENY"
    policy = csp_of(response)
    assert policy == {
        "default-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'none'"],
        "frame-ancestors": ["'none'"],
        "sandbox": [],
    }
    assert "allow-scripts" not in response["Content-Security-Policy"]
    assert b"".join(response.streaming_content).startswith(b"%PDF-")


@pytest.mark.parametrize("data,content_type", [(PNG_BYTES, "image/png"), (JPEG_BYTES, "image/jpeg")])
def test_an_image_is_shown_inline_and_on_its_page(client, alice, with_pdf, data, content_type):
    revision = add_revision(frozen_revision(with_pdf).evidence, alice, data, "foto", content_type)
    client.force_login(alice)
    response = preview(client, revision)
    assert response.status_code == 200 and response["Content-Type"] == content_type
    assert response["Content-Disposition"].startswith("inline")
    assert response["X-Content-Type-Options"] == "nosniff" and "sandbox" in csp_of(response)
    page = client.get(reverse("assessments:evidence_preview_page", args=[revision.pk]))
    body = page.content.decode()
    assert page.status_code == 200
    assert f'<img src="{reverse("assessments:evidence_preview", args=[revision.pk])}"' in body
    assert reverse("assessments:evidence_download", args=[revision.pk]) in body


NEVER_RENDERED = [
    ("seite.html", b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>", "text/html"),
    ("bild.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "image/svg+xml"),
    ("liste.txt", TEXT_BYTES, "text/plain"),
    ("tarnung.pdf", TEXT_BYTES, "application/pdf"),  # text named and typed as a PDF
    ("tarnung.png", b"<svg onload=alert(1)>", "image/png"),
    ("falsch.jpg", PNG_BYTES, "image/jpeg"),  # the bytes of another type
    (
        "konzept.docx",
        b"PK\x03\x04" + b"\x00" * 40,
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
]


@pytest.mark.parametrize("name,data,content_type", NEVER_RENDERED, ids=[row[0] for row in NEVER_RENDERED])
def test_everything_else_is_only_downloaded(client, alice, with_pdf, name, data, content_type):
    revision = add_revision(frozen_revision(with_pdf).evidence, alice, data, name, content_type)
    client.force_login(alice)
    response = preview(client, revision)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in csp_of(response)
    # Its page shows nothing either: it sends the download's way.
    page = client.get(reverse("assessments:evidence_preview_page", args=[revision.pk]))
    assert page.status_code == 302 and page.url == reverse("assessments:evidence_download", args=[revision.pk])


@pytest.mark.parametrize("who", PERSONAS)
def test_the_preview_opens_for_exactly_those_who_may_download(client, people, with_pdf, who):
    revision = frozen_revision(with_pdf)
    login(client, people, who)
    download = client.get(reverse("assessments:evidence_download", args=[revision.pk]))
    shown = preview(client, revision)
    assert shown.status_code == download.status_code, who
    expected = {"bob": 404, "tom": 404, "paula": 404, "rita": 404, "anonymous": 302}.get(who, 200)
    assert shown.status_code == expected, who
    page = client.get(reverse("assessments:evidence_preview_page", args=[revision.pk]))
    assert page.status_code == (302 if expected == 200 else expected), who


def test_the_card_links_the_preview_of_a_pdf_in_a_new_tab(client, gabi, with_pdf):
    client.force_login(gabi)
    body = client.get(reverse("assessments:review_area", args=[with_pdf.pk, "1"])).content.decode()
    url = reverse("assessments:evidence_preview", args=[frozen_revision(with_pdf).pk])
    assert f'href="{url}" target="_blank" rel="noopener"' in body and ">Ansicht<" in body


# ================================================================ the send-back reason on top


def test_the_send_back_reason_stays_on_top_until_the_next_recommendation(client, gabi, zeno, recommended_by_gabi):
    assessment = recommended_by_gabi
    services.send_back(user=zeno, assessment_id=assessment.pk, reason="Bitte 1.2 mit der Begehung abgleichen.")
    client.force_login(gabi)
    for url, below in (
        (reverse("assessments:review", args=[assessment.pk]), 'id="areas-heading"'),
        (reverse("assessments:review_area", args=[assessment.pk, "1"]), 'id="review-cards"'),
    ):
        body = client.get(url).content.decode()
        assert 'data-testid="send-back-notice"' in body, url
        assert "Bitte 1.2 mit der Begehung abgleichen." in body and "Zeno Zweit" in body
        # At the top: above the areas and above the cards.
        assert body.index("send-back-notice") < body.index(below), url
    services.recommend(user=gabi, assessment_id=assessment.pk, note="Abgeglichen.")
    body = client.get(reverse("assessments:review", args=[assessment.pk])).content.decode()
    assert "send-back-notice" not in body


def test_no_send_back_no_notice(client, gabi, reviewing):
    client.force_login(gabi)
    assert "send-back-notice" not in client.get(reverse("assessments:review", args=[reviewing.pk])).content.decode()


# ================================================================ site visits: future only, done from their day on


def visit_form(assessment, day: str, time: str) -> dict:
    site = assessment.familienzentrum.site_links.get().site
    return {"date": day, "time": time, "sites": [str(site.pk)], "notes": ""}


@time_machine.travel(datetime(2026, 12, 1, 14, 0, tzinfo=BERLIN), tick=False)
@pytest.mark.parametrize(
    "day,time,field",
    [("2026-11-30", "10:00", "date"), ("2026-12-01", "13:59", "time"), ("2026-12-01", "14:00", "time")],
)
def test_a_visit_in_the_past_is_a_field_error(client, gabi, reviewing, day, time, field):
    client.force_login(gabi)
    response = client.post(reverse("assessments:site_visit", args=[reviewing.pk]), visit_form(reviewing, day, time))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert "Zukunft" in response.content.decode()
    assert not SiteVisit.objects.exists()


@time_machine.travel(datetime(2026, 12, 1, 14, 0, tzinfo=BERLIN), tick=False)
def test_a_planned_visit_cannot_be_moved_into_the_past(client, gabi, reviewing):
    client.force_login(gabi)
    url = reverse("assessments:site_visit", args=[reviewing.pk])
    assert client.post(url, visit_form(reviewing, "2026-12-01", "14:30")).status_code == 302
    visit = SiteVisit.objects.get()
    response = client.post(url, visit_form(reviewing, "2026-11-02", "09:00"))
    assert response.status_code == 200 and "date" in response.context["form"].errors
    assert SiteVisit.objects.get().scheduled_for == visit.scheduled_for
    assert reviewing.events.filter(action=EventAction.VISIT_SCHEDULED).count() == 1
    # The service refuses it too, whatever the form said.
    with pytest.raises(Exception) as refused:
        services.schedule_site_visit(
            user=gabi,
            assessment_id=reviewing.pk,
            scheduled_for=datetime(2026, 12, 1, 13, 0, tzinfo=BERLIN),
            site_ids=[reviewing.familienzentrum.site_links.get().site_id],
        )
    assert "künftigen Zeitpunkt" in str(refused.value)
    assert SiteVisit.objects.get().scheduled_for == visit.scheduled_for


def test_a_visit_is_marked_done_only_from_its_day_on(client, gabi, reviewing):
    with time_machine.travel(datetime(2026, 12, 1, 14, 0, tzinfo=BERLIN), tick=False):
        visit = services.schedule_site_visit(
            user=gabi,
            assessment_id=reviewing.pk,
            scheduled_for=datetime(2026, 12, 3, 9, 30, tzinfo=BERLIN),
            site_ids=[reviewing.familienzentrum.site_links.get().site_id],
        )
    done_url = reverse("assessments:site_visit_done", args=[reviewing.pk])
    page_url = reverse("assessments:site_visit", args=[reviewing.pk])
    with time_machine.travel(datetime(2026, 12, 2, 23, 59, tzinfo=BERLIN), tick=False):
        client.force_login(gabi)
        page = client.get(page_url).content.decode()
        assert "Begehung ist durchgeführt" not in page and "ab dem 03.12.2026" in page
        response = client.post(done_url, {"note": "zu früh"})
        assert response.status_code == 302 and response.url == page_url
        assert "ab diesem Tag" in " ".join(messages_of(response))
    visit.refresh_from_db()
    assert not visit.is_done and visit.notes == ""
    assert not reviewing.events.filter(action=EventAction.VISIT_DONE).exists()
    with time_machine.travel(datetime(2026, 12, 3, 8, 0, tzinfo=BERLIN), tick=False):
        client.logout()  # a new sign-in: eight hours later the idle session would have ended
        client.force_login(gabi)
        assert "Begehung ist durchgeführt" in client.get(page_url).content.decode()
        assert client.post(done_url, {"note": "Alles gesehen."}).status_code == 302
    visit.refresh_from_db()
    assert visit.is_done and visit.notes == "Alles gesehen."


# ================================================================ the seal, confirmed first


def approve_data(assessment, **overrides) -> dict:
    data = {
        "note": "",
        "confirm": assessment.latest_submission.sha256,
        "valid_until": seal_valid_until(timezone.localdate()).isoformat(),
    }
    data.update(overrides)
    return data


def assert_not_approved(assessment) -> None:
    fresh = Assessment.objects.get(pk=assessment.pk)
    assert fresh.state == AssessmentState.RECOMMENDED and fresh.seal_id is None
    assert not Guetesiegel.objects.exists()
    assert not fresh.events.filter(action=EventAction.APPROVE).exists()


def test_the_confirmation_step_names_the_centre_and_the_validity(client, zeno, recommended_by_gabi):
    client.force_login(zeno)
    decision = client.get(reverse("assessments:decision", args=[recommended_by_gabi.pk])).content.decode()
    assert reverse("assessments:approve_confirm", args=[recommended_by_gabi.pk]) in decision
    response = client.get(reverse("assessments:approve_confirm", args=[recommended_by_gabi.pk]))
    body = response.content.decode()
    until = seal_valid_until(timezone.localdate()).strftime("%d.%m.%Y")
    assert response.status_code == 200
    assert f"Gütesiegel erteilen für Familienzentrum Purzelbaum, gültig bis {until}?" in body
    assert recommended_by_gabi.latest_submission.sha256 in body and ">Gütesiegel erteilen</button>" in body
    assert_not_approved(recommended_by_gabi)


@pytest.mark.parametrize(
    "overrides",
    [
        {"confirm": "", "valid_until": ""},
        {"confirm": "0" * 64},
        {"valid_until": "2000-01-01"},
        {"valid_until": "2026-02-30"},
        {"valid_until": "kein Datum"},
    ],
)
def test_an_approval_without_its_confirmation_is_refused(client, zeno, recommended_by_gabi, overrides):
    client.force_login(zeno)
    data = approve_data(recommended_by_gabi, **overrides)
    before = everything()
    response = client.post(reverse("assessments:approve", args=[recommended_by_gabi.pk]), data)
    assert response.status_code == 302
    assert any("bestätigen" in message.lower() for message in messages_of(response))
    assert_not_approved(recommended_by_gabi)
    # No seal number drawn, no LogEntry, no certificate queued, nobody told.
    assert everything() == before


def test_a_plain_post_without_any_confirmation_field_is_refused(client, zeno, recommended_by_gabi):
    client.force_login(zeno)
    before = everything()
    response = client.post(reverse("assessments:approve", args=[recommended_by_gabi.pk]), {"note": "Schnell."})
    assert "Bitte bestätigen Sie zuerst die Erteilung des Gütesiegels." in messages_of(response)
    assert_not_approved(recommended_by_gabi)
    assert everything() == before


def test_the_confirmed_approval_issues_the_seal(client, zeno, recommended_by_gabi):
    client.force_login(zeno)
    response = client.post(
        reverse("assessments:approve", args=[recommended_by_gabi.pk]), approve_data(recommended_by_gabi, note="Gut.")
    )
    assert response.status_code == 302
    assessment = Assessment.objects.get(pk=recommended_by_gabi.pk)
    assert assessment.state == AssessmentState.CERTIFIED
    assert assessment.seal.valid_until == seal_valid_until(timezone.localdate())


def test_the_recommender_gets_no_confirmation_step(client, gabi, recommended_by_gabi):
    client.force_login(gabi)
    response = client.get(reverse("assessments:approve_confirm", args=[recommended_by_gabi.pk]))
    assert response.status_code == 302 and "nicht möglich" in " ".join(messages_of(response))
    refused = client.post(
        reverse("assessments:approve", args=[recommended_by_gabi.pk]), approve_data(recommended_by_gabi)
    )
    assert "Wer empfohlen hat, darf nicht selbst bestätigen." in messages_of(refused)
    assert_not_approved(recommended_by_gabi)


def test_the_second_factor_is_still_asked_for(client, zeno, recommended_by_gabi, settings):
    settings.SECOND_FACTOR_MAX_AGE_HOURS = 8
    client.force_login(zeno)
    session = client.session
    session[SECOND_FACTOR_AT_SESSION_KEY] = timezone.now().timestamp() - 9 * 3600
    session.save()
    page = client.get(reverse("assessments:approve_confirm", args=[recommended_by_gabi.pk]))
    assert page.status_code == 302 and page.url.startswith(reverse("accounts:two_factor_verify"))
    client.force_login(zeno)
    session = client.session
    session[SECOND_FACTOR_AT_SESSION_KEY] = timezone.now().timestamp() - 9 * 3600
    session.save()
    response = client.post(
        reverse("assessments:approve", args=[recommended_by_gabi.pk]), approve_data(recommended_by_gabi)
    )
    assert response.status_code == 302 and response.url.startswith(reverse("accounts:two_factor_verify"))
    assert_not_approved(recommended_by_gabi)


CONFIRM_PAGE = {**{name: 404 for name in PERSONAS}, "alice": 403, "tina": 403, "anonymous": 302}
CONFIRM_PAGE.update({"olga": 200, "zeno": 200, "gabi": 302})


@pytest.mark.parametrize("who", PERSONAS)
def test_confirmation_page_permission_table(client, people, recommended_by_gabi, who):
    login(client, people, who)
    response = client.get(reverse("assessments:approve_confirm", args=[recommended_by_gabi.pk]))
    assert response.status_code == CONFIRM_PAGE[who], who
    assert_not_approved(recommended_by_gabi)


# ================================================================ the calendar feed


def feed_url(token: str) -> str:
    return reverse("assessments:calendar_feed", args=[token])


def create_token(client, user) -> str:
    client.force_login(user)
    response = client.post(reverse("assessments:calendar"), {"action": "create"})
    assert response.status_code == 302
    page = client.get(reverse("assessments:calendar")).content.decode()
    return re.search(r'value="https?://[^"]*/kalender/([A-Za-z0-9_-]+)\.ics" data-testid="feed-url"', page).group(1)


def events_of(response) -> list:
    return Calendar.from_ical(response.content).walk("VEVENT")


def test_the_reviewer_creates_a_feed_and_calendar_apps_read_it_without_login(client, gabi, visited):
    token = create_token(client, gabi)
    reviewer = Reviewer.objects.get(user=gabi)
    # Only the hash is kept; the page shows the address once.
    assert reviewer.calendar_token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(Reviewer.objects.filter(pk=reviewer.pk).values().get())
    again = client.get(reverse("assessments:calendar")).content.decode()
    assert token not in again and "Ein Kalender-Abo ist eingerichtet" in again
    client.logout()
    response = client.get(feed_url(token))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    assert response["Cache-Control"] == "private, no-store" and response["X-Content-Type-Options"] == "nosniff"
    (event,) = events_of(response)
    assert str(event["summary"]) == "Begehung: Familienzentrum Purzelbaum"
    assert event.decoded("dtstart").astimezone(BERLIN) == datetime(2030, 3, 10, 9, 30, tzinfo=BERLIN)
    assert str(event["uid"]).startswith(f"begehung-{visited.pk}@")
    # Nothing about people: no organizer, no attendees, no addresses.
    assert b"mailto:" not in response.content and b"@example.org" not in response.content


def test_a_revoked_token_is_404_and_a_new_one_replaces_the_old(client, gabi, visited):
    first = create_token(client, gabi)
    second = create_token(client, gabi)
    assert first != second
    assert client.get(feed_url(first)).status_code == 404
    assert client.get(feed_url(second)).status_code == 200
    client.force_login(gabi)
    response = client.post(reverse("assessments:calendar"), {"action": "revoke"})
    assert "Die bisherige Adresse funktioniert nicht mehr." in " ".join(messages_of(response))
    assert Reviewer.objects.get(user=gabi).calendar_token_hash == ""
    assert client.get(feed_url(second)).status_code == 404


@pytest.mark.parametrize("token", ["falsch", "a" * 43, "x" * 500, " "])
def test_a_wrong_token_is_404(client, gabi, visited, token):
    create_token(client, gabi)
    client.logout()
    assert client.get(feed_url(token)).status_code == 404


def test_no_token_at_all_finds_no_feed(client, gabi, rita, visited):
    # Reviewers without a feed have an empty hash: the empty digest opens nothing.
    assert Reviewer.objects.filter(calendar_token_hash="").count() >= 2
    assert client.get(feed_url(hashlib.sha256(b"").hexdigest())).status_code == 404


def test_a_reviewer_leaving_the_pool_ends_the_feed(client, gabi, visited):
    token = create_token(client, gabi)
    Reviewer.objects.filter(user=gabi).update(is_active=False)
    assert client.get(feed_url(token)).status_code == 404


def test_the_feed_holds_the_reviewers_open_visits_planned_and_done(
    client, gabi, rita, zeno, olga, alice, bob, reviewing, other_centre, mini_catalogue
):
    schedule_visit(reviewing, gabi, done=True)
    # Another reviewer's visit and a decided cycle's visit stay out.
    foreign = _visit_on(other_centre, mini_catalogue, reviewer=rita, state=AssessmentState.IN_REVIEW, creator=bob)
    closed = _visit_on(
        FamilienzentrumFactory(), mini_catalogue, reviewer=gabi, state=AssessmentState.CERTIFIED, creator=olga
    )
    token = create_token(client, gabi)
    (event,) = events_of(client.get(feed_url(token)))
    assert str(event["summary"]) == "Begehung: Familienzentrum Purzelbaum (durchgeführt)"
    assert str(event["url"]).endswith(reverse("assessments:review", args=[reviewing.pk]))
    assert foreign.assessment_id != reviewing.pk and closed.assessment_id != reviewing.pk


def _visit_on(centre, catalogue, *, reviewer, state, creator, hours: int = 30) -> SiteVisit:
    """An assessment in `state` with a planned visit, written directly (the
    feed only reads them)."""
    from datetime import date

    assessment = Assessment.objects.create(
        familienzentrum=centre,
        catalogue=catalogue,
        kind=AssessmentKind.FIRST,
        review_period_start=date(2026, 8, 1),
        review_period_end=date(2027, 1, 31),
        state=state,
        reviewer=reviewer,
        created_by=creator,
    )
    visit = SiteVisit.objects.create(assessment=assessment, scheduled_for=timezone.now() + timedelta(hours=hours))
    visit.sites.set([centre.site_links.first().site_id])
    return visit


def test_the_feed_costs_the_same_queries_for_1_and_4_visits(client, gabi, olga, mini_catalogue):
    token = create_token(client, gabi)
    client.logout()
    counts = []
    for count in (1, 4):
        while SiteVisit.objects.filter(assessment__reviewer=gabi).count() < count:
            _visit_on(
                FamilienzentrumFactory(), mini_catalogue, reviewer=gabi, state=AssessmentState.IN_REVIEW, creator=olga
            )
        with CaptureQueriesContext(connection) as queries:
            response = client.get(feed_url(token))
        assert len(events_of(response)) == count
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


CALENDAR_PAGE = {**{name: 404 for name in PERSONAS}, "rita": 200, "gabi": 200, "zeno": 200, "anonymous": 302}


@pytest.mark.parametrize("who", PERSONAS)
def test_calendar_page_permission_table(client, people, who):
    login(client, people, who)
    assert client.get(reverse("assessments:calendar")).status_code == CALENDAR_PAGE[who], who
    response = client.post(reverse("assessments:calendar"), {"action": "create"})
    assert response.status_code == (302 if CALENDAR_PAGE[who] == 200 else CALENDAR_PAGE[who]), who
    tokens = set(Reviewer.objects.exclude(calendar_token_hash="").values_list("user__email", flat=True))
    assert tokens == ({people[who].email} if CALENDAR_PAGE[who] == 200 else set()), who


def test_the_feed_view_sets_no_session_and_needs_no_login(client, gabi, visited):
    token = create_token(client, gabi)
    anonymous = type(client)()
    response = anonymous.get(feed_url(token))
    assert response.status_code == 200 and "sessionid" not in response.cookies


def test_the_preview_policy_allows_no_script():
    assert "allow-scripts" not in str(PREVIEW_POLICY) and PREVIEW_POLICY["default-src"] == ["'none'"]


def test_later_today_is_today_and_ahead():
    soon = later_today()
    assert soon > timezone.now() and timezone.localdate(soon) == timezone.localdate()


def test_a_user_without_reviewer_row_cannot_create_a_token(alice):
    with pytest.raises(services.TransitionRefused):
        services.create_calendar_token(user=alice)
    assert not services.revoke_calendar_token(user=alice)


def test_a_deactivated_user_has_no_feed(client, gabi, visited):
    token = create_token(client, gabi)
    type(gabi).objects.filter(pk=gabi.pk).update(is_active=False)
    assert client.get(feed_url(token)).status_code == 404
