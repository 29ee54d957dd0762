"""Every write of the reports app: request a report, build it, sweep up
after lost messages and dead workers.

The life of a report: request_report() creates a queued row and, after the
commit, hands its id to the broker. The task calls build_report(), which
marks the row running (under a row lock), renders it from the frozen
submission, stores the PDF in private storage and marks it done; a render
error marks it failed with the reason, a transient error puts it back in the
queue and lets Celery retry. sweep_reports(), run by beat, re-sends what the
broker never took and rescues what a dead worker left running.
"""

from __future__ import annotations

import hashlib
import logging
import time
from datetime import timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import IntegrityError, InterfaceError, transaction
from django.db import OperationalError as DatabaseOperationalError
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from kombu.exceptions import KombuError

from assessments.models import AssessmentEvent, AssessmentState, CriterionVerdict, EventAction, Submission
from certification.models import Area, ThresholdRule
from notifications.models import NotificationKind
from notifications.services import notify
from reports import renderers
from reports.models import PENDING_STATUSES, Report, ReportKind, ReportStatus

logger = logging.getLogger(__name__)

# Errors worth retrying: the database, the disk or the broker may be back in
# a moment. Anything else in a build is a fault of the template or the data
# and fails the report at once, with the reason.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    DatabaseOperationalError,
    InterfaceError,
    OSError,
    KombuError,
)
# A build the sweep finds stuck is queued again while it has had fewer
# attempts than this, i.e. once; after that it is marked failed.
SWEEP_MAX_ATTEMPTS = 2
# Slack on top of the hard time limit before the sweep calls a build stuck.
SWEEP_GRACE_SECONDS = 30


class ReportNotAvailable(Exception):
    """This kind of report makes no sense for the assessment now."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def describe(error: BaseException) -> str:
    """The reason recorded for the office: the error's type and message,
    never a stack trace (that goes to the log)."""
    if isinstance(error, SoftTimeLimitExceeded):
        return _("Zeitlimit von %(seconds)d Sekunden überschritten.") % {"seconds": settings.REPORTS_SOFT_TIME_LIMIT}
    text = str(error).strip()
    return f"{type(error).__name__}: {text}"[:2000] if text else type(error).__name__


# ---------------------------------------------------------------- requesting


def available_kinds(assessment, submission: Submission | None) -> list[str]:
    """The kinds that make sense now: the submission's documents once there
    is one; the result and the certificate once the decision is made."""
    if submission is None:
        return []
    kinds = [ReportKind.SELF_ASSESSMENT, ReportKind.EVIDENCE_INDEX]
    if assessment.state in (AssessmentState.CERTIFIED, AssessmentState.NOT_CERTIFIED):
        kinds.append(ReportKind.QUALITY_PROFILE)
    if assessment.state == AssessmentState.CERTIFIED and assessment.seal_id is not None:
        kinds.append(ReportKind.CERTIFICATE)
    return kinds


def frozen_inputs(submission: Submission, kind: str) -> dict:
    """What the document needs beyond the payload, copied now: the area
    titles and the threshold rules' minimums (the catalogue is immutable, but
    copying keeps the build free of queries), the issuing body, the
    reviewers' remarks and the seal."""
    assessment = submission.assessment
    catalogue = assessment.catalogue
    areas = Area.objects.filter(catalogue_id=catalogue.pk).order_by("order")
    inputs: dict = {
        "areas": [{"code": area.code, "title": area.title, "kind": area.kind} for area in areas],
        "rules": [
            {
                "code": rule.code,
                "min_basis": rule.min_basis,
                "min_aufbau": rule.min_aufbau,
                "min_points": rule.min_points,
                # No public source for this rule's figures: the document says so.
                "is_assumption": rule.is_assumption,
            }
            for rule in ThresholdRule.objects.filter(catalogue_id=catalogue.pk).order_by("order")
        ],
        "catalogue_is_working_version": catalogue.is_working_version,
        "certification_number": assessment.familienzentrum.certification_number,
    }
    if kind in (ReportKind.QUALITY_PROFILE, ReportKind.CERTIFICATE):
        inputs["issuer"] = {"name": settings.CERTIFIER_NAME, "address": list(settings.CERTIFIER_ADDRESS)}
        if assessment.seal_id is not None:
            seal = assessment.seal
            inputs["seal"] = {
                "number": seal.number,
                "valid_from": seal.valid_from.isoformat(),
                "valid_until": seal.valid_until.isoformat(),
                "issued_on": timezone.localdate(seal.issued_at).isoformat(),
                "snapshot_sha256": seal.snapshot_sha256,
            }
    if kind == ReportKind.QUALITY_PROFILE:
        inputs["verdicts"] = review_remarks(assessment)
        inputs["review_notes"] = review_notes(assessment)
    return inputs


def review_remarks(assessment) -> list[dict]:
    """The reviewers' words per criterion over every submission of the
    assessment, oldest first. A query and the centre's reply stay on the
    submission they were made on, so they are read from every submission; an
    acceptance carried over unchanged to the next submission is listed once;
    and where the last word on a criterion carries no comment (a query that
    was then accepted), the final verdict is listed after the history."""
    verdicts = (
        CriterionVerdict.objects.filter(submission__assessment=assessment)
        .select_related("criterion", "submission")
        .only("verdict", "comment", "reply", "criterion__code", "criterion__order", "submission__number")
        .order_by("criterion__order", "criterion__code", "submission__number")
    )
    by_code: dict[str, list] = {}
    for verdict in verdicts:
        by_code.setdefault(verdict.criterion.code, []).append(verdict)
    remarks: list[dict] = []
    for code, history in by_code.items():
        if not any(verdict.comment or verdict.reply for verdict in history):
            continue
        entries: list[dict] = []
        for verdict in history:
            entry = {
                "code": code,
                "submission": verdict.submission.number,
                "verdict": verdict.verdict,
                "comment": verdict.comment,
                "reply": verdict.reply,
            }
            said = (entry["verdict"], entry["comment"], entry["reply"])
            if entries and (entries[-1]["verdict"], entries[-1]["comment"], entries[-1]["reply"]) == said:
                continue  # carried over unchanged: listed with the submission it was first said on
            if entry["comment"] or entry["reply"] or verdict is history[-1]:
                entries.append(entry)
        remarks.extend(entries)
    return remarks


# The review's notes the centre is meant to read: the cover note of a query
# round, the recommendation and the decision. A send-back is between the two
# reviewers and stays out.
REVIEW_NOTE_ACTIONS = (EventAction.REQUEST_CHANGES, EventAction.RECOMMEND, EventAction.APPROVE, EventAction.DECLINE)


def review_notes(assessment) -> list[dict]:
    events = (
        AssessmentEvent.objects.filter(assessment=assessment, action__in=REVIEW_NOTE_ACTIONS)
        .exclude(note="")
        .select_related("actor")
        .order_by("created_at", "pk")
    )
    # approve() records the submission's checksum when no note was written:
    # that is a fingerprint, not a remark.
    checksums = set(assessment.submissions.values_list("sha256", flat=True))
    return [
        {
            "action": event.action,
            "note": event.note,
            "by": event.actor.get_full_name() if event.actor else "",
            "on": timezone.localdate(event.created_at).isoformat(),
        }
        for event in events
        if event.note.strip() not in checksums
    ]


def request_report(user, submission: Submission, kind: str, rebuild: bool = False) -> Report:
    """The report of this kind for this submission: the one being built, the
    stored one when done (unless `rebuild`), otherwise a new one, queued and
    handed to the broker after the commit. A failed report is retried by
    requesting it again."""
    kind = ReportKind(kind)
    with transaction.atomic():
        # Concurrent requests for one submission wait here, so the second
        # sees the first's report instead of starting another build.
        submission = (
            Submission.objects.select_for_update(of=("self",))
            .select_related("assessment__seal", "assessment__catalogue", "assessment__familienzentrum")
            .get(pk=submission.pk)
        )
        if kind not in available_kinds(submission.assessment, submission):
            raise ReportNotAvailable(
                _("„%(kind)s“ kann für diese Selbstbewertung im Status „%(state)s“ nicht erstellt werden.")
                % {"kind": kind.label, "state": submission.assessment.get_state_display()}
            )
        latest = submission.reports.filter(kind=kind).order_by("-requested_at", "-pk").first()
        if latest is not None and (latest.is_pending or (latest.is_done and not rebuild)):
            return latest
        try:
            with transaction.atomic():
                report = Report.objects.create(
                    submission=submission,
                    kind=kind,
                    requested_by=user if user is not None and user.is_authenticated else None,
                    inputs=frozen_inputs(submission, kind),
                )
        except IntegrityError:
            # The partial unique index: a pending one appeared after all
            # (SQLite has no row lock); that one is the answer.
            return submission.reports.get(kind=kind, status__in=PENDING_STATUSES)
        enqueue_after_commit(report.pk)
    # For the caller's message: a new build, not a report that was there.
    report.just_created = True
    return report


def request_reports_after_transition(assessment_id: int, kinds: list[str]) -> list[Report]:
    """Called after the commit of a transition (see reports.receivers)."""
    submission = Submission.objects.filter(assessment_id=assessment_id).order_by("-number").first()
    if submission is None:
        return []
    reports = []
    for kind in kinds:
        try:
            reports.append(request_report(None, submission, kind))
        except ReportNotAvailable:
            logger.warning("Report %s not available for assessment %s after its transition", kind, assessment_id)
    return reports


def enqueue_after_commit(report_id: int) -> None:
    # The task reads the report row, so it must not run before the commit.
    def enqueue() -> None:
        enqueue_report(report_id)

    transaction.on_commit(enqueue, robust=True)


def enqueue_report(report_id: int) -> bool:
    """Hand the report to the broker (the project's task class fails fast and
    never raises). When that fails (broker down), the report stays queued
    with no enqueued_at; the caller's work (a submission, say) has committed
    and must not fail for it, and the sweep sends it later."""
    from reports.tasks import build_report

    return hand_over_build(build_report, Report, report_id, fail=fail_report, label="Report")


def hand_over_build(task, model, pk: int, *, fail, label: str) -> bool:
    """The one road from a pending row (a report, an export job) to its
    build: stamped `enqueued_at` once the broker took it; never raises."""
    if task.app.conf.task_always_eager:
        # No broker: the build runs right here, and a failure raises (eager
        # runs do not retry). There is no worker and no sweep to come back
        # to it, so it fails now, with its reason, and the user can try again.
        try:
            task.apply_async((pk,))
        except Exception as error:  # noqa: BLE001 - whatever the build raised, the caller's work stands
            logger.exception("%s %s failed in an eager run", label, pk)
            fail(pk, describe(error))
            return False
    elif not task.hand_over((pk,)):
        return False
    model.objects.filter(pk=pk).update(enqueued_at=timezone.now())
    return True


# ---------------------------------------------------------------- building


def _private_storage():
    return storages["private"]


def _may_take_over(report: Report, task_id: str, now) -> bool:
    """A running report belongs to the attempt that started it, unless that
    was this very task (a retry, or a message redelivered after its worker
    died) or it has run past the hard time limit (its worker is gone)."""
    if task_id and report.task_id == task_id:
        return True
    return report.started_at is None or report.started_at < now - timedelta(seconds=settings.REPORTS_HARD_TIME_LIMIT)


@transaction.atomic
def _start_attempt(report_id: int, task_id: str) -> Report | None:
    # The row lock makes a duplicate message wait until this one has marked
    # the report running; it then sees that and leaves the report alone.
    report = Report.objects.select_for_update(of=("self",)).select_related("submission").filter(pk=report_id).first()
    if report is None:
        logger.warning("Report %s does not exist (its request was rolled back?); nothing to build", report_id)
        return None
    now = timezone.now()
    if report.status in (ReportStatus.DONE, ReportStatus.FAILED):
        return None
    if report.status == ReportStatus.RUNNING and not _may_take_over(report, task_id, now):
        logger.info("Report %s is being built by task %s; leaving it", report_id, report.task_id)
        return None
    report.status = ReportStatus.RUNNING
    report.started_at = now
    report.attempts += 1
    report.task_id = task_id
    report.save(update_fields=["status", "started_at", "attempts", "task_id"])
    return report


def _release(report_id: int, task_id: str, error: BaseException) -> None:
    """After a transient error: back to the queue for Celery's retry, with
    the reason noted. The database may be what failed, so this is best effort;
    the retry (same task id) or the sweep takes over a row left running."""
    try:
        Report.objects.filter(pk=report_id, status=ReportStatus.RUNNING, task_id=task_id).update(
            status=ReportStatus.QUEUED, enqueued_at=timezone.now(), error=describe(error)
        )
    except TRANSIENT_ERRORS:
        logger.warning("Report %s: could not put it back in the queue", report_id, exc_info=True)


@transaction.atomic
def _finish(report_id: int, *, file_name: str, download_name: str, content_type: str, digest: str, size: int):
    report = Report.objects.select_for_update().only("id", "status").get(pk=report_id)
    if report.status == ReportStatus.DONE:
        # A duplicate attempt finished first; keep its file, drop ours.
        _private_storage().delete(file_name)
        return report
    report.status = ReportStatus.DONE
    report.file_name = file_name
    report.download_name = download_name
    report.content_type = content_type
    report.sha256 = digest
    report.size = size
    report.error = ""
    report.finished_at = timezone.now()
    report.save(
        update_fields=[
            "status",
            "file_name",
            "download_name",
            "content_type",
            "sha256",
            "size",
            "error",
            "finished_at",
        ]
    )
    _tell_requester(report_id)
    return report


def _tell_requester(report_id: int) -> None:
    """Whoever asked for the report hears that it is ready (reports built
    after a transition were asked for by nobody: the page shows them)."""
    report = Report.objects.select_related("requested_by", "submission__assessment__familienzentrum").get(pk=report_id)
    if report.requested_by is None:
        return
    assessment = report.submission.assessment
    notify(
        kind=NotificationKind.REPORT_READY,
        recipients=[report.requested_by],
        subject_template="reports/email/report_ready_subject.txt",
        body_template="reports/email/report_ready.txt",
        context={"report": report, "assessment": assessment, "centre": assessment.familienzentrum},
        link=reverse("reports:assessment_reports", args=[assessment.pk]),
    )


def fail_report(report_id: int, reason: str) -> bool:
    """Mark a report that is not finished as failed, with the reason for the office."""
    updated = Report.objects.filter(pk=report_id, status__in=PENDING_STATUSES).update(
        status=ReportStatus.FAILED, error=reason, finished_at=timezone.now()
    )
    return bool(updated)


def source_for(report: Report) -> renderers.ReportSource:
    return renderers.ReportSource(
        kind=report.kind,
        payload=report.submission.payload,
        sha256=report.submission.sha256,
        inputs=report.inputs,
        created=timezone.localdate(),
    )


def build_report(report_id: int, *, task_id: str = "") -> Report | None:
    """Build one report. Returns None when there was nothing to do (already
    done or failed, or another attempt is on it). Raises a TRANSIENT_ERRORS
    error for the task to retry; records any other failure on the report."""
    report = _start_attempt(report_id, task_id)
    if report is None:
        return None
    if settings.REPORTS_TEST_BUILD_DELAY and report.attempts == 1:
        # Test hook (refused in production): a slow first attempt, so that a
        # test can kill the worker in the middle of a build.
        time.sleep(settings.REPORTS_TEST_BUILD_DELAY)
    # The render runs outside any transaction: it takes seconds and needs no lock.
    try:
        download_name, content_type, content = renderers.render(source_for(report))
        digest = hashlib.sha256(content).hexdigest()
        name = f"reports/{report.submission.assessment_id}/{report.pk}-{report.kind}-{digest[:12]}.pdf"
        file_name = _private_storage().save(name, ContentFile(content))
    except TRANSIENT_ERRORS as error:
        _release(report_id, task_id, error)
        raise
    except Exception as error:  # noqa: BLE001 - a template or data fault: record it on the report, never swallow it
        logger.exception("Report %s (%s) failed", report_id, report.kind)
        fail_report(report_id, describe(error))
        report.refresh_from_db()
        return report
    return _finish(
        report_id,
        file_name=file_name,
        download_name=download_name,
        content_type=content_type,
        digest=digest,
        size=len(content),
    )


# ---------------------------------------------------------------- the sweep


def sweep_reports() -> dict[str, int]:
    """Run by beat every REPORTS_SWEEP_SECONDS.

    - A report running longer than the hard time limit lost its worker
      (killed, out of memory, machine gone): queue it again once, then mark
      it failed, so no report stays "running" for ever.
    - A queued report the broker never took (down at request time), or took
      so long ago that its message must be lost, is sent again. A duplicate
      message is harmless: build_report() skips what is done or running.
    """
    now = timezone.now()
    counts = {"requeued": 0, "failed": 0, "resent": 0}
    stuck_before = now - timedelta(seconds=settings.REPORTS_HARD_TIME_LIMIT + SWEEP_GRACE_SECONDS)
    requeued: set[int] = set()
    stuck_ids = list(
        Report.objects.filter(status=ReportStatus.RUNNING, started_at__lt=stuck_before).values_list("pk", flat=True)
    )
    for report_id in stuck_ids:
        with transaction.atomic():
            # skip_locked: a build that is finishing right now holds the row; leave it be.
            report = (
                Report.objects.select_for_update(skip_locked=True)
                .filter(pk=report_id, status=ReportStatus.RUNNING, started_at__lt=stuck_before)
                .first()
            )
            if report is None:
                continue
            reason = _(
                "Die Erstellung lief länger als %(seconds)d Sekunden und wurde abgebrochen "
                "(Worker beendet oder hängengeblieben)."
            ) % {"seconds": settings.REPORTS_HARD_TIME_LIMIT}
            if report.attempts < SWEEP_MAX_ATTEMPTS:
                report.status = ReportStatus.QUEUED
                report.enqueued_at = None
                report.error = reason
                report.save(update_fields=["status", "enqueued_at", "error"])
                enqueue_after_commit(report.pk)
                requeued.add(report.pk)
                counts["requeued"] += 1
                logger.warning("Report %s was stuck running; queued again", report.pk)
            else:
                report.status = ReportStatus.FAILED
                report.error = reason
                report.finished_at = now
                report.save(update_fields=["status", "error", "finished_at"])
                counts["failed"] += 1
                logger.error("Report %s was stuck running after %s attempts; marked failed", report.pk, report.attempts)
    resend_before = now - timedelta(seconds=settings.REPORTS_REQUEUE_AFTER_SECONDS)
    unsent = (
        Report.objects.filter(status=ReportStatus.QUEUED)
        .filter(Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=resend_before))
        .exclude(pk__in=requeued)
        .order_by("requested_at")
        .values_list("pk", flat=True)
    )
    for report_id in list(unsent):
        if enqueue_report(report_id):
            counts["resent"] += 1
    return counts
