from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from accounts import services, throttle
from accounts.forms import TokenForm
from accounts.login_throttle import is_address_locked, window_minutes
from accounts.network import client_ip


def locked_out(request, original_response=None, credentials=None):
    """Shown instead of the login form while django-axes locks the account
    and address out, or the address alone after too many failures with any
    accounts (accounts.login_throttle); status 429 so that clients and
    monitors see throttling."""
    by_address = is_address_locked(request)
    cooloff_minutes = window_minutes() if by_address else round(settings.AXES_COOLOFF_TIME * 60)
    context = {"cooloff_minutes": cooloff_minutes, "by_address": by_address}
    return render(request, "accounts/locked_out.html", context, status=429)


# Set on every answer of the login page: scripts that sent a request in the
# background (autosave, uploads) follow the redirect of an ended session
# there, and must be able to tell the login page from a saved answer.
LOGIN_PAGE_HEADER = "X-Login-Page"


class LoginView(auth_views.LoginView):
    """Django's login with the e-mail form, marking its answers with
    LOGIN_PAGE_HEADER (see above)."""

    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def dispatch(self, request, *args, **kwargs):
        response = super().dispatch(request, *args, **kwargs)
        if response.status_code == 200:
            response[LOGIN_PAGE_HEADER] = "1"
        return response


class PasswordResetView(auth_views.PasswordResetView):
    """Django's password reset with two limits on the mails: per address the
    requests come from and per e-mail address entered. The second counts
    whatever is entered, existing account or not, so the answer never tells
    whether an account exists. Over a limit, the form says so (status 429)
    and no mail goes out."""

    template_name = "accounts/password_reset_form.html"
    email_template_name = "accounts/password_reset_email.txt"
    subject_template_name = "accounts/password_reset_subject.txt"

    def form_valid(self, form):
        period = settings.PASSWORD_RESET_WINDOW_MINUTES * 60
        email = form.cleaned_data["email"].strip().lower()
        allowed = throttle.hit(
            f"password-reset:address:{client_ip(self.request)}", settings.PASSWORD_RESET_LIMIT_PER_ADDRESS, period
        ) and throttle.hit(f"password-reset:account:{email}", settings.PASSWORD_RESET_LIMIT_PER_ACCOUNT, period)
        if allowed:
            return super().form_valid(form)
        form.add_error(
            None,
            _(
                "Es wurden in kurzer Zeit zu viele Links zum Zurücksetzen angefordert. Bitte versuchen Sie es "
                "in %(minutes)d Minuten erneut. Wenn Sie schon eine E-Mail mit einem Link bekommen haben, "
                "verwenden Sie bitte diesen."
            )
            % {"minutes": settings.PASSWORD_RESET_WINDOW_MINUTES},
        )
        response = self.form_invalid(form)
        response.status_code = 429
        return response


def axes_username(request, credentials) -> str:
    """The name Axes counts failures under: the e-mail address lower-cased, so
    varying its capitals does not reset the count."""
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    return username.strip().lower()


def _next_url(request) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return resolve_url(settings.LOGIN_REDIRECT_URL)


@login_required
def two_factor_setup(request):
    """First sign-in of a reviewer or office member: scan the QR code (or type
    the secret) into an authenticator app and confirm with a first code. Only
    while no device is confirmed: with one, a password alone must never be
    enough to register another."""
    if not services.two_factor_required(request.user):
        return redirect(_next_url(request))
    if services.confirmed_device(request.user) is not None:
        return redirect(f"{reverse('accounts:two_factor_verify')}?{urlencode({'next': _next_url(request)})}")
    device = services.pending_device(request.user)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if services.confirm_device(request, device, form.cleaned_data["token"]):
            messages.success(request, _("Die Zwei-Faktor-Anmeldung ist eingerichtet."))
            return redirect(_next_url(request))
        form.add_error(
            "token", _("Der Code stimmt nicht. Prüfen Sie die Uhrzeit des Geräts und versuchen Sie es erneut.")
        )
    context = {
        "form": form,
        "secret": services.base32_secret(device),
        "otpauth_uri": device.config_url,
        "qr_svg": mark_safe(services.qr_code_svg(device.config_url)),  # noqa: S308 - SVG generated by qrcode
        "next": _next_url(request),
    }
    return render(request, "accounts/two_factor_setup.html", context)


@login_required
def two_factor_verify(request):
    """After the password: the current code from the authenticator app."""
    device = services.confirmed_device(request.user)
    if device is None:
        return redirect(f"{reverse('accounts:two_factor_setup')}?{urlencode({'next': _next_url(request)})}")
    if getattr(request.user, "is_verified", lambda: False)():
        return redirect(_next_url(request))
    form = TokenForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        if services.verify(request, device, form.cleaned_data["token"]):
            return redirect(_next_url(request))
        device.refresh_from_db()
        # django-otp waits 1, 2, 4, ... seconds after each wrong code; from the
        # third on, say so instead of repeating "wrong code".
        if services.verify_is_allowed(device) or device.throttling_failure_count < 3:
            form.add_error(
                "token", _("Der Code stimmt nicht oder wurde schon verwendet. Warten Sie auf den nächsten Code.")
            )
        else:
            form.add_error(
                "token", _("Zu viele falsche Codes. Bitte warten Sie einen Moment und versuchen Sie es dann erneut.")
            )
            status = 429
    return render(request, "accounts/two_factor_verify.html", {"form": form, "next": _next_url(request)}, status=status)
