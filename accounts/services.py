"""Two-factor authentication (TOTP, django-otp): who must use it, setting
up the authenticator app and verifying a code.

Who needs a second factor is decided above this app (the reviewer pool lives
in certification), so the rule is named by a setting and imported by path:
ACCOUNTS_2FA_REQUIRED_CHECK = "certification.selectors.requires_two_factor".
"""

from __future__ import annotations

import time
from base64 import b32encode

import django_otp
from django.conf import settings
from django.db import transaction
from django.utils.module_loading import import_string
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

DEVICE_NAME = "Authenticator-App"
# When the session last passed the second factor (Unix time), for the
# decisions that ask for it again after a while (accounts.decorators).
SECOND_FACTOR_AT_SESSION_KEY = "accounts_second_factor_at"


def _required_check():
    # import_string is cheap after the first call (the module is in sys.modules)
    # and reading the setting each time keeps override_settings working.
    path = getattr(settings, "ACCOUNTS_2FA_REQUIRED_CHECK", "")
    return import_string(path) if path else None


def two_factor_required(user) -> bool:
    """Asked by several middlewares on every request: answered once per user
    object (one request), so it costs at most one small query."""
    if not user.is_authenticated:
        return False
    cached = getattr(user, "_two_factor_required", None)
    if cached is None:
        check = _required_check()
        cached = user._two_factor_required = bool(check and check(user))
    return cached


def confirmed_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def pending_device(user) -> TOTPDevice:
    """The unconfirmed device being set up; the same secret on every visit of
    the setup page until a code confirms it."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    return device


def base32_secret(device: TOTPDevice) -> str:
    """The secret as authenticator apps expect it when typed in, in groups of four."""
    secret = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[index : index + 4] for index in range(0, len(secret), 4))


def qr_code_svg(data: str) -> str:
    """An inline SVG QR code of `data`, hidden from assistive technology (the
    page names it and shows the secret as text for those who cannot scan)."""
    import qrcode
    import qrcode.image.svg

    svg = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=10).to_string(encoding="unicode")
    return svg.replace("<svg ", '<svg aria-hidden="true" focusable="false" class="qr-code" ', 1)


def _mark_verified(request, device: TOTPDevice) -> None:
    # The session gains a privilege: give it a new key so a session id seen
    # before (fixation) is worth nothing afterwards.
    request.session.cycle_key()
    django_otp.login(request, device)
    request.session[SECOND_FACTOR_AT_SESSION_KEY] = time.time()


def second_factor_age(request) -> float | None:
    """Seconds since the session passed the second factor; None if it has not
    (or passed it before the time was recorded)."""
    if not getattr(request.user, "is_verified", lambda: False)():
        return None
    verified_at = request.session.get(SECOND_FACTOR_AT_SESSION_KEY)
    if verified_at is None:
        return None
    return max(0.0, time.time() - float(verified_at))


def record_second_factor_now(request) -> None:
    request.session[SECOND_FACTOR_AT_SESSION_KEY] = time.time()


def forget_second_factor(request) -> None:
    """The session is no longer verified: the next protected page asks for a
    code again (accounts.middleware.TwoFactorMiddleware)."""
    request.session.pop(DEVICE_ID_SESSION_KEY, None)
    request.session.pop(SECOND_FACTOR_AT_SESSION_KEY, None)
    if hasattr(request.user, "otp_device"):
        request.user.otp_device = None


def verify_is_allowed(device: TOTPDevice) -> bool:
    """False while django-otp throttles the device after wrong codes."""
    allowed, _details = device.verify_is_allowed()
    return allowed


@transaction.atomic
def confirm_device(request, device: TOTPDevice, token: str) -> bool:
    """Confirm the device being set up with a first code from the app."""
    device = TOTPDevice.objects.select_for_update().filter(pk=device.pk, user=request.user, confirmed=False).first()
    if device is None or not device.verify_token(token):
        return False
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=request.user, confirmed=False).delete()
    _mark_verified(request, device)
    return True


def verify(request, device: TOTPDevice, token: str) -> bool:
    """Check a code against the user's device; a code is accepted once only."""
    verified = django_otp.verify_token(request.user, device.persistent_id, token)
    if verified is None:
        return False
    _mark_verified(request, verified)
    return True
