from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.utils.translation import gettext_lazy as _

from certification.models import (
    Area,
    CatalogueVersion,
    Criterion,
    CriterionItem,
    Einrichtung,
    Familienzentrum,
    FamilienzentrumSite,
    Guetesiegel,
    Kooperationspartner,
    LogEntry,
    Membership,
    Reviewer,
    SealReminder,
    ThresholdRule,
    Traeger,
)
from certification.services import SiteChoice, validate_site_composition

admin.site.site_header = _("Gütesiegel Familienzentrum NRW – Verwaltung")
admin.site.site_title = _("Verwaltung")
admin.site.index_title = _("Zertifizierungsstelle")


class ReadOnlyAdminMixin:
    """Catalogue rows come only from `manage.py load_catalogue`: a loaded
    version is immutable, so the admin shows them and changes nothing."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class AreaInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Area
    fields = ["order", "code", "kind", "title", "always_required"]
    extra = 0


class RuleInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = ThresholdRule
    fields = ["order", "code", "title", "min_basis", "min_aufbau", "min_points"]
    extra = 0


@admin.register(CatalogueVersion)
class CatalogueVersionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["title", "code", "version", "valid_from", "is_working_version", "loaded_at"]
    inlines = [AreaInline, RuleInline]


class ItemInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = CriterionItem
    fields = ["order", "code", "text"]
    extra = 0


@admin.register(Criterion)
class CriterionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["code", "title", "area", "level", "points", "logic", "catalogue"]
    list_filter = ["catalogue", "level", "area__kind"]
    search_fields = ["code", "title", "items__text"]
    list_select_related = ["area", "catalogue"]
    inlines = [ItemInline]


class SiteInlineFormSet(BaseInlineFormSet):
    """Checks the sites as a whole against the Verbund rules; the parent form's
    values (form, exception, Träger) are already on self.instance here."""

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        choices = [
            SiteChoice(
                site=form.cleaned_data["site"],
                is_grant_recipient=form.cleaned_data.get("is_grant_recipient", False),
                is_contact_site=form.cleaned_data.get("is_contact_site", False),
            )
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE") and form.cleaned_data.get("site")
        ]
        centre = self.instance
        try:
            validate_site_composition(
                form=centre.form,
                traeger_id=centre.traeger_id,
                sites=choices,
                distance_exception=centre.distance_exception,
                extra_sites_approved=centre.extra_sites_approved,
            )
        except ValidationError as error:
            raise ValidationError(error.messages) from None


class SiteInline(admin.TabularInline):
    model = FamilienzentrumSite
    formset = SiteInlineFormSet
    extra = 1
    autocomplete_fields = ["site"]


@admin.register(Familienzentrum)
class FamilienzentrumAdmin(admin.ModelAdmin):
    list_display = ["name", "form", "traeger", "certification_number"]
    list_filter = ["form", "traeger"]
    search_fields = ["name", "certification_number"]
    list_select_related = ["traeger"]
    inlines = [SiteInline]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change, **kwargs)

        class FamilienzentrumAdminForm(form_class):
            def clean(self):
                cleaned = super().clean()
                if cleaned.get("distance_exception") and not (cleaned.get("distance_exception_note") or "").strip():
                    self.add_error(
                        "distance_exception_note", _("Eine Ausnahme vom 3-km-Abstand braucht eine Begründung.")
                    )
                return cleaned

        return FamilienzentrumAdminForm


@admin.register(Einrichtung)
class EinrichtungAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "traeger", "city", "latitude", "longitude"]
    list_filter = ["kind", "traeger"]
    search_fields = ["name", "city"]
    list_select_related = ["traeger"]


@admin.register(Traeger)
class TraegerAdmin(admin.ModelAdmin):
    list_display = ["name", "city", "email"]
    search_fields = ["name"]


@admin.register(Kooperationspartner)
class KooperationspartnerAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "city", "email"]
    list_filter = ["kind"]
    search_fields = ["name"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "site", "traeger", "partner", "can_act_as_leitung"]
    list_filter = ["role"]
    search_fields = ["user__email", "site__name", "traeger__name", "partner__name"]
    autocomplete_fields = ["user", "site", "traeger", "partner"]
    list_select_related = ["user", "site", "traeger", "partner"]


@admin.register(Reviewer)
class ReviewerAdmin(admin.ModelAdmin):
    list_display = ["user", "is_active", "may_confirm"]
    list_filter = ["is_active", "may_confirm"]
    autocomplete_fields = ["user"]


class SealReminderInline(admin.TabularInline):
    model = SealReminder
    fields = ["months_before", "sent_at", "recipients"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Guetesiegel)
class GuetesiegelAdmin(admin.ModelAdmin):
    """Seals are issued by the four-eyes decision only; the admin shows them."""

    list_display = ["number", "familienzentrum", "valid_from", "valid_until", "issued_at"]
    search_fields = ["number", "familienzentrum__name"]
    list_select_related = ["familienzentrum"]
    readonly_fields = ["familienzentrum", "number", "valid_from", "valid_until", "snapshot_sha256", "issued_at"]
    inlines = [SealReminderInline]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(LogEntry)
class LogEntryAdmin(admin.ModelAdmin):
    """The log is append-only: the admin lists it, nobody adds, edits or deletes."""

    list_display = ["created_at", "action", "actor", "familienzentrum", "criterion", "content_type", "object_id"]
    list_filter = ["action"]
    search_fields = ["actor__email", "familienzentrum__name"]
    list_select_related = ["actor", "familienzentrum", "criterion", "content_type"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
