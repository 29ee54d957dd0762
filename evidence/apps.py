from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EvidenceConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "evidence"
    verbose_name = _("Nachweise")

    def ready(self) -> None:
        # Registers the app's permissions with the `rules` library.
        from evidence import rules  # noqa: F401
