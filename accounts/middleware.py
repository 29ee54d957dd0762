from __future__ import annotations

import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.middleware.csrf import get_token
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django_htmx.http import HttpResponseClientRedirect

from accounts.services import confirmed_device, two_factor_required
from accounts.templatetags.csrf_slot import CSRF_TOKEN_SLOT

# Pages a signed-in user reaches before the second factor: the two steps
# themselves, leaving, the language switch and the health page.
EXEMPT_VIEWS = {
    "accounts:two_factor_setup",
    "accounts:two_factor_verify",
    "accounts:logout",
    "accounts:login",
    "set_language",
    "health",
}


class TwoFactorMiddleware:
    """After the password, users who need a second factor (see
    accounts.services.two_factor_required) reach nothing but the exempt pages
    until they set up their authenticator app or enter a code from it.
    Must come after django_otp.middleware.OTPMiddleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = request.user
        if not user.is_authenticated:
            return None
        match = request.resolver_match
        if match is not None and match.view_name in EXEMPT_VIEWS:
            return None
        if getattr(user, "is_verified", lambda: False)():
            return None
        if not two_factor_required(user):
            return None
        target = "accounts:two_factor_verify" if confirmed_device(user) else "accounts:two_factor_setup"
        # After the code, a GET goes on to where it was headed; a POST cannot
        # be replayed, so it starts again from the start page.
        next_url = request.get_full_path() if request.method == "GET" else reverse("home")
        url = f"{reverse(target)}?{urlencode({'next': next_url})}"
        if getattr(request, "htmx", False):
            return HttpResponseClientRedirect(url)
        return redirect(url)


LAST_ACTIVITY_SESSION_KEY = "accounts_last_activity"
# The time of the last request is written at most this often (seconds), so
# that not every request saves the session.
ACTIVITY_RESOLUTION = 60


class IdleTimeoutMiddleware:
    """Reviewers and office staff (those who need a second factor, see
    accounts.services.two_factor_required) see data of many centres: after
    settings.SESSION_IDLE_TIMEOUT_MINUTES without a request their session ends
    and the next request goes to the login page with a message (htmx requests
    get HX-Redirect). Everybody else keeps the normal session age.
    0 switches the timeout off. Must come after the authentication, message
    and htmx middlewares."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        timeout = getattr(settings, "SESSION_IDLE_TIMEOUT_MINUTES", 0) * 60
        user = getattr(request, "user", None)
        watched = bool(timeout and user is not None and user.is_authenticated and two_factor_required(user))
        now = time.time()
        if watched:
            last = request.session.get(LAST_ACTIVITY_SESSION_KEY)
            if last is not None and now - float(last) > timeout:
                return self._expired(request)
        response = self.get_response(request)
        # After the view: a login in this request starts the clock, a logout ends it.
        user = getattr(request, "user", None)
        if timeout and user is not None and user.is_authenticated and two_factor_required(user):
            last = request.session.get(LAST_ACTIVITY_SESSION_KEY)
            if last is None or now - float(last) >= ACTIVITY_RESOLUTION:
                request.session[LAST_ACTIVITY_SESSION_KEY] = now
        return response

    def _expired(self, request):
        next_url = request.get_full_path() if request.method == "GET" else reverse("home")
        logout(request)
        messages.info(
            request,
            _("Ihre Sitzung ist abgelaufen (%(minutes)d Minuten ohne Aktivität). Bitte melden Sie sich erneut an.")
            % {"minutes": settings.SESSION_IDLE_TIMEOUT_MINUTES},
        )
        url = f"{reverse('accounts:login')}?{urlencode({'next': next_url})}"
        if getattr(request, "htmx", False):
            return HttpResponseClientRedirect(url)
        return redirect(url)


class CsrfTokenSlotMiddleware:
    """Fills the CSRF slots of reused page fragments (see
    accounts.templatetags.csrf_slot) with this request's token. Comes after
    CsrfViewMiddleware, so that the cookie for a token first asked for here
    is still set on the way out."""

    SLOT = CSRF_TOKEN_SLOT.encode()

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            not response.streaming
            and response.get("Content-Type", "").startswith("text/html")
            and self.SLOT in response.content
        ):
            response.content = response.content.replace(self.SLOT, get_token(request).encode())
        return response
