"""The Fristen block of the assessment and review pages."""

from __future__ import annotations

from django import template
from django.utils import timezone

from assessments.deadlines import cycle_dates

register = template.Library()


@register.inclusion_tag("assessments/_deadlines.html", takes_context=True)
def deadlines_panel(context, assessment, visit=None):
    """The review year with its halves, the cycle's dates with the one due now
    marked overdue or approaching in words, and for the office the link to
    move them. `visit` (when the page has it) is checked against the window."""
    user = context["request"].user
    visit_day = timezone.localtime(visit.scheduled_for).date() if visit is not None and not visit.is_done else None
    return {
        "assessment": assessment,
        "dates": cycle_dates(assessment, timezone.localdate(), visit_day),
        "may_edit_deadlines": assessment.is_open and user.has_perm("assessments.edit_deadlines", assessment),
    }
