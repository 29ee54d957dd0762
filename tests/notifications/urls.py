"""A request-like flow for the broker tests: a view that does what a
service's view does (an action in a transaction that notifies somebody)
and redirects. The project's own URLs stay available beside it."""

from __future__ import annotations

from django.http import HttpResponseRedirect
from django.urls import include, path
from django.views.decorators.http import require_POST

from tests.notifications.support import send_hello


@require_POST
def act_and_notify(request):
    send_hello([request.POST["email"]], note=request.POST.get("note", "Neuigkeit"))
    return HttpResponseRedirect("/")


urlpatterns = [
    path("test/act-and-notify/", act_and_notify),
    path("", include("config.urls")),
]
