"""The sign-in backend reads a signed-in user together with their reviewer
row: the roles every signed-in request asks for cost one query (the
memberships), not two."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User
from certification.backends import UserWithRolesBackend
from certification.models import Membership, MembershipRole
from certification.selectors import roles_for
from tests.factories import PASSWORD, ReviewerFactory, TraegerFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_the_backend_is_the_one_that_signs_people_in():
    assert settings.AUTHENTICATION_BACKENDS[-1] == "certification.backends.UserWithRolesBackend"
    assert "django.contrib.auth.backends.ModelBackend" not in settings.AUTHENTICATION_BACKENDS


def test_a_reviewers_roles_cost_one_query_after_the_user(django_assert_num_queries):
    reviewer = ReviewerFactory(may_confirm=True)
    with django_assert_num_queries(1):
        user = UserWithRolesBackend().get_user(reviewer.user.pk)
    with django_assert_num_queries(1):  # the memberships; the reviewer came with the user
        roles = roles_for(user)
    assert roles.reviewer == reviewer and roles.reviewer.may_confirm
    assert roles.is_reviewer


def test_someone_outside_the_pool_has_no_reviewer_and_no_extra_query(django_assert_num_queries):
    person = UserFactory()
    Membership.objects.create(user=person, role=MembershipRole.TRAEGER, traeger=TraegerFactory())
    user = UserWithRolesBackend().get_user(person.pk)
    with django_assert_num_queries(1):
        roles = roles_for(user)
    assert roles.reviewer is None and not roles.is_reviewer
    assert roles.is_traeger


def test_a_reviewer_who_left_the_pool_is_no_reviewer():
    reviewer = ReviewerFactory(is_active=False)
    roles = roles_for(UserWithRolesBackend().get_user(reviewer.user.pk))
    assert roles.reviewer == reviewer and not roles.is_reviewer


def test_an_inactive_or_unknown_user_is_not_signed_in():
    person = UserFactory(is_active=False)
    assert UserWithRolesBackend().get_user(person.pk) is None
    assert UserWithRolesBackend().get_user(person.pk + 1000) is None


def test_a_user_object_from_elsewhere_still_gets_its_reviewer():
    reviewer = ReviewerFactory()
    assert roles_for(User.objects.get(pk=reviewer.user.pk)).reviewer == reviewer


def test_a_signed_in_page_reads_the_reviewer_with_the_user(client):
    """Through the real sign-in: the session names this backend, and the
    page's roles read no reviewer row of their own."""
    person = UserFactory()
    signed_in = client.post(reverse("accounts:login"), {"username": person.email, "password": PASSWORD})
    assert signed_in.status_code == 302
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/").status_code == 200
    reviewer_reads = [q["sql"] for q in queries if 'FROM "certification_reviewer"' in q["sql"]]
    assert reviewer_reads == []
    user_reads = [
        q["sql"] for q in queries if 'FROM "accounts_user"' in q["sql"] and "certification_reviewer" in q["sql"]
    ]
    assert len(user_reads) == 1
