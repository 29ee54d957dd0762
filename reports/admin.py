from __future__ import annotations

from django.contrib import admin

from reports.models import Report


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = ["pk", "kind", "status", "submission", "attempts", "requested_at", "finished_at"]
    list_filter = ["kind", "status"]
    list_select_related = ["submission"]
    search_fields = ["submission__assessment__familienzentrum__name", "sha256"]
    # Reports are written by their services only; the admin is for looking.
    readonly_fields = [field.name for field in Report._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False
