"""Project-wide middleware: the request size limit and the language choice.

RequestSizeLimitMiddleware refuses request bodies above the upload limit before anything reads them,
and turns an upload Django cannot parse (too many files, a broken multipart body) into a message on
the page the form was on instead of a bare 400 page.

CSRF checking parses a POST body (and Django streams uploaded files to
temporary files while doing so), so a size check in a view comes too late:
a multi-gigabyte body would fill the disk before the view could say no."""

from __future__ import annotations

from django.conf import settings
from django.contrib.messages import constants as message_levels
from django.contrib.messages.storage import default_storage
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpResponseRedirect
from django.http.multipartparser import MultiPartParserError
from django.middleware.locale import LocaleMiddleware
from django.shortcuts import render
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _


def max_request_bytes() -> int:
    # Every allowed file at its maximum size, plus room for the form fields.
    return (settings.MAX_UPLOAD_MB * settings.MAX_UPLOAD_FILES + 1) * 1024 * 1024


class RequestSizeLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _content_length(request) > max_request_bytes():
            message = _(
                "Die Dateien sind zu groß: Erlaubt sind höchstens %(max_files)d Dateien auf einmal mit je "
                "höchstens %(max_mb)d MB. Es wurde nichts gespeichert."
            ) % {"max_files": settings.MAX_UPLOAD_FILES, "max_mb": settings.MAX_UPLOAD_MB}
            # Too early to know the view, and so the card: back to the page the
            # form was on (its Referer), or this page where there is none.
            return _refused(request, message, _same_origin_referer(request))
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        """Parse a multipart body here, before CsrfViewMiddleware reads it,
        so that Django's refusals become a message where the user is looking.
        A view names that place with views.common.upload_refused_returns_to;
        otherwise the Referer, else the page."""
        if request.method != "POST" or request.content_type != "multipart/form-data":
            return None
        returns_to = getattr(view_func, "upload_refused_returns_to", None)
        message = None
        try:
            # Parses the body, files included. An upload whose body yields
            # nothing at all (not even the CSRF token) came with a wrong boundary.
            if request.POST or request.FILES or returns_to is None or _content_length(request) == 0:
                return None
        except TooManyFilesSent:
            message = _(
                "Höchstens %(max)d Dateien auf einmal; es wurden mehr gesendet. Es wurde nichts gespeichert."
            ) % {"max": settings.MAX_UPLOAD_FILES}
        except (RequestDataTooBig, TooManyFieldsSent):
            message = _("Das Formular enthält zu viele oder zu lange Angaben. Es wurde nichts gespeichert.")
        except MultiPartParserError:
            pass
        if message is None:
            message = _(
                "Die Dateien sind nicht vollständig oder fehlerhaft angekommen. Es wurde nichts gespeichert; "
                "bitte versuchen Sie es erneut."
            )
        # Django has already dropped whatever it had parsed: nothing is stored.
        target = None
        user = getattr(request, "user", None)
        if returns_to is not None and user is not None and user.is_authenticated:
            target = returns_to(request, *view_args, **view_kwargs)
        return _refused(request, message, target or _same_origin_referer(request), status=400)


def _content_length(request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def _same_origin_referer(request) -> str | None:
    referer = request.META.get("HTTP_REFERER", "")
    if referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return referer
    return None


def _refused(request, message: str, target: str | None, *, status: int = 413):
    """303 to `target` with `message`, or the refusal page. This runs before
    MessageMiddleware has seen the request, so the storage is ours to save."""
    if target is None:
        context = {"max_mb": settings.MAX_UPLOAD_MB, "max_files": settings.MAX_UPLOAD_FILES, "message": message}
        return render(request, "request_too_large.html", context, status=status)
    response = HttpResponseRedirect(target, status=303)
    storage = getattr(request, "_messages", None)
    if storage is None:
        storage = default_storage(request)
        storage.add(message_levels.ERROR, message)
        storage.update(response)
    else:
        storage.add(message_levels.ERROR, message)
    return response


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
