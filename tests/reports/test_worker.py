"""Reports through the real machinery: PostgreSQL, Redis and Celery workers
in their own processes. A killed worker leaves a report that is retried or
clearly failed, never one that stays "running"."""

from __future__ import annotations

import hashlib
import os
import signal
import time
import uuid
from pathlib import Path

import pytest
from django.db.models import F
from django.utils import timezone

from assessments import services as assessment_services
from config.celery import forget_broker_down
from reports import services, tasks
from reports.models import Report, ReportKind, ReportStatus
from tests.assessments.conftest import answer_all
from tests.notifications.support import drop_broker_connections, point_app_at
from tests.services.support import BIN_DIR, Process, subprocess_env, wait_for

pytestmark = pytest.mark.services


def report_status(report_id: int) -> str:
    return Report.objects.values_list("status", flat=True).get(pk=report_id)


def children_of(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in path.read_text().split()] if path.exists() else []


@pytest.fixture
def committed_submission(transactional_db, draft, alice):
    """A submitted assessment whose rows are committed, so the workers see it.
    Submitting asks for the self-assessment report, through the broker."""
    answer_all(draft, alice)
    return assessment_services.submit(user=alice, assessment_id=draft.pk)


@pytest.fixture
def slow_worker(services, tmp_path):
    """Start a worker of our own on a queue of its own, whose first attempt
    at each build sleeps (REPORTS_TEST_BUILD_DELAY) so it can be killed."""
    started: list[Process] = []

    def start(pool: str) -> tuple[Process, str]:
        queue = f"reports-test-{uuid.uuid4().hex[:8]}"
        worker = Process(
            [
                str(BIN_DIR / "celery"),
                "-A",
                "config",
                "worker",
                f"--pool={pool}",
                "--concurrency=1",
                "-Q",
                queue,
                "-l",
                "info",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-n",
                f"{queue}@%h",
            ],
            env=subprocess_env(tmp_path / queue, DATABASE_URL=services, REPORTS_TEST_BUILD_DELAY="60"),
            log_path=tmp_path / f"{queue}.log",
        )
        started.append(worker)
        worker.wait_for_output(" ready.", timeout=60)
        return worker, queue

    yield start
    for worker in started:
        if worker.popen.poll() is None:
            worker.popen.kill()
        worker.stop()


def queued_report(submission, kind=ReportKind.EVIDENCE_INDEX) -> Report:
    """A queued report that no broker message names yet."""
    return Report.objects.create(submission=submission, kind=kind, inputs=services.frozen_inputs(submission, kind))


def test_submission_report_is_built_by_the_worker(celery_worker, committed_submission):
    report = Report.objects.get(submission=committed_submission, kind=ReportKind.SELF_ASSESSMENT)
    assert report.enqueued_at is not None, "handed to the broker after the commit"

    wait_for(
        lambda: report_status(report.pk) in (ReportStatus.DONE, ReportStatus.FAILED),
        timeout=90,
        what="the worker to build the report",
        process=celery_worker,
    )
    report.refresh_from_db()
    assert report.status == ReportStatus.DONE, report.error
    assert report.attempts == 1 and report.task_id
    # The worker stored the file in its own private storage.
    stored = celery_worker.log_path.parent / "private" / report.file_name
    content = stored.read_bytes()
    assert content.startswith(b"%PDF-")
    assert hashlib.sha256(content).hexdigest() == report.sha256
    assert "reports.build_report" in celery_worker.output()


def test_killed_pool_process_is_redelivered_and_the_report_built(slow_worker, committed_submission):
    worker, queue = slow_worker("prefork")
    report = queued_report(committed_submission)
    tasks.build_report.apply_async((report.pk,), queue=queue)

    wait_for(lambda: report_status(report.pk) == ReportStatus.RUNNING, timeout=60, what="the build", process=worker)
    (child,) = wait_for(lambda: children_of(worker.popen.pid), timeout=10, what="the pool process")
    os.kill(child, signal.SIGKILL)

    # acks_late + reject_on_worker_lost: the message goes back to the queue, a
    # new pool process takes it and, as the same task, takes the report over.
    wait_for(
        lambda: report_status(report.pk) in (ReportStatus.DONE, ReportStatus.FAILED),
        timeout=120,
        what="the redelivered build",
        process=worker,
    )
    report.refresh_from_db()
    assert report.status == ReportStatus.DONE, report.error
    assert report.attempts == 2
    assert "WorkerLostError" in worker.output() or "SIGKILL" in worker.output(), worker.describe()


@pytest.mark.parametrize("requeued_before,expected", [(False, ReportStatus.DONE), (True, ReportStatus.FAILED)])
def test_killed_worker_leaves_a_report_the_sweep_retries_or_fails(
    slow_worker, celery_worker, committed_submission, settings, monkeypatch, requeued_before, expected
):
    worker, queue = slow_worker("solo")
    report = queued_report(committed_submission)
    tasks.build_report.apply_async((report.pk,), queue=queue)

    wait_for(lambda: report_status(report.pk) == ReportStatus.RUNNING, timeout=60, what="the build", process=worker)
    worker.popen.kill()  # the whole worker: machine gone, OOM killer, ...
    worker.popen.wait(timeout=10)
    assert report_status(report.pk) == ReportStatus.RUNNING
    if requeued_before:
        # As if this were already the attempt the sweep had queued once more.
        Report.objects.filter(pk=report.pk).update(attempts=F("attempts") + 1)

    # Time passes beyond the hard time limit; beat runs the sweep.
    settings.REPORTS_HARD_TIME_LIMIT = 1
    monkeypatch.setattr(services, "SWEEP_GRACE_SECONDS", 0)
    time.sleep(1.5)
    counts = services.sweep_reports()

    if expected == ReportStatus.DONE:
        assert counts["requeued"] == 1
        # Queued again on the default queue, where the session's worker builds it.
        wait_for(
            lambda: report_status(report.pk) in (ReportStatus.DONE, ReportStatus.FAILED),
            timeout=90,
            what="the re-queued build",
            process=celery_worker,
        )
    else:
        assert counts["failed"] == 1
    report.refresh_from_db()
    assert report.status == expected, report.error
    assert report.status != ReportStatus.RUNNING
    if expected == ReportStatus.FAILED:
        assert "länger als 1 Sekunden" in report.error
        assert report.finished_at <= timezone.now()


def test_broker_unreachable_at_request_then_the_sweep_sends_it(
    celery_worker, committed_submission, alice, caplog, settings, monkeypatch
):
    """A real broker that does not answer: the request succeeds, the report
    waits; once the broker is back the sweep sends it."""
    broker, backend = settings.CELERY_BROKER_URL, settings.CELERY_RESULT_BACKEND
    started = time.monotonic()
    # Nothing patched: this process's tasks go to a broker where nothing
    # listens (port 1), and kombu meets the refused connection itself.
    with monkeypatch.context() as dead:
        point_app_at("redis://127.0.0.1:1/0", settings, dead)
        try:
            report = services.request_report(alice, committed_submission, ReportKind.EVIDENCE_INDEX)
        finally:
            # The broker is back: the run's own broker (and its worker) again.
            settings.CELERY_BROKER_URL, settings.CELERY_RESULT_BACKEND = broker, backend
    drop_broker_connections()
    assert time.monotonic() - started < 30
    report.refresh_from_db()
    assert report.status == ReportStatus.QUEUED and report.waits_for_broker
    assert "OperationalError" in caplog.text

    # Later: the process no longer remembers the failed hand-over (the task
    # class skips hand-overs for two seconds after one failed).
    forget_broker_down()
    assert services.sweep_reports()["resent"] == 1
    wait_for(
        lambda: report_status(report.pk) == ReportStatus.DONE,
        timeout=90,
        what="the build after the broker came back",
        process=celery_worker,
    )
