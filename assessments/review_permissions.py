"""Access helpers of the review screens. Like assessments.permissions: an
assessment the user may not see answers 404; one the user may see but not
work on in this way answers 403. Whether a transition is allowed now is the
services' business (they refuse with a message); these only decide who may
open a page or send a form at all."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

from assessments import rules
from assessments.permissions import get_assessment_for_user


def is_review_participant(user, assessment) -> bool:
    """The assigned reviewer, the second reviewer and the office."""
    return (
        rules.is_assigned_reviewer(user, assessment)
        or rules.is_second_reviewer(user, assessment)
        or rules.is_office(user)
    )


def require_office(user) -> None:
    if not rules.is_office(user):
        raise PermissionDenied


def get_assessment_for_office(user, pk: int):
    # 404 first for what the user may not see at all, then 403 for a
    # visible assessment whose office action belongs to another role.
    assessment = get_assessment_for_user(user, pk)
    require_office(user)
    return assessment


def get_assessment_for_review_reader(user, pk: int):
    """The reviewer's workspace: the assigned reviewer works in it, the second
    reviewer and the office read it."""
    assessment = get_assessment_for_user(user, pk)
    if not is_review_participant(user, assessment):
        raise PermissionDenied
    return assessment


def get_assessment_for_reviewer(user, pk: int):
    """Verdicts, queries, the site visit and the recommendation: the assigned reviewer only."""
    assessment = get_assessment_for_user(user, pk)
    if not rules.can_review(user, assessment):
        raise PermissionDenied
    return assessment


def get_assessment_for_decision(user, pk: int):
    """The decision page and its forms: every review participant may open and
    send them; the service refuses whoever may not decide (above all the
    recommender), so a crafted request changes nothing."""
    return get_assessment_for_review_reader(user, pk)


def get_assessment_for_decline(user, pk: int):
    assessment = get_assessment_for_user(user, pk)
    if not (rules.can_review(user, assessment) or rules.is_office(user)):
        raise PermissionDenied
    return assessment
