"""Forms of the review screens: the office's assignment, the reviewer's
verdicts and site visit, the Leitung's replies, the four-eyes decision."""

from __future__ import annotations

from datetime import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from assessments.models import Verdict
from certification.selectors import reviewer_pool


class PoolMemberField(forms.ModelChoiceField):
    def label_from_instance(self, user) -> str:
        return f"{user.full_name} ({user.email})" if user.full_name else user.email


class AssignReviewersForm(forms.Form):
    """Offers only pool members without a tie to the centre's Träger. A
    crafted request naming a tied pool member still passes the form and is
    refused by the service, whose message the page then shows."""

    reviewer = PoolMemberField(label=_("Gutachter:in"), queryset=reviewer_pool())
    second_reviewer = PoolMemberField(
        label=_("Zweitgutachter:in (Vier-Augen-Prinzip)"),
        queryset=reviewer_pool(confirmers=True),
        help_text=_("Bestätigt die Empfehlung oder gibt sie zurück; nie dieselbe Person wie die Gutachter:in."),
    )

    def __init__(self, *args, traeger_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        offered = {
            "reviewer": reviewer_pool(traeger_id=traeger_id),
            "second_reviewer": reviewer_pool(confirmers=True, traeger_id=traeger_id),
        }
        for name, queryset in offered.items():
            field = self.fields[name]
            field.queryset = reviewer_pool(confirmers=name == "second_reviewer")
            field.choices = [("", "---------")] + [(user.pk, field.label_from_instance(user)) for user in queryset]


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
