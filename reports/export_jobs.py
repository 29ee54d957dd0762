"""The services of export jobs: the export of every assessment, built by the
worker when it has more rows than the office should wait for on a page.

The life of a job mirrors a report's (reports.services): request_export()
writes a pending row and, after the commit, hands its id to the broker (the
project's task class fails fast and never raises). The task calls
build_export(), which marks the job running under a row lock, streams the
rows into a temporary file (counting them into rows_done every
PROGRESS_EVERY rows, which the exports page shows), stores the file in
private storage and marks the job done; the requester is told through the
message road. A transient error puts the job back for Celery's retry; any
other marks it failed with the reason. sweep_exports(), run by beat, re-sends
what the broker never took and rescues what a dead worker left running.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from datetime import timedelta

from django.conf import settings
from django.core.files import File
from django.core.files.storage import storages
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from certification.exceptions import ActionRefused
from notifications.models import NotificationKind
from notifications.services import notify
from reports import exports
from reports.models import EXPORT_PENDING_STATUSES, ExportFormat, ExportJob, ExportStatus
from reports.services import SWEEP_GRACE_SECONDS, SWEEP_MAX_ATTEMPTS, TRANSIENT_ERRORS, describe, hand_over_build

logger = logging.getLogger(__name__)

# rows_done is written every this many rows: often enough for a progress bar
# polled every two seconds, rarely enough to cost nothing (13,000 rows: 26 updates).
PROGRESS_EVERY = 500

CONTENT_TYPES = {ExportFormat.CSV: exports.CSV_CONTENT_TYPE, ExportFormat.XLSX: exports.XLSX_CONTENT_TYPE}


class ExportRefused(ActionRefused):
    pass


def content_type_of(job: ExportJob) -> str:
    return CONTENT_TYPES[ExportFormat(job.format)]


# ---------------------------------------------------------------- requesting


def request_export(user, fmt: str) -> ExportJob:
    """The export of every assessment in `fmt` for `user`: the job already
    under way for this user and format, otherwise a new one, handed to the
    broker after the commit."""
    if not user.has_perm("reports.request_export"):
        raise ExportRefused(_("Exporte aller Selbstbewertungen sind der Zertifizierungsstelle vorbehalten."))
    try:
        fmt = ExportFormat(fmt)
    except ValueError:
        raise ExportRefused(_("Dieses Format gibt es nicht. Bitte wählen Sie Excel (XLSX) oder CSV.")) from None
    with transaction.atomic():
        pending = ExportJob.objects.filter(requested_by=user, format=fmt, status__in=EXPORT_PENDING_STATUSES).first()
        if pending is not None:
            return pending
        try:
            with transaction.atomic():
                job = ExportJob.objects.create(
                    requested_by=user, format=fmt, rows_total=exports.count_all_assessments()
                )
        except IntegrityError:
            # The partial unique index: a second click won the race.
            return ExportJob.objects.get(requested_by=user, format=fmt, status__in=EXPORT_PENDING_STATUSES)
        enqueue_after_commit(job.pk)
    # For the caller's message: a new job, not one that was under way.
    job.just_created = True
    return job


def enqueue_after_commit(job_id: int) -> None:
    # The task reads the job row, so it must not run before the commit.
    transaction.on_commit(lambda: enqueue_export(job_id), robust=True)


def enqueue_export(job_id: int) -> bool:
    """Hand the job to the broker; never raises. When the broker is down the
    job stays pending without enqueued_at and the sweep sends it later."""
    from reports.tasks import build_export

    return hand_over_build(build_export, ExportJob, job_id, fail=fail_export, label="Export job")


# ---------------------------------------------------------------- building


def _may_take_over(job: ExportJob, task_id: str, now) -> bool:
    """A running job belongs to the attempt that started it, unless that was
    this very task (a retry or a redelivered message) or it has run past the
    hard time limit (its worker is gone)."""
    if task_id and job.task_id == task_id:
        return True
    return job.started_at is None or job.started_at < now - timedelta(seconds=settings.REPORTS_HARD_TIME_LIMIT)


@transaction.atomic
def _start_attempt(job_id: int, task_id: str) -> ExportJob | None:
    # The row lock makes a duplicate message wait until this one has marked
    # the job running; it then sees that and leaves the job alone.
    job = ExportJob.objects.select_for_update().filter(pk=job_id).first()
    if job is None:
        logger.warning("Export job %s does not exist (its request was rolled back?)", job_id)
        return None
    now = timezone.now()
    if job.status in (ExportStatus.DONE, ExportStatus.FAILED):
        return None
    if job.status == ExportStatus.RUNNING and not _may_take_over(job, task_id, now):
        logger.info("Export job %s is being built by task %s; leaving it", job_id, job.task_id)
        return None
    job.status = ExportStatus.RUNNING
    job.started_at = now
    job.attempts += 1
    job.task_id = task_id
    job.rows_done = 0
    job.rows_total = exports.count_all_assessments()
    job.save(update_fields=["status", "started_at", "attempts", "task_id", "rows_done", "rows_total"])
    return job


class ProgressCounter:
    """Passes rows through, counting them, and writes the count into the job
    every `every` rows. The rows stream from the database into the file, so
    this count is how far the file has got."""

    def __init__(self, job_id: int, every: int | None = None):
        self.job_id = job_id
        self.every = every or PROGRESS_EVERY
        self.done = 0

    def __call__(self, rows: Iterable[Sequence]) -> Iterator[Sequence]:
        for row in rows:
            yield row
            self.done += 1
            if self.done % self.every == 0:
                ExportJob.objects.filter(pk=self.job_id, status=ExportStatus.RUNNING).update(rows_done=self.done)


def build_export(job_id: int, *, task_id: str = "") -> ExportJob | None:
    """Build one export job. Returns None when there was nothing to do
    (already done or failed, or another attempt is on it). Raises a
    TRANSIENT_ERRORS error for the task to retry; records any other failure."""
    job = _start_attempt(job_id, task_id)
    if job is None:
        return None
    fmt = ExportFormat(job.format)
    stamp = timezone.localtime().strftime("%Y-%m-%d_%H%M")
    download_name = f"selbstbewertungen_{stamp}.{fmt.value}"
    progress = ProgressCounter(job_id)
    # The build runs outside any transaction: it reads for seconds and needs
    # no lock. The file is spooled to disk, never held whole in memory.
    try:
        with tempfile.TemporaryFile() as spool:
            table = exports.all_assessments_table(progress(exports.all_assessments_rows()))
            if fmt == ExportFormat.CSV:
                exports.write_csv(table, spool)
            else:
                exports.write_xlsx(table, spool)
            size = spool.tell()
            spool.seek(0)
            file_name = storages["private"].save(f"exports/{job.pk}-{download_name}", File(spool))
    except TRANSIENT_ERRORS as error:
        _release(job_id, task_id, error)
        raise
    except Exception as error:  # noqa: BLE001 - a fault of the data or the writer: record it on the job
        logger.exception("Export job %s failed", job_id)
        fail_export(job_id, describe(error))
        job.refresh_from_db()
        return job
    return _finish(job_id, file_name=file_name, download_name=download_name, size=size, rows=progress.done)


def _release(job_id: int, task_id: str, error: BaseException) -> None:
    """After a transient error: back to pending for Celery's retry, with the
    reason noted (best effort: the database may be what failed)."""
    try:
        ExportJob.objects.filter(pk=job_id, status=ExportStatus.RUNNING, task_id=task_id).update(
            status=ExportStatus.PENDING, enqueued_at=timezone.now(), error=describe(error)
        )
    except TRANSIENT_ERRORS:
        logger.warning("Export job %s: could not put it back in the queue", job_id, exc_info=True)


@transaction.atomic
def _finish(job_id: int, *, file_name: str, download_name: str, size: int, rows: int) -> ExportJob:
    job = ExportJob.objects.select_for_update().select_related("requested_by").get(pk=job_id)
    if job.status == ExportStatus.DONE:
        # A duplicate attempt finished first; keep its file, drop ours.
        storages["private"].delete(file_name)
        return job
    job.status = ExportStatus.DONE
    job.file_name = file_name
    job.download_name = download_name
    job.size = size
    job.rows_done = rows
    job.rows_total = rows
    job.error = ""
    job.finished_at = timezone.now()
    job.save(
        update_fields=[
            "status",
            "file_name",
            "download_name",
            "size",
            "rows_done",
            "rows_total",
            "error",
            "finished_at",
        ]
    )
    notify(
        kind=NotificationKind.REPORT_READY,
        recipients=[job.requested_by],
        subject_template="reports/email/export_ready_subject.txt",
        body_template="reports/email/export_ready.txt",
        context={"job": job},
        link=reverse("reports:exports"),
    )
    return job


def fail_export(job_id: int, reason: str) -> bool:
    """Mark a job that is not finished as failed, with the reason, and tell
    whoever asked for it."""
    with transaction.atomic():
        job = (
            ExportJob.objects.select_for_update()
            .select_related("requested_by")
            .filter(pk=job_id, status__in=EXPORT_PENDING_STATUSES)
            .first()
        )
        if job is None:
            return False
        job.status = ExportStatus.FAILED
        job.error = reason
        job.finished_at = timezone.now()
        job.save(update_fields=["status", "error", "finished_at"])
        notify(
            kind=NotificationKind.REPORT_FAILED,
            recipients=[job.requested_by],
            subject_template="reports/email/export_failed_subject.txt",
            body_template="reports/email/export_failed.txt",
            context={"job": job},
            link=reverse("reports:exports"),
        )
    return True


# ---------------------------------------------------------------- the sweep


def sweep_exports() -> dict[str, int]:
    """Run by beat every REPORTS_SWEEP_SECONDS, like the reports' sweep.

    - A job running longer than the hard time limit lost its worker: it is
      queued again once, then marked failed, so no job stays running for ever.
    - A pending job the broker never took (down at request time), or took so
      long ago that its message must be lost, is sent again. A duplicate
      message is harmless: build_export() skips what is done or running.
    """
    now = timezone.now()
    counts = {"requeued": 0, "failed": 0, "resent": 0}
    stuck_before = now - timedelta(seconds=settings.REPORTS_HARD_TIME_LIMIT + SWEEP_GRACE_SECONDS)
    requeued: set[int] = set()
    stuck_ids = list(
        ExportJob.objects.filter(status=ExportStatus.RUNNING, started_at__lt=stuck_before).values_list("pk", flat=True)
    )
    reason = _(
        "Die Erstellung lief länger als %(seconds)d Sekunden und wurde abgebrochen "
        "(Worker beendet oder hängengeblieben)."
    ) % {"seconds": settings.REPORTS_HARD_TIME_LIMIT}
    for job_id in stuck_ids:
        with transaction.atomic():
            # skip_locked: a build that is finishing right now holds the row; leave it be.
            job = (
                ExportJob.objects.select_for_update(skip_locked=True)
                .filter(pk=job_id, status=ExportStatus.RUNNING, started_at__lt=stuck_before)
                .first()
            )
            if job is None:
                continue
            if job.attempts < SWEEP_MAX_ATTEMPTS:
                job.status = ExportStatus.PENDING
                job.enqueued_at = None
                job.error = reason
                job.save(update_fields=["status", "enqueued_at", "error"])
                enqueue_after_commit(job.pk)
                requeued.add(job.pk)
                counts["requeued"] += 1
                logger.warning("Export job %s was stuck running; queued again", job.pk)
                continue
        if fail_export(job_id, reason):
            counts["failed"] += 1
            logger.error("Export job %s was stuck running after its attempts; marked failed", job_id)
    resend_before = now - timedelta(seconds=settings.REPORTS_REQUEUE_AFTER_SECONDS)
    unsent = (
        ExportJob.objects.filter(status=ExportStatus.PENDING)
        .filter(Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=resend_before))
        .exclude(pk__in=requeued)
        .order_by("requested_at")
        .values_list("pk", flat=True)
    )
    for job_id in list(unsent):
        if enqueue_export(job_id):
            counts["resent"] += 1
    return counts


# ---------------------------------------------------------------- reading (the exports page)


def recent_export_jobs(limit: int = 10) -> list[ExportJob]:
    """The office's latest export jobs, newest first: one query."""
    return list(ExportJob.objects.select_related("requested_by").order_by("-requested_at", "-pk")[:limit])


def open_export_file(job: ExportJob):
    return storages["private"].open(job.file_name, "rb")
