"""Login throttling by address, on top of django-axes.

Axes locks an account for one address after AXES_FAILURE_LIMIT wrong
passwords (AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]). Password
spraying tries one or two passwords on many accounts and never reaches that
limit, so one address is also locked, whatever the accounts, after
LOGIN_ADDRESS_FAILURE_LIMIT failures within LOGIN_ADDRESS_WINDOW_MINUTES.

The failures are counted over axes' AccessFailureLog rows (one per failed
login, AXES_ENABLE_ACCESS_FAILURE_LOG = True): kept in the database, they
hold across worker processes, and the window slides. The address is the one
axes computed (AXES_CLIENT_IP_CALLABLE = accounts.network.client_ip), so
behind a trusted proxy it is the client's, and a forged X-Forwarded-For from
anyone else is ignored. Addresses axes whitelists are never locked.

Enabled by AXES_HANDLER = "accounts.login_throttle.AddressLimitHandler".
"""

from __future__ import annotations

from datetime import timedelta

from axes.handlers.database import AxesDatabaseHandler
from axes.models import AccessFailureLog
from django.conf import settings
from django.utils import timezone

ADDRESS_LOCKED_ATTRIBUTE = "accounts_address_locked"


def window_minutes() -> int:
    return int(getattr(settings, "LOGIN_ADDRESS_WINDOW_MINUTES", 60))


def address_failures(ip_address: str | None) -> int:
    if not ip_address:
        return 0
    since = timezone.now() - timedelta(minutes=window_minutes())
    return AccessFailureLog.objects.filter(ip_address=ip_address, attempt_time__gte=since).count()


def address_limit_reached(request) -> bool:
    limit = getattr(settings, "LOGIN_ADDRESS_FAILURE_LIMIT", 20)
    if not limit:
        return False
    return address_failures(getattr(request, "axes_ip_address", None)) >= limit


def is_address_locked(request) -> bool:
    """Whether the request was refused for its address rather than for the account."""
    return bool(getattr(request, ADDRESS_LOCKED_ATTRIBUTE, False))


class AddressLimitHandler(AxesDatabaseHandler):
    """Axes' database handler plus the limit per address."""

    def is_locked(self, request, credentials=None) -> bool:
        if address_limit_reached(request):
            setattr(request, ADDRESS_LOCKED_ATTRIBUTE, True)
            return True
        return super().is_locked(request, credentials)

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        super().user_login_failed(sender, credentials, request, **kwargs)
        if request is None or self.is_whitelisted(request, credentials):
            return
        # The failure just logged may be the one that reaches the limit: it
        # gets the lockout page at once, as axes does for an account.
        if address_limit_reached(request):
            setattr(request, ADDRESS_LOCKED_ATTRIBUTE, True)
            request.axes_locked_out = True
            request.axes_credentials = credentials
