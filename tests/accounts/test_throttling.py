"""Throttling beyond one account: password spraying from one address, the
client address behind a reverse proxy, and password-reset mails."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from axes.models import AccessAttempt
from django.core import mail
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from accounts.network import client_ip
from tests.factories import PASSWORD, UserFactory

LOGIN_URL = reverse("accounts:login")
RESET_URL = reverse("accounts:password_reset")
PROXY = "10.0.0.254"


def login(client, email, password, ip="10.0.0.1", **extra):
    return client.post(LOGIN_URL, {"username": email, "password": password}, REMOTE_ADDR=ip, **extra)


# ------------------------------------------------------------ spraying


def test_password_spraying_from_one_address_is_locked_at_the_limit(client, db, settings):
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 20
    settings.LOGIN_ADDRESS_WINDOW_MINUTES = 60
    victims = [UserFactory(email=f"konto{number}@example.org") for number in range(20)]
    other = UserFactory(email="andere@example.org")

    for victim in victims[:-1]:
        assert login(client, victim.email, "Sommer2026!", ip="198.51.100.7").status_code == 200
    locked = login(client, victims[-1].email, "Sommer2026!", ip="198.51.100.7")
    assert locked.status_code == 429
    body = locked.content.decode()
    assert "Anmeldung vorübergehend gesperrt" in body
    assert "Von Ihrer Internetadresse aus" in body and "60 Minuten" in body

    # From that address even a right password is refused now ...
    assert login(client, other.email, PASSWORD, ip="198.51.100.7").status_code == 429
    # ... while another account from another address signs in as usual.
    assert login(type(client)(), other.email, PASSWORD, ip="203.0.113.9").status_code == 302

    # The window slides: an hour later the address may try again.
    with time_machine.travel(timezone.now() + timedelta(minutes=61), tick=False):
        assert login(type(client)(), other.email, PASSWORD, ip="198.51.100.7").status_code == 302


def test_the_address_limit_is_configurable(client, db, settings):
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 3
    for number in range(2):
        assert login(client, f"nobody{number}@example.org", "x", ip="198.51.100.8").status_code == 200
    assert login(client, "nobody2@example.org", "x", ip="198.51.100.8").status_code == 429


# ------------------------------------------------------------ proxies


@pytest.mark.parametrize(
    "trusted,remote,forwarded,expected",
    [
        ([], "198.51.100.7", "", "198.51.100.7"),
        # Without trusted proxies the header is nobody's word.
        ([], "198.51.100.7", "203.0.113.5", "198.51.100.7"),
        # From a trusted proxy: the right-most entry it did not add itself.
        ([PROXY], PROXY, "203.0.113.5", "203.0.113.5"),
        ([PROXY], PROXY, "1.2.3.4, 203.0.113.5", "203.0.113.5"),
        (["10.0.0.0/24"], PROXY, "1.2.3.4, 203.0.113.5, 10.0.0.17", "203.0.113.5"),
        ([PROXY], PROXY, "", PROXY),
        ([PROXY], PROXY, "kaputt", PROXY),
        # A forged header from an untrusted peer is ignored.
        ([PROXY], "198.51.100.7", "203.0.113.5", "198.51.100.7"),
        ([PROXY], "::ffff:10.0.0.254", "203.0.113.5", "203.0.113.5"),
    ],
)
def test_client_ip(settings, trusted, remote, forwarded, expected):
    settings.TRUSTED_PROXIES = trusted
    request = RequestFactory().get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


def test_a_bad_trusted_proxy_setting_fails_loudly(settings):
    from django.core.exceptions import ImproperlyConfigured

    settings.TRUSTED_PROXIES = ["kein-netz"]
    with pytest.raises(ImproperlyConfigured, match="TRUSTED_PROXIES"):
        client_ip(RequestFactory().get("/"))


def test_behind_a_trusted_proxy_the_forwarded_address_counts(client, db, settings):
    settings.TRUSTED_PROXIES = [PROXY]
    user = UserFactory(email="leitung@example.org")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert login(client, user.email, "falsch", ip=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.5").status_code == 200
    assert login(client, user.email, "falsch", ip=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.5").status_code == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.5"}
    # The attacker locks out only himself: the same account from another
    # client behind the same proxy still signs in.
    other = login(type(client)(), user.email, PASSWORD, ip=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.6")
    assert other.status_code == 302


def test_a_forged_forwarded_header_from_an_untrusted_peer_is_ignored(client, db, settings):
    settings.TRUSTED_PROXIES = [PROXY]
    user = UserFactory(email="leitung@example.org")
    for number in range(settings.AXES_FAILURE_LIMIT - 1):
        forged = f"203.0.113.{number + 10}"
        assert login(client, user.email, "falsch", ip="198.51.100.7", HTTP_X_FORWARDED_FOR=forged).status_code == 200
    # A new forged address each time does not reset the count: locked at the limit ...
    peer = "198.51.100.7"
    assert login(client, user.email, "falsch", ip=peer, HTTP_X_FORWARDED_FOR="203.0.113.98").status_code == 429
    # ... and a further forged address does not open the lock.
    assert login(client, user.email, PASSWORD, ip=peer, HTTP_X_FORWARDED_FOR="203.0.113.99").status_code == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"198.51.100.7"}


# ------------------------------------------------------------ password reset

THROTTLED = "zu viele Links zum Zurücksetzen"


def reset(client, email, ip="10.0.0.1"):
    return client.post(RESET_URL, {"email": email}, REMOTE_ADDR=ip)


def test_reset_mails_per_account_stop_at_the_limit(client, db, settings):
    settings.PASSWORD_RESET_LIMIT_PER_ACCOUNT = 3
    user = UserFactory(email="leitung@example.org")
    for number in range(3):
        response = reset(client, user.email, ip=f"10.0.0.{number + 1}")
        assert response.status_code == 302 and response.url == reverse("accounts:password_reset_done")
    assert len(mail.outbox) == 3

    refused = reset(client, user.email.upper(), ip="10.0.0.9")
    assert refused.status_code == 429
    body = refused.content.decode()
    assert THROTTLED in body and "60 Minuten" in body
    assert len(mail.outbox) == 3

    # An hour later the account may ask again.
    with time_machine.travel(timezone.now() + timedelta(minutes=61), tick=False):
        from django.core.cache import cache

        cache.clear()  # the local-memory cache's expiry uses the real clock
        assert reset(client, user.email).status_code == 302
    assert len(mail.outbox) == 4


def test_unknown_addresses_get_the_same_answers(client, db, settings):
    settings.PASSWORD_RESET_LIMIT_PER_ACCOUNT = 3
    UserFactory(email="leitung@example.org")
    known = [reset(client, "leitung@example.org", ip="10.0.1.1") for _ in range(4)]
    unknown = [reset(client, "niemand@example.org", ip="10.0.2.1") for _ in range(4)]
    assert [r.status_code for r in known] == [r.status_code for r in unknown] == [302, 302, 302, 429]
    assert {r.url for r in known[:3] + unknown[:3]} == {reverse("accounts:password_reset_done")}

    def page(response, email):  # without the entered address and the (masked, per response) CSRF token
        return re.sub(r"[A-Za-z0-9]{64}", "", response.content.decode().replace(email, ""))

    assert page(known[3], "leitung@example.org") == page(unknown[3], "niemand@example.org")
    assert THROTTLED in unknown[3].content.decode()
    assert [message.to for message in mail.outbox] == [["leitung@example.org"]] * 3


def test_reset_mails_per_address_stop_at_the_limit(client, db, settings):
    settings.PASSWORD_RESET_LIMIT_PER_ADDRESS = 10
    users = [UserFactory(email=f"konto{number}@example.org") for number in range(11)]
    for user in users[:10]:
        assert reset(client, user.email, ip="198.51.100.7").status_code == 302
    refused = reset(client, users[10].email, ip="198.51.100.7")
    assert refused.status_code == 429 and THROTTLED in refused.content.decode()
    assert len(mail.outbox) == 10
    # The same account from another address is served.
    assert reset(client, users[10].email, ip="203.0.113.9").status_code == 302
    assert len(mail.outbox) == 11
