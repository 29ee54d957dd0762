"""The pages that span apps: the signed-in start page and the health page."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from assessments.models import OPEN_STATES, AssessmentState
from assessments.review_selectors import last_closed_state_by_centre
from assessments.selectors import assessments_for_user
from certification.models import Familienzentrum
from certification.selectors import (
    current_seal_by_centre,
    familienzentren_for_user,
    familienzentren_led_by,
    partners_for_user,
    roles_for,
    sites_of_traeger_for_user,
    traeger_for_user,
)

logger = logging.getLogger(__name__)


@login_required
def home(request):
    roles = roles_for(request.user)
    context = {"roles": roles}
    visible_assessments = list(assessments_for_user(request.user).order_by("-updated_at")[:50])
    if roles.is_leitung or roles.acting_traeger_ids:
        open_by_centre = {
            assessment.familienzentrum_id: assessment
            for assessment in visible_assessments
            if assessment.state in OPEN_STATES
        }
        centres = list(familienzentren_led_by(request.user))
        # visible_assessments is newest first, so the first one per centre is its latest.
        latest_by_centre = {}
        for assessment in visible_assessments:
            latest_by_centre.setdefault(assessment.familienzentrum_id, assessment)
        for centre in centres:
            centre.open_assessment = open_by_centre.get(centre.pk)
            centre.latest_assessment = latest_by_centre.get(centre.pk)
        # The seal, and whether a re-certification may start (the last cycle ended certified).
        seals = current_seal_by_centre(centre.pk for centre in centres)
        last_states = last_closed_state_by_centre(centre.pk for centre in centres)
        for centre in centres:
            centre.current_seal = seals.get(centre.pk)
            centre.can_recertify = (
                centre.open_assessment is None and last_states.get(centre.pk) == AssessmentState.CERTIFIED
            )
        context["led_familienzentren"] = centres
    if roles.is_traeger or roles.is_office or roles.is_reviewer:
        context["assessments"] = visible_assessments
    if roles.is_traeger:
        context["traeger_list"] = traeger_for_user(request.user)
        context["traeger_sites"] = sites_of_traeger_for_user(request.user)
        traeger_centres = list(Familienzentrum.objects.filter(traeger_id__in=roles.traeger_ids).order_by("name"))
        seals = current_seal_by_centre(centre.pk for centre in traeger_centres)
        context["traeger_seals"] = [(centre, seals.get(centre.pk)) for centre in traeger_centres]
    if roles.is_reviewer:
        context["review_assignments"] = [
            assessment
            for assessment in visible_assessments
            if request.user.pk in (assessment.reviewer_id, assessment.second_reviewer_id)
        ]
    if roles.is_partner:
        context["partners"] = partners_for_user(request.user)
    if roles.is_office:
        all_centres = list(familienzentren_for_user(request.user))
        seals = current_seal_by_centre(centre.pk for centre in all_centres)
        for centre in all_centres:
            centre.current_seal = seals.get(centre.pk)
        context["all_familienzentren"] = all_centres
    context["has_any_role"] = any(
        [roles.is_leitung, roles.is_traeger, roles.is_partner, roles.is_reviewer, roles.is_office]
    )
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
