"""Catalogue texts in the reader's language: the English text where the
catalogue file gives one and English is chosen, otherwise the German one."""

from __future__ import annotations

from django import template
from django.utils.translation import get_language

register = template.Library()


@register.filter
def localized(obj, field: str) -> str:
    german = getattr(obj, field, "") or ""
    if (get_language() or "").startswith("en"):
        return getattr(obj, f"{field}_en", "") or german
    return german
