"""The seal's status as a partial: `{% seal_status seal %}`."""

from __future__ import annotations

from django import template
from django.utils import timezone

from certification.services import seal_state

register = template.Library()


@register.inclusion_tag("certification/_seal_status.html")
def seal_status(seal, compact: bool = False):
    """Number, validity and today's state of a seal; nothing for no seal.
    The state is computed from today, so an expired seal is never shown as valid."""
    if seal is None:
        return {"status": None, "compact": compact}
    return {"status": seal_state(seal, timezone.localdate()), "compact": compact}
