"""The reviewer choice with each reviewer's workload, for any page that
assigns (the office's queue includes _bulk_assign_controls.html, which asks
this tag unless its view passes the options)."""

from __future__ import annotations

from django import template

from assessments.assignment_selectors import reviewers_with_workload
from assessments.queue_html import bulk_options_html

register = template.Library()


@register.simple_tag
def bulk_reviewer_options() -> dict:
    """`{% bulk_reviewer_options as bulk_options %}`: the active pool's
    options for both choices, each labelled with its workload (three queries)."""
    return bulk_options_html(reviewers_with_workload())
