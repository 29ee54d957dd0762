"""The rule book of the reports app. Whoever may see an assessment may see
and request its reports; the export of every assessment, its background
jobs and the dashboard are the office's. Everyone else gets 404, as for the
assessment."""

from __future__ import annotations

import rules
from django.http import Http404
from django.shortcuts import get_object_or_404

from assessments.rules import get_assessment_for_user
from certification.rules import is_office
from reports.models import ExportJob, Report

rules.add_perm("reports.export_all_assessments", is_office)
rules.add_perm("reports.view_dashboard", is_office)
# The export jobs are the office's shared work: any office member may follow
# and download a job another one requested (the rows are the same for all).
rules.add_perm("reports.request_export", is_office)
rules.add_perm("reports.download_export", is_office)


def get_report_for_user(user, assessment_pk: int, report_pk: int) -> Report:
    assessment = get_assessment_for_user(user, assessment_pk)
    return get_object_or_404(
        Report.objects.select_related("submission"), pk=report_pk, submission__assessment=assessment
    )


def get_export_job_for_user(user, job_pk: int) -> ExportJob:
    if not user.has_perm("reports.download_export"):
        raise Http404
    return get_object_or_404(ExportJob.objects.select_related("requested_by"), pk=job_pk)
