"""The pages that span apps: the signed-in start page and the health page."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from assessments.selectors import (
    START_PAGE_LIMIT,
    centre_assessments,
    leitung_centre_cards,
    office_centres,
    partner_organisations,
    review_assignments,
    traeger_overview,
)
from certification.selectors import roles_for

logger = logging.getLogger(__name__)


@login_required
def home(request):
    """Each role's part of the start page. Long lists show their first rows
    and the total; `?alle=1` shows them in full."""
    user = request.user
    roles = roles_for(user)
    limit = None if request.GET.get("alle") == "1" else START_PAGE_LIMIT
    context = {
        "roles": roles,
        "has_any_role": any([roles.is_leitung, roles.is_traeger, roles.is_partner, roles.is_reviewer, roles.is_office]),
    }
    if roles.is_leitung or roles.acting_traeger_ids:
        context["centre_cards"] = leitung_centre_cards(user)
    if roles.is_traeger:
        context["traeger_overview"] = traeger_overview(user)
    if roles.is_partner:
        context["partners"] = partner_organisations(user)
    if roles.is_reviewer:
        context["review_assignments"] = review_assignments(user, limit=limit)
    if roles.is_office:
        context["office_centres"] = office_centres(user, limit=limit)
    if roles.is_traeger or roles.is_office:
        context["assessments"] = centre_assessments(user, limit=limit)
    return render(request, "home.html", context)


def _check_database() -> tuple[bool, str]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # any failure means "down"; the log has the details, the page does not.
        logger.exception("Health check: database unreachable")
        return False, _("Verbindung fehlgeschlagen")
    return True, connection.vendor


def _check_broker() -> tuple[bool, str]:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return True, _("kein Broker konfiguriert: Aufgaben laufen sofort im Webprozess")
    from config.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(
                max_retries=1, interval_start=0, interval_step=0, timeout=settings.CELERY_BROKER_CONNECTION_TIMEOUT
            )
    except Exception:
        logger.exception("Health check: broker unreachable")
        return False, _("Verbindung fehlgeschlagen")
    return True, app.conf.broker_url.split("://", 1)[0]


def health(request):
    database_ok, database_detail = _check_database()
    broker_ok, broker_detail = _check_broker()
    healthy = database_ok and broker_ok
    status = 200 if healthy else 503
    checks = {
        "database": {"ok": database_ok, "detail": database_detail},
        "broker": {"ok": broker_ok, "detail": broker_detail},
    }
    if request.GET.get("format") == "json" or "application/json" in request.headers.get("Accept", ""):
        return JsonResponse({"ok": healthy, "checks": checks}, status=status)
    return render(request, "health.html", {"healthy": healthy, "checks": checks}, status=status)
