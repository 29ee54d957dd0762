"""Reads of the assessments app, scoped to the user who asks."""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet

from assessments.models import OPEN_STATES, Assessment, AssessmentEvent
from certification.models import FamilienzentrumSite
from certification.selectors import roles_for


def assessments_for_user(user) -> QuerySet[Assessment]:
    roles = roles_for(user)
    queryset = Assessment.objects.select_related("familienzentrum__traeger", "catalogue").prefetch_related(
        Prefetch("familienzentrum__site_links", queryset=FamilienzentrumSite.objects.select_related("site")),
        "profile_areas",
    )
    if roles.is_office:
        return queryset
    if not user.is_authenticated:
        return queryset.none()
    return queryset.filter(
        Q(familienzentrum__site_links__site_id__in=roles.leitung_site_ids)
        | Q(familienzentrum__traeger_id__in=roles.traeger_ids)
        | Q(reviewer=user)
        | Q(second_reviewer=user)
    ).distinct()


def open_assessment_of(familienzentrum) -> Assessment | None:
    return Assessment.objects.filter(familienzentrum=familienzentrum, state__in=OPEN_STATES).first()


def timeline(assessment: Assessment) -> QuerySet[AssessmentEvent]:
    return assessment.events.select_related("actor", "submission").order_by("created_at", "pk")
