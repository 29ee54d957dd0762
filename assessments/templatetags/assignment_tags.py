"""The reviewer choice with each reviewer's workload, for any page that
assigns (the office's queue includes _bulk_assign_controls.html, which asks
this tag: the queue's view needs to know nothing about it)."""

from __future__ import annotations

from django import template

from assessments.assignment_selectors import reviewers_with_workload as _reviewers_with_workload

register = template.Library()


@register.simple_tag
def reviewers_with_workload() -> list:
    """`{% reviewers_with_workload as reviewers %}`: the active pool, each
    with `workload_label` and `may_confirm` (one query)."""
    return _reviewers_with_workload()
