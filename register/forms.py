"""The register's forms. They only read the input; register.services checks
it against the centre and names the field it refuses."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from register.services import AgreementData, QualificationData

UPLOAD_HELP = _("PDF, JPEG, PNG, DOCX, XLSX, ODT, ODS oder Text; wird wie jeder Nachweis geprüft.")
# Field names of the service's errors that the form shows under another name.
ERROR_FIELDS = {"criterion_codes": "criteria", "__all__": None}


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


def hours_field(label, **kwargs):
    return forms.DecimalField(
        label=label, max_digits=6, decimal_places=1, widget=forms.NumberInput(attrs={"step": "0.5"}), **kwargs
    )


class ServiceErrorsMixin:
    def add_service_errors(self, by_field: dict[str, list[str]]) -> None:
        for name, messages in by_field.items():
            target = ERROR_FIELDS.get(name, name)
            for message in messages:
                self.add_error(target if target in self.fields else None, message)


class QualificationForm(ServiceErrorsMixin, forms.Form):
    upload_field = "certificate"

    person = forms.CharField(label=_("Name"), max_length=120, help_text=_("Wie auf der Bescheinigung."))
    role = forms.CharField(label=_("Funktion"), max_length=120, required=False, help_text=_("z. B. Erzieherin"))
    training = forms.CharField(label=_("Fortbildung"), max_length=200)
    provider = forms.CharField(label=_("Anbieter"), max_length=200, required=False)
    completed_on = forms.DateField(label=_("abgeschlossen am"), widget=DateInput())
    hours = hours_field(_("Umfang (Stunden)"))
    days = forms.IntegerField(
        label=_("Dauer (Tage)"),
        required=False,
        help_text=_("Kurse von 1–2 Tagen gelten 7 Jahre; ohne Angabe zählt bis 16 Stunden als solcher Kurs."),
    )
    online = forms.BooleanField(label=_("Online-Seminar"), required=False)
    preparation_hours = hours_field(
        _("Vor- und Nachbereitung (Stunden)"),
        required=False,
        help_text=_("Nur bei Online-Seminaren unter 6 Stunden, z. B. in Teamsitzungen."),
    )
    site = forms.TypedChoiceField(label=_("Standort"), required=False, coerce=int, empty_value=None)
    criteria = forms.MultipleChoiceField(
        label=_("Belegt die Kriterien"), widget=forms.CheckboxSelectMultiple, required=False
    )
    certificate = forms.FileField(label=_("Bescheinigung (Datei)"), required=False, help_text=UPLOAD_HELP)

    def __init__(self, *args, criteria=(), sites=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["criteria"].choices = list(criteria)
        self.fields["site"].choices = [("", _("das ganze Familienzentrum"))] + list(sites)
        if len(sites) < 2:
            del self.fields["site"]

    def data_for_service(self) -> QualificationData:
        data = self.cleaned_data
        return QualificationData(
            person=data["person"],
            role=data.get("role", ""),
            training=data["training"],
            provider=data.get("provider", ""),
            completed_on=data.get("completed_on"),
            hours=data.get("hours"),
            days=data.get("days"),
            online=bool(data.get("online")),
            preparation_hours=data.get("preparation_hours"),
            site_id=data.get("site"),
            criterion_codes=list(data.get("criteria") or []),
        )


class AgreementForm(ServiceErrorsMixin, forms.Form):
    upload_field = "document"

    partner = forms.TypedChoiceField(label=_("Kooperationspartner"), coerce=int, empty_value=None)
    subject = forms.CharField(label=_("Gegenstand"), max_length=200, help_text=_("z. B. Offene Sprechstunde"))
    signed_on = forms.DateField(label=_("unterzeichnet am"), widget=DateInput())
    signed_by = forms.CharField(
        label=_("unterzeichnet von"),
        max_length=200,
        help_text=_("Auch die Unterschrift des Trägers gilt; ein Wechsel der Leitung beendet die Vereinbarung nicht."),
    )
    valid_until = forms.DateField(
        label=_("befristet bis"), required=False, widget=DateInput(), help_text=_("Leer lassen, wenn unbefristet.")
    )
    sites = forms.TypedMultipleChoiceField(
        label=_("Standorte"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )
    criteria = forms.MultipleChoiceField(
        label=_("Belegt die Kriterien"), widget=forms.CheckboxSelectMultiple, required=False
    )
    document = forms.FileField(label=_("Vereinbarung (Datei)"), required=False, help_text=UPLOAD_HELP)

    def __init__(self, *args, criteria=(), sites=(), partners=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["partner"].choices = [("", _("bitte wählen"))] + list(partners)
        self.fields["criteria"].choices = list(criteria)
        self.fields["sites"].choices = list(sites)
        if len(sites) < 2:
            del self.fields["sites"]

    def data_for_service(self) -> AgreementData:
        data = self.cleaned_data
        return AgreementData(
            partner_id=data.get("partner"),
            subject=data["subject"],
            signed_on=data.get("signed_on"),
            signed_by=data["signed_by"],
            valid_until=data.get("valid_until"),
            site_ids=list(data.get("sites") or []),
            criterion_codes=list(data.get("criteria") or []),
        )


class EndAgreementForm(ServiceErrorsMixin, forms.Form):
    ended_on = forms.DateField(
        label=_("endet am (letzter Tag)"),
        widget=DateInput(),
        help_text=_("Bei einer Kündigung zu einem späteren Tag: diesen Tag."),
    )
