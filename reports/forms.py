from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from reports.models import ReportKind


class ReportRequestForm(forms.Form):
    kind = forms.ChoiceField(label=_("Bericht"), choices=ReportKind.choices)
    rebuild = forms.BooleanField(label=_("neu erstellen"), required=False)
