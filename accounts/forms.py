from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _


class EmailAuthenticationForm(AuthenticationForm):
    username = forms.EmailField(
        label=_("E-Mail-Adresse"),
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )

    error_messages = {
        "invalid_login": _("E-Mail-Adresse oder Passwort sind falsch. Bitte prüfen Sie Ihre Eingabe."),
        "inactive": _("Dieses Konto ist deaktiviert."),
    }
