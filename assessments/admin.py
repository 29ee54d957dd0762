"""The office's view of the cycle in the Django admin. States change only
through the services (and so only through the application's pages), so the
admin shows assessments, events and invitations but does not edit them."""

from __future__ import annotations

from django.contrib import admin

from assessments.models import Assessment, AssessmentEvent, PartnerInvitation, Submission
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


@admin.register(PartnerInvitation)
class PartnerInvitationAdmin(ReadOnlyAdmin):
    list_display = ["email", "assessment", "partner", "created_at", "accepted_at"]
    list_select_related = ["assessment__familienzentrum", "partner"]
    exclude = ["nonce"]
