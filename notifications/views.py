"""The person's own notifications: the list, opening one, marking all read."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET

from accounts.decorators import post_only
from notifications import selectors, services
from notifications.models import is_local_path
from notifications.rules import get_notification_for_user

PAGE_SIZE = 20


@login_required
@require_GET
def notification_list(request):
    unread_only = request.GET.get("ungelesen") == "1"
    rows = selectors.notifications_for_user(request.user, unread_only=unread_only)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "notifications/list.html", {"page": page, "unread_only": unread_only})


@login_required
@require_GET
def notification_open(request, pk: int):
    """Mark read and go where the notification points. GET, because the
    link is followed from the list and from the e-mail; marking one's own
    notification read is harmless and happens once."""
    notification = get_notification_for_user(request.user, pk)
    services.notification_mark_read(notification)
    # The model refuses other links already; checked again because this is
    # a redirect, and an open redirect is never worth a second thought.
    if notification.link and is_local_path(notification.link):
        return redirect(notification.link)
    return redirect("notifications:list")


@login_required
@post_only("notifications:list")
def notification_mark_all_read(request):
    count = services.notifications_mark_all_read(request.user)
    if count:
        messages.success(
            request,
            ngettext(
                "%(count)d Benachrichtigung als gelesen markiert.",
                "%(count)d Benachrichtigungen als gelesen markiert.",
                count,
            )
            % {"count": count},
        )
    else:
        messages.info(request, _("Es gab keine ungelesenen Benachrichtigungen."))
    return redirect("notifications:list")
