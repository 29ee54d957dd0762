"""Deadlines as data (issue 12, item 3): the review year and its halves, the
default dates each step sets, the office's form (validation, stale form,
permission), and the daily reminders: once per date and stage, to the right
people, again for a moved date, never for a decided or withdrawn cycle.

The clock is frozen on Monday 15 February 2027, 09:00 in Berlin, before the
fixtures run: the draft's review period (1 August 2026 - 31 January 2027)
ends just before, so its submission is due on 14 March 2027 (six weeks)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments import services
from assessments.deadlines import (
    APPROACHING_DAYS,
    DeadlineStatus,
    ReviewYear,
    approaching_q,
    deadline_status,
    halves_of,
    overdue_q,
    review_year_containing,
    review_year_of,
)
from assessments.models import (
    Assessment,
    AssessmentEvent,
    AssessmentKind,
    AssessmentState,
    DeadlineKind,
    DeadlineReminder,
    EventAction,
    Verdict,
)
from assessments.selectors import with_deadline
from assessments.services import deadlines as deadline_services
from assessments.services.deadlines import (
    DATE_FIELDS,
    DeadlinesConflict,
    dates_fingerprint,
    reminder_candidates,
    send_deadline_reminder,
    send_due_deadline_reminders,
    update_deadlines,
)
from certification.models import Guetesiegel, MembershipRole
from notifications.models import Notification, NotificationKind
from tests.assessments.conftest import schedule_visit
from tests.factories import FamilienzentrumFactory, MembershipFactory, UserFactory
from tests.unchanged import everything

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2027, 2, 15, 9, 0, tzinfo=BERLIN)
TODAY = NOW.date()
OFFICE = settings.OFFICE_EMAIL


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def on(clock, day: date) -> None:
    clock.move_to(datetime(day.year, day.month, day.day, 9, 0, tzinfo=BERLIN))


@pytest.fixture
def remind(django_capture_on_commit_callbacks):
    """Run the daily job and the after-commit hand-overs (the eager worker mails)."""

    def call():
        with django_capture_on_commit_callbacks(execute=True):
            return send_due_deadline_reminders()

    return call


def reminder_rows(kind=None) -> list[Notification]:
    rows = Notification.objects.filter(
        kind__in=[NotificationKind.DEADLINE_APPROACHING, NotificationKind.DEADLINE_OVERDUE]
    )
    if kind is not None:
        rows = rows.filter(kind=kind)
    return list(rows.order_by("email"))


def emails(rows) -> list[str]:
    return sorted(row.email for row in rows)


def set_dates(assessment, **dates) -> None:
    Assessment.objects.filter(pk=assessment.pk).update(**dates)
    assessment.refresh_from_db()


# ---------------------------------------------------------------- the review year


@pytest.mark.parametrize(
    ("day", "half"),
    [
        (date(2026, 12, 31), None),  # the year before
        (date(2027, 1, 1), 1),
        (date(2027, 7, 31), 1),  # the first half's last day
        (date(2027, 8, 1), 2),  # the second half's first day
        (date(2027, 12, 31), 2),
        (date(2028, 1, 31), 2),  # the review year's last day, in the next calendar year
        (date(2028, 2, 1), None),
    ],
)
def test_the_review_year_has_two_halves_split_between_31_july_and_1_august(day, half):
    year = ReviewYear(2027)
    assert (year.start, year.end) == (date(2027, 1, 1), date(2028, 1, 31))
    assert year.half_of(day) == half


@pytest.mark.parametrize(
    ("end", "year"),
    [
        (date(2027, 1, 31), 2026),  # January closes the year before
        (date(2027, 1, 1), 2026),
        (date(2027, 2, 1), 2027),
        (date(2027, 7, 31), 2027),
        (date(2027, 8, 1), 2027),
        (date(2027, 12, 31), 2027),
    ],
)
def test_a_review_period_belongs_to_the_review_year_it_ends_in(end, year):
    assert review_year_containing(end).year == year


def test_the_assessments_halves_say_which_its_review_period_covers(draft):
    # The draft's period: 1 August 2026 - 31 January 2027, the second half only.
    assert review_year_of(draft).year == 2026
    first, second = halves_of(draft)
    assert (first.period.start, first.period.end, first.in_review_period) == (
        date(2026, 1, 1),
        date(2026, 7, 31),
        False,
    )
    assert (second.period.start, second.period.end, second.in_review_period) == (
        date(2026, 8, 1),
        date(2027, 1, 31),
        True,
    )
    set_dates(draft, review_period_start=date(2026, 1, 1), review_period_end=date(2026, 7, 31))
    assert [half.in_review_period for half in halves_of(draft)] == [True, False]
    set_dates(draft, review_period_start=date(2026, 7, 31), review_period_end=date(2026, 8, 1))
    assert [half.in_review_period for half in halves_of(draft)] == [True, True]


@pytest.mark.parametrize(
    ("offset", "status"),
    [
        (-1, DeadlineStatus.OVERDUE),
        (0, DeadlineStatus.APPROACHING),
        (APPROACHING_DAYS, DeadlineStatus.APPROACHING),
        (APPROACHING_DAYS + 1, None),
    ],
)
def test_overdue_and_approaching_meet_at_today_and_today_plus_14(offset, status, draft):
    due = TODAY + timedelta(days=offset)
    assert deadline_status(due, TODAY) == status
    set_dates(draft, submission_due=due)
    annotated = with_deadline(Assessment.objects.filter(pk=draft.pk))
    assert annotated.filter(overdue_q(TODAY)).exists() == (status == DeadlineStatus.OVERDUE)
    assert annotated.filter(approaching_q(TODAY)).exists() == (status == DeadlineStatus.APPROACHING)
    assert deadline_status(None, TODAY) is None


# ---------------------------------------------------------------- the defaults each step sets


def test_a_first_certification_is_due_six_weeks_after_its_review_period(draft):
    assert draft.submission_due == date(2027, 3, 14)
    assert (draft.review_due, draft.queries_due, draft.visit_window_start) == (None, None, None)


def test_submission_sets_the_review_and_the_visit_window(submitted):
    assert timezone_date(submitted.submitted_at) == TODAY
    assert submitted.review_due == TODAY + timedelta(weeks=8) == date(2027, 4, 12)
    assert (submitted.visit_window_start, submitted.visit_window_end) == (TODAY, date(2027, 4, 12))


def timezone_date(moment):
    return moment.astimezone(BERLIN).date()


def test_queries_are_due_four_weeks_after_the_request_and_a_resubmission_restarts_the_review(
    clock, reviewing, gabi, alice
):
    on(clock, date(2027, 3, 1))
    services.set_verdict(
        user=gabi, assessment_id=reviewing.pk, criterion_code="1.1", verdict=Verdict.QUERIED, comment="Bitte belegen."
    )
    services.request_changes(user=gabi, assessment_id=reviewing.pk)
    reviewing.refresh_from_db()
    assert reviewing.queries_due == date(2027, 3, 29)
    on(clock, date(2027, 3, 10))
    services.reply_to_query(user=alice, assessment_id=reviewing.pk, criterion_code="1.1", reply="Liegt bei.")
    services.resubmit(user=alice, assessment_id=reviewing.pk)
    reviewing.refresh_from_db()
    assert reviewing.review_due == date(2027, 5, 5)
    # The window keeps its start (a visit may be planned) and ends with the review.
    assert (reviewing.visit_window_start, reviewing.visit_window_end) == (TODAY, date(2027, 5, 5))


def test_planning_a_visit_fills_a_missing_window_and_moves_no_office_date(reviewing, gabi):
    set_dates(reviewing, visit_window_start=None, visit_window_end=None)
    schedule_visit(reviewing, gabi)
    reviewing.refresh_from_db()
    assert (reviewing.visit_window_start, reviewing.visit_window_end) == (TODAY, date(2027, 4, 12))
    set_dates(reviewing, visit_window_start=date(2027, 3, 20), visit_window_end=date(2027, 3, 31))
    schedule_visit(reviewing, gabi)  # on 10 March: outside the window, shown, not refused
    reviewing.refresh_from_db()
    assert (reviewing.visit_window_start, reviewing.visit_window_end) == (date(2027, 3, 20), date(2027, 3, 31))


def test_a_recertification_is_due_three_months_before_the_seal_ends(draft, alice, centre, olga):
    seal = Guetesiegel.objects.create(
        familienzentrum=centre,
        number="GS-FZ-2025-00042",
        valid_from=date(2025, 8, 1),
        valid_until=date(2029, 7, 31),
        snapshot_sha256="0" * 64,
    )
    Assessment.objects.filter(pk=draft.pk).update(state=AssessmentState.WITHDRAWN)
    renewal = services.start_assessment(
        user=alice,
        familienzentrum=centre,
        catalogue=draft.catalogue,
        kind=AssessmentKind.RECERTIFICATION,
        profile_areas=list(draft.profile_areas.all()),
        review_period_start=date(2028, 1, 1),
        review_period_end=date(2029, 1, 31),
    )
    assert renewal.submission_due == date(2029, 4, 30)  # 31 July - 3 months
    assert Assessment.objects.get(pk=renewal.pk).submission_due == date(2029, 4, 30)
    # A seal ending too soon for that: never before the review period's end plus six weeks.
    Guetesiegel.objects.filter(pk=seal.pk).update(valid_until=date(2029, 3, 31))
    Assessment.objects.filter(pk=renewal.pk).update(submission_due=None)
    renewal.refresh_from_db()
    deadline_services.set_step_dates(renewal, deadline_services.Step.START)
    assert Assessment.objects.get(pk=renewal.pk).submission_due == date(2029, 3, 14)


# ---------------------------------------------------------------- the reminders


def test_an_approaching_submission_is_reminded_once_to_the_leitung(clock, draft, alice, centre, remind):
    second_leader = UserFactory(email="zweite.leitung@example.org")
    MembershipFactory(user=second_leader, role=MembershipRole.LEITUNG, site=centre.site_links.first().site)
    assert remind() == []  # due 14 March: 27 days ahead
    on(clock, date(2027, 2, 28))  # 14 days ahead
    (reminder,) = remind()
    assert (reminder.kind, reminder.due_date, reminder.stage) == (
        DeadlineKind.SUBMISSION,
        date(2027, 3, 14),
        DeadlineStatus.APPROACHING,
    )
    rows = reminder_rows()
    assert emails(rows) == [alice.email, second_leader.email]
    assert {row.kind for row in rows} == {NotificationKind.DEADLINE_APPROACHING}
    assert all(row.link == reverse("assessments:detail", args=[draft.pk]) for row in rows)
    (message,) = [message for message in mail.outbox if message.to == [alice.email]]
    assert "Frist naht: Einreichung für Familienzentrum Purzelbaum bis 14.03.2027" in message.subject
    assert "bis zum 14.03.2027 einzureichen" in message.body and "Es bleiben noch 14 Tage." in message.body
    # The next days: nothing new.
    for day in (date(2027, 2, 28), date(2027, 3, 1), date(2027, 3, 14)):
        on(clock, day)
        assert remind() == []
    assert len(reminder_rows()) == 2


def test_an_overdue_submission_is_reminded_once_more(clock, draft, alice, remind):
    on(clock, date(2027, 3, 1))
    remind()
    on(clock, date(2027, 3, 15))
    (reminder,) = remind()
    assert reminder.stage == DeadlineStatus.OVERDUE
    (row,) = reminder_rows(NotificationKind.DEADLINE_OVERDUE)
    assert row.recipient == alice
    assert "seit 1 Tag überschritten" in row.body
    on(clock, date(2027, 4, 15))
    assert remind() == []
    assert DeadlineReminder.objects.filter(assessment=draft).count() == 2


def test_a_task_that_first_runs_after_the_date_sends_only_the_overdue_reminder(clock, draft, remind):
    on(clock, date(2027, 5, 1))
    (reminder,) = remind()
    assert reminder.stage == DeadlineStatus.OVERDUE
    assert len(reminder_rows()) == 1 and "seit 48 Tagen" in reminder_rows()[0].body


def test_the_review_is_reminded_to_the_reviewer_and_once_overdue_to_the_office_too(clock, reviewing, gabi, remind):
    on(clock, date(2027, 4, 1))  # due 12 April
    remind()
    assert emails(reminder_rows(NotificationKind.DEADLINE_APPROACHING)) == [gabi.email]
    row = reminder_rows()[0]
    assert row.link == reverse("assessments:review", args=[reviewing.pk])
    on(clock, date(2027, 4, 13))
    remind()
    assert emails(reminder_rows(NotificationKind.DEADLINE_OVERDUE)) == [gabi.email, OFFICE]
    overdue = reminder_rows(NotificationKind.DEADLINE_OVERDUE)[0]
    assert "bis zum 12.04.2027 abzuschließen" in overdue.body and "erhält diese Nachricht ebenfalls" in overdue.body
    on(clock, date(2027, 4, 20))
    assert remind() == []


def test_an_unassigned_review_is_the_offices_and_a_recommended_one_the_second_reviewers(
    clock, submitted, remind, other_centre
):
    on(clock, date(2027, 4, 1))
    remind()
    assert emails(reminder_rows()) == [OFFICE]
    from tests.factories import ReviewerFactory

    second = ReviewerFactory(user=UserFactory(email="zweite@example.org"), may_confirm=True).user
    set_dates(submitted, review_due=date(2027, 4, 5))
    Assessment.objects.filter(pk=submitted.pk).update(state=AssessmentState.RECOMMENDED, second_reviewer=second)
    Notification.objects.all().delete()
    remind()
    (row,) = reminder_rows()
    assert row.recipient == second
    assert row.link == reverse("assessments:decision", args=[submitted.pk])


def test_open_queries_are_reminded_to_the_leitung(clock, queried, alice, remind):
    queried.refresh_from_db()
    assert queried.queries_due == date(2027, 3, 15)
    on(clock, date(2027, 3, 5))
    remind()
    (row,) = reminder_rows()
    assert row.recipient == alice and row.link == reverse("assessments:queries", args=[queried.pk])
    assert "Rückfragen" in row.subject and "bis zum 15.03.2027 zu beantworten" in row.body


def test_a_moved_date_is_reminded_again_and_the_old_one_not(clock, draft, olga, alice, remind):
    on(clock, date(2027, 3, 1))
    remind()
    update_deadlines(
        user=olga, assessment_id=draft.pk, values={"submission_due": date(2027, 4, 30)}, loaded=dates_fingerprint(draft)
    )
    on(clock, date(2027, 3, 15))  # the old date has passed: no overdue reminder for it
    assert remind() == []
    on(clock, date(2027, 4, 16))
    (reminder,) = remind()
    assert (reminder.due_date, reminder.stage) == (date(2027, 4, 30), DeadlineStatus.APPROACHING)
    assert [(row.due_date, row.stage) for row in DeadlineReminder.objects.order_by("due_date")] == [
        (date(2027, 3, 14), DeadlineStatus.APPROACHING),
        (date(2027, 4, 30), DeadlineStatus.APPROACHING),
    ]


@pytest.mark.parametrize("state", [AssessmentState.WITHDRAWN, AssessmentState.CERTIFIED, AssessmentState.NOT_CERTIFIED])
def test_decided_and_withdrawn_cycles_get_no_reminder(clock, submitted, state, remind):
    Assessment.objects.filter(pk=submitted.pk).update(state=state)
    on(clock, date(2027, 6, 1))  # every date of the cycle has passed
    assert remind() == []
    assert reminder_rows() == [] and not DeadlineReminder.objects.exists()


def test_withdrawing_through_the_service_ends_the_reminders(clock, draft, alice, remind):
    services.withdraw(user=alice, assessment_id=draft.pk, reason="Wir hören auf.")
    on(clock, date(2027, 3, 20))
    assert remind() == []


def test_two_overlapping_runs_send_each_reminder_once(clock, draft, remind):
    """The second run picked its candidates before the first one wrote its row:
    the unique row refuses it and nothing more is sent."""
    on(clock, date(2027, 3, 1))
    late = list(reminder_candidates(TODAY + timedelta(days=14)))
    assert [assessment.pk for assessment in late] == [draft.pk]
    (first,) = remind()
    (candidate,) = late
    assert send_deadline_reminder(candidate, candidate.deadline_kind, candidate.deadline, date(2027, 3, 1)) is None
    assert DeadlineReminder.objects.count() == 1 and len(reminder_rows()) == 1


def test_the_daily_task_is_scheduled_and_runs_the_job(clock, draft, django_capture_on_commit_callbacks):
    from assessments.tasks import remind_deadlines

    entry = next(
        item for item in settings.CELERY_BEAT_SCHEDULE.values() if item["task"] == "assessments.remind_deadlines"
    )
    assert entry["schedule"].hour == {7}
    on(clock, date(2027, 3, 1))
    with django_capture_on_commit_callbacks(execute=True):
        assert remind_deadlines.apply().get() == 1
    assert len(reminder_rows()) == 1


def _drafts_due(count: int, due: date, catalogue, creator) -> None:
    for _number in range(count):
        centre = FamilienzentrumFactory()
        leader = UserFactory()
        MembershipFactory(user=leader, role=MembershipRole.LEITUNG, site=centre.site_links.first().site)
        Assessment.objects.create(
            familienzentrum=centre,
            catalogue=catalogue,
            kind=AssessmentKind.FIRST,
            review_period_start=date(2026, 8, 1),
            review_period_end=date(2027, 1, 31),
            created_by=creator,
            submission_due=due,
        )


def test_the_jobs_queries_grow_with_the_reminders_sent_not_with_the_cycles(mini_catalogue, olga, remind):
    # Cycles with nothing due cost nothing: the selection is one query.
    _drafts_due(3, date(2027, 9, 1), mini_catalogue, olga)
    with CaptureQueriesContext(connection) as idle:
        assert remind() == []
    assert len(idle) == 1
    counts = []
    for size in (2, 4):
        # The cycles reminded before are left out by the same query.
        _drafts_due(size, date(2027, 2, 20), mini_catalogue, olga)
        with CaptureQueriesContext(connection) as captured:
            assert len(remind()) == size
        counts.append(len(captured))
    per_reminder = (counts[1] - counts[0]) // 2
    assert counts[1] - counts[0] == 2 * per_reminder
    # The selection and its prefetch, then a fixed cost per reminder (its row,
    # its message, the worker's eager mailing).
    assert counts[0] == 2 + 2 * per_reminder
    assert per_reminder <= 15


# ---------------------------------------------------------------- the office moves the dates


def test_the_office_moves_dates_and_the_timeline_says_so(draft, olga):
    changes = update_deadlines(
        user=olga,
        assessment_id=draft.pk,
        values={"submission_due": date(2027, 3, 31), "visit_window_start": None, "visit_window_end": None},
        loaded=dates_fingerprint(draft),
    )
    assert [(change.field, change.before, change.after) for change in changes] == [
        ("submission_due", date(2027, 3, 14), date(2027, 3, 31))
    ]
    assert Assessment.objects.get(pk=draft.pk).submission_due == date(2027, 3, 31)
    event = AssessmentEvent.objects.get(assessment=draft, action=EventAction.DEADLINES_CHANGED)
    assert event.actor == olga and event.note == "einzureichen bis: 14.03.2027 → 31.03.2027"


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"visit_window_start": date(2027, 4, 2), "visit_window_end": date(2027, 4, 1)}, "visit_window_end"),
        ({"visit_window_start": date(2027, 4, 2)}, "visit_window_end"),
        ({"visit_window_end": date(2027, 4, 2)}, "visit_window_start"),
        ({"review_due": date(2027, 2, 14)}, "review_due"),  # before the cycle started (15 February)
        ({"submission_due": None}, "submission_due"),  # the date due now
    ],
)
def test_the_service_refuses_bad_dates_and_changes_nothing(draft, olga, values, field):
    before = dates_fingerprint(draft)
    with pytest.raises(ValidationError) as refused:
        update_deadlines(user=olga, assessment_id=draft.pk, values=values, loaded=before)
    assert field in refused.value.message_dict
    assert dates_fingerprint(Assessment.objects.get(pk=draft.pk)) == before
    assert not AssessmentEvent.objects.filter(action=EventAction.DEADLINES_CHANGED).exists()


def test_a_date_left_as_it_was_is_not_judged_again(submitted, olga):
    # A cycle from before the dates existed may carry one before its start.
    set_dates(submitted, visit_window_start=date(2027, 1, 10))
    update_deadlines(
        user=olga,
        assessment_id=submitted.pk,
        values={"review_due": date(2027, 4, 30)},
        loaded=dates_fingerprint(submitted),
    )
    assert Assessment.objects.get(pk=submitted.pk).review_due == date(2027, 4, 30)


def test_a_stale_form_is_refused(draft, olga):
    loaded = dates_fingerprint(draft)
    update_deadlines(user=olga, assessment_id=draft.pk, values={"submission_due": date(2027, 3, 20)}, loaded=loaded)
    before = everything()
    with pytest.raises(DeadlinesConflict):
        update_deadlines(user=olga, assessment_id=draft.pk, values={"submission_due": date(2027, 3, 25)}, loaded=loaded)
    assert Assessment.objects.get(pk=draft.pk).submission_due == date(2027, 3, 20)
    # No other date moved, no LogEntry, no reminder rescheduled, nobody told.
    assert everything() == before


def test_only_the_office_moves_dates_and_only_of_open_cycles(draft, alice, olga):
    loaded = dates_fingerprint(draft)
    before = everything()
    with pytest.raises(services.TransitionRefused):
        update_deadlines(user=alice, assessment_id=draft.pk, values={"submission_due": date(2027, 5, 1)}, loaded=loaded)
    assert everything() == before
    Assessment.objects.filter(pk=draft.pk).update(state=AssessmentState.WITHDRAWN)
    before = everything()
    with pytest.raises(services.TransitionRefused):
        update_deadlines(user=olga, assessment_id=draft.pk, values={"submission_due": date(2027, 5, 1)}, loaded=loaded)
    assert Assessment.objects.get(pk=draft.pk).submission_due == date(2027, 3, 14)
    assert everything() == before


# ---------------------------------------------------------------- the form over HTTP


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("olga", 200),
        ("alice", 403),
        ("tina", 403),
        ("gabi", 403),
        ("zeno", 403),
        ("bob", 404),
        ("tom", 404),
        ("paula", 404),
        ("rita", 404),
        ("anonymous", 302),
    ],
)
def test_permission_table(client, request, reviewing, who, expected):
    url = reverse("assessments:deadlines", args=[reviewing.pk])
    if who != "anonymous":
        client.force_login(request.getfixturevalue(who))
    before = dates_fingerprint(reviewing)
    assert client.get(url).status_code == expected
    response = client.post(url, {"review_due": "2027-05-01", "loaded": before})
    assert response.status_code == (302 if who == "olga" else expected)
    changed = Assessment.objects.get(pk=reviewing.pk).review_due == date(2027, 5, 1)
    assert changed == (who == "olga")


def form_data(assessment, **overrides) -> dict:
    data = {name: (getattr(assessment, name) or "") for name in DATE_FIELDS}
    data = {name: value.isoformat() if value else "" for name, value in data.items()}
    data["loaded"] = dates_fingerprint(assessment)
    return {**data, **overrides}


def test_the_form_saves_and_the_detail_page_shows_the_dates(client, olga, submitted):
    client.force_login(olga)
    url = reverse("assessments:deadlines", args=[submitted.pk])
    page = client.get(url).content.decode()
    assert 'value="2027-04-12"' in page and "Prüfjahr 2026" in page
    response = client.post(url, form_data(submitted, review_due="20.04.2027"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("assessments:detail", args=[submitted.pk])
    body = response.content.decode()
    assert "Die Fristen sind gespeichert." in body
    assert 'data-deadline="review_due"' in body and "20.04.2027" in body and "Fristen ändern" in body
    assert Assessment.objects.get(pk=submitted.pk).review_due == date(2027, 4, 20)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"visit_window_start": "2027-04-10", "visit_window_end": "2027-04-01"}, "endet vor seinem Beginn"),
        ({"review_due": "2027-02-01"}, "vor dem Beginn des Verfahrens am 15.02.2027"),
        ({"review_due": "31.02.2027"}, "gültiges Datum"),
        ({"review_due": "morgen"}, "gültiges Datum"),
        ({"review_due": ""}, "kann nur verschoben werden"),
        ({"visit_window_end": ""}, "mit Anfang und Ende"),
        ({"loaded": ""}, "inzwischen geändert"),
        ({"loaded": "x" * 500}, "inzwischen geändert"),
    ],
)
def test_bad_input_answers_on_the_form_and_changes_nothing(client, olga, submitted, overrides, message):
    client.force_login(olga)
    before = dates_fingerprint(submitted)
    response = client.post(reverse("assessments:deadlines", args=[submitted.pk]), form_data(submitted, **overrides))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert dates_fingerprint(Assessment.objects.get(pk=submitted.pk)) == before


def test_a_stale_form_shows_the_current_dates(client, olga, submitted):
    client.force_login(olga)
    stale = form_data(submitted, review_due="2027-05-01")
    update_deadlines(
        user=olga, assessment_id=submitted.pk, values={"review_due": date(2027, 4, 30)}, loaded=stale["loaded"]
    )
    response = client.post(reverse("assessments:deadlines", args=[submitted.pk]), stale)
    body = response.content.decode()
    assert response.status_code == 200 and "inzwischen geändert" in body and 'value="2027-04-30"' in body
    assert Assessment.objects.get(pk=submitted.pk).review_due == date(2027, 4, 30)


def test_overdue_is_marked_in_words_on_the_detail_page_and_the_workspace(client, clock, alice, gabi, reviewing):
    on(clock, date(2027, 4, 15))  # review due 12 April
    client.force_login(alice)
    body = client.get(reverse("assessments:detail", args=[reviewing.pk])).content.decode()
    assert "überschritten seit 3 Tagen" in body and "Fristen ändern" not in body
    client.force_login(gabi)
    body = client.get(reverse("assessments:review", args=[reviewing.pk])).content.decode()
    assert 'data-deadline-status="overdue"' in body and "überschritten seit 3 Tagen" in body
    on(clock, date(2027, 4, 2))
    body = client.get(reverse("assessments:review", args=[reviewing.pk])).content.decode()
    assert "fällig in 10 Tagen" in body


@pytest.mark.django_db(transaction=True)
def test_two_truly_concurrent_runs_send_once(clock, draft, monkeypatch):
    """Two runs of the job at the same moment on PostgreSQL: both select the
    cycle, both try to insert its reminder; the unique index makes the second
    wait for the first and then refuse it."""
    import threading

    from django.db import connections

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serialises the writers itself")
    on(clock, date(2027, 3, 1))
    both_selected = threading.Barrier(2, timeout=20)
    choose = deadline_services.reminder_recipients

    def recipients_after_both_selected(*args, **kwargs):
        both_selected.wait()
        return choose(*args, **kwargs)

    monkeypatch.setattr(deadline_services, "reminder_recipients", recipients_after_both_selected)
    results, errors = [], []

    def run():
        try:
            results.append(len(send_due_deadline_reminders(date(2027, 3, 1))))
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _number in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert sorted(results) == [0, 1]
    assert DeadlineReminder.objects.count() == 1 and len(reminder_rows()) == 1
