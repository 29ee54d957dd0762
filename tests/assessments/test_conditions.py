"""The state machine's conditions are cheap: the readiness evaluation (and
the review's open points) run once per submit, resubmit and recommend, in
the service; the condition only reads what the service found. A transition
called without that check is refused (it fails closed)."""

from __future__ import annotations

import pytest
from django_fsm import TransitionNotAllowed

from assessments import evaluation, services, snapshots
from assessments.models import Assessment, AssessmentState
from assessments.services import cycle, review
from tests.assessments.conftest import accept_all, answer_all, schedule_visit
from tests.unchanged import everything


@pytest.fixture
def count_calls(monkeypatch):
    """Count calls of a function of assessments.evaluation wherever it was imported."""

    def counting(name: str) -> list[int]:
        calls: list[int] = []
        original = getattr(evaluation, name)

        def wrapper(assessment, *args, **kwargs):
            calls.append(assessment.pk)
            return original(assessment, *args, **kwargs)

        for module in (evaluation, cycle, review, snapshots):
            if hasattr(module, name):
                monkeypatch.setattr(module, name, wrapper)
        return calls

    return counting


def test_submit_evaluates_once(draft, alice, count_calls):
    answer_all(draft, alice)
    evaluations = count_calls("evaluate")
    readiness = count_calls("readiness_problems")
    services.submit(user=alice, assessment_id=draft.pk)
    assert evaluations == [draft.pk]
    assert readiness == [draft.pk]
    assert Assessment.objects.get(pk=draft.pk).state == AssessmentState.SUBMITTED


def test_resubmit_evaluates_once(queried, alice, count_calls):
    evaluations = count_calls("evaluate")
    readiness = count_calls("readiness_problems")
    services.resubmit(user=alice, assessment_id=queried.pk)
    assert evaluations == [queried.pk]
    assert readiness == [queried.pk]
    assert Assessment.objects.get(pk=queried.pk).state == AssessmentState.IN_REVIEW


def test_recommend_checks_the_review_once(reviewing, gabi, count_calls):
    accept_all(reviewing, gabi)
    schedule_visit(reviewing, gabi, done=True)
    checks = count_calls("review_problems")
    services.recommend(user=gabi, assessment_id=reviewing.pk)
    assert checks == [reviewing.pk]
    assert Assessment.objects.get(pk=reviewing.pk).state == AssessmentState.RECOMMENDED


def test_a_refused_submit_evaluates_once_and_changes_nothing(draft, alice, count_calls):
    evaluations = count_calls("evaluate")
    before = everything()
    with pytest.raises(services.TransitionRefused):
        services.submit(user=alice, assessment_id=draft.pk)
    assert everything() == before
    assert evaluations == [draft.pk]
    draft.refresh_from_db()
    assert draft.state == AssessmentState.DRAFT
    assert not draft.submissions.exists()


def test_a_submit_without_the_services_check_is_refused(draft, alice):
    answer_all(draft, alice)
    assessment = Assessment.objects.get(pk=draft.pk)
    before = everything()
    with pytest.raises(TransitionNotAllowed):
        assessment.submit()
    assert assessment.state == AssessmentState.DRAFT
    assert everything() == before


def test_a_recommend_without_the_services_check_is_refused(reviewing, gabi):
    accept_all(reviewing, gabi)
    schedule_visit(reviewing, gabi, done=True)
    assessment = Assessment.objects.get(pk=reviewing.pk)
    before = everything()
    with pytest.raises(TransitionNotAllowed):
        assessment.recommend()
    assert assessment.state == AssessmentState.IN_REVIEW
    assert everything() == before
