"""Every model the office manages opens in the admin, in German."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse


@pytest.mark.parametrize(
    "model", list(admin.site._registry), ids=lambda model: f"{model._meta.app_label}.{model._meta.model_name}"
)
def test_changelist_pages_open(client, olga, model, centre):
    olga.is_superuser = True
    olga.save()
    client.force_login(olga)
    meta = model._meta
    response = client.get(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"))
    assert response.status_code == 200
    assert 'lang="de"' in response.content.decode()


def test_admin_is_for_staff_only(client, alice):
    client.force_login(alice)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
