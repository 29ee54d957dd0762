"""The office's form for a cycle's dates (assessments.views.deadlines). The
rules about the dates are the service's (services.deadlines.validate_dates);
the form parses them and carries the fingerprint of the dates it showed."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from assessments.services.deadlines import DATE_FIELDS, dates_fingerprint


def _date_field(label, help_text=""):
    return forms.DateField(
        label=label,
        required=False,
        help_text=help_text,
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
        error_messages={"invalid": _("Geben Sie ein gültiges Datum ein (TT.MM.JJJJ).")},
    )


class DeadlinesForm(forms.Form):
    submission_due = _date_field(_("Einzureichen bis"))
    review_due = _date_field(_("Begutachtung abzuschließen bis"))
    queries_due = _date_field(_("Rückfragen zu beantworten bis"))
    visit_window_start = _date_field(_("Begehung frühestens am"))
    visit_window_end = _date_field(_("Begehung spätestens am"))
    # Missing or altered, it does not match the dates: the service answers
    # as for a stale form, with the current dates.
    loaded = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, assessment, **kwargs):
        kwargs.setdefault("initial", {name: getattr(assessment, name) for name in DATE_FIELDS})
        kwargs["initial"]["loaded"] = dates_fingerprint(assessment)
        super().__init__(*args, **kwargs)
        # Browsers without a date picker send what was typed: both spellings parse.
        for name in DATE_FIELDS:
            self.fields[name].input_formats = ["%Y-%m-%d", "%d.%m.%Y"]

    def values(self) -> dict:
        return {name: self.cleaned_data.get(name) for name in DATE_FIELDS}
