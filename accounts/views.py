from __future__ import annotations

from django.conf import settings
from django.shortcuts import render


def locked_out(request, original_response=None, credentials=None):
    """Shown instead of the login form while django-axes locks the account
    and address out; status 429 so that clients and monitors see throttling."""
    cooloff_minutes = round(settings.AXES_COOLOFF_TIME * 60)
    return render(request, "accounts/locked_out.html", {"cooloff_minutes": cooloff_minutes}, status=429)


def axes_username(request, credentials) -> str:
    """The name Axes counts failures under: the e-mail address lower-cased, so
    varying its capitals does not reset the count."""
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    return username.strip().lower()
