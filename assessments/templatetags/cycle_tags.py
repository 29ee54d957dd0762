"""Small helpers of the centre's checklist pages."""

from __future__ import annotations

from django import template

register = template.Library()


@register.simple_tag
def next_area(evaluation, area):
    """The area after `area` among those the assessment works on, or None
    after the last one (the page then leads to the readiness check)."""
    areas = evaluation.scope_areas
    for index, candidate in enumerate(areas):
        if candidate.pk == area.pk:
            return areas[index + 1] if index + 1 < len(areas) else None
    return None
