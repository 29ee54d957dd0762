"""The timeline in the reader's language (see assessments.history.event_note)."""

from __future__ import annotations

from django import template

from assessments.history import event_note as _event_note

register = template.Library()


@register.filter
def event_note(event) -> str:
    return _event_note(event)
