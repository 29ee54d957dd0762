"""Reads of the notifications app, scoped to the person asking."""

from __future__ import annotations

from django.db.models import QuerySet

from notifications.models import Notification


def notifications_for_user(user, *, unread_only: bool = False) -> QuerySet[Notification]:
    """The person's own rows, newest first (the list page)."""
    if not user.is_authenticated:
        return Notification.objects.none()
    rows = Notification.objects.filter(recipient=user)
    if unread_only:
        rows = rows.filter(read_at__isnull=True)
    # defer: the list shows subject and body, never the attachment.
    return rows.defer("attachment_content").order_by("-created_at", "-pk")


def unread_count(user) -> int:
    """The bell's number: one COUNT over the partial unread index."""
    if not user.is_authenticated:
        return 0
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()
