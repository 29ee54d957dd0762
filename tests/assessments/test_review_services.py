"""The review services beyond the state machine's basics: who may be
assigned, the site visit's rules and its invitation with calendar file, the
four-eyes decision naming its snapshot, and the re-certification's prefill."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from icalendar import Calendar

from assessments import services
from assessments.evaluation import readiness_problems
from assessments.models import Answer, Assessment, AssessmentKind, AssessmentState, SiteVisit, Verdict
from certification.models import Area, FamilienzentrumForm, FamilienzentrumSite, Membership, MembershipRole
from tests.assessments.conftest import accept_all, answer_all, later_today, schedule_visit
from tests.factories import EinrichtungFactory, FamilienzentrumFactory, ReviewerFactory

BERLIN = ZoneInfo("Europe/Berlin")


def refused(call, **kwargs) -> services.TransitionRefused:
    with pytest.raises(services.TransitionRefused) as error:
        call(**kwargs)
    return error.value


def state_of(assessment) -> str:
    return Assessment.objects.get(pk=assessment.pk).state


# ------------------------------------------------------------------ assignment


def test_the_second_reviewer_must_be_independent_of_the_traeger_too(submitted, olga, gabi, tina):
    ReviewerFactory(user=tina, may_confirm=True)
    error = refused(
        services.assign_reviewers, user=olga, assessment_id=submitted.pk, reviewer=gabi, second_reviewer=tina
    )
    assert "Träger" in error.message and "bestätigen" in error.message
    assert state_of(submitted) == AssessmentState.SUBMITTED


def test_a_site_leitung_of_the_same_traeger_is_tied(submitted, olga, zeno, centre):
    # Leitung of another site of the same Träger: tied as well.
    other_site = EinrichtungFactory(traeger=centre.traeger)
    leader = ReviewerFactory().user
    Membership.objects.create(user=leader, role=MembershipRole.LEITUNG, site=other_site)
    error = refused(
        services.assign_reviewers, user=olga, assessment_id=submitted.pk, reviewer=leader, second_reviewer=zeno
    )
    assert "Träger" in error.message


def test_only_pool_members_are_assigned(submitted, olga, gabi, zeno, bob):
    error = refused(
        services.assign_reviewers, user=olga, assessment_id=submitted.pk, reviewer=bob, second_reviewer=zeno
    )
    assert "Pool" in error.message
    inactive = ReviewerFactory(is_active=False).user
    refused(services.assign_reviewers, user=olga, assessment_id=submitted.pk, reviewer=inactive, second_reviewer=zeno)
    # The second reviewer needs may_confirm.
    error = refused(
        services.assign_reviewers, user=olga, assessment_id=submitted.pk, reviewer=zeno, second_reviewer=gabi
    )
    assert "Zweitgutachter" in error.message
    assert state_of(submitted) == AssessmentState.SUBMITTED


# ------------------------------------------------------------------ site visit


def make_verbund(alice, mini_catalogue):
    centre = FamilienzentrumFactory(form=FamilienzentrumForm.VERBUND, name="Verbund Eifel")
    grant_site = centre.site_links.get().site
    second = EinrichtungFactory(traeger=centre.traeger, name="Kita Zwei", street="Dorfstraße 2", postcode="52393")
    third = EinrichtungFactory(traeger=centre.traeger, name="Kita Drei")
    FamilienzentrumSite.objects.create(familienzentrum=centre, site=second)
    FamilienzentrumSite.objects.create(familienzentrum=centre, site=third)
    Membership.objects.create(user=alice, role=MembershipRole.LEITUNG, site=grant_site)
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
    services.submit(user=alice, assessment_id=assessment.pk)
    return assessment, grant_site, second, third


@pytest.fixture
def verbund_in_review(alice, mini_catalogue, olga, gabi, zeno):
    assessment, grant_site, second, third = make_verbund(alice, mini_catalogue)
    services.assign_reviewers(user=olga, assessment_id=assessment.pk, reviewer=gabi, second_reviewer=zeno)
    return assessment, grant_site, second, third


WHEN = datetime(2030, 3, 10, 9, 30, tzinfo=BERLIN)


def test_a_verbund_visits_exactly_two_sites_one_of_them_the_grant_recipient(verbund_in_review, gabi):
    assessment, grant_site, second, third = verbund_in_review
    for site_ids, message in [
        ([grant_site.pk], "genau zwei"),
        ([grant_site.pk, second.pk, third.pk], "genau zwei"),
        ([second.pk, third.pk], "Zuschussempfänger"),
    ]:
        with pytest.raises(ValidationError, match=message):
            services.schedule_site_visit(user=gabi, assessment_id=assessment.pk, scheduled_for=WHEN, site_ids=site_ids)
    assert not SiteVisit.objects.exists()
    visit = services.schedule_site_visit(
        user=gabi, assessment_id=assessment.pk, scheduled_for=WHEN, site_ids=[grant_site.pk, second.pk]
    )
    assert set(visit.sites.values_list("pk", flat=True)) == {grant_site.pk, second.pk}


def test_a_single_centre_visits_its_one_site(reviewing, gabi, other_centre):
    foreign = other_centre.site_links.get().site
    with pytest.raises(ValidationError, match="Standorte dieses Familienzentrums"):
        services.schedule_site_visit(user=gabi, assessment_id=reviewing.pk, scheduled_for=WHEN, site_ids=[foreign.pk])
    with pytest.raises(ValidationError):
        services.schedule_site_visit(user=gabi, assessment_id=reviewing.pk, scheduled_for=WHEN, site_ids=[])
    site = reviewing.familienzentrum.site_links.get().site
    services.schedule_site_visit(user=gabi, assessment_id=reviewing.pk, scheduled_for=WHEN, site_ids=[site.pk])


def test_only_the_assigned_reviewer_plans_the_visit_and_only_during_review(reviewing, submitted, zeno, olga, gabi):
    site = reviewing.familienzentrum.site_links.get().site
    for user in (zeno, olga):
        refused(
            services.schedule_site_visit, user=user, assessment_id=reviewing.pk, scheduled_for=WHEN, site_ids=[site.pk]
        )
    schedule_visit(reviewing, gabi, done=True)
    error = refused(services.record_site_visit_done, user=gabi, assessment_id=reviewing.pk)
    assert "bereits" in error.message
    refused(services.schedule_site_visit, user=gabi, assessment_id=reviewing.pk, scheduled_for=WHEN, site_ids=[site.pk])


def test_the_invitation_goes_to_the_leaders_after_commit_with_a_calendar_file(
    verbund_in_review, gabi, alice, django_capture_on_commit_callbacks
):
    assessment, grant_site, second, _third = verbund_in_review
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.schedule_site_visit(
            user=gabi,
            assessment_id=assessment.pk,
            scheduled_for=WHEN,
            site_ids=[grant_site.pk, second.pk],
            notes="Bitte Elterncafé zeigen.",
        )
    assert mail.outbox == []  # nothing before the commit
    for callback in callbacks:
        callback()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [alice.email]
    assert message.reply_to == [gabi.email]
    assert message.subject == "Einladung zur Begehung am 10.03.2030 um 09:30 Uhr: Verbund Eifel"
    assert "Kita Zwei" in message.body and "Bitte Elterncafé zeigen." in message.body

    (part,) = message.attachments
    assert part.get_content_type() == "text/calendar"
    assert part.get_param("method") == "REQUEST"
    assert part.get_filename() == "begehung.ics"
    calendar = Calendar.from_ical(part.get_payload(decode=True))
    assert str(calendar["method"]) == "REQUEST"
    (event,) = calendar.walk("VEVENT")
    assert str(event["uid"]).startswith(f"begehung-{assessment.pk}@")
    start = event.decoded("dtstart")
    assert start == WHEN and str(start.tzinfo) == "Europe/Berlin"
    assert event["dtstart"].params["TZID"] == "Europe/Berlin"
    assert (event.decoded("dtend") - start).total_seconds() == 4 * 3600
    location = str(event["location"])
    assert location.index(grant_site.name) < location.index("Kita Zwei")  # grant recipient first
    assert "Dorfstraße 2" in location
    assert str(event["organizer"]) == f"mailto:{gabi.email}"
    attendees = event.get("attendee")
    attendees = attendees if isinstance(attendees, list) else [attendees]
    assert [str(attendee) for attendee in attendees] == [f"mailto:{alice.email}"]
    assert calendar.walk("VTIMEZONE"), "the time zone is described for calendars without tz database"


def test_a_rescheduled_visit_updates_the_same_calendar_entry(reviewing, gabi, django_capture_on_commit_callbacks):
    for _ in range(2):  # two requests, two commits
        with django_capture_on_commit_callbacks(execute=True):
            schedule_visit(reviewing, gabi)
    first, second = (Calendar.from_ical(m.attachments[0].get_payload(decode=True)) for m in mail.outbox)
    (event_1,), (event_2,) = first.walk("VEVENT"), second.walk("VEVENT")
    assert event_1["uid"] == event_2["uid"]
    assert (int(event_1["sequence"]), int(event_2["sequence"])) == (0, 1)


# ------------------------------------------------------------------ recommend and four-eyes


def test_recommend_names_the_snapshot(recommended_by_gabi, gabi):
    event = recommended_by_gabi.events.get(action="recommend")
    assert event.submission == recommended_by_gabi.latest_submission
    assert recommended_by_gabi.recommended_by == gabi


def test_four_eyes_the_recommender_never_approves_whatever_roles_she_holds(recommended_by_gabi, gabi, zeno):
    # Even as office staff and named second reviewer, the recommender is refused.
    gabi.is_staff = True
    gabi.save()
    Assessment.objects.filter(pk=recommended_by_gabi.pk).update(second_reviewer=gabi)
    gabi = type(gabi).objects.get(pk=gabi.pk)
    error = refused(services.approve, user=gabi, assessment_id=recommended_by_gabi.pk)
    assert error.message == "Wer empfohlen hat, darf nicht selbst bestätigen."
    refused(services.send_back, user=gabi, assessment_id=recommended_by_gabi.pk, reason="selbst")
    assessment = Assessment.objects.get(pk=recommended_by_gabi.pk)
    assert assessment.state == AssessmentState.RECOMMENDED and assessment.seal is None
    assert not assessment.events.filter(action__in=["approve", "send_back"]).exists()


def test_the_decision_names_the_snapshot_and_the_seal_carries_it(recommended_by_gabi, zeno):
    services.approve(user=zeno, assessment_id=recommended_by_gabi.pk, note="Passt.")
    assessment = Assessment.objects.get(pk=recommended_by_gabi.pk)
    submission = assessment.latest_submission
    event = assessment.events.get(action="approve")
    assert event.submission == submission and event.actor == zeno
    assert assessment.seal.snapshot_sha256 == submission.sha256


def test_decline_names_the_snapshot(reviewing, gabi):
    services.decline(user=gabi, assessment_id=reviewing.pk, reason="Schwellen nicht erreicht.")
    event = reviewing.events.get(action="decline")
    assert event.submission == reviewing.latest_submission and event.note == "Schwellen nicht erreicht."


# ------------------------------------------------------------------ re-certification


@pytest.fixture
def certified(recommended_by_gabi, zeno):
    services.approve(user=zeno, assessment_id=recommended_by_gabi.pk)
    return Assessment.objects.get(pk=recommended_by_gabi.pk)


def test_recertification_is_prefilled_from_the_certified_snapshot(certified, alice, centre):
    alice = type(alice).objects.get(pk=alice.pk)
    fresh = services.start_recertification(
        user=alice, familienzentrum=centre, review_period_start=date(2030, 1, 1), review_period_end=date(2030, 7, 31)
    )
    assert fresh.kind == AssessmentKind.RECERTIFICATION
    assert fresh.previous == certified
    assert fresh.state == AssessmentState.DRAFT
    assert sorted(area.code for area in fresh.profile_areas.all()) == ["4B"]
    snapshot = certified.latest_submission.payload
    answers = {
        answer.criterion.code: answer for answer in Answer.objects.filter(assessment=fresh).select_related("criterion")
    }
    assert set(answers) == {entry["code"] for entry in snapshot["criteria"]}
    entry = next(entry for entry in snapshot["criteria"] if entry["code"] == "1.1")
    answer = answers["1.1"]
    assert answer.to_confirm
    assert answer.narrative == entry["narrative"]
    assert answer.item_statuses == {item["code"]: item["status"] for item in entry["items"]}
    # Nothing is submitted unconfirmed: every copied answer must be confirmed first.
    problems = readiness_problems(fresh)
    assert {problem.criterion_code for problem in problems} == set(answers)
    assert all("bestätigen" in problem.message for problem in problems)
    # Saving an answer through the UI's service confirms it.
    services.save_answer(
        user=alice,
        assessment_id=fresh.pk,
        criterion_code="1.1",
        item_statuses=answer.item_statuses,
        narrative=answer.narrative,
        site_ids=[],
        expected_version=answer.version,
    )
    assert not Answer.objects.get(pk=answer.pk).to_confirm


def test_recertification_needs_a_certified_last_cycle(submitted, alice, centre):
    with pytest.raises(ValidationError, match="erfolgreiche Zertifizierung"):
        services.start_recertification(
            user=alice,
            familienzentrum=centre,
            review_period_start=date(2030, 1, 1),
            review_period_end=date(2030, 7, 31),
        )


def test_recertification_is_only_for_the_centres_leitung(certified, centre, tina, bob):
    for user in (tina, bob):
        with pytest.raises(PermissionError):
            services.start_recertification(
                user=user,
                familienzentrum=centre,
                review_period_start=date(2030, 1, 1),
                review_period_end=date(2030, 7, 31),
            )
    assert Assessment.objects.filter(familienzentrum=centre).count() == 1


def test_recertification_of_a_verbund_keeps_the_delivering_sites(alice, mini_catalogue, olga, gabi, zeno):
    assessment, grant_site, second, _third = make_verbund(alice, mini_catalogue)
    services.assign_reviewers(user=olga, assessment_id=assessment.pk, reviewer=gabi, second_reviewer=zeno)
    accept_all(assessment, gabi)
    services.schedule_site_visit(
        user=gabi, assessment_id=assessment.pk, scheduled_for=later_today(), site_ids=[grant_site.pk, second.pk]
    )
    services.record_site_visit_done(user=gabi, assessment_id=assessment.pk)
    services.recommend(user=gabi, assessment_id=assessment.pk)
    services.approve(user=zeno, assessment_id=assessment.pk)
    alice = type(alice).objects.get(pk=alice.pk)
    fresh = services.start_recertification(
        user=alice,
        familienzentrum=assessment.familienzentrum,
        review_period_start=date(2030, 1, 1),
        review_period_end=date(2030, 7, 31),
    )
    answer = fresh.answers.get(criterion__code="1.1")
    assert [site.pk for site in answer.delivering_sites.all()] == [grant_site.pk]


def test_set_verdict_refuses_the_second_reviewer_and_a_foreign_code(reviewing, zeno, gabi):
    refused(
        services.set_verdict,
        user=zeno,
        assessment_id=reviewing.pk,
        criterion_code="1.1",
        verdict=Verdict.ACCEPTED,
        comment="",
    )
    with pytest.raises(services.CriterionNotInCatalogue):
        services.set_verdict(
            user=gabi, assessment_id=reviewing.pk, criterion_code="4F1", verdict=Verdict.ACCEPTED, comment=""
        )
