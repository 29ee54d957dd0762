"""Reads for assigning reviewers: each pool member's workload (open reviews,
open confirmations, site visits planned) and, for one assessment, what
speaks against a person before the office chooses. Each function reads all
reviewers in a fixed number of queries (grouped counts), never one per reviewer."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import BooleanField, Count, Exists, ExpressionWrapper, F, OuterRef, Q, QuerySet, Value
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from assessments.models import Assessment, AssessmentState, SiteVisit
from certification.selectors import reviewer_pool, users_tied_to_traeger

# Assigned and not decided: the states in which a review still asks for work.
OPEN_REVIEW_STATES = [AssessmentState.IN_REVIEW, AssessmentState.CHANGES_REQUESTED, AssessmentState.RECOMMENDED]


def _workload_counts() -> dict[str, tuple[QuerySet, str]]:
    """Per reviewer id: open reviews, open confirmations and visits planned,
    each a count grouped by the reviewer's id (`key`) over the whole table
    (one scan each), not one correlated subquery per reviewer: at 3,300
    centres the latter scanned the visits once per pool member."""
    open_cycles = Assessment.objects.filter(state__in=OPEN_REVIEW_STATES)
    # Planned: not done and still ahead, of a review that is still open.
    planned = SiteVisit.objects.filter(
        assessment__state__in=OPEN_REVIEW_STATES, done_at__isnull=True, scheduled_for__gte=timezone.now()
    )
    return {
        "open_reviews": (open_cycles.filter(reviewer__isnull=False), "reviewer_id"),
        "open_confirmations": (open_cycles.filter(second_reviewer__isnull=False), "second_reviewer_id"),
        "planned_visits": (planned, "assessment__reviewer_id"),
    }


def _workloads(*, at_once: bool = False) -> dict[str, dict[int, int]]:
    """The counts of _workload_counts, each its own query; `at_once` all in
    one (UNION ALL, each row tagged with its count's place), for a page that
    lists the pool on every visit (the office's queue)."""
    counts = _workload_counts()
    grouped = [
        queryset.order_by().values(key).annotate(what=Value(place), n=Count("pk")).values_list(key, "what", "n")
        for place, (queryset, key) in enumerate(counts.values())
    ]
    names = list(counts)
    result: dict[str, dict[int, int]] = {name: {} for name in names}
    rows = grouped[0].union(*grouped[1:], all=True) if at_once else (row for part in grouped for row in part)
    for person, place, number in rows:
        result[names[place]][person] = number
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


def _labelled(users, *, at_once: bool = False) -> list:
    users = list(users)
    workloads = _workloads(at_once=at_once)
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
    `workload_label` ("Name – 12 offen, 2 Begehungen"). Four queries."""
    return _labelled(_with_workload(reviewer_pool(confirmers=confirmers)))


def reviewers_for_queue() -> tuple[list, list]:
    """For the office's queue: everyone in the reviewer pool, also those who
    left it (what its reviewer filter offers, as assessments.filters.reviewers
    lists them), and the active pool with the workload as
    reviewers_with_workload gives it (its bulk assignment's choice). One read
    of the pool serves both, and the workloads are counted in one query: two
    queries in all."""
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
    return everyone, _labelled((user for user in everyone if user.in_pool), at_once=True)


def reviewers_for_assessment(assessment: Assessment) -> list:
    """Every active pool member with the workload and, for `assessment`,
    the flags the assign page shows before choosing:
    `tied` (staff of the centre's Träger or Leitung of one of its sites: a
    conflict, never offered), `reviewed_before` (reviewed an earlier cycle of
    this centre: a hint only, see the assign page) and `is_assigned` /
    `is_second` (already named on it). Four queries."""
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
