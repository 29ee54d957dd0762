"""Catalogue texts in the reader's language: the English text where the
catalogue file gives one and English is chosen, otherwise the German one;
and an item's frequency in words."""

from __future__ import annotations

from django import template
from django.utils.translation import get_language

from certification.frequency import Frequency

register = template.Library()


@register.filter
def localized(obj, field: str) -> str:
    """`field` in the reader's language: a model's or a frozen payload's (a dict)."""
    read = obj.get if isinstance(obj, dict) else lambda name, default: getattr(obj, name, default)
    german = read(field, "") or ""
    if (get_language() or "").startswith("en"):
        return read(f"{field}_en", "") or german
    return german


@register.filter
def frequency_text(data: dict | None) -> str:
    """A CriterionItem.frequency in a few words ("wöchentlich"), "" without one."""
    frequency = Frequency.from_data(data)
    return frequency.describe() if frequency else ""
