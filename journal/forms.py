"""The journal's entry form: four fields for an offer, the rest folded away.
It only reads the input; journal.services checks it against the journal."""

from __future__ import annotations

from datetime import date

from django import forms
from django.utils.translation import gettext_lazy as _

from journal.models import OfferKind, Recurrence, TargetGroup
from journal.services import EntryData

# Field names of the service's errors that the form shows under another name.
ERROR_FIELDS = {"criterion_codes": "criteria", "site": "site", "partner": "partner", "dates": "dates"}


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class EntryForm(forms.Form):
    title = forms.CharField(label=_("Was fand statt?"), max_length=200)
    # Not required here: single dates (recurrence DATES) need none; the service names what is missing.
    first_date = forms.DateField(label=_("Datum (erster Termin)"), required=False, widget=DateInput())
    criteria = forms.MultipleChoiceField(
        label=_("Dient den Kriterien"), widget=forms.CheckboxSelectMultiple, required=False
    )
    participants = forms.IntegerField(label=_("Teilnehmende"), required=False)
    # "Mehr Angaben"
    recurrence = forms.ChoiceField(label=_("Wiederholung"), choices=Recurrence.choices, initial=Recurrence.ONCE)
    until = forms.DateField(label=_("bis (letzter möglicher Termin)"), required=False, widget=DateInput())
    dates = forms.CharField(
        label=_("Einzelne Termine"),
        required=False,
        help_text=_("Bei „einzelne Termine“: Daten durch Komma getrennt, z. B. 03.02.2026, 17.02.2026."),
    )
    kind = forms.ChoiceField(label=_("Art"), choices=OfferKind.choices, initial=OfferKind.GROUP)
    target_group = forms.ChoiceField(label=_("Zielgruppe"), choices=TargetGroup.choices, initial=TargetGroup.FAMILIES)
    site = forms.TypedChoiceField(label=_("Standort"), required=False, coerce=int, empty_value=None)
    partner = forms.TypedChoiceField(label=_("Kooperationspartner"), required=False, coerce=int, empty_value=None)
    note = forms.CharField(label=_("Notiz"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    attachment = forms.FileField(
        label=_("Anhang (Flyer, Teilnahmeliste)"),
        required=False,
        help_text=_("PDF, JPEG, PNG, DOCX, XLSX, ODT, ODS oder Text; wird wie jeder Nachweis geprüft."),
    )
    # A one-time token: the same form sent twice (a double click, a reload)
    # records the offer once.
    token = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, criteria, sites=(), partners=(), **kwargs):
        """`criteria`: the (code, label) choices, all of the catalogue or only
        a partner's invited ones; `partners` None for a partner's own form
        (it is the partner)."""
        super().__init__(*args, **kwargs)
        self.fields["criteria"].choices = criteria
        self.fields["site"].choices = [("", _("das ganze Familienzentrum"))] + list(sites)
        if len(sites) < 2:
            # A single site has nothing to choose.
            del self.fields["site"]
        if partners is None:
            del self.fields["partner"]
        else:
            self.fields["partner"].choices = [("", _("ohne Kooperationspartner"))] + list(partners)

    MORE_FIELDS = ("recurrence", "until", "dates", "kind", "target_group", "site", "partner", "note", "attachment")

    @property
    def more_open(self) -> bool:
        """The "Mehr Angaben" fold stays open when it holds an error or
        anything other than the defaults, so nothing typed is hidden."""
        for name in self.MORE_FIELDS:
            if name not in self.fields:
                continue
            if self[name].errors:
                return True
            value = self[name].value()
            if name != "attachment" and value not in (None, "", self.fields[name].initial):
                return True
        return False

    def clean_dates(self) -> list[date]:
        text = self.cleaned_data.get("dates", "")
        dates = []
        for part in text.replace(";", ",").split(","):
            part = part.strip()
            if not part:
                continue
            try:
                dates.append(forms.DateField(input_formats=["%d.%m.%Y", "%Y-%m-%d"]).clean(part))
            except forms.ValidationError as error:
                raise forms.ValidationError(_("„%(value)s“ ist kein Datum (TT.MM.JJJJ).") % {"value": part}) from error
        return dates

    def entry_data(self) -> EntryData:
        data = self.cleaned_data
        return EntryData(
            title=data["title"],
            first_date=data.get("first_date"),
            criterion_codes=list(data.get("criteria") or []),
            kind=data.get("kind") or OfferKind.GROUP,
            recurrence=data.get("recurrence") or Recurrence.ONCE,
            until=data.get("until"),
            dates=data.get("dates") or [],
            site_id=data.get("site"),
            partner_id=data.get("partner") if "partner" in self.fields else None,
            target_group=data.get("target_group") or TargetGroup.FAMILIES,
            participants=data.get("participants"),
            note=data.get("note", ""),
            form_token=data.get("token") or "",
        )

    def add_service_errors(self, by_field: dict[str, list[str]]) -> None:
        for name, messages in by_field.items():
            field = ERROR_FIELDS.get(name, name)
            for message in messages:
                self.add_error(field if field in self.fields else None, message)
