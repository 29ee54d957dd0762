"""The rule book of the notifications app: a notification belongs to its
recipient; for everyone else it does not exist (404)."""

from __future__ import annotations

from django.shortcuts import get_object_or_404

from notifications.models import Notification
from notifications.selectors import notifications_for_user


def get_notification_for_user(user, pk: int) -> Notification:
    return get_object_or_404(notifications_for_user(user), pk=pk)
