"""Reads for assigning reviewers: each pool member's workload (open reviews,
open confirmations, site visits planned) and, for one assessment, what
speaks against a person before the office chooses. Each function reads all
reviewers in a fixed number of queries (grouped counts), never one per reviewer."""

from __future__ import annotations

from django.db.models import BooleanField, Count, Exists, F, OuterRef, QuerySet, Value
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from assessments.models import Assessment, AssessmentState, SiteVisit
from certification.selectors import reviewer_pool, users_tied_to_traeger

# Assigned and not decided: the states in which a review still asks for work.
OPEN_REVIEW_STATES = [AssessmentState.IN_REVIEW, AssessmentState.CHANGES_REQUESTED, AssessmentState.RECOMMENDED]


def _counts_by(queryset: QuerySet, key: str) -> dict[int, int]:
    rows = queryset.order_by().values(key).annotate(n=Count("pk")).values_list(key, "n")
    return dict(rows)


def _workloads() -> dict[str, dict[int, int]]:
    """Per reviewer id: open reviews, open confirmations and visits planned.
    Three grouped counts over the whole table (one scan each), not one
    correlated subquery per reviewer: at 3,300 centres the latter scanned the
    visits once per pool member."""
    open_cycles = Assessment.objects.filter(state__in=OPEN_REVIEW_STATES)
    # Planned: not done and still ahead, of a review that is still open.
    planned = SiteVisit.objects.filter(
        assessment__state__in=OPEN_REVIEW_STATES, done_at__isnull=True, scheduled_for__gte=timezone.now()
    )
    return {
        "open_reviews": _counts_by(open_cycles.filter(reviewer__isnull=False), "reviewer_id"),
        "open_confirmations": _counts_by(open_cycles.filter(second_reviewer__isnull=False), "second_reviewer_id"),
        "planned_visits": _counts_by(planned, "assessment__reviewer_id"),
    }


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
    `workload_label` ("Name – 12 offen, 2 Begehungen"). Four queries."""
    return _labelled(_with_workload(reviewer_pool(confirmers=confirmers)))


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
