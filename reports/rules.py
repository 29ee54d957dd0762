"""The rule book of the reports app. Whoever may see an assessment may see
and request its reports; the export of every assessment is the office's.
Everyone else gets 404, as for the assessment."""

from __future__ import annotations

import rules
from django.shortcuts import get_object_or_404

from assessments.rules import get_assessment_for_user
from certification.rules import is_office
from reports.models import Report

rules.add_perm("reports.export_all_assessments", is_office)


def get_report_for_user(user, assessment_pk: int, report_pk: int) -> Report:
    assessment = get_assessment_for_user(user, assessment_pk)
    return get_object_or_404(
        Report.objects.select_related("submission"), pk=report_pk, submission__assessment=assessment
    )
