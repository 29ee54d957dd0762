"""TOTP helpers for tests: compute the code an authenticator app would show,
and mark a test client's session as having passed the second factor."""

from __future__ import annotations

import time
from base64 import b32decode

from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

# The documented secret of the demo accounts (certification seed_demo).
DEMO_TOTP_SECRET = "GUETESIEGELFAMILIENZENTRUMDEMO23"


def code_at(key: bytes, moment: float, *, step: int = 30) -> str:
    """The six digits an authenticator app with `key` shows at `moment` (Unix time)."""
    generator = TOTP(key, step=step, t0=0, digits=6, drift=0)
    generator.time = moment
    return f"{generator.token():06d}"


def current_code(key: bytes) -> str:
    return code_at(key, time.time())


def fresh_code(device: TOTPDevice) -> str:
    """A code the device accepts now: the current step's, or, if that one was
    used already (a code counts once), the next step's (within tolerance)."""
    device.refresh_from_db()
    now = time.time()
    current_step = int(now // device.step)
    step = max(current_step, device.last_t + 1)
    if step > current_step + device.drift + device.tolerance:
        time.sleep((step - device.tolerance) * device.step - now + 0.05)
    return code_at(device.bin_key, step * device.step + 1, step=device.step)


def demo_code(email: str) -> str:
    device = TOTPDevice.objects.get(user__email=email, confirmed=True)
    assert device.bin_key == b32decode(DEMO_TOTP_SECRET)
    return fresh_code(device)


def mark_session_verified(client, user) -> None:
    """Give the client's session a verified second factor, if the user needs one."""
    from accounts.services import two_factor_required

    fresh = type(user).objects.get(pk=user.pk)  # roles are cached per instance; keep the test's own clean
    if not two_factor_required(fresh):
        return
    device = TOTPDevice.objects.filter(user=fresh, confirmed=True).first() or TOTPDevice.objects.create(
        user=fresh, name="Test", confirmed=True
    )
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
