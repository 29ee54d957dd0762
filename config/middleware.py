"""Project-wide middleware: the request size limit and the language choice.

RequestSizeLimitMiddleware refuses request bodies above the upload limit before anything reads them.

CSRF checking parses a POST body (and Django streams uploaded files to
temporary files while doing so), so a size check in a view comes too late:
a multi-gigabyte body would fill the disk before the view could say no."""

from __future__ import annotations

from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.shortcuts import render
from django.utils import translation


def max_request_bytes() -> int:
    # Every allowed file at its maximum size, plus room for the form fields.
    return (settings.MAX_UPLOAD_MB * settings.MAX_UPLOAD_FILES + 1) * 1024 * 1024


class RequestSizeLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > max_request_bytes():
            context = {"max_mb": settings.MAX_UPLOAD_MB, "max_files": settings.MAX_UPLOAD_FILES}
            return render(request, "request_too_large.html", context, status=413)
        return self.get_response(request)


class GermanFirstLocaleMiddleware(LocaleMiddleware):
    """German unless the user chose English with the language switch (a
    cookie). The browser's Accept-Language is ignored on purpose: the
    certification is conducted in German, and a centre's PC with an English
    browser should not silently show a different interface."""

    def process_request(self, request):
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        if language not in dict(settings.LANGUAGES):
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
