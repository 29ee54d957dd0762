"""What the views of the assessments app share: turning errors into
messages, reading ids from forms, and where a refused upload returns to."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts import throttle
from accounts.network import client_ip
from assessments.exceptions import CriterionNotInCatalogue
from assessments.services import criterion_of


def report_errors(request, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


def form_errors(request, form) -> None:
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        for error in errors:
            messages.error(request, f"{label}: {error}" if label else error)


def over_limit(request, action: str) -> bool:
    """Count one `action` ("invitation", "upload") for the user and for the
    client address; True, with the message for the user, once either went
    over its limit within the window (settings.ACTION_LIMITS)."""
    per_user, per_address = settings.ACTION_LIMITS[action]
    period = settings.ACTION_LIMIT_WINDOW_MINUTES * 60
    within = throttle.hit(f"{action}:user:{request.user.pk}", per_user, period)
    within = throttle.hit(f"{action}:address:{client_ip(request)}", per_address, period) and within
    if not within:
        messages.error(
            request,
            _("Zu viele Anfragen in kurzer Zeit. Bitte versuchen Sie es in %(minutes)d Minuten erneut.")
            % {"minutes": settings.ACTION_LIMIT_WINDOW_MINUTES},
        )
    return not within


def is_id(value: str) -> bool:
    # str.isdigit() accepts "²"; int() does not.
    return value.isascii() and value.isdigit() and len(value) < 19


def card_url(assessment, criterion) -> str:
    """A criterion's card on its area page."""
    return reverse("assessments:area", args=[assessment.pk, criterion.area.code]) + f"#kriterium-{criterion.pk}"


def criterion_or_404(assessment, code):
    try:
        return criterion_of(assessment, code)
    except CriterionNotInCatalogue:
        raise Http404 from None


def upload_refused_returns_to(target):
    """Names where an upload view's user is sent back to (with the message)
    when Django refuses the upload before the view runs: too many files, a
    broken multipart body. config.middleware.RequestSizeLimitMiddleware reads
    it; `target(request, *args, **kwargs)` gets the view's arguments, may
    raise Http404 like the view, and returns a URL, or None for the page
    the form was on (the Referer)."""

    def mark(view):
        view.upload_refused_returns_to = target
        return view

    return mark
