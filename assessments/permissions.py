"""Access helpers of the assessments app. An assessment the user may not
see answers 404; one the user may see but not change answers 403."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from assessments import rules
from assessments.models import Assessment
from assessments.selectors import assessments_for_user
from certification.permissions import get_familienzentrum_for_user
from certification.selectors import familienzentren_led_by


def get_assessment_for_user(user, pk: int) -> Assessment:
    return get_object_or_404(assessments_for_user(user), pk=pk)


def get_assessment_for_editor(user, pk: int) -> Assessment:
    assessment = get_assessment_for_user(user, pk)
    if not rules.can_edit(user, assessment):
        raise PermissionDenied
    return assessment


def get_assessment_for_withdrawal(user, pk: int) -> Assessment:
    assessment = get_assessment_for_user(user, pk)
    if not rules.can_withdraw(user, assessment):
        raise PermissionDenied
    return assessment


def get_familienzentrum_for_leitung(user, pk: int):
    familienzentrum = get_familienzentrum_for_user(user, pk)
    if not familienzentren_led_by(user).filter(pk=familienzentrum.pk).exists():
        raise PermissionDenied
    return familienzentrum
