"""The reports pages over HTTP: who gets what, downloads, polling and requests."""

from __future__ import annotations

import pytest
from django.urls import reverse

from reports import services
from reports.models import Report, ReportKind, ReportStatus
from tests.unchanged import everything

PERSONAS = ["alice", "bob", "tina", "tom", "paula", "rita", "olga", "anonymous"]

# Whoever may see the assessment may see and request its reports; the rest
# may not know it exists. Anonymous users are sent to the login page.
VIEW = {"alice": 200, "bob": 404, "tina": 200, "tom": 404, "paula": 404, "rita": 404, "olga": 200, "anonymous": 302}
POST = {**VIEW, "alice": 302, "tina": 302, "olga": 302}
OFFICE = {"alice": 404, "bob": 404, "tina": 404, "tom": 404, "paula": 404, "rita": 404, "olga": 200, "anonymous": 302}

TABLE = [
    ("assessment_reports", "get", VIEW),
    ("assessment_panel", "get", VIEW),
    ("request", "post", POST),
    ("download", "get", VIEW),
    ("export_assessment_csv", "get", VIEW),
    ("export_assessment_xlsx", "get", VIEW),
    ("export_all_csv", "get", OFFICE),
    ("export_all_xlsx", "get", OFFICE),
]


@pytest.fixture
def people(alice, bob, tina, tom, paula, rita, olga):
    return {"alice": alice, "bob": bob, "tina": tina, "tom": tom, "paula": paula, "rita": rita, "olga": olga}


@pytest.fixture
def done_report(submission, alice) -> Report:
    report = services.request_report(alice, submission, ReportKind.SELF_ASSESSMENT)
    services.build_report(report.pk)
    report.refresh_from_db()
    assert report.status == ReportStatus.DONE
    return report


def url_for(name: str, report: Report) -> str:
    assessment_pk = report.submission.assessment_id
    if name == "download":
        return reverse("reports:download", args=[assessment_pk, report.pk])
    if name.startswith("export_assessment_"):
        return reverse("reports:export_assessment", args=[assessment_pk, name.rsplit("_", 1)[1]])
    if name.startswith("export_all_"):
        return reverse("reports:export_all", args=[name.rsplit("_", 1)[1]])
    return reverse(f"reports:{name}", args=[assessment_pk])


@pytest.mark.parametrize("name,method,expected", TABLE, ids=[f"{n}-{m}" for n, m, _ in TABLE])
@pytest.mark.parametrize("who", PERSONAS)
def test_permission_table(client, done_report, people, who, name, method, expected):
    if who != "anonymous":
        client.force_login(people[who])
    url = url_for(name, done_report)
    if method == "post":
        response = client.post(url, {"kind": ReportKind.EVIDENCE_INDEX})
    else:
        response = client.get(url)
    assert response.status_code == expected[who], f"{who} {method.upper()} {name}"
    if who == "anonymous":
        assert response.url.startswith(reverse("accounts:login"))
    if method == "post":
        created = Report.objects.filter(kind=ReportKind.EVIDENCE_INDEX).exists()
        assert created == (expected[who] == 302 and who != "anonymous")


def test_assigned_reviewer_sees_and_downloads_reports(client, in_review, rita):
    report = services.request_report(rita, in_review.latest_submission, ReportKind.SELF_ASSESSMENT)
    services.build_report(report.pk)
    client.force_login(rita)
    assert client.get(reverse("reports:assessment_reports", args=[in_review.pk])).status_code == 200
    assert client.get(reverse("reports:download", args=[in_review.pk, report.pk])).status_code == 200


def test_report_of_another_assessment_is_404_even_for_a_viewer(client, done_report, bob, other_centre, alice):
    """The report id must belong to the assessment in the URL."""
    from tests.reports.test_services import _submitted_assessment

    _user, foreign_submission = _submitted_assessment(1)
    foreign = services.request_report(None, foreign_submission, ReportKind.SELF_ASSESSMENT)
    services.build_report(foreign.pk)
    client.force_login(alice)
    url = reverse("reports:download", args=[done_report.submission.assessment_id, foreign.pk])
    assert client.get(url).status_code == 404


def test_download_is_an_attachment_with_nosniff(client, done_report, alice):
    client.force_login(alice)
    response = client.get(url_for("download", done_report))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert done_report.download_name in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]
    content = b"".join(response.streaming_content)
    assert content.startswith(b"%PDF-") and len(content) == done_report.size


def test_panel_polls_while_a_report_is_pending_and_stops_when_done(client, submission, alice):
    client.force_login(alice)
    panel_url = reverse("reports:assessment_panel", args=[submission.assessment_id])
    report = services.request_report(alice, submission, ReportKind.SELF_ASSESSMENT)
    pending = client.get(panel_url).content.decode()
    assert 'hx-trigger="every 2s"' in pending
    assert f'hx-get="{panel_url}"' in pending
    assert "wartet" in pending

    Report.objects.filter(pk=report.pk).update(status=ReportStatus.RUNNING)
    assert "wird gerade erstellt" in client.get(panel_url).content.decode()

    services.build_report(report.pk)
    done = client.get(panel_url).content.decode()
    assert "every 2s" not in done
    assert reverse("reports:download", args=[submission.assessment_id, report.pk]) in done
    # Without JavaScript the full page works as well, with a reload link.
    page = client.get(reverse("reports:assessment_reports", args=[submission.assessment_id])).content.decode()
    assert reverse("reports:download", args=[submission.assessment_id, report.pk]) in page


def test_assessment_page_loads_the_panel_with_a_plain_link_fallback(client, submission, alice):
    client.force_login(alice)
    page = client.get(reverse("assessments:detail", args=[submission.assessment_id])).content.decode()
    panel_url = reverse("reports:assessment_panel", args=[submission.assessment_id])
    assert f'hx-get="{panel_url}" hx-trigger="load"' in page
    assert reverse("reports:assessment_reports", args=[submission.assessment_id]) in page


def test_request_buttons_only_where_they_make_sense(client, submission, alice):
    client.force_login(alice)
    page = client.get(reverse("reports:assessment_panel", args=[submission.assessment_id])).content.decode()
    assert 'value="self_assessment"' in page and 'value="evidence_index"' in page
    assert 'value="certificate"' not in page and 'value="quality_profile"' not in page


def test_certified_assessment_offers_certificate_and_profile(client, certified, alice):
    client.force_login(alice)
    page = client.get(reverse("reports:assessment_panel", args=[certified.pk])).content.decode()
    assert 'value="certificate"' in page and 'value="quality_profile"' in page


def test_request_twice_creates_one_report(client, submission, alice):
    client.force_login(alice)
    url = reverse("reports:request", args=[submission.assessment_id])
    client.post(url, {"kind": ReportKind.EVIDENCE_INDEX})
    response = client.post(url, {"kind": ReportKind.EVIDENCE_INDEX}, follow=True)
    assert Report.objects.filter(kind=ReportKind.EVIDENCE_INDEX).count() == 1
    assert response.status_code == 200


def test_request_by_htmx_answers_with_the_panel(client, submission, alice):
    client.force_login(alice)
    url = reverse("reports:request", args=[submission.assessment_id])
    # Nothing patched: the hand-over waits for the commit (see below).
    response = client.post(url, {"kind": ReportKind.SELF_ASSESSMENT}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="reports-panel"' in body
    # The test's transaction holds the commit back, so the hand-over has not run yet.
    assert "Selbstbewertung wird erstellt, sobald der Dienst wieder erreichbar ist." in body
    assert 'hx-trigger="every 2s"' in body
    report = Report.objects.get()
    services.build_report(report.pk)
    again = client.post(url, {"kind": ReportKind.SELF_ASSESSMENT}, HTTP_HX_REQUEST="true").content.decode()
    assert "Selbstbewertung liegt bereits vor." in again


@pytest.mark.django_db(transaction=True)
def test_request_in_autocommit_hands_over_and_reports_the_outcome(client, submission, alice):
    """As in production: the request commits, the report is handed to the
    task queue (here run eagerly) before the answer is rendered."""
    # Submitting (in the fixture, committed) built the self-assessment already.
    assert Report.objects.get().kind == ReportKind.SELF_ASSESSMENT
    client.force_login(alice)
    url = reverse("reports:request", args=[submission.assessment_id])
    body = client.post(url, {"kind": ReportKind.EVIDENCE_INDEX}, HTTP_HX_REQUEST="true").content.decode()
    assert "Nachweisverzeichnis ist fertig." in body
    assert Report.objects.get(kind=ReportKind.EVIDENCE_INDEX).status == ReportStatus.DONE
    body = client.post(url, {"kind": ReportKind.SELF_ASSESSMENT}, HTTP_HX_REQUEST="true").content.decode()
    assert "Selbstbewertung liegt bereits vor." in body


def test_rebuild_from_the_panel(client, done_report, alice):
    client.force_login(alice)
    url = reverse("reports:request", args=[done_report.submission.assessment_id])
    client.post(url, {"kind": ReportKind.SELF_ASSESSMENT, "rebuild": "on"})
    assert Report.objects.filter(kind=ReportKind.SELF_ASSESSMENT).count() == 2


def test_request_of_a_kind_not_available_is_refused_with_a_message(client, submission, alice):
    client.force_login(alice)
    url = reverse("reports:request", args=[submission.assessment_id])
    before = everything()
    response = client.post(url, {"kind": ReportKind.CERTIFICATE}, follow=True)
    assert response.status_code == 200
    assert "kann für diese Selbstbewertung im Status" in response.content.decode()
    assert not Report.objects.filter(kind=ReportKind.CERTIFICATE).exists()
    assert client.post(url, {"kind": "nonsense"}).status_code == 302
    assert not Report.objects.filter(kind="nonsense").exists()
    # No report row of any kind, no file built into private storage.
    assert everything() == before


def test_draft_has_no_reports_but_exports(client, draft, alice):
    client.force_login(alice)
    page = client.get(reverse("reports:assessment_reports", args=[draft.pk])).content.decode()
    assert "Berichte gibt es, sobald die Selbstbewertung eingereicht ist." in page
    assert reverse("reports:export_assessment", args=[draft.pk, "xlsx"]) in page
    before = everything()
    response = client.post(reverse("reports:request", args=[draft.pk]), {"kind": ReportKind.SELF_ASSESSMENT})
    assert response.status_code == 302 and not Report.objects.exists()
    assert everything() == before


def test_office_sees_the_link_to_the_export_of_all_assessments(client, submission, alice, olga):
    url = reverse("reports:assessment_panel", args=[submission.assessment_id])
    export_all = reverse("reports:export_all", args=["csv"])
    client.force_login(olga)
    assert export_all in client.get(url).content.decode()
    client.force_login(alice)
    assert export_all not in client.get(url).content.decode()


def test_panel_query_count_does_not_grow_with_reports(client, submission, alice, django_assert_max_num_queries):
    client.force_login(alice)
    url = reverse("reports:assessment_panel", args=[submission.assessment_id])
    for _ in range(3):
        report = services.request_report(alice, submission, ReportKind.SELF_ASSESSMENT, rebuild=True)
        services.build_report(report.pk)
    client.get(url)  # warm the session
    with django_assert_max_num_queries(12):
        assert client.get(url).status_code == 200


@pytest.mark.parametrize(
    "who,sees_hashes",
    [("alice", False), ("tina", False), ("rita", True), ("olga", True)],
)
def test_checksums_in_the_panel_only_for_the_review_and_the_office(client, in_review, people, who, sees_hashes):
    """Centre users read the title, the date and the version of a report;
    the assigned reviewer and the office also read the checksums."""
    submission = in_review.latest_submission
    report = services.request_report(people["alice"], submission, ReportKind.SELF_ASSESSMENT)
    services.build_report(report.pk)
    report.refresh_from_db()
    client.force_login(people[who])
    for name in ("assessment_panel", "assessment_reports"):
        page = client.get(reverse(f"reports:{name}", args=[in_review.pk])).content.decode()
        assert "Selbstbewertung herunterladen" in page
        assert "Fassung 1" in page
        assert f"Grundlage: Einreichung {submission.number}" in page
        assert ("SHA-256" in page) == sees_hashes, name
        assert (report.sha256[:12] in page) == sees_hashes, name
        assert (submission.sha256[:12] in page) == sees_hashes, name
