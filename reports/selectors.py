"""Reads of the reports app."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.files.storage import storages
from django.db.models import QuerySet

from assessments.models import Assessment, Submission
from reports.models import Report, ReportKind
from reports.services import available_kinds


def reports_for_assessment(assessment: Assessment) -> QuerySet[Report]:
    return (
        Report.objects.filter(submission__assessment=assessment)
        .select_related("submission", "requested_by")
        .defer("inputs", "submission__payload")
        .order_by("-requested_at", "-pk")
    )


@dataclass
class KindRow:
    """One line of the reports panel: a kind, whether it can be requested
    now, and its latest report for the latest submission."""

    kind: ReportKind
    available: bool
    latest: Report | None


@dataclass
class ReportsOverview:
    submission: Submission | None
    rows: list[KindRow]
    history: list[Report]

    @property
    def pending(self) -> bool:
        return any(report.is_pending for report in self.history)


def reports_overview(assessment: Assessment) -> ReportsOverview:
    submission = assessment.submissions.defer("payload").order_by("-number").first()
    history = list(reports_for_assessment(assessment))
    kinds = available_kinds(assessment, submission)
    # The version of a finished document, as the centre reads it: the n-th
    # finished build of its kind for its submission ("Fassung 2").
    builds: dict[tuple[int, str], int] = {}
    for report in reversed(history):  # oldest first
        if report.is_done:
            key = (report.submission_id, report.kind)
            builds[key] = builds.get(key, 0) + 1
            report.version = builds[key]
    latest: dict[str, Report] = {}
    for report in history:  # newest first
        if submission is not None and report.submission_id == submission.pk:
            latest.setdefault(report.kind, report)
    rows = [
        KindRow(kind=kind, available=kind in kinds, latest=latest.get(kind))
        for kind in ReportKind
        if kind in kinds or kind in latest
    ]
    return ReportsOverview(submission=submission, rows=rows, history=history)


def open_report_file(report: Report):
    return storages["private"].open(report.file_name, "rb")
