"""Forms of the assessments app: starting and answering, evidence uploads,
invitations, and the review screens (assignment, verdicts, site visit,
replies, the decision)."""

from __future__ import annotations

from datetime import date, datetime

from django import forms
from django.contrib.auth import get_user_model, password_validation
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from assessments.models import AssessmentKind, ItemStatus, Verdict
from certification.models import Area, AreaKind, CatalogueVersion, Criterion, Kooperationspartner
from certification.selectors import reviewer_pool
from certification.templatetags.catalogue_tags import localized
from evidence.models import EvidenceKind


def default_review_period(today: date) -> tuple[date, date]:
    """Re-certification periods run 1 January - 31 July or 1 August - 31 January."""
    if today.month >= 8:
        return date(today.year, 8, 1), date(today.year + 1, 1, 31)
    return date(today.year, 1, 1), date(today.year, 7, 31)


class ProfileAreasField(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, area: Area) -> str:
        return f"{area.code} {localized(area, 'title')}"


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
    def initial_for(cls, answer, *, with_sites: bool = True) -> dict:
        """`with_sites=False` for a single site, which names none."""
        if answer is None:
            return {"version": 0, "narrative": ""}
        initial = {"version": answer.version, "narrative": answer.narrative}
        for code, status in answer.item_statuses.items():
            initial[f"item_{code}"] = status
        if with_sites:
            initial["sites"] = [str(site.pk) for site in answer.delivering_sites.all()]
        return initial


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Begründung"), widget=forms.Textarea(attrs={"rows": 3}), max_length=4000)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field (the recipe of Django's documentation).
    Content checks happen in the upload service, not here."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return [single(data, initial)] if data else []


class EvidenceDetailsForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Art des Nachweises"),
        choices=EvidenceKind.choices,
        # Rendered by hand in the card: Bootstrap's class keeps it within its column.
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    title = forms.CharField(
        label=_("Titel"),
        required=False,
        max_length=200,
        help_text=_("Leer lassen, um den Dateinamen zu verwenden."),
    )
    effective_date = forms.DateField(
        label=_("Datum des Nachweises"), widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
    )
    valid_until = forms.DateField(
        label=_("gültig bis (falls befristet)"),
        required=False,
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
    )
    training_hours = forms.DecimalField(
        label=_("Umfang in Stunden (bei Fortbildungen)"), required=False, min_value=0, max_digits=6, decimal_places=1
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("kind") == EvidenceKind.QUALIFICATION and cleaned.get("training_hours") is None:
            self.add_error("training_hours", _("Bei Fortbildungen ist der Umfang in Stunden nötig."))
        return cleaned

    def details(self, site_ids=()):
        from evidence.services import EvidenceDetails

        return EvidenceDetails(
            kind=self.cleaned_data["kind"],
            effective_date=self.cleaned_data["effective_date"],
            valid_until=self.cleaned_data.get("valid_until"),
            training_hours=self.cleaned_data.get("training_hours"),
            title=self.cleaned_data.get("title", ""),
            site_ids=tuple(site_ids),
        )


class EvidenceUploadForm(EvidenceDetailsForm):
    files = MultipleFileField(label=_("Dateien"))

    field_order = ["files", "kind", "title", "effective_date", "valid_until", "training_hours"]


class RevisionUploadForm(forms.Form):
    file = forms.FileField(label=_("Neue Fassung"))


class PartnerSelect(forms.Select):
    """The partner choice; each option carries the organisation's address
    (data-email), which the invitation script puts into the e-mail field."""

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        partner = getattr(value, "instance", None)
        if partner is not None and partner.email:
            option["attrs"]["data-email"] = partner.email
        return option


class InvitationForm(forms.Form):
    """Whom to invite and to which criteria. The criteria come grouped by
    area; ticking an area's "alle im Bereich" box chooses all of its criteria
    (with or without the script, which only mirrors the choice in the boxes)."""

    partner = forms.ModelChoiceField(
        label=_("Kooperationspartner"),
        queryset=Kooperationspartner.objects.none(),
        required=False,
        widget=PartnerSelect,
        help_text=_("Oder unten eine neue Organisation nennen."),
    )
    organisation_name = forms.CharField(label=_("neue Organisation"), required=False, max_length=200)
    email = forms.EmailField(
        label=_("E-Mail-Adresse der Ansprechperson"),
        required=False,
        help_text=_("Bei einem gewählten Kooperationspartner leer lassen, um seine hinterlegte Adresse zu verwenden."),
    )
    criteria = forms.MultipleChoiceField(label=_("Kriterien"), required=False, widget=forms.CheckboxSelectMultiple)
    areas = forms.MultipleChoiceField(label=_("alle im Bereich"), required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, criteria_groups, partners=None, **kwargs):
        """criteria_groups: [(area, [(code, label), ...]), ...] in catalogue order."""
        super().__init__(*args, **kwargs)
        self.criteria_groups = criteria_groups
        self.fields["criteria"].choices = [choice for _area, choices in criteria_groups for choice in choices]
        self.fields["areas"].choices = [
            (area.code, f"{area.code} {localized(area, 'title')}") for area, _choices in criteria_groups
        ]
        # Only the partners that already work with this centre or its Träger;
        # none at all unless the view says which (never the whole database).
        self.fields["partner"].queryset = partners if partners is not None else Kooperationspartner.objects.none()

    def clean(self):
        cleaned = super().clean()
        partner = cleaned.get("partner")
        if not partner and not (cleaned.get("organisation_name") or "").strip():
            self.add_error(
                "organisation_name", _("Wählen Sie einen Kooperationspartner oder nennen Sie die Organisation.")
            )
        if "email" in cleaned and not cleaned["email"]:
            if not partner:
                self.add_error("email", _("Geben Sie die E-Mail-Adresse der Ansprechperson an."))
            elif not partner.email:
                self.add_error(
                    "email",
                    _("Für %(partner)s ist keine Adresse hinterlegt: bitte geben Sie sie an.") % {"partner": partner},
                )
            else:
                cleaned["email"] = partner.email
        chosen = list(cleaned.get("criteria") or [])
        whole_areas = set(cleaned.get("areas") or [])
        for area, choices in self.criteria_groups:
            if area.code in whole_areas:
                chosen += [code for code, _label in choices if code not in chosen]
        cleaned["criteria"] = chosen
        if not chosen and "criteria" not in self.errors:
            self.add_error("criteria", _("Wählen Sie mindestens ein Kriterium."))
        return cleaned

    def groups(self):
        """Per area: the area, whether "alle im Bereich" is ticked, and its criteria
        as (code, label, checked) in catalogue order, for the template."""
        if self.is_bound:
            getlist = getattr(self.data, "getlist", lambda key: self.data.get(key) or [])
            checked = set(getlist(self.add_prefix("criteria")))
            whole = set(getlist(self.add_prefix("areas")))
        else:
            checked, whole = set(self.initial.get("criteria", [])), set()
        return [
            {
                "area": area,
                "all": area.code in whole or bool(choices) and all(code in checked for code, _label in choices),
                "criteria": [(code, label, code in checked or area.code in whole) for code, label in choices],
            }
            for area, choices in self.criteria_groups
        ]


class PartnerRegistrationForm(forms.Form):
    full_name = forms.CharField(label=_("Ihr Name"), max_length=200)
    password = forms.CharField(label=_("Passwort"), widget=forms.PasswordInput, min_length=10)
    password_again = forms.CharField(label=_("Passwort wiederholen"), widget=forms.PasswordInput)

    def __init__(self, *args, email: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.email = email

    def clean(self):
        cleaned = super().clean()
        password = cleaned.get("password")
        if password and password != cleaned.get("password_again"):
            self.add_error("password_again", _("Die Passwörter stimmen nicht überein."))
        elif password:
            user = get_user_model()(email=self.email, full_name=cleaned.get("full_name", ""))
            try:
                password_validation.validate_password(password, user=user)
            except forms.ValidationError as error:
                self.add_error("password", error)
        return cleaned


class GrantForm(forms.Form):
    familienzentrum = forms.ModelChoiceField(label=_("freigeben für"), queryset=None)

    def __init__(self, *args, centres, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["familienzentrum"].queryset = centres


# ---------------------------------------------------------------- the review


class PoolMemberField(forms.ModelChoiceField):
    def label_from_instance(self, user) -> str:
        return f"{user.full_name} ({user.email})" if user.full_name else user.email


class AssignReviewersForm(forms.Form):
    """Offers only pool members without a tie to the centre's Träger, from
    the list the page already read with their workload and conflicts
    (assessments.assignment_selectors.reviewers_for_assessment; the page
    shows those in a table above the choice). A crafted request naming a tied pool member still passes the form and is
    refused by the service, whose message the page then shows."""

    reviewer = PoolMemberField(label=_("Gutachter:in"), queryset=reviewer_pool())
    second_reviewer = PoolMemberField(
        label=_("Zweitgutachter:in (Vier-Augen-Prinzip)"),
        queryset=reviewer_pool(confirmers=True),
        help_text=_("Bestätigt die Empfehlung oder gibt sie zurück; nie dieselbe Person wie die Gutachter:in."),
    )

    def __init__(self, *args, reviewers: list, **kwargs):
        super().__init__(*args, **kwargs)
        offered = [user for user in reviewers if not user.tied]
        for name in ("reviewer", "second_reviewer"):
            field = self.fields[name]
            confirmers = name == "second_reviewer"
            field.queryset = reviewer_pool(confirmers=confirmers)
            field.choices = [("", "---------")] + [
                (user.pk, field.label_from_instance(user)) for user in offered if user.may_confirm or not confirmers
            ]


class IdListField(forms.Field):
    """Many ids under one name (checkboxes); a value that is not a number is refused."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value) -> list[int]:
        try:
            return [int(item) for item in value or []]
        except (TypeError, ValueError):
            raise forms.ValidationError(_("Die Auswahl enthält einen ungültigen Eintrag.")) from None


class BulkAssignForm(forms.Form):
    """The office queue's selection and the reviewer(s) chosen for it. Ids the
    user may not see or that cannot be assigned are the service's to refuse,
    one by one."""

    assessment = IdListField(required=False)
    reviewer = PoolMemberField(
        label=_("Gutachter:in"),
        queryset=reviewer_pool(),
        error_messages={
            "required": _("Bitte wählen Sie eine Gutachter:in."),
            "invalid_choice": _("Die gewählte Person gehört nicht (mehr) zum aktiven Gutachter:innen-Pool."),
        },
    )
    second_reviewer = PoolMemberField(
        label=_("Zweitgutachter:in"),
        queryset=reviewer_pool(confirmers=True),
        required=False,
        error_messages={
            "invalid_choice": _("Die gewählte Person darf nicht (mehr) als Zweitgutachter:in bestätigen."),
        },
    )


class VerdictForm(forms.Form):
    verdict = forms.ChoiceField(label=_("Urteil"), choices=Verdict.choices)
    comment = forms.CharField(
        label=_("Kommentar"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("verdict") == Verdict.QUERIED and not (cleaned.get("comment") or "").strip():
            self.add_error("comment", _("Eine Rückfrage braucht einen Kommentar."))
        return cleaned


class ReplyForm(forms.Form):
    reply = forms.CharField(label=_("Ihre Antwort"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3}))


class NoteForm(forms.Form):
    note = forms.CharField(
        label=_("Notiz (optional)"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 2})
    )


class SiteVisitForm(forms.Form):
    date = forms.DateField(label=_("Datum"), widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}))
    time = forms.TimeField(label=_("Uhrzeit"), widget=forms.TimeInput(format="%H:%M", attrs={"type": "time"}))
    sites = forms.MultipleChoiceField(label=_("Besuchte Standorte"), widget=forms.CheckboxSelectMultiple)
    notes = forms.CharField(
        label=_("Hinweise für das Familienzentrum"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Werden mit der Einladung verschickt."),
    )

    def __init__(self, *args, familienzentrum, **kwargs):
        super().__init__(*args, **kwargs)
        links = list(familienzentrum.site_links.all())
        self.fields["sites"].choices = [
            (
                str(link.site_id),
                f"{link.site.name}" + (f" ({_('Zuschussempfänger')})" if link.is_grant_recipient else ""),
            )
            for link in links
        ]
        if familienzentrum.is_verbund:
            self.fields["sites"].help_text = _(
                "Im Verbund werden genau zwei Standorte besucht, einer davon der Zuschussempfänger."
            )
        # The date picker offers no past days; clean() is what decides.
        self.fields["date"].widget.attrs["min"] = timezone.localdate().isoformat()

    def clean(self):
        cleaned = super().clean()
        day, time = cleaned.get("date"), cleaned.get("time")
        # A visit is planned, or moved, only to a time still ahead.
        if day and time and self.scheduled_for() <= timezone.now():
            if day < timezone.localdate():
                self.add_error(
                    "date", _("Das Datum liegt in der Vergangenheit. Planen Sie die Begehung für die Zukunft.")
                )
            else:
                self.add_error(
                    "time", _("Die Uhrzeit ist heute schon vorbei. Planen Sie die Begehung für die Zukunft.")
                )
        return cleaned

    def scheduled_for(self) -> datetime:
        naive = datetime.combine(self.cleaned_data["date"], self.cleaned_data["time"])
        return timezone.make_aware(naive)

    def site_ids(self) -> list[int]:
        return [int(pk) for pk in self.cleaned_data["sites"]]


class RecertificationForm(forms.Form):
    review_period_start = forms.DateField(
        label=_("Prüfzeitraum von"), widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
    )
    review_period_end = forms.DateField(
        label=_("Prüfzeitraum bis"), widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
    )

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("review_period_start"), cleaned.get("review_period_end")
        if start and end and end < start:
            self.add_error("review_period_end", _("Der Prüfzeitraum endet vor seinem Beginn."))
        return cleaned
