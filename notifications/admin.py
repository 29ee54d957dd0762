from __future__ import annotations

from django.contrib import admin

from notifications.models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["pk", "kind", "email", "subject", "created_at", "emailed_at", "failed_at", "attempts", "read_at"]
    list_filter = ["kind", ("emailed_at", admin.EmptyFieldListFilter), ("failed_at", admin.EmptyFieldListFilter)]
    search_fields = ["email", "subject"]
    list_select_related = ["recipient"]
    date_hierarchy = "created_at"

    # Rows are written by notify() only; the admin is for looking (and for
    # seeing which addresses the mail server refused).
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
