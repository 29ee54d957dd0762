"""Races on PostgreSQL, where row locks are real: two simultaneous submits
submit once; two simultaneous saves of one answer from the same version
save once and report a conflict to the other."""

from __future__ import annotations

import threading

import pytest
from django.conf import settings
from django.db import connection

from assessments import services
from assessments.models import Answer, AssessmentEvent, Submission
from tests.assessments.conftest import answer_all
from tests.services.support import check_services

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def services_up(django_db_setup):
    """PostgreSQL and Redis present: a failure in CI, a skip elsewhere."""
    check_services(settings.DATABASES["default"])


def run_together(*calls):
    """Start the calls at the same moment in threads (each with its own
    database connection) and return what each returned or raised."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def runner(index, call):
        try:
            barrier.wait()
            results[index] = call()
        except Exception as error:  # noqa: BLE001 - the outcome is what the test inspects
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=runner, args=(index, call)) for index, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_double_submit_submits_once(services_up, draft, alice):
    assert connection.vendor == "postgresql"
    answer_all(draft, alice)
    results = run_together(
        lambda: services.submit(user=alice, assessment_id=draft.pk),
        lambda: services.submit(user=alice, assessment_id=draft.pk),
    )
    submitted = [result for result in results if isinstance(result, Submission)]
    refused = [result for result in results if isinstance(result, services.TransitionRefused)]
    assert len(submitted) == 1 and len(refused) == 1, results
    assert Submission.objects.filter(assessment=draft).count() == 1
    assert AssessmentEvent.objects.filter(assessment=draft, action="submit").count() == 1


def test_simultaneous_saves_of_one_answer_conflict_instead_of_overwriting(services_up, draft, alice):
    def save(narrative):
        return lambda: services.save_answer(
            user=alice,
            assessment_id=draft.pk,
            criterion_code="1.1",
            item_statuses={"1.1": "fulfilled"},
            narrative=narrative,
            site_ids=[],
            expected_version=0,
        )

    results = run_together(save("aus Browser A"), save("aus Browser B"))
    saved = [result for result in results if isinstance(result, Answer)]
    conflicts = [result for result in results if isinstance(result, services.AnswerConflict)]
    assert len(saved) == 1 and len(conflicts) == 1, results
    answer = Answer.objects.get(assessment=draft, criterion__code="1.1")
    assert answer.version == 1 and answer.narrative == saved[0].narrative
    assert conflicts[0].submitted["narrative"] != answer.narrative
