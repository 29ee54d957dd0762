"""Two-factor authentication end to end over HTTP: reviewers and office staff
set up an authenticator app on first sign-in and give a code on every later
one; until then they reach nothing but the 2FA pages and logout."""

from __future__ import annotations

import time
from base64 import b32decode

import pytest
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import PASSWORD, ReviewerFactory, UserFactory
from tests.two_factor import code_at, fresh_code

pytestmark = pytest.mark.two_factor

LOGIN = reverse("accounts:login")
SETUP = reverse("accounts:two_factor_setup")
VERIFY = reverse("accounts:two_factor_verify")
HOME = reverse("home")


def sign_in(client, user):
    response = client.post(LOGIN, {"username": user.email, "password": PASSWORD})
    assert response.status_code == 302
    return response


@pytest.fixture
def reviewer(db):
    return ReviewerFactory(user=UserFactory(email="pruefer@example.org")).user


@pytest.fixture
def staff(db):
    return UserFactory(email="stelle@example.org", is_staff=True)


def secret_from_page(body: str) -> bytes:
    marker = 'data-testid="totp-secret">'
    start = body.index(marker) + len(marker)
    return b32decode(body[start : body.index("<", start)].replace(" ", ""))


def test_a_leitung_needs_no_second_factor(client, alice):
    sign_in(client, alice)
    assert client.get(HOME).status_code == 200


def test_first_sign_in_of_a_reviewer_sets_up_the_app(client, reviewer, centre):
    sign_in(client, reviewer)
    # Every page leads to the setup, with the way back remembered.
    for url in (HOME, reverse("certification:catalogue_list"), reverse("admin:index")):
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(SETUP), url
    response = client.get(reverse("certification:catalogue_list"))
    page = client.get(response.url)
    body = page.content.decode()
    assert page.status_code == 200
    assert "otpauth://totp/" in body and "issuer=G%C3%BCtesiegel%20Familienzentrum" in body
    assert "<svg" in body and 'role="img"' in body  # the QR code, inline
    key = secret_from_page(body)
    device = TOTPDevice.objects.get(user=reviewer)
    assert device.bin_key == key and not device.confirmed
    # Reloading keeps the same secret.
    assert secret_from_page(client.get(SETUP).content.decode()) == key

    wrong = client.post(SETUP, {"token": "000000", "next": reverse("certification:catalogue_list")})
    assert wrong.status_code == 200 and "Der Code stimmt nicht" in wrong.content.decode()
    device.refresh_from_db()
    assert not device.confirmed

    device.throttling_failure_count = 0  # the wrong code above throttles for a second
    device.throttling_failure_timestamp = None
    device.save()
    done = client.post(SETUP, {"token": code_at(key, time.time()), "next": reverse("certification:catalogue_list")})
    assert done.status_code == 302 and done.url == reverse("certification:catalogue_list")
    device.refresh_from_db()
    assert device.confirmed
    assert client.get(HOME).status_code == 200


def test_later_sign_ins_ask_for_a_code_and_a_password_alone_registers_no_new_device(client, staff):
    device = TOTPDevice.objects.create(user=staff, name="App", confirmed=True)
    sign_in(client, staff)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302 and response.url.startswith(VERIFY)
    # The setup page must not hand out a second device to someone with the password only.
    assert client.get(SETUP).url.startswith(VERIFY)
    assert TOTPDevice.objects.filter(user=staff).count() == 1

    session_before = client.session.session_key
    code = fresh_code(device)
    verified = client.post(VERIFY, {"token": code, "next": reverse("admin:index")})
    assert verified.status_code == 302 and verified.url == reverse("admin:index")
    assert client.session.session_key != session_before  # a new session id after the elevation
    assert client.get(reverse("admin:index")).status_code == 200

    # The same code does not work a second time (a new sign-in elsewhere).
    other = type(client)()
    sign_in(other, staff)
    replay = other.post(VERIFY, {"token": code})
    assert replay.status_code in (200, 429)
    assert other.get(HOME).status_code == 302


def test_wrong_codes_are_throttled(client, reviewer):
    from django.utils import timezone

    device = TOTPDevice.objects.create(user=reviewer, name="App", confirmed=True)
    sign_in(client, reviewer)
    first = client.post(VERIFY, {"token": "000000"})
    assert first.status_code == 200 and "Der Code stimmt nicht" in first.content.decode()
    # After several wrong codes django-otp makes the user wait (1, 2, 4, ... s), even for a right one.
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_count=3, throttling_failure_timestamp=timezone.now()
    )
    throttled = client.post(VERIFY, {"token": fresh_code(device)})
    assert throttled.status_code == 429 and "Zu viele falsche Codes" in throttled.content.decode()
    assert client.get(HOME).status_code == 302


def test_only_logout_and_the_2fa_pages_are_open_before_the_code(client, reviewer):
    TOTPDevice.objects.create(user=reviewer, name="App", confirmed=True)
    sign_in(client, reviewer)
    assert client.get(VERIFY).status_code == 200
    # A POST elsewhere is not replayed after the code: it starts again from the start page.
    response = client.post(reverse("certification:catalogue_list"), {})
    assert response.status_code == 302 and response.url == f"{VERIFY}?next=%2F"
    # htmx requests are told to load the page instead of swapping it into a fragment.
    response = client.get(HOME, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and response["HX-Redirect"].startswith(VERIFY)
    assert client.post(reverse("accounts:logout")).status_code == 302
    assert client.get(HOME).url.startswith(LOGIN)


def test_next_never_leaves_the_site(client, reviewer):
    device = TOTPDevice.objects.create(user=reviewer, name="App", confirmed=True)
    sign_in(client, reviewer)
    response = client.post(VERIFY, {"token": fresh_code(device), "next": "https://evil.example.org/"})
    assert response.status_code == 302 and response.url == HOME


def test_force_login_in_a_two_factor_test_meets_the_middleware(client, olga, rita):
    # Outside tests marked two_factor, force_login passes the second factor (tests/conftest.py).
    for user in (olga, rita):
        client.force_login(user)
        assert client.get(HOME).url.startswith(SETUP)
