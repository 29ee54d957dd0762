"""`{% csrf_token_slot %}`: the CSRF field of a form inside a fragment that
is rendered once and reused for other requests (`{% cache %}`). The
fragment keeps a placeholder; CsrfTokenSlotMiddleware puts the requesting
user's token there in every response. Outside such fragments use Django's
`{% csrf_token %}`."""

from __future__ import annotations

from django import template
from django.utils.html import format_html

register = template.Library()

# Never a valid token (tokens are letters and digits only), so a slot left
# unfilled is refused by the CSRF check instead of passing it.
CSRF_TOKEN_SLOT = "{csrf-token-slot}"


@register.simple_tag
def csrf_token_slot():
    return format_html('<input type="hidden" name="csrfmiddlewaretoken" value="{}">', CSRF_TOKEN_SLOT)
