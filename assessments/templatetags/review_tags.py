"""Small helpers of the review templates, and the review panel that the
assessment's detail page includes. The panel only shows links; every view
behind them checks access itself."""

from __future__ import annotations

from datetime import date

from django import template
from django.utils.translation import gettext as _

from assessments import rules
from assessments.models import AssessmentState, ItemStatus, SiteVisit, Verdict
from certification.rules import is_office
from certification.selectors import current_seal_by_centre

register = template.Library()


@register.filter
def item_status_label(status: str) -> str:
    return ItemStatus(status).label if status in ItemStatus.values else _("offen")


@register.filter
def verdict_label(verdict: str) -> str:
    return Verdict(verdict).label if verdict in Verdict.values else _("noch offen")


@register.filter
def isodate(value):
    """A date stored as ISO text in a snapshot, as a date for |date."""
    if not value:
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


@register.filter
def site_name(site_id, names: dict) -> str:
    return names.get(site_id, str(site_id))


@register.inclusion_tag("assessments/review/_panel.html", takes_context=True)
def review_panel(context, assessment):
    """Review status, the site visit, the seal, and the next step for the
    person looking: office, reviewer, second reviewer or the centre."""
    user = context["request"].user
    is_centre = rules.is_leitung_of(user, assessment) or rules.is_traeger_of(user, assessment)
    office = is_office(user)
    visit = SiteVisit.objects.filter(assessment=assessment).prefetch_related("sites").first()
    seal = None
    if is_centre or office:
        seal = assessment.seal or current_seal_by_centre([assessment.familienzentrum_id]).get(
            assessment.familienzentrum_id
        )
    state = assessment.state
    return {
        "request": context["request"],
        "assessment": assessment,
        "visit": visit,
        "seal": seal,
        "is_office": office,
        "is_reviewer": rules.is_assigned_reviewer(user, assessment),
        "is_second": rules.is_second_reviewer(user, assessment),
        "is_recommender": assessment.recommended_by_id == user.pk,
        "can_edit": user.has_perm("assessments.edit_assessment", assessment),
        "is_centre": is_centre,
        "submitted": state not in (AssessmentState.DRAFT,),
        "state": state,
        "States": AssessmentState,
    }
