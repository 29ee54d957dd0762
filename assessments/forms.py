from __future__ import annotations

from datetime import date

from django import forms
from django.utils.translation import gettext_lazy as _

from assessments.models import AssessmentKind, ItemStatus
from certification.models import Area, AreaKind, CatalogueVersion, Criterion


def default_review_period(today: date) -> tuple[date, date]:
    """Re-certification periods run 1 January - 31 July or 1 August - 31 January."""
    if today.month >= 8:
        return date(today.year, 8, 1), date(today.year + 1, 1, 31)
    return date(today.year, 1, 1), date(today.year, 7, 31)


class ProfileAreasField(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, area: Area) -> str:
        return f"{area.code} {area.title}"


class StartAssessmentForm(forms.Form):
    kind = forms.ChoiceField(label=_("Verfahren"), choices=AssessmentKind.choices, widget=forms.RadioSelect)
    profile_areas = ProfileAreasField(label=_("Profilbereiche"), queryset=Area.objects.none())
    review_period_start = forms.DateField(
        label=_("Prüfzeitraum von"), widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
    )
    review_period_end = forms.DateField(
        label=_("Prüfzeitraum bis"), widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
    )

    def __init__(self, *args, catalogue: CatalogueVersion, **kwargs):
        super().__init__(*args, **kwargs)
        self.catalogue = catalogue
        self.fields["profile_areas"].queryset = Area.objects.filter(
            catalogue=catalogue, kind=AreaKind.PROFILE, always_required=False
        ).order_by("order")
        self.fields["profile_areas"].help_text = _("Wählen Sie %(min)d bis %(max)d Profilbereiche.") % {
            "min": catalogue.min_profile_areas,
            "max": catalogue.max_profile_areas,
        }

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("review_period_start"), cleaned.get("review_period_end")
        if start and end and end < start:
            self.add_error("review_period_end", _("Der Prüfzeitraum endet vor seinem Beginn."))
        return cleaned


class ProfileForm(forms.Form):
    profile_areas = ProfileAreasField(label=_("Profilbereiche"), queryset=Area.objects.none())

    def __init__(self, *args, catalogue: CatalogueVersion, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["profile_areas"].queryset = Area.objects.filter(
            catalogue=catalogue, kind=AreaKind.PROFILE, always_required=False
        ).order_by("order")


STATUS_CHOICES = [("", _("offen"))] + list(ItemStatus.choices)


class AnswerForm(forms.Form):
    """One criterion's answer. Fields are built from the criterion's items;
    every form on a page has the criterion's id as prefix."""

    narrative = forms.CharField(label=_("Beschreibung"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args, criterion: Criterion, sites: list | None = None, **kwargs):
        kwargs.setdefault("prefix", f"c{criterion.pk}")
        super().__init__(*args, **kwargs)
        self.criterion = criterion
        self.item_fields = []
        for item in criterion.items.all():
            name = f"item_{item.code}"
            self.fields[name] = forms.ChoiceField(
                label=f"{item.code} {item.text}", choices=STATUS_CHOICES, required=False, widget=forms.RadioSelect
            )
            self.item_fields.append((item, name))
        self.has_sites = bool(sites)
        if sites:
            self.fields["sites"] = forms.MultipleChoiceField(
                label=_("erbracht von Standort"),
                choices=[(str(site.pk), site.name) for site in sites],
                required=False,
                widget=forms.CheckboxSelectMultiple,
            )

    def item_rows(self):
        return [(item, self[name]) for item, name in self.item_fields]

    def item_statuses(self) -> dict[str, str]:
        return {item.code: self.cleaned_data.get(name) or "" for item, name in self.item_fields}

    def site_ids(self) -> list[int]:
        return [int(pk) for pk in self.cleaned_data.get("sites", [])]

    @classmethod
    def initial_for(cls, answer) -> dict:
        if answer is None:
            return {"version": 0, "narrative": ""}
        initial = {"version": answer.version, "narrative": answer.narrative}
        for code, status in answer.item_statuses.items():
            initial[f"item_{code}"] = status
        initial["sites"] = [str(site.pk) for site in answer.delivering_sites.all()]
        return initial


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Begründung"), widget=forms.Textarea(attrs={"rows": 3}), max_length=4000)
