"""The office's view of the offer journals in the Django admin: read-only,
since every entry is written through journal.services (and its checks)."""

from __future__ import annotations

from django.contrib import admin

from certification.admin import ReadOnlyAdminMixin
from journal.models import JournalEntry, JournalSession, JournalTag


class SessionInline(admin.TabularInline):
    model = JournalSession
    fields = ["date"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class TagInline(SessionInline):
    model = JournalTag
    fields = ["criterion_code"]
    readonly_fields = fields


@admin.register(JournalEntry)
class JournalEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["title", "familienzentrum", "kind", "recurrence", "first_date", "last_date", "partner"]
    list_filter = ["kind", "recurrence"]
    search_fields = ["title", "familienzentrum__name", "tags__criterion_code"]
    list_select_related = ["familienzentrum", "partner"]
    date_hierarchy = "first_date"
    inlines = [SessionInline, TagInline]
