"""The import's upload form (journal.views.io). The file's content is
checked by journal.imports, not here: the form only asks for one file."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("Datei (CSV oder XLSX)"),
        help_text=_("Höchstens 5 MB und 2000 Einträge. Eine Zeile je Angebot; die erste Zeile nennt die Spalten."),
        error_messages={"required": _("Bitte eine CSV- oder XLSX-Datei auswählen.")},
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,text/csv"}),
    )
