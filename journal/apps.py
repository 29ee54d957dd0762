from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class JournalConfig(AppConfig):
    name = "journal"
    verbose_name = _("Angebotsjournal und Nachweisregister")

    def ready(self) -> None:
        # Registers the app's permissions with the `rules` library.
        from journal import rules  # noqa: F401
