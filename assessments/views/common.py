"""What the views of the assessments app share: turning errors into
messages, reading ids from forms, and where a refused upload returns to."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404

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


def is_id(value: str) -> bool:
    # str.isdigit() accepts "²"; int() does not.
    return value.isascii() and value.isdigit() and len(value) < 19


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
