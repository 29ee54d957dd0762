from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Benutzerkonten")

    def ready(self):
        # A mistyped TRUSTED_PROXIES entry fails at start-up, not at the first login.
        from accounts.network import trusted_proxies

        trusted_proxies()
