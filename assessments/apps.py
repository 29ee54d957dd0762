from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssessmentsConfig(AppConfig):
    name = "assessments"
    verbose_name = _("Selbstbewertungen")

    def ready(self) -> None:
        # Registers the app's permissions with the `rules` library.
        from assessments import rules  # noqa: F401
