"""Access helpers of the reports app. Whoever may see an assessment may see
and request its reports; everyone else gets 404, as for the assessment."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import get_object_or_404

from assessments import rules
from assessments.permissions import get_assessment_for_user
from reports.models import Report


def get_report_for_user(user, assessment_pk: int, report_pk: int) -> Report:
    assessment = get_assessment_for_user(user, assessment_pk)
    return get_object_or_404(
        Report.objects.select_related("submission"), pk=report_pk, submission__assessment=assessment
    )


def require_office(user) -> None:
    # The export of every assessment: for others it does not exist.
    if not rules.is_office(user):
        raise Http404
