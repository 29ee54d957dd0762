"""The register in the admin: read-only, since register.services owns
every write (its checks, and the documents stored as evidence)."""

from __future__ import annotations

from django.contrib import admin

from certification.admin import ReadOnlyAdminMixin
from register.models import CooperationAgreement, StaffQualification


class ReadOnlyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    pass


@admin.register(StaffQualification)
class StaffQualificationAdmin(ReadOnlyAdmin):
    list_display = ["person", "role", "training", "completed_on", "hours", "online", "familienzentrum"]
    list_filter = ["online"]
    search_fields = ["person", "training", "familienzentrum__name"]
    list_select_related = ["familienzentrum"]


@admin.register(CooperationAgreement)
class CooperationAgreementAdmin(ReadOnlyAdmin):
    list_display = ["partner", "subject", "signed_on", "valid_until", "ended_on", "familienzentrum"]
    search_fields = ["partner__name", "subject", "familienzentrum__name"]
    list_select_related = ["partner", "familienzentrum"]
