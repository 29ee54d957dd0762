"""Reads for assigning reviewers: each pool member's workload (open reviews,
open confirmations, site visits planned) and, for one assessment, what
speaks against a person before the office chooses. Each function reads all
reviewers in a fixed number of queries (grouped counts), never one per reviewer."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import (
    BigIntegerField,
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Value,
)
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from assessments.models import Assessment, AssessmentState, SiteVisit
from certification.selectors import reviewer_pool, users_tied_to_traeger

# Assigned and not decided: the states in which a review still asks for work.
OPEN_REVIEW_STATES = [AssessmentState.IN_REVIEW, AssessmentState.CHANGES_REQUESTED, AssessmentState.RECOMMENDED]


def _workload_rows() -> tuple[QuerySet, QuerySet]:
    """Two grouped counts over the whole table (one scan each), not one
    correlated subquery per reviewer (at 3,300 centres that scanned the
    visits once per pool member): the open reviews per pair of reviewer and
    second reviewer, which gives both the open reviews and the open
    confirmations of each person, and the visits planned per reviewer. Each
    row is (reviewer id, second reviewer id, what, number)."""
    cycles = (
        Assessment.objects.filter(state__in=OPEN_REVIEW_STATES)
        .exclude(reviewer__isnull=True, second_reviewer__isnull=True)
        .order_by()
        .values("reviewer_id", "second_reviewer_id")
        .annotate(what=Value(0), n=Count("pk"))
        .values_list("reviewer_id", "second_reviewer_id", "what", "n")
    )
    # Planned: not done and still ahead, of a review that is still open.
    visits = (
        SiteVisit.objects.filter(
            assessment__state__in=OPEN_REVIEW_STATES, done_at__isnull=True, scheduled_for__gte=timezone.now()
        )
        .order_by()
        .values("assessment__reviewer_id")
        .annotate(nobody=Value(None, output_field=BigIntegerField()), what=Value(1), n=Count("pk"))
        .values_list("assessment__reviewer_id", "nobody", "what", "n")
    )
    return cycles, visits


def _workloads() -> dict[str, dict[int, int]]:
    """Per person id: open reviews, open confirmations and visits planned (two queries)."""
    cycles, visits = _workload_rows()
    result: dict[str, dict[int, int]] = {"open_reviews": {}, "open_confirmations": {}, "planned_visits": {}}
    for person, second, what, number in [*cycles, *visits]:
        if what == 1:
            result["planned_visits"][person] = number
            continue
        if person is not None:
            result["open_reviews"][person] = result["open_reviews"].get(person, 0) + number
        if second is not None:
            result["open_confirmations"][second] = result["open_confirmations"].get(second, 0) + number
    return result


def _with_workload(queryset: QuerySet) -> QuerySet:
    return queryset.annotate(may_confirm=F("reviewer__may_confirm"))


def display_name(user) -> str:
    return user.full_name or user.email


def workload_text(user) -> str:
    """ "12 offen, 2 Begehungen" (and the confirmations when there are some)."""
    parts = [
        _("%(count)d offen") % {"count": user.open_reviews},
        ngettext("%(count)d Begehung", "%(count)d Begehungen", user.planned_visits) % {"count": user.planned_visits},
    ]
    if user.open_confirmations:
        parts.append(
            ngettext("%(count)d Bestätigung", "%(count)d Bestätigungen", user.open_confirmations)
            % {"count": user.open_confirmations}
        )
    return ", ".join(parts)


def _labelled(users) -> list:
    users = list(users)
    workloads = _workloads()
    for user in users:
        for name, counts in workloads.items():
            setattr(user, name, counts.get(user.pk, 0))
        user.workload = workload_text(user)
        user.workload_label = f"{display_name(user)} – {user.workload}"
    return users


def reviewers_with_workload(*, confirmers: bool = False) -> list:
    """The active pool (with `confirmers`, those who may confirm), each user
    with `open_reviews`, `open_confirmations`, `planned_visits`,
    `may_confirm`, `workload` ("12 offen, 2 Begehungen") and
    `workload_label` ("Name – 12 offen, 2 Begehungen"). Three queries."""
    return _labelled(_with_workload(reviewer_pool(confirmers=confirmers)))


def reviewers_for_queue() -> tuple[list, list]:
    """For the office's queue, in one query: everyone in the reviewer pool,
    also those who left it (what its reviewer filter offers, as
    assessments.filters.reviewers lists them), and the active pool (its bulk
    assignment's choice, by name; each person with `may_confirm`). The
    workloads are not counted here: the queue loads them into that choice
    after the page (views.assignment.reviewer_workloads), so the list is not
    kept waiting for counts over every open review."""
    everyone = list(
        get_user_model()
        .objects.filter(reviewer__isnull=False)
        .annotate(
            may_confirm=F("reviewer__may_confirm"),
            in_pool=ExpressionWrapper(Q(is_active=True, reviewer__is_active=True), output_field=BooleanField()),
        )
        .only("pk", "full_name", "email", "is_active")
        .order_by("full_name", "email")
    )
    return everyone, [user for user in everyone if user.in_pool]


def reviewers_for_assessment(assessment: Assessment) -> list:
    """Every active pool member with the workload and, for `assessment`,
    the flags the assign page shows before choosing:
    `tied` (staff of the centre's Träger or Leitung of one of its sites: a
    conflict, never offered), `reviewed_before` (reviewed an earlier cycle of
    this centre: a hint only, see the assign page) and `is_assigned` /
    `is_second` (already named on it). Three queries."""
    familienzentrum = assessment.familienzentrum
    earlier = Assessment.objects.filter(familienzentrum_id=familienzentrum.pk, reviewer_id=OuterRef("pk")).exclude(
        pk=assessment.pk
    )
    queryset = _with_workload(reviewer_pool()).annotate(
        tied=Exists(users_tied_to_traeger(familienzentrum.traeger_id).filter(user_id=OuterRef("pk"))),
        reviewed_before=Exists(earlier) if assessment.pk else Value(False, output_field=BooleanField()),
    )
    users = _labelled(queryset)
    for user in users:
        user.is_assigned = user.pk == assessment.reviewer_id
        user.is_second = user.pk == assessment.second_reviewer_id
        user.conflicts = [_("mit dem Träger verbunden")] if user.tied else []
        user.hints = [_("hat einen früheren Zyklus begutachtet")] if user.reviewed_before else []
    return users
