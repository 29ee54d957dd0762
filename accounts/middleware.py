from __future__ import annotations

from urllib.parse import urlencode

from django.shortcuts import redirect
from django.urls import reverse
from django_htmx.http import HttpResponseClientRedirect

from accounts.services import confirmed_device, two_factor_required

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
