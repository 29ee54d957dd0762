"""Requesting and building reports: idempotency, failures, a broker that is
down, the sweep, the reaction to transitions and the query count of a build."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.core.files.storage import storages
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assessments import services as assessment_services
from assessments.models import Assessment, AssessmentKind, AssessmentState, Submission
from certification.models import Area, MembershipRole
from config.celery import forget_broker_down
from notifications.models import Notification
from reports import renderers, services, tasks
from reports.models import PUBLIC_FAILURE_MESSAGE, Report, ReportKind, ReportStatus
from tests.assessments.conftest import answer_all, build_catalogue
from tests.factories import FamilienzentrumFactory, MembershipFactory, UserFactory
from tests.notifications.support import drop_broker_connections, point_app_at
from tests.reports.conftest import with_evidence

# Nothing listens on port 1: the connection is refused at once.
DEAD_BROKER = "redis://127.0.0.1:1/0"


def test_request_is_idempotent_and_rebuild_makes_a_new_file(submission, alice, tina):
    first = services.request_report(alice, submission, ReportKind.SELF_ASSESSMENT)
    # While it waits, asking again (another person, too) gives the same report.
    assert services.request_report(tina, submission, ReportKind.SELF_ASSESSMENT).pk == first.pk
    services.build_report(first.pk)
    first.refresh_from_db()
    assert first.status == ReportStatus.DONE and first.attempts == 1

    again = services.request_report(tina, submission, ReportKind.SELF_ASSESSMENT)
    assert again.pk == first.pk and again.status == ReportStatus.DONE
    # A duplicate task message for a done report does nothing.
    assert services.build_report(first.pk, task_id="duplicate") is None
    first.refresh_from_db()
    assert first.attempts == 1

    rebuilt = services.request_report(alice, submission, ReportKind.SELF_ASSESSMENT, rebuild=True)
    assert rebuilt.pk != first.pk and rebuilt.status == ReportStatus.QUEUED
    services.build_report(rebuilt.pk)
    rebuilt.refresh_from_db()
    assert rebuilt.status == ReportStatus.DONE
    assert rebuilt.file_name != first.file_name
    assert storages["private"].exists(first.file_name) and storages["private"].exists(rebuilt.file_name)
    assert Report.objects.filter(submission=submission, kind=ReportKind.SELF_ASSESSMENT).count() == 2


def test_stored_file_matches_its_recorded_hash_and_size(submission, alice):
    import hashlib

    report = services.request_report(alice, submission, ReportKind.SELF_ASSESSMENT)
    services.build_report(report.pk)
    report.refresh_from_db()
    with storages["private"].open(report.file_name, "rb") as handle:
        content = handle.read()
    assert content.startswith(b"%PDF-")
    assert hashlib.sha256(content).hexdigest() == report.sha256
    assert len(content) == report.size
    assert report.started_at <= report.finished_at


def test_request_enqueues_only_after_commit(submission, alice, django_capture_on_commit_callbacks):
    # Nothing patched: tasks run in this process, so a hand-over shows as the
    # report built; before the commit it is neither handed over nor built.
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        report = services.request_report(alice, submission, ReportKind.SELF_ASSESSMENT)
    report.refresh_from_db()
    assert report.status == ReportStatus.QUEUED and report.enqueued_at is None and report.attempts == 0
    for callback in callbacks:
        callback()
    report.refresh_from_db()
    assert report.enqueued_at is not None
    assert report.status == ReportStatus.DONE and report.attempts == 1


@pytest.fixture
def broken_template(settings, tmp_path):
    """A self-assessment template with a syntax error, found before ours."""
    folder = tmp_path / "templates" / "reports" / "pdf"
    folder.mkdir(parents=True)
    (folder / "self_assessment.html").write_text('{% extends "reports/pdf/base.html" %}{% block content %}{% if %}')
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [tmp_path / "templates", *settings.TEMPLATES[0]["DIRS"]]},
    ]


def test_broken_template_fails_the_report_with_its_reason(
    broken_template, submission, alice, olga, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        report = services.request_report(alice, submission, ReportKind.SELF_ASSESSMENT)
    report.refresh_from_db()
    assert report.status == ReportStatus.FAILED
    assert report.error.startswith("TemplateSyntaxError:")
    assert "Traceback" not in report.error
    assert report.finished_at is not None and not report.file_name

    panel = reverse("reports:assessment_panel", args=[submission.assessment_id])
    client.force_login(olga)
    office_page = client.get(panel).content.decode()
    assert "TemplateSyntaxError" in office_page
    assert "Erneut versuchen" in office_page

    client.force_login(alice)
    centre_page = client.get(panel).content.decode()
    assert str(PUBLIC_FAILURE_MESSAGE) in centre_page
    assert "TemplateSyntaxError" not in centre_page and "Traceback" not in centre_page
    full_page = client.get(reverse("reports:assessment_reports", args=[submission.assessment_id])).content.decode()
    assert "TemplateSyntaxError" not in full_page and "Traceback" not in full_page
    # A download of a failed report does not exist.
    assert client.get(reverse("reports:download", args=[submission.assessment_id, report.pk])).status_code == 404


def test_retry_after_a_failure_builds_a_new_report(
    broken_template, submission, alice, settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        failed = services.request_report(alice, submission, ReportKind.SELF_ASSESSMENT)
    failed.refresh_from_db()
    assert failed.status == ReportStatus.FAILED
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": settings.TEMPLATES[0]["DIRS"][1:]}]  # fixed

    with django_capture_on_commit_callbacks(execute=True):
        retried = services.request_report(alice, submission, ReportKind.SELF_ASSESSMENT)
    retried.refresh_from_db()
    assert retried.pk != failed.pk and retried.status == ReportStatus.DONE


def test_broker_down_at_submit_keeps_the_submission_and_the_sweep_builds_it_later(
    draft, alice, client, django_capture_on_commit_callbacks, caplog, settings, monkeypatch
):
    answer_all(draft, alice)
    client.force_login(alice)
    # A real broker that refuses: nothing listens on port 1 (as when Redis is
    # stopped); kombu meets the refused connection itself, nothing is patched.
    point_app_at(DEAD_BROKER, settings, monkeypatch)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("assessments:ready", args=[draft.pk]))
    finally:
        drop_broker_connections()

    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.state == AssessmentState.SUBMITTED
    submission = Submission.objects.get(assessment=draft)
    report = Report.objects.get()
    assert (report.submission_id, report.kind) == (submission.pk, ReportKind.SELF_ASSESSMENT)
    assert report.status == ReportStatus.QUEUED and report.enqueued_at is None and report.waits_for_broker
    # The submission's notification met the refusal first; the report's
    # hand-over then skips the broker known to be down a moment ago.
    assert "Could not hand notifications.send" in caplog.text
    assert "reports.build_report(" in caplog.text and "not handed over" in caplog.text
    assert not Notification.objects.filter(emailed_at__isnull=False).exists()
    page = client.get(reverse("reports:assessment_panel", args=[draft.pk])).content.decode()
    assert "wird erstellt, sobald der Dienst wieder erreichbar ist" in page

    # The broker is back (here: tasks run in this process); beat runs the sweep.
    settings.CELERY_TASK_ALWAYS_EAGER = True
    forget_broker_down()
    with django_capture_on_commit_callbacks(execute=True):
        counts = tasks.sweep_reports.delay().get()
    assert counts == {"requeued": 0, "failed": 0, "resent": 1}
    report.refresh_from_db()
    assert report.status == ReportStatus.DONE


def test_sweep_leaves_recently_sent_reports_alone(submission, alice):
    report = services.request_report(alice, submission, ReportKind.SELF_ASSESSMENT)
    Report.objects.filter(pk=report.pk).update(enqueued_at=timezone.now())
    # Nothing patched: tasks run in this process, so a report the sweep sent
    # again would be built right here.
    assert services.sweep_reports() == {"requeued": 0, "failed": 0, "resent": 0}
    report.refresh_from_db()
    assert report.status == ReportStatus.QUEUED and report.attempts == 0


def _stuck(report: Report, *, attempts: int, settings) -> None:
    long_ago = timezone.now() - timedelta(seconds=settings.REPORTS_HARD_TIME_LIMIT + services.SWEEP_GRACE_SECONDS + 5)
    Report.objects.filter(pk=report.pk).update(
        status=ReportStatus.RUNNING, started_at=long_ago, attempts=attempts, task_id="dead-worker", enqueued_at=long_ago
    )


def test_sweep_marks_a_report_stuck_in_running_as_failed(submission, alice, settings):
    report = services.request_report(alice, submission, ReportKind.SELF_ASSESSMENT)
    _stuck(report, attempts=services.SWEEP_MAX_ATTEMPTS, settings=settings)

    assert services.sweep_reports() == {"requeued": 0, "failed": 1, "resent": 0}
    report.refresh_from_db()
    assert report.status == ReportStatus.FAILED
    assert "länger als" in report.error
    assert report.finished_at is not None


def test_sweep_queues_a_stuck_first_attempt_once_more(submission, alice, settings, django_capture_on_commit_callbacks):
    report = services.request_report(alice, submission, ReportKind.SELF_ASSESSMENT)
    _stuck(report, attempts=1, settings=settings)

    with django_capture_on_commit_callbacks(execute=True):
        assert services.sweep_reports() == {"requeued": 1, "failed": 0, "resent": 0}
    report.refresh_from_db()
    assert report.status == ReportStatus.DONE and report.attempts == 2
    assert report.error == ""


def test_sweep_leaves_a_build_within_the_time_limit_alone(submission, alice):
    report = services.request_report(alice, submission, ReportKind.SELF_ASSESSMENT)
    Report.objects.filter(pk=report.pk).update(status=ReportStatus.RUNNING, started_at=timezone.now(), attempts=1)
    assert services.sweep_reports() == {"requeued": 0, "failed": 0, "resent": 0}
    report.refresh_from_db()
    assert report.status == ReportStatus.RUNNING


def test_running_report_is_taken_over_only_by_its_own_redelivered_task(submission, alice):
    report = services.request_report(alice, submission, ReportKind.SELF_ASSESSMENT)
    Report.objects.filter(pk=report.pk).update(
        status=ReportStatus.RUNNING, started_at=timezone.now(), attempts=1, task_id="task-1"
    )
    # Another message for the same report: someone is on it.
    assert services.build_report(report.pk, task_id="task-2") is None
    # The same task again (its worker died, the broker redelivered it): take over.
    built = services.build_report(report.pk, task_id="task-1")
    assert built.status == ReportStatus.DONE and built.attempts == 2


def test_transient_error_is_retried_by_the_task(submission, alice):
    report = services.request_report(alice, submission, ReportKind.SELF_ASSESSMENT)
    real_render = renderers.render
    calls = []

    def render_once_failing(source):
        calls.append(source)
        if len(calls) == 1:
            raise OSError("No space left on device")
        return real_render(source)

    with mock.patch.object(renderers, "render", side_effect=render_once_failing):
        assert tasks.build_report.delay(report.pk).get() == ReportStatus.DONE
    report.refresh_from_db()
    assert report.status == ReportStatus.DONE and report.attempts == 2


def test_transient_error_puts_the_report_back_in_the_queue(submission, alice):
    report = services.request_report(alice, submission, ReportKind.SELF_ASSESSMENT)
    with mock.patch.object(renderers, "render", side_effect=OSError("No space left on device")):
        with pytest.raises(OSError):
            services.build_report(report.pk, task_id="t")
    report.refresh_from_db()
    assert report.status == ReportStatus.QUEUED
    assert report.error == "OSError: No space left on device"


def test_report_fails_when_retries_are_exhausted(submission, alice):
    report = services.request_report(alice, submission, ReportKind.SELF_ASSESSMENT)
    with mock.patch.object(renderers, "render", side_effect=OSError("No space left on device")):
        with pytest.raises(OSError):
            tasks.build_report.delay(report.pk).get()
    report.refresh_from_db()
    assert report.status == ReportStatus.FAILED
    assert report.error == "OSError: No space left on device"
    assert report.attempts == tasks.build_report.max_retries + 1


def test_eager_run_that_raises_fails_the_report_instead_of_leaving_it_queued(
    submission, alice, django_capture_on_commit_callbacks, settings
):
    """`make run` has no broker and runs tasks eagerly, propagating errors."""
    settings.CELERY_TASK_EAGER_PROPAGATES = True
    with mock.patch.object(renderers, "render", side_effect=OSError("No space left on device")):
        with django_capture_on_commit_callbacks(execute=True):
            report = services.request_report(alice, submission, ReportKind.SELF_ASSESSMENT)
    report.refresh_from_db()
    assert report.status == ReportStatus.FAILED
    assert "No space left on device" in report.error


def test_task_for_a_vanished_report_does_nothing(db):
    assert tasks.build_report.delay(987654).get() is None


# ---------------------------------------------------------------- transitions


def test_submit_requests_the_self_assessment_after_commit(draft, alice, django_capture_on_commit_callbacks):
    answer_all(draft, alice)
    with django_capture_on_commit_callbacks(execute=True):
        submission = assessment_services.submit(user=alice, assessment_id=draft.pk)
    report = Report.objects.get()
    assert (report.submission_id, report.kind, report.status) == (
        submission.pk,
        ReportKind.SELF_ASSESSMENT,
        ReportStatus.DONE,
    )
    assert report.requested_by is None


def test_approval_requests_certificate_and_quality_profile(in_review, django_capture_on_commit_callbacks, request):
    with django_capture_on_commit_callbacks(execute=True):
        assessment = request.getfixturevalue("certified")
    kinds = set(Report.objects.filter(status=ReportStatus.DONE).values_list("kind", flat=True))
    assert kinds == {ReportKind.CERTIFICATE, ReportKind.QUALITY_PROFILE}
    certificate = Report.objects.get(kind=ReportKind.CERTIFICATE)
    assert certificate.submission_id == assessment.latest_submission.pk
    assert certificate.inputs["seal"]["number"] == assessment.seal.number


def test_rolled_back_transition_requests_nothing(draft, alice, django_capture_on_commit_callbacks):
    answer_all(draft, alice)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError):
            with transaction.atomic():
                assessment = Assessment.objects.get(pk=draft.pk)
                assessment.checked_problems = []  # what the submit service leaves after its check
                assessment.submit()
                raise RuntimeError("rolled back")
    assert callbacks == []
    assert not Report.objects.exists()


def test_other_transitions_request_nothing(draft, alice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assessment_services.withdraw(user=alice, assessment_id=draft.pk, reason="Wir hören auf.")
    assert not Report.objects.exists()
    # Only the messages' hand-overs to the worker (the Leitung, the office); no report.
    assert callbacks and all("notifications.send" in repr(callback) for callback in callbacks)


# ---------------------------------------------------------------- queries


def _submitted_assessment(scale: int):
    catalogue = build_catalogue(scale=scale, code=f"q{scale}")
    centre = FamilienzentrumFactory()
    leitung = UserFactory()
    MembershipFactory(user=leitung, role=MembershipRole.LEITUNG, site=centre.site_links.first().site)
    assessment = assessment_services.start_assessment(
        user=leitung,
        familienzentrum=centre,
        catalogue=catalogue,
        kind=AssessmentKind.FIRST,
        profile_areas=[Area.objects.get(catalogue=catalogue, code="4B")],
        review_period_start=timezone.localdate(),
        review_period_end=timezone.localdate() + timedelta(days=180),
    )
    answer_all(assessment, leitung)
    return leitung, assessment_services.submit(user=leitung, assessment_id=assessment.pk)


def _request_and_build_queries(user, submission) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as requesting:
        report = services.request_report(user, submission, ReportKind.SELF_ASSESSMENT)
    with CaptureQueriesContext(connection) as building:
        services.build_report(report.pk)
    report.refresh_from_db()
    assert report.status == ReportStatus.DONE
    return len(requesting), len(building)


def test_query_count_of_a_build_does_not_grow_with_the_catalogue(db):
    counts = {}
    for scale in (1, 3):
        user, submission = _submitted_assessment(scale)
        assert len(submission.payload["criteria"]) == 8 * scale
        counts[scale] = _request_and_build_queries(user, with_evidence(submission))
    assert counts[1] == counts[3], counts
    # Lock and mark running, lock and mark done (plus savepoints), and the
    # requester's "report ready" message (the report with its requester, the row).
    assert counts[1][1] <= 10, counts
