from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Berichte")

    def ready(self) -> None:
        from django_fsm.signals import post_transition

        from assessments.models import Assessment
        from reports import rules  # noqa: F401  (registers the app's permissions)
        from reports.receivers import request_reports_on_transition

        post_transition.connect(
            request_reports_on_transition, sender=Assessment, dispatch_uid="reports.request_reports_on_transition"
        )
