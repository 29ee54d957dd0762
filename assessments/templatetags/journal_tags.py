"""The line a journal entry taken over as evidence is shown as, from its
frozen data (assessments.journal_evidence.journal_line)."""

from __future__ import annotations

from django import template

from assessments.journal_evidence import journal_line as _journal_line

register = template.Library()


@register.filter
def journal_line(item: dict) -> str:
    return _journal_line(item) if isinstance(item, dict) else ""
