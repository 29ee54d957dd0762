"""The office's view of the document library in the Django admin: read-only,
since every change goes through the services (and their checks and logs)."""

from __future__ import annotations

from django.contrib import admin

from certification.admin import ReadOnlyAdminMixin
from evidence.models import Evidence, EvidenceGrantLog, EvidenceRevision


class ReadOnlyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    pass


class RevisionInline(admin.TabularInline):
    model = EvidenceRevision
    fields = ["number", "original_name", "content_type", "size", "sha256", "uploaded_by", "uploaded_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Evidence)
class EvidenceAdmin(ReadOnlyAdmin):
    list_display = ["title", "kind", "owner_familienzentrum", "owner_partner", "effective_date", "valid_until"]
    list_filter = ["kind"]
    search_fields = ["title", "revisions__sha256"]
    list_select_related = ["owner_familienzentrum", "owner_partner"]
    inlines = [RevisionInline]


@admin.register(EvidenceGrantLog)
class EvidenceGrantLogAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "evidence", "familienzentrum", "action", "actor"]
    list_filter = ["action"]
    list_select_related = ["evidence", "familienzentrum", "actor"]
