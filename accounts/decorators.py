"""View decorators of the accounts app."""

from __future__ import annotations

from datetime import timedelta
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect, resolve_url
from django.urls import reverse
from django.utils.translation import gettext as _
from django_htmx.http import HttpResponseClientRedirect

from accounts import services


def _max_age_seconds(max_age) -> float:
    if max_age is None:
        # Read per request, so that override_settings works.
        return settings.SECOND_FACTOR_MAX_AGE_HOURS * 3600
    if isinstance(max_age, timedelta):
        return max_age.total_seconds()
    return float(max_age)


def require_recent_second_factor(max_age: timedelta | int | None = None, *, back_to: str | None = None):
    """For weighty actions: users who sign in with a second factor must have
    given it within `max_age` (a timedelta or seconds; by default
    settings.SECOND_FACTOR_MAX_AGE_HOURS). If longer ago, the session's
    verification is dropped and the user goes to the code page, with next=
    back to this page; for a POST (which cannot be replayed) back to the URL
    named `back_to` (reversed with the view's arguments), or else to this
    path as a GET. Nothing of the action happens meanwhile. Users who need
    no second factor pass through.

    Sessions verified before the time was recorded count as verified at
    their first use here."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            user = request.user
            if not user.is_authenticated or not services.two_factor_required(user):
                return view(request, *args, **kwargs)
            verified = getattr(user, "is_verified", lambda: False)()
            if verified and services.SECOND_FACTOR_AT_SESSION_KEY not in request.session:
                services.record_second_factor_now(request)
            age = services.second_factor_age(request)
            if age is not None and age <= _max_age_seconds(max_age):
                return view(request, *args, **kwargs)

            services.forget_second_factor(request)
            if request.method == "GET":
                next_url = request.get_full_path()
            elif back_to:
                next_url = reverse(back_to, args=args, kwargs=kwargs)
            else:
                next_url = request.path
            messages.info(request, _("Für diese Entscheidung geben Sie bitte erneut einen Code aus der App ein."))
            url = f"{reverse('accounts:two_factor_verify')}?{urlencode({'next': next_url})}"
            if getattr(request, "htmx", False):
                return HttpResponseClientRedirect(url)
            return redirect(url)

        return wrapped

    return decorator


def post_only(landing):
    """Like Django's require_POST, except that a GET is sent on to a page
    instead of answered with 405. A GET reaches a POST-only URL mostly after
    a session ended: the POST went to the login page with ?next= naming this
    URL, and after signing in the browser GETs it. `landing` is a URL name
    without arguments (or a path), or a callable
    `landing(request, *args, **kwargs)` returning a URL; it may raise Http404
    like the view would. Other methods still get 405."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if request.method == "POST":
                return view(request, *args, **kwargs)
            if request.method in ("GET", "HEAD"):
                target = landing(request, *args, **kwargs) if callable(landing) else resolve_url(landing)
                return redirect(target)
            return HttpResponseNotAllowed(["POST"])

        wrapped.post_only_landing = landing
        return wrapped

    return decorator


def landing_at(name: str, *keep: str):
    """A `landing` for post_only: the URL named `name`, reversed with those
    of the view's keyword arguments named in `keep`
    (post_only(landing_at("assessments:review", "pk")))."""

    def landing(request, *args, **kwargs) -> str:
        return reverse(name, kwargs={key: kwargs[key] for key in keep})

    return landing
