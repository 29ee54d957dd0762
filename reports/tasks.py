"""Thin Celery tasks: take a primary key, call the service."""

from __future__ import annotations

import logging

from celery import current_app, shared_task
from django.conf import settings

from reports import export_jobs, services

logger = logging.getLogger(__name__)

# Builds (reports, export jobs) acknowledge only after the work, and put the
# message back when the worker process dies mid-build, so a killed worker
# loses nothing; transient errors retry with backoff.
BUILD_OPTIONS = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": services.TRANSIENT_ERRORS,
    "retry_backoff": True,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": settings.REPORTS_MAX_RETRIES,
    "soft_time_limit": settings.REPORTS_SOFT_TIME_LIMIT,
    "time_limit": settings.REPORTS_HARD_TIME_LIMIT,
}


# The project's task class (config.celery.Task: the fast-failing, never
# raising hand-over), named through the app so that reports need not import
# config; config/__init__ creates the app before any task module loads.
class ReportTask(current_app.Task):
    def on_failure(self, exc, task_id, args, kwargs, einfo):
        # Retries exhausted (or an error not worth retrying escaped the
        # service): the report must end up failed, not queued for ever.
        report_id = args[0] if args else kwargs.get("report_id")
        try:
            services.fail_report(report_id, services.describe(exc))
        except services.TRANSIENT_ERRORS:
            logger.exception("Report %s: could not record its failure; the sweep will", report_id)


@shared_task(
    bind=True,
    base=ReportTask,
    name="reports.build_report",
    **BUILD_OPTIONS,
)
def build_report(self, report_id: int) -> str | None:
    report = services.build_report(report_id, task_id=self.request.id or "")
    return report.status if report is not None else None


@shared_task(name="reports.sweep")
def sweep_reports() -> dict[str, int]:
    return services.sweep_reports()


class ExportTask(current_app.Task):
    def on_failure(self, exc, task_id, args, kwargs, einfo):
        # Retries exhausted: the job must end up failed, not pending for ever.
        job_id = args[0] if args else kwargs.get("job_id")
        try:
            export_jobs.fail_export(job_id, services.describe(exc))
        except services.TRANSIENT_ERRORS:
            logger.exception("Export job %s: could not record its failure; the sweep will", job_id)


@shared_task(
    bind=True,
    base=ExportTask,
    name="reports.build_export",
    **BUILD_OPTIONS,
)
def build_export(self, job_id: int) -> str | None:
    job = export_jobs.build_export(job_id, task_id=self.request.id or "")
    return job.status if job is not None else None


@shared_task(name="reports.sweep_exports")
def sweep_exports() -> dict[str, int]:
    return export_jobs.sweep_exports()
