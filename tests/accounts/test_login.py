"""E-mail login, German pages, and throttling of repeated wrong passwords."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from tests.factories import PASSWORD, UserFactory

LOGIN_URL = reverse("accounts:login")


@pytest.fixture
def user(db):
    return UserFactory(email="leitung@example.org")


def login(client, email, password, ip="10.0.0.1"):
    return client.post(LOGIN_URL, {"username": email, "password": password}, REMOTE_ADDR=ip)


def test_login_page_is_german(client, db):
    response = client.get(LOGIN_URL)
    body = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="de">' in body
    assert "E-Mail-Adresse" in body and "Passwort vergessen?" in body


def test_login_with_email_in_any_case(client, user):
    response = login(client, "Leitung@Example.org", PASSWORD)
    assert response.status_code == 302
    assert response.url == reverse("home")


def test_wrong_password_gets_a_clear_message(client, user):
    response = login(client, user.email, "falsch")
    assert response.status_code == 200
    assert "E-Mail-Adresse oder Passwort sind falsch" in response.content.decode()


def test_anonymous_start_page_redirects_to_login(client, db):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response.url.startswith(LOGIN_URL)


def test_repeated_failures_lock_the_account_for_that_address(client, user, settings):
    for attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        # Varying the capitals of the address does not reset the count.
        email = user.email.upper() if attempt % 2 else user.email
        assert login(client, email, "falsch").status_code == 200

    locked = login(client, user.email, "falsch")
    assert locked.status_code == 429
    body = locked.content.decode()
    assert "Anmeldung vorübergehend gesperrt" in body
    assert "15 Minuten" in body
    assert "Traceback" not in body

    # Even the right password is refused while locked ...
    assert login(client, user.email, PASSWORD).status_code == 429
    # ... but the same account from another address is not locked out.
    assert login(client, user.email, PASSWORD, ip="10.0.0.2").status_code == 302


def test_logout_needs_post_and_ends_the_session(client, user):
    client.force_login(user)
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 302


def test_password_reset_mails_a_german_link(client, user):
    response = client.post(reverse("accounts:password_reset"), {"email": user.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [user.email]
    assert "Passwort zurücksetzen" in message.subject
    assert "/konto/passwort-neu/" in message.body


def test_password_reset_for_unknown_address_reveals_nothing(client, db):
    response = client.post(reverse("accounts:password_reset"), {"email": "niemand@example.org"})
    assert response.status_code == 302
    assert mail.outbox == []
