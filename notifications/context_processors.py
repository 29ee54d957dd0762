from __future__ import annotations

import functools

from notifications import selectors


def bell(request) -> dict:
    """`notifications_unread` for the bell in the navigation.

    A callable, so the template engine calls it only where a page shows the
    bell (htmx partials and error pages cost nothing) and, cached, once per
    request however often the page asks. No query for anonymous visitors.
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    @functools.cache
    def unread() -> int:
        return selectors.unread_count(user)

    return {"notifications_unread": unread}
