"""Every transition of the state machine through its service: allowed, and
refused for the wrong state, the wrong person or an unmet condition. A
refusal changes no state and logs nothing."""

from __future__ import annotations

import hashlib
import json
from datetime import date

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from assessments import services
from assessments.evaluation import evaluate, readiness_problems
from assessments.models import Assessment, AssessmentEvent, AssessmentKind, AssessmentState, ItemStatus, Verdict
from certification.models import Area, Membership, MembershipRole
from tests.assessments.conftest import accept_all, answer_all, schedule_visit
from tests.factories import ReviewerFactory, UserFactory
from tests.unchanged import everything


def state_of(assessment) -> str:
    return Assessment.objects.get(pk=assessment.pk).state


def events_of(assessment) -> list[str]:
    return list(AssessmentEvent.objects.filter(assessment=assessment).values_list("action", flat=True))


def refused(call, **kwargs):
    """The service refuses, and leaves everything as it was: the rows (the
    assessment, its events and LogEntry rows, the notifications for the
    outbox), the files and the outbox."""
    before = everything()
    with pytest.raises(services.TransitionRefused) as error:
        call(**kwargs)
    assert everything() == before
    return error.value


# ------------------------------------------------------------------ start


def test_start_records_the_event(draft, alice):
    assert draft.state == AssessmentState.DRAFT
    assert events_of(draft) == ["start"]
    assert draft.events.get().actor == alice


def test_only_one_open_assessment_per_centre(draft, alice, centre, mini_catalogue):
    before = everything()
    with pytest.raises(ValidationError, match="läuft bereits"):
        services.start_assessment(
            user=alice,
            familienzentrum=centre,
            catalogue=mini_catalogue,
            kind=AssessmentKind.FIRST,
            profile_areas=[Area.objects.get(catalogue=mini_catalogue, code="4F")],
            review_period_start=date(2026, 8, 1),
            review_period_end=date(2027, 1, 31),
        )
    assert Assessment.objects.count() == 1
    assert everything() == before


def test_profile_count_is_checked(alice, centre, mini_catalogue):
    before = everything()
    with pytest.raises(ValidationError, match="Profilbereiche"):
        services.start_assessment(
            user=alice,
            familienzentrum=centre,
            catalogue=mini_catalogue,
            kind=AssessmentKind.FIRST,
            profile_areas=list(Area.objects.filter(catalogue=mini_catalogue, code__in=["4B", "4F"])),
            review_period_start=date(2026, 8, 1),
            review_period_end=date(2027, 1, 31),
        )
    assert not Assessment.objects.exists()
    assert everything() == before


# ------------------------------------------------------------------ answers and evaluation


def test_evaluation_follows_und_and_oder(draft, alice):
    # 1.1 is UND: one of two items fulfilled is not enough; 1.2 is ODER: one suffices.
    services.save_answer(
        user=alice,
        assessment_id=draft.pk,
        criterion_code="1.1",
        item_statuses={"1.1": "fulfilled", "1.1.1": "not_fulfilled"},
        narrative="",
        site_ids=[],
        expected_version=0,
    )
    services.save_answer(
        user=alice,
        assessment_id=draft.pk,
        criterion_code="1.2",
        item_statuses={"1.2": "not_fulfilled", "1.2.1": "fulfilled"},
        narrative="",
        site_ids=[],
        expected_version=0,
    )
    evaluation = evaluate(draft)
    area_1 = next(entry for entry in evaluation.progress if entry.area.code == "1")
    assert (area_1.answered, area_1.fulfilled, area_1.points) == (2, 1, 2)
    basis_rule = next(result for result in evaluation.rules if result.rule.code == "basis")
    assert not basis_rule.met
    assert basis_rule.missing[0] == "es fehlen noch 2 Basiskriterien (erfüllt 0 von mindestens 2)"


def test_stale_save_raises_a_conflict_and_keeps_the_saved_answer(draft, alice):
    first = services.save_answer(
        user=alice,
        assessment_id=draft.pk,
        criterion_code="1.1",
        item_statuses={"1.1": "fulfilled"},
        narrative="erste",
        site_ids=[],
        expected_version=0,
    )
    assert first.version == 1
    with pytest.raises(services.AnswerConflict) as conflict:
        services.save_answer(
            user=alice,
            assessment_id=draft.pk,
            criterion_code="1.1",
            item_statuses={"1.1": "planned"},
            narrative="veraltet",
            site_ids=[],
            expected_version=0,
        )
    assert conflict.value.current.narrative == "erste"
    assert conflict.value.submitted["narrative"] == "veraltet"
    first.refresh_from_db()
    assert (first.narrative, first.version) == ("erste", 1)


def test_unknown_criterion_or_item_code_is_refused(draft, alice):
    before = everything()
    with pytest.raises(services.CriterionNotInCatalogue):
        services.save_answer(
            user=alice,
            assessment_id=draft.pk,
            criterion_code="9.9",
            item_statuses={},
            narrative="",
            site_ids=[],
            expected_version=0,
        )
    with pytest.raises(services.CriterionNotInCatalogue):
        services.save_answer(
            user=alice,
            assessment_id=draft.pk,
            criterion_code="1.1",
            item_statuses={"1.1.7": "fulfilled"},
            narrative="",
            site_ids=[],
            expected_version=0,
        )
    assert everything() == before


def test_others_cannot_answer(draft, bob, tina, olga):
    for user in (bob, tina, olga):
        refused(
            services.save_answer,
            user=user,
            assessment_id=draft.pk,
            criterion_code="1.1",
            item_statuses={"1.1": "fulfilled"},
            narrative="",
            site_ids=[],
            expected_version=0,
        )


# ------------------------------------------------------------------ submit


def test_submit_refused_with_the_list_of_what_is_missing(draft, alice):
    error = refused(services.submit, user=alice, assessment_id=draft.pk)
    codes = {problem.criterion_code for problem in error.problems}
    assert {"1.1", "4B1", "4H1", "5.1"} <= codes
    assert "4F1" not in codes  # a profile area not chosen is not required
    assert state_of(draft) == AssessmentState.DRAFT
    assert events_of(draft) == ["start"]


def test_submit_freezes_a_hashed_snapshot_and_mails(draft, alice, django_capture_on_commit_callbacks):
    answer_all(draft, alice)
    assert readiness_problems(draft) == []
    with django_capture_on_commit_callbacks(execute=True):
        submission = services.submit(user=alice, assessment_id=draft.pk)
    assert state_of(draft) == AssessmentState.SUBMITTED
    canonical = json.dumps(submission.payload, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
    assert submission.sha256 == hashlib.sha256(canonical).hexdigest()
    assert submission.payload["catalogue"]["version"] == draft.catalogue.version
    assert {entry["code"] for entry in submission.payload["criteria"]} >= {"1.1", "4B1", "4H1", "5.1"}
    event = draft.events.get(action="submit")
    assert (event.from_state, event.to_state, event.submission) == ("draft", "submitted", submission)
    # One message per recipient (the Leitung and the office), each a row first.
    assert len(mail.outbox) == 2
    assert {tuple(message.to) for message in mail.outbox} == {(alice.email,), ("office@example.org",)}
    for message in mail.outbox:
        assert "Selbstbewertung eingereicht" in message.subject
        assert submission.sha256 in message.body


def test_submit_twice_submits_once(submitted, alice):
    error = refused(services.submit, user=alice, assessment_id=submitted.pk)
    assert "eingereicht" in error.message
    assert submitted.submissions.count() == 1
    assert events_of(submitted).count("submit") == 1


def test_the_submitted_draft_is_read_only(submitted, alice):
    refused(
        services.save_answer,
        user=alice,
        assessment_id=submitted.pk,
        criterion_code="1.1",
        item_statuses={"1.1": "planned"},
        narrative="",
        site_ids=[],
        expected_version=1,
    )


def test_traeger_without_grant_cannot_submit(draft, alice, tina):
    answer_all(draft, alice)
    error = refused(services.submit, user=tina, assessment_id=draft.pk)
    assert "nicht berechtigt" in error.message
    assert state_of(draft) == AssessmentState.DRAFT


def test_traeger_granted_to_act_as_leitung_can_submit(draft, alice, tina):
    Membership.objects.filter(user=tina).update(can_act_as_leitung=True)
    answer_all(draft, alice)
    tina = type(tina).objects.get(pk=tina.pk)  # fresh roles
    services.submit(user=tina, assessment_id=draft.pk)
    assert state_of(draft) == AssessmentState.SUBMITTED


def test_verbund_needs_the_delivering_site(alice, mini_catalogue):
    from certification.models import FamilienzentrumForm, FamilienzentrumSite
    from tests.factories import EinrichtungFactory, FamilienzentrumFactory

    centre = FamilienzentrumFactory(form=FamilienzentrumForm.VERBUND)
    second = EinrichtungFactory(traeger=centre.traeger)
    FamilienzentrumSite.objects.create(familienzentrum=centre, site=second)
    Membership.objects.create(user=alice, role=MembershipRole.LEITUNG, site=second)
    alice = type(alice).objects.get(pk=alice.pk)
    assessment = services.start_assessment(
        user=alice,
        familienzentrum=centre,
        catalogue=mini_catalogue,
        kind=AssessmentKind.FIRST,
        profile_areas=[Area.objects.get(catalogue=mini_catalogue, code="4B")],
        review_period_start=date(2026, 8, 1),
        review_period_end=date(2027, 1, 31),
    )
    answer_all(assessment, alice)
    assert readiness_problems(assessment) == []
    answer = assessment.answers.get(criterion__code="1.1")
    answer.delivering_sites.clear()
    problems = readiness_problems(assessment)
    assert [(problem.criterion_code, "Standort" in problem.message) for problem in problems] == [("1.1", True)]


# ------------------------------------------------------------------ withdraw


def test_withdraw_needs_a_reason_and_mails(draft, alice, django_capture_on_commit_callbacks):
    refused(services.withdraw, user=alice, assessment_id=draft.pk, reason="  ")
    assert state_of(draft) == AssessmentState.DRAFT
    with django_capture_on_commit_callbacks(execute=True):
        services.withdraw(user=alice, assessment_id=draft.pk, reason="Die Kita schließt.")
    assert state_of(draft) == AssessmentState.WITHDRAWN
    assert draft.events.get(action="withdraw").note == "Die Kita schließt."
    assert "zurückgezogen" in mail.outbox[0].subject


def test_traeger_may_withdraw_others_may_not(draft, tina, bob, rita, olga):
    for user in (bob, rita, olga):
        refused(services.withdraw, user=user, assessment_id=draft.pk, reason="x")
    services.withdraw(user=tina, assessment_id=draft.pk, reason="Träger gibt auf")
    assert state_of(draft) == AssessmentState.WITHDRAWN


def test_nothing_leaves_a_closed_state(draft, alice):
    services.withdraw(user=alice, assessment_id=draft.pk, reason="Ende")
    refused(services.withdraw, user=alice, assessment_id=draft.pk, reason="nochmal")
    assert events_of(draft).count("withdraw") == 1


# ------------------------------------------------------------------ review transitions


def test_assign_only_by_office_and_refuses_a_reviewer_tied_to_the_traeger(submitted, olga, tina, rita, alice):
    second = ReviewerFactory(may_confirm=True).user
    refused(services.assign_reviewers, user=alice, assessment_id=submitted.pk, reviewer=rita, second_reviewer=second)
    error = refused(
        services.assign_reviewers, user=olga, assessment_id=submitted.pk, reviewer=tina, second_reviewer=second
    )
    assert "Träger" in error.message
    assert state_of(submitted) == AssessmentState.SUBMITTED
    services.assign_reviewers(user=olga, assessment_id=submitted.pk, reviewer=rita, second_reviewer=second)
    assert state_of(submitted) == AssessmentState.IN_REVIEW


def test_request_changes_needs_a_query_with_comment(in_review, rita, bob):
    error = refused(services.request_changes, user=rita, assessment_id=in_review.pk)
    assert "Rückfrage" in error.message
    refused(
        services.set_verdict,
        user=rita,
        assessment_id=in_review.pk,
        criterion_code="1.1",
        verdict=Verdict.QUERIED,
        comment=" ",
    )
    refused(
        services.set_verdict,
        user=bob,
        assessment_id=in_review.pk,
        criterion_code="1.1",
        verdict=Verdict.QUERIED,
        comment="Bitte Nachweis",
    )
    services.set_verdict(
        user=rita,
        assessment_id=in_review.pk,
        criterion_code="1.1",
        verdict=Verdict.QUERIED,
        comment="Bitte das Verzeichnis beilegen.",
    )
    services.request_changes(user=rita, assessment_id=in_review.pk, note="Eine Rückfrage")
    assert state_of(in_review) == AssessmentState.CHANGES_REQUESTED


def test_resubmit_needs_every_query_answered_and_freezes_a_new_snapshot(in_review, rita, alice):
    services.set_verdict(
        user=rita, assessment_id=in_review.pk, criterion_code="1.1", verdict=Verdict.QUERIED, comment="Bitte ergänzen."
    )
    services.set_verdict(
        user=rita, assessment_id=in_review.pk, criterion_code="1.2", verdict=Verdict.ACCEPTED, comment=""
    )
    services.request_changes(user=rita, assessment_id=in_review.pk)
    error = refused(services.resubmit, user=alice, assessment_id=in_review.pk)
    assert [problem.criterion_code for problem in error.problems] == ["1.1"]
    answer = in_review.answers.get(criterion__code="1.1")
    services.save_answer(
        user=alice,
        assessment_id=in_review.pk,
        criterion_code="1.1",
        item_statuses={"1.1": ItemStatus.FULFILLED, "1.1.1": ItemStatus.FULFILLED},
        narrative="Ergänzt.",
        site_ids=[],
        expected_version=answer.version,
    )
    services.reply_to_query(user=alice, assessment_id=in_review.pk, criterion_code="1.1", reply="Ist ergänzt.")
    submission = services.resubmit(user=alice, assessment_id=in_review.pk)
    assert submission.number == 2
    assert state_of(in_review) == AssessmentState.IN_REVIEW
    # the accepted verdict carries over, the query does not
    assert list(submission.verdicts.values_list("criterion__code", "verdict")) == [("1.2", "accepted")]


def test_recommend_needs_every_criterion_accepted_and_the_visit(in_review, rita):
    error = refused(services.recommend, user=rita, assessment_id=in_review.pk)
    assert any("Begehung" in problem.message for problem in error.problems)
    accept_all(in_review, rita)
    error = refused(services.recommend, user=rita, assessment_id=in_review.pk)
    assert [problem.message for problem in error.problems] == ["Die Begehung ist noch nicht durchgeführt."]
    schedule_visit(in_review, rita, done=True)
    services.recommend(user=rita, assessment_id=in_review.pk)
    assert state_of(in_review) == AssessmentState.RECOMMENDED


@pytest.fixture
def recommended(in_review, rita):
    accept_all(in_review, rita)
    schedule_visit(in_review, rita, done=True)
    services.recommend(user=rita, assessment_id=in_review.pk)
    return Assessment.objects.get(pk=in_review.pk)


def test_four_eyes_the_recommender_can_never_approve(recommended, rita, olga):
    # rita recommended; even made office staff she may not confirm her own recommendation.
    rita.is_staff = True
    rita.save()
    rita = type(rita).objects.get(pk=rita.pk)
    refused(services.approve, user=rita, assessment_id=recommended.pk)
    assert state_of(recommended) == AssessmentState.RECOMMENDED


def test_second_reviewer_approves_and_the_seal_is_issued(recommended):
    second = recommended.second_reviewer
    services.approve(user=second, assessment_id=recommended.pk)
    recommended.refresh_from_db()
    assert recommended.state == AssessmentState.CERTIFIED
    seal = recommended.seal
    assert seal.snapshot_sha256 == recommended.latest_submission.sha256
    assert seal.valid_until.month == 7 and seal.valid_until.day == 31
    assert seal.number.startswith("GS-FZ-")


def test_send_back_needs_a_reason(recommended):
    second = recommended.second_reviewer
    refused(services.send_back, user=second, assessment_id=recommended.pk, reason="")
    services.send_back(user=second, assessment_id=recommended.pk, reason="Nachweis zu 1.1 fehlt.")
    assert state_of(recommended) == AssessmentState.IN_REVIEW


def test_decline_by_reviewer_or_office_with_reason(in_review, rita, alice, olga):
    refused(services.decline, user=alice, assessment_id=in_review.pk, reason="x")
    refused(services.decline, user=rita, assessment_id=in_review.pk, reason="")
    services.decline(user=olga, assessment_id=in_review.pk, reason="Schwellen nicht erreicht.")
    assert state_of(in_review) == AssessmentState.NOT_CERTIFIED


def test_an_unassigned_reviewer_can_do_nothing(in_review):
    stranger = ReviewerFactory(user=UserFactory()).user
    refused(
        services.set_verdict,
        user=stranger,
        assessment_id=in_review.pk,
        criterion_code="1.1",
        verdict=Verdict.ACCEPTED,
        comment="",
    )
    refused(services.recommend, user=stranger, assessment_id=in_review.pk)
    refused(services.decline, user=stranger, assessment_id=in_review.pk, reason="x")
