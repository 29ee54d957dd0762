from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegisterConfig(AppConfig):
    name = "register"
    verbose_name = _("Nachweisregister")

    def ready(self) -> None:
        # Registers the app's permissions with the `rules` library.
        from register import rules  # noqa: F401
