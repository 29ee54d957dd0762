"""The sign-in backend: Django's ModelBackend, reading a signed-in user
together with their reviewer row (if any). Every signed-in request asks for
the user's roles (certification.selectors.roles_for, through the second-factor
middleware), and the reviewer row is half of them: read in the same query as
the user, it costs no query of its own."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


class UserWithRolesBackend(ModelBackend):
    def get_user(self, user_id):
        users = get_user_model()._default_manager.select_related("reviewer")
        try:
            user = users.get(pk=user_id)
        except users.model.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
