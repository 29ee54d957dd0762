"""Reports: PDF documents built in Celery from a frozen submission.

A Report row is the record of one build: what (kind), from which snapshot
(submission), how far it got (status) and, when done, where the file lies in
private storage with its sha256. A rebuild is a new row, so the history of
what was handed out stays intact.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from assessments.models import Submission


class ReportKind(models.TextChoices):
    SELF_ASSESSMENT = "self_assessment", _("Selbstbewertung")
    QUALITY_PROFILE = "quality_profile", _("Qualitätsprofil")
    EVIDENCE_INDEX = "evidence_index", _("Nachweisverzeichnis")
    CERTIFICATE = "certificate", _("Gütesiegel-Urkunde")


class ReportStatus(models.TextChoices):
    QUEUED = "queued", _("wartet")
    RUNNING = "running", _("wird erstellt")
    DONE = "done", _("fertig")
    FAILED = "failed", _("fehlgeschlagen")


PENDING_STATUSES = [ReportStatus.QUEUED, ReportStatus.RUNNING]

# What the centre reads when a build failed: the reason itself (shown to the
# office) may name templates, files or internals.
PUBLIC_FAILURE_MESSAGE = _(
    "Der Bericht konnte nicht erstellt werden. Bitte versuchen Sie es erneut; "
    "besteht das Problem weiter, wenden Sie sich an die Zertifizierungsstelle."
)


class Report(models.Model):
    submission = models.ForeignKey(
        Submission, on_delete=models.PROTECT, related_name="reports", verbose_name=_("Einreichung")
    )
    kind = models.CharField(_("Art"), max_length=20, choices=ReportKind.choices)
    status = models.CharField(_("Status"), max_length=10, choices=ReportStatus.choices, default=ReportStatus.QUEUED)
    # What the document needs beyond the submission's payload (area titles,
    # the reviewers' remarks, the seal), copied when the report is requested
    # so that building it reads nothing that could still change.
    inputs = models.JSONField(_("Eingangsdaten"), default=dict, blank=True)
    # Name of the file in STORAGES["private"]; there is no URL on purpose,
    # the download view checks permission and streams it.
    file_name = models.CharField(_("Datei im Speicher"), max_length=255, blank=True)
    download_name = models.CharField(_("Dateiname"), max_length=200, blank=True)
    content_type = models.CharField(_("Inhaltstyp"), max_length=100, blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    size = models.PositiveIntegerField(_("Größe in Bytes"), null=True, blank=True)
    error = models.TextField(_("Fehlerursache"), blank=True, help_text=_("Nur für die Zertifizierungsstelle sichtbar."))
    attempts = models.PositiveSmallIntegerField(_("Versuche"), default=0)
    # The Celery task running the current attempt. A redelivered or retried
    # message carries the same id, which lets it take over a row that its
    # dead predecessor left "running".
    task_id = models.CharField(_("Aufgaben-ID"), max_length=255, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("angefordert von"),
        help_text=_("Leer, wenn der Bericht automatisch nach einem Statuswechsel angefordert wurde."),
    )
    requested_at = models.DateTimeField(_("angefordert am"), auto_now_add=True)
    # Set when the broker accepted the task. NULL on a queued report means the
    # hand-over failed (broker down): the sweep sends it again.
    enqueued_at = models.DateTimeField(_("übergeben am"), null=True, blank=True)
    started_at = models.DateTimeField(_("begonnen am"), null=True, blank=True)
    finished_at = models.DateTimeField(_("beendet am"), null=True, blank=True)

    class Meta:
        verbose_name = _("Bericht")
        verbose_name_plural = _("Berichte")
        ordering = ["-requested_at", "-pk"]
        constraints = [
            # Two clicks (or a click and the automatic request after a
            # transition) must not start two builds of the same document.
            models.UniqueConstraint(
                fields=["submission", "kind"],
                condition=Q(status__in=PENDING_STATUSES),
                name="one_pending_report_per_submission_and_kind",
            ),
        ]
        indexes = [
            # The sweep looks for queued and long-running reports.
            models.Index(fields=["status", "started_at"], name="report_status_started_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk} ({self.get_status_display()})"

    @property
    def is_pending(self) -> bool:
        return self.status in PENDING_STATUSES

    @property
    def is_done(self) -> bool:
        return self.status == ReportStatus.DONE

    @property
    def is_failed(self) -> bool:
        return self.status == ReportStatus.FAILED

    @property
    def waits_for_broker(self) -> bool:
        """Queued, but the task queue did not take it yet (broker unreachable)."""
        return self.status == ReportStatus.QUEUED and self.enqueued_at is None


# ---------------------------------------------------------------- export jobs


class ExportFormat(models.TextChoices):
    XLSX = "xlsx", _("Excel (XLSX)")
    CSV = "csv", _("CSV")


class ExportStatus(models.TextChoices):
    PENDING = "pending", _("wartet")
    RUNNING = "running", _("wird erstellt")
    DONE = "done", _("fertig")
    FAILED = "failed", _("fehlgeschlagen")


EXPORT_PENDING_STATUSES = [ExportStatus.PENDING, ExportStatus.RUNNING]


class ExportJob(models.Model):
    """One export of every assessment built by the worker (too many rows to
    build while the office waits for the page). The task counts the rows it
    has written into rows_done as it goes, so the page can show progress."""

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("angefordert von")
    )
    format = models.CharField(_("Format"), max_length=4, choices=ExportFormat.choices)
    status = models.CharField(_("Status"), max_length=10, choices=ExportStatus.choices, default=ExportStatus.PENDING)
    rows_total = models.PositiveIntegerField(_("Zeilen insgesamt"), null=True, blank=True)
    rows_done = models.PositiveIntegerField(_("Zeilen geschrieben"), default=0)
    # Name of the file in STORAGES["private"]; served only by the download view.
    file_name = models.CharField(_("Datei im Speicher"), max_length=255, blank=True)
    download_name = models.CharField(_("Dateiname"), max_length=200, blank=True)
    size = models.PositiveBigIntegerField(_("Größe in Bytes"), null=True, blank=True)
    error = models.TextField(_("Fehlerursache"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("Versuche"), default=0)
    # The Celery task of the current attempt (see Report.task_id).
    task_id = models.CharField(_("Aufgaben-ID"), max_length=255, blank=True)
    requested_at = models.DateTimeField(_("angefordert am"), auto_now_add=True)
    # NULL on a pending job: the broker did not take it (down); the sweep sends it.
    enqueued_at = models.DateTimeField(_("übergeben am"), null=True, blank=True)
    started_at = models.DateTimeField(_("begonnen am"), null=True, blank=True)
    finished_at = models.DateTimeField(_("beendet am"), null=True, blank=True)

    class Meta:
        verbose_name = _("Export")
        verbose_name_plural = _("Exporte")
        ordering = ["-requested_at", "-pk"]
        constraints = [
            # A double click must not start two builds of the same export.
            models.UniqueConstraint(
                fields=["requested_by", "format"],
                condition=Q(status__in=EXPORT_PENDING_STATUSES),
                name="one_pending_export_per_user_and_format",
            ),
        ]
        indexes = [
            # The sweep looks for pending and long-running jobs.
            models.Index(fields=["status", "started_at"], name="exportjob_status_started_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_format_display()} #{self.pk} ({self.get_status_display()})"

    @property
    def is_pending(self) -> bool:
        return self.status in EXPORT_PENDING_STATUSES

    @property
    def is_done(self) -> bool:
        return self.status == ExportStatus.DONE

    @property
    def is_failed(self) -> bool:
        return self.status == ExportStatus.FAILED

    @property
    def waits_for_broker(self) -> bool:
        return self.status == ExportStatus.PENDING and self.enqueued_at is None

    @property
    def percent(self) -> int:
        """How far the build is, 0-100 (0 while the total is not known)."""
        if self.is_done:
            return 100
        if not self.rows_total:
            return 0
        return min(100, self.rows_done * 100 // self.rows_total)
