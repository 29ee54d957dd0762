"""The cycle's dates: set by each step of the cycle, moved by the office,
and reminded once per date and stage by a daily task.

- set_step_dates() is called by the services of the cycle (start, submit,
  request changes, resubmit, plan the visit) on the locked assessment, inside
  their transaction: each step sets the dates it starts, with the defaults
  of assessments.deadlines. A date the office moved stands until the next
  step sets that date anew.
- update_deadlines() is the office's form: validated, refused when somebody
  else changed the dates since the form was loaded, recorded in the timeline.
- send_due_deadline_reminders() is the daily job: one message per
  (assessment, date, due date, stage), through the one message road.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Case, CharField, Exists, OuterRef, Value, When
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from assessments.deadlines import (
    APPROACHING_DAYS,
    FIELD_BY_KIND,
    KIND_BY_STATE,
    default_queries_due,
    default_review_due,
    default_submission_due,
    default_visit_window,
    due_or_approaching_q,
)
from assessments.exceptions import TransitionRefused
from assessments.models import (
    OPEN_STATES,
    Assessment,
    AssessmentState,
    DeadlineKind,
    DeadlineReminder,
    DeadlineStatus,
    EventAction,
)
from assessments.selectors import with_deadline
from assessments.services.common import lock_assessment, record_event
from certification.selectors import current_seal_by_centre, leader_emails
from notifications.models import NotificationKind
from notifications.services import notify

logger = logging.getLogger(__name__)

EMAIL = "assessments/email/"

# The dates the office may move, in the order the form shows them.
DATE_FIELDS = ("submission_due", "review_due", "queries_due", "visit_window_start", "visit_window_end")


class Step:
    """The steps of the cycle that set dates."""

    START = "start"
    SUBMIT = "submit"
    REQUEST_CHANGES = "request_changes"
    RESUBMIT = "resubmit"
    VISIT_PLANNED = "visit_planned"


class DeadlinesConflict(TransitionRefused):
    """The dates changed since the form was loaded; nothing was saved."""


# ---------------------------------------------------------------- the steps


def _previous_seal_until(assessment: Assessment) -> date | None:
    """The end of the seal a re-certification renews: the previous cycle's
    seal, else the centre's latest seal."""
    previous = assessment.previous
    if previous is not None and previous.seal_id is not None:
        return previous.seal.valid_until
    seal = current_seal_by_centre([assessment.familienzentrum_id]).get(assessment.familienzentrum_id)
    return seal.valid_until if seal is not None else None


def _submitted_on(assessment: Assessment) -> date:
    return timezone.localdate(assessment.submitted_at) if assessment.submitted_at else timezone.localdate()


def set_step_dates(assessment: Assessment, step: str) -> list[str]:
    """Set the dates `step` starts on the (locked) assessment and save them;
    returns the fields changed. Runs inside the step's transaction."""
    changed: dict[str, date | None] = {}
    if step == Step.START:
        changed["submission_due"] = default_submission_due(assessment, _previous_seal_until(assessment))
    elif step in (Step.SUBMIT, Step.RESUBMIT):
        # The review runs from the latest submission; the visit window with it.
        submitted_on = _submitted_on(assessment)
        review_due = default_review_due(submitted_on)
        window = default_visit_window(submitted_on, review_due)
        changed["review_due"] = review_due
        # A resubmission keeps the window's start (the visit may be planned
        # already) and moves its end with the review.
        start = window.start if step == Step.SUBMIT or assessment.visit_window_start is None else None
        start = start or assessment.visit_window_start
        changed["visit_window_start"] = start
        changed["visit_window_end"] = max(window.end, start)
    elif step == Step.REQUEST_CHANGES:
        changed["queries_due"] = default_queries_due(timezone.localdate())
    elif step == Step.VISIT_PLANNED:
        # The window is the office's: planning a visit only fills a window
        # that is missing (a cycle from before the dates existed). A visit
        # outside the window is shown as such, not refused.
        if assessment.visit_window_start is None or assessment.visit_window_end is None:
            review_due = assessment.review_due or default_review_due(_submitted_on(assessment))
            window = default_visit_window(_submitted_on(assessment), review_due)
            changed["visit_window_start"] = assessment.visit_window_start or window.start
            changed["visit_window_end"] = assessment.visit_window_end or window.end
    else:
        raise ValueError(f"unknown step {step!r}")
    fields = [name for name, value in changed.items() if getattr(assessment, name) != value]
    for name in fields:
        setattr(assessment, name, changed[name])
    if fields:
        Assessment.objects.filter(pk=assessment.pk).update(**{name: changed[name] for name in fields})
    return fields


# ---------------------------------------------------------------- the office moves them


def dates_fingerprint(assessment: Assessment) -> str:
    """The dates as the form loaded them; a different fingerprint at saving
    time means somebody else moved a date meanwhile."""
    return "|".join((getattr(assessment, name) or date.min).isoformat() for name in DATE_FIELDS)


@dataclass(frozen=True)
class DateChange:
    field: str
    before: date | None
    after: date | None

    @property
    def label(self) -> str:
        return str(Assessment._meta.get_field(self.field).verbose_name)

    def describe(self) -> str:
        def show(day):
            return day.strftime("%d.%m.%Y") if day else "–"

        return f"{self.label}: {show(self.before)} → {show(self.after)}"


def validate_dates(assessment: Assessment, values: dict[str, date | None]) -> None:
    """The office's dates: none moved to before the cycle started (a date
    left as it was is not judged again); the visit window ordered and given
    at both ends or not at all; the date due now moved, not removed. Raises
    ValidationError with a message per field."""
    errors: dict[str, list[str]] = {}
    started = timezone.localdate(assessment.created_at)
    for name in DATE_FIELDS:
        value = values.get(name)
        if value is not None and value != getattr(assessment, name) and value < started:
            errors.setdefault(name, []).append(
                _("Das Datum liegt vor dem Beginn des Verfahrens am %(day)s.") % {"day": started.strftime("%d.%m.%Y")}
            )
    window_start, window_end = values.get("visit_window_start"), values.get("visit_window_end")
    if (window_start is None) != (window_end is None):
        missing = "visit_window_end" if window_end is None else "visit_window_start"
        errors.setdefault(missing, []).append(_("Geben Sie das Zeitfenster der Begehung mit Anfang und Ende an."))
    elif window_start is not None and window_start > window_end:
        errors.setdefault("visit_window_end", []).append(_("Das Zeitfenster der Begehung endet vor seinem Beginn."))
    # The date due now cannot simply be removed: the queues and reminders need it.
    current = KIND_BY_STATE.get(assessment.state)
    if current is not None:
        name = FIELD_BY_KIND[current]
        if values.get(name) is None and getattr(assessment, name) is not None:
            errors.setdefault(name, []).append(_("Diese Frist gilt gerade und kann nur verschoben werden."))
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def update_deadlines(*, user, assessment_id: int, values: dict[str, date | None], loaded: str) -> list[DateChange]:
    """The office moves dates of an open cycle. `loaded` is the fingerprint
    of the dates the form showed (dates_fingerprint); when they changed
    since, nothing is saved (DeadlinesConflict). Returns what changed."""
    # The row lock makes a second office user's save wait for this one and
    # then meet the new fingerprint.
    assessment = lock_assessment(assessment_id)
    if not user.has_perm("assessments.edit_deadlines", assessment):
        raise TransitionRefused(_("Fristen ändert die Zertifizierungsstelle."))
    if not assessment.is_open:
        raise TransitionRefused(
            _("Das Verfahren ist %(state)s; seine Fristen lassen sich nicht mehr ändern.")
            % {"state": assessment.get_state_display()}
        )
    if dates_fingerprint(assessment) != loaded:
        raise DeadlinesConflict(
            _("Die Fristen wurden inzwischen geändert. Bitte prüfen Sie die aktuellen Werte und speichern Sie erneut.")
        )
    unknown = set(values) - set(DATE_FIELDS)
    if unknown:
        raise ValueError(f"not a deadline field: {sorted(unknown)}")
    merged = {name: values.get(name, getattr(assessment, name)) for name in DATE_FIELDS}
    validate_dates(assessment, merged)
    changes = [
        DateChange(name, getattr(assessment, name), merged[name])
        for name in DATE_FIELDS
        if getattr(assessment, name) != merged[name]
    ]
    if not changes:
        return []
    Assessment.objects.filter(pk=assessment.pk).update(**{change.field: change.after for change in changes})
    record_event(
        assessment,
        user,
        EventAction.DEADLINES_CHANGED,
        assessment.state,
        assessment.state,
        note="; ".join(change.describe() for change in changes),
    )
    return changes


# ---------------------------------------------------------------- reminders


def _stage(due: date, today: date) -> str:
    return DeadlineStatus.OVERDUE if due < today else DeadlineStatus.APPROACHING


def reminder_candidates(today: date):
    """Open cycles whose current date is overdue or approaching and not yet
    reminded at its stage: one query, however many cycles there are."""
    queryset = with_deadline(Assessment.objects.filter(state__in=OPEN_STATES)).filter(
        due_or_approaching_q(today), deadline__isnull=False
    )
    queryset = queryset.annotate(
        deadline_kind=Case(
            *[When(state=state, then=Value(str(kind))) for state, kind in KIND_BY_STATE.items()],
            output_field=CharField(),
        ),
        deadline_stage=Case(
            When(deadline__lt=today, then=Value(str(DeadlineStatus.OVERDUE))),
            default=Value(str(DeadlineStatus.APPROACHING)),
            output_field=CharField(),
        ),
    )
    already = DeadlineReminder.objects.filter(
        assessment=OuterRef("pk"),
        kind=OuterRef("deadline_kind"),
        due_date=OuterRef("deadline"),
        stage=OuterRef("deadline_stage"),
    )
    return (
        queryset.exclude(Exists(already))
        .select_related("familienzentrum", "reviewer", "second_reviewer")
        .prefetch_related("familienzentrum__site_links")
        .order_by("deadline", "pk")
    )


def reminder_recipients(assessment: Assessment, kind: str, stage: str) -> list:
    """Who is reminded of what: the centre's Leitung(s) of the submission and
    of the answers to queries; of the review the person holding it (the
    reviewer, the second reviewer once recommended, the office while nobody
    is assigned), and the office too once it is overdue."""
    if kind in (DeadlineKind.SUBMISSION, DeadlineKind.QUERIES):
        return leader_emails(assessment.familienzentrum)
    office = [settings.OFFICE_EMAIL]
    if assessment.state == AssessmentState.RECOMMENDED:
        holder = assessment.second_reviewer
    else:
        holder = assessment.reviewer
    people = [holder] if holder is not None else office
    if stage == DeadlineStatus.OVERDUE:
        people += office
    return people


def _link(assessment: Assessment, kind: str) -> str:
    if kind == DeadlineKind.SUBMISSION:
        return reverse("assessments:detail", args=[assessment.pk])
    if kind == DeadlineKind.QUERIES:
        return reverse("assessments:queries", args=[assessment.pk])
    if assessment.state == AssessmentState.RECOMMENDED:
        return reverse("assessments:decision", args=[assessment.pk])
    return reverse("assessments:review", args=[assessment.pk])


def send_deadline_reminder(assessment: Assessment, kind: str, due: date, today: date) -> DeadlineReminder | None:
    """Reserve the reminder row and write its messages in one transaction.
    When another run holds or has the row, the insert fails, the savepoint
    rolls back and nothing is sent: each (date, stage) goes out once."""
    stage = _stage(due, today)
    recipients = reminder_recipients(assessment, kind, stage)
    if not recipients:
        logger.warning("Assessment %s: nobody to remind of %s due %s", assessment.pk, kind, due)
        return None
    addresses = sorted({person if isinstance(person, str) else person.email for person in recipients})
    try:
        with transaction.atomic():
            reminder = DeadlineReminder.objects.create(
                assessment=assessment,
                kind=kind,
                due_date=due,
                stage=stage,
                sent_at=timezone.now(),
                recipients=", ".join(addresses),
            )
            overdue = stage == DeadlineStatus.OVERDUE
            template = "deadline_overdue" if overdue else "deadline_approaching"
            notify(
                kind=NotificationKind.DEADLINE_OVERDUE if overdue else NotificationKind.DEADLINE_APPROACHING,
                recipients=recipients,
                subject_template=f"{EMAIL}{template}_subject.txt",
                body_template=f"{EMAIL}{template}.txt",
                context={
                    "assessment": assessment,
                    "centre": assessment.familienzentrum,
                    "kind": kind,
                    "kind_label": DeadlineKind(kind).label,
                    "due": due,
                    "days": abs((due - today).days),
                    "Kinds": DeadlineKind,
                },
                link=_link(assessment, kind),
            )
    except IntegrityError:
        return None
    return reminder


def send_due_deadline_reminders(today: date | None = None) -> list[DeadlineReminder]:
    """The daily job: every open cycle whose current date is overdue or within
    APPROACHING_DAYS, and not yet reminded at that stage, gets its message.
    Decided and withdrawn cycles have no current date and get none."""
    today = today or timezone.localdate()
    sent = []
    for assessment in reminder_candidates(today):
        reminder = send_deadline_reminder(assessment, assessment.deadline_kind, assessment.deadline, today)
        if reminder is not None:
            sent.append(reminder)
    logger.info("Deadline reminders on %s (within %d days): %d sent", today, APPROACHING_DAYS, len(sent))
    return sent
