"""The office's view of the cycle in the Django admin. States change only
through the services (and so only through the application's pages), so the
admin shows assessments, events and evidence but does not edit them."""

from __future__ import annotations

from django.contrib import admin

from assessments.models import (
    Assessment,
    AssessmentEvent,
    Evidence,
    EvidenceGrantLog,
    EvidenceRevision,
    PartnerInvitation,
    Submission,
)
from certification.admin import ReadOnlyAdminMixin


class ReadOnlyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    pass


class EventInline(admin.TabularInline):
    model = AssessmentEvent
    fields = ["created_at", "actor", "action", "from_state", "to_state", "note"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Assessment)
class AssessmentAdmin(ReadOnlyAdmin):
    list_display = ["familienzentrum", "kind", "state", "catalogue", "reviewer", "second_reviewer", "updated_at"]
    list_filter = ["state", "kind", "catalogue"]
    search_fields = ["familienzentrum__name"]
    list_select_related = ["familienzentrum", "catalogue", "reviewer", "second_reviewer"]
    inlines = [EventInline]


@admin.register(Submission)
class SubmissionAdmin(ReadOnlyAdmin):
    list_display = ["assessment", "number", "sha256", "submitted_by", "submitted_at"]
    list_select_related = ["assessment__familienzentrum", "submitted_by"]
    exclude = ["payload"]


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


@admin.register(PartnerInvitation)
class PartnerInvitationAdmin(ReadOnlyAdmin):
    list_display = ["email", "assessment", "partner", "created_at", "accepted_at"]
    list_select_related = ["assessment__familienzentrum", "partner"]
    exclude = ["nonce"]
