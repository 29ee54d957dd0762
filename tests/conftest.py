"""Shared fixtures: the personas every permission test talks about.

alice leads the Familienzentrum `centre`; bob leads `other_centre`; tina is
staff of centre's Träger, tom of the other Träger; paula works for a partner
organisation; rita is a reviewer with no assignment; olga is office staff.
"""

from __future__ import annotations

import os

import pytest

from certification.models import MembershipRole
from tests.factories import (
    FamilienzentrumFactory,
    MembershipFactory,
    PartnerFactory,
    ReviewerFactory,
    UserFactory,
)

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


@pytest.fixture(autouse=True)
def _fast_and_private(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    # Uploaded evidence goes to this test's own folder, never to var/.
    private = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(tmp_path / "private"), "base_url": None},
    }
    settings.STORAGES = {**settings.STORAGES, "default": private, "private": private}


@pytest.fixture(autouse=True)
def _force_login_passes_the_second_factor(request, monkeypatch):
    """`client.force_login(user)` skips the password; for reviewers and office
    staff it skips the second factor too (a confirmed TOTP device, the session
    marked verified), so permission tests need not repeat the 2FA dance. Real
    logins (the login form, the browser) still need the code; tests marked
    `two_factor` get the plain force_login and meet the 2FA middleware."""
    if request.node.get_closest_marker("two_factor") is not None:
        return
    from django.test.client import Client

    original = Client.force_login

    def force_login(self, user, backend=None):
        original(self, user, backend)
        from tests.two_factor import mark_session_verified

        mark_session_verified(self, user)

    monkeypatch.setattr(Client, "force_login", force_login)


@pytest.fixture(autouse=True)
def _catalogue_structures_read_afresh():
    """Each process keeps loaded catalogues' structure and rendered card
    parts and counted evaluations (they never change); tests that edit
    catalogue rows in place must not meet a kept copy."""
    from django.core.cache import caches

    from assessments.evaluation import forget_counted_evaluations
    from certification.selectors import forget_catalogue_structures

    forget_catalogue_structures()
    forget_counted_evaluations()
    caches["fragments"].clear()


@pytest.fixture(autouse=True)
def _fresh_throttles():
    """The throttles (accounts.throttle) count in the local-memory cache,
    which outlives a test: every test starts with none counted."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _broker_not_remembered_down():
    """The task class remembers a failed hand-over for two seconds (so one
    request pays for one failure); a test must not inherit that from the
    test before it."""
    from config.celery import forget_broker_down

    forget_broker_down()


@pytest.fixture(autouse=True)
def _eager_tasks_unless_services(request, settings):
    """With CELERY_BROKER_URL set (the PostgreSQL run) tasks would go to Redis
    where no worker listens; only tests marked `services` use the real worker."""
    if request.node.get_closest_marker("services") is None:
        settings.CELERY_TASK_ALWAYS_EAGER = True


@pytest.fixture
def centre(db):
    return FamilienzentrumFactory(name="Familienzentrum Purzelbaum")


@pytest.fixture
def other_centre(db):
    return FamilienzentrumFactory(name="Familienzentrum Anderswo")


def _site_of(centre):
    return centre.site_links.first().site


@pytest.fixture
def alice(centre):
    user = UserFactory(email="alice@example.org", full_name="Alice Leitung")
    MembershipFactory(user=user, role=MembershipRole.LEITUNG, site=_site_of(centre))
    return user


@pytest.fixture
def bob(other_centre):
    user = UserFactory(email="bob@example.org", full_name="Bob Leitung")
    MembershipFactory(user=user, role=MembershipRole.LEITUNG, site=_site_of(other_centre))
    return user


@pytest.fixture
def tina(centre):
    user = UserFactory(email="tina@example.org", full_name="Tina Träger")
    MembershipFactory(user=user, role=MembershipRole.TRAEGER, traeger=centre.traeger)
    return user


@pytest.fixture
def tom(other_centre):
    user = UserFactory(email="tom@example.org", full_name="Tom Träger")
    MembershipFactory(user=user, role=MembershipRole.TRAEGER, traeger=other_centre.traeger)
    return user


@pytest.fixture
def partner_org(db):
    return PartnerFactory(name="Erziehungsberatungsstelle Jülich")


@pytest.fixture
def paula(partner_org):
    user = UserFactory(email="paula@example.org", full_name="Paula Partner")
    MembershipFactory(user=user, role=MembershipRole.PARTNER, partner=partner_org)
    return user


@pytest.fixture
def rita(db):
    return ReviewerFactory(user=UserFactory(email="rita@example.org", full_name="Rita Gutachterin")).user


@pytest.fixture
def olga(db):
    return UserFactory(email="olga@example.org", full_name="Olga Office", is_staff=True)


@pytest.fixture
def catalogue(db):
    """The shipped working catalogue, loaded through the real loader."""
    from certification.catalogue import SHIPPED_CATALOGUE, load_catalogue_file

    return load_catalogue_file(SHIPPED_CATALOGUE).catalogue


@pytest.fixture(autouse=True)
def _result_get_allowed_again():
    """A task body run in this process (task.apply(), a worker thread) marks
    the process as "inside a task", after which Celery refuses result.get()
    in every later test: reset the mark after each test."""
    yield
    from celery._state import _set_task_join_will_block

    _set_task_join_will_block(False)
