from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CertificationConfig(AppConfig):
    name = "certification"
    verbose_name = _("Zertifizierung")

    def ready(self) -> None:
        # Registers the app's permissions with the `rules` library.
        from certification import rules  # noqa: F401
