"""Bad requests get a German page, never Django's technical English one."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse


def test_not_found_is_german(client, alice):
    client.force_login(alice)
    response = client.get("/selbstbewertung/999999/")
    assert response.status_code == 404
    body = response.content.decode()
    assert '<html lang="de">' in body and "Diese Seite gibt es nicht" in body


def test_a_stale_form_gets_a_german_explanation(alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    response = client.post(reverse("accounts:logout"), {"csrfmiddlewaretoken": "veraltet"})
    assert response.status_code == 403
    body = response.content.decode()
    assert "Das Formular ist abgelaufen" in body and "nichts gespeichert" in body


def test_forbidden_is_german(client, tina, centre):
    client.force_login(tina)  # sees the centre, but may not act as its Leitung
    response = client.get(reverse("assessments:start", args=[centre.pk]))
    assert response.status_code == 403
    assert "Dazu sind Sie nicht berechtigt" in response.content.decode()
