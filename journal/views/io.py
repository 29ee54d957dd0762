"""The journal in and out: import from CSV or XLSX (all or nothing, every
bad row named), export of a review year as CSV or XLSX, the template files,
and the print view."""

from __future__ import annotations

import hashlib
import time

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods

from journal import exports, imports, selectors
from journal.forms_io import ImportForm
from journal.models import OfferKind, Recurrence, TargetGroup
from journal.rules import get_centre_for_journal

FORMATS = ("csv", "xlsx")
# A file imported again within this time is taken for a second click, not a new import.
REPEAT_SECONDS = 600
IMPORTED = "journal_imported_files"


def _download(filename: str, content_type: str, content: bytes) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _fingerprint(familienzentrum, upload) -> str:
    digest = hashlib.sha256(str(familienzentrum.pk).encode())
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


def _recently_imported(request, fingerprint: str) -> bool:
    now = time.time()
    return any(kept == fingerprint and now - at < REPEAT_SECONDS for kept, at in request.session.get(IMPORTED, []))


def _remember_import(request, fingerprint: str) -> None:
    now = time.time()
    kept = [(key, at) for key, at in request.session.get(IMPORTED, []) if now - at < REPEAT_SECONDS]
    request.session[IMPORTED] = [*kept[-9:], (fingerprint, now)]


def _import_page(request, familienzentrum, form, problems=None, status=200):
    context = {
        "familienzentrum": familienzentrum,
        "form": form,
        "problems": problems or [],
        "columns": [(header, imports.COLUMN_HELP[header]) for header in imports.HEADERS],
        "kinds": OfferKind.labels,
        "recurrences": Recurrence.labels,
        "target_groups": TargetGroup.labels,
        "max_rows": imports.MAX_IMPORT_ROWS,
    }
    return render(request, "journal/io/import.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def import_journal(request, pk: int):
    familienzentrum = get_centre_for_journal(request.user, pk, "journal.keep_journal")
    if request.method == "GET":
        return _import_page(request, familienzentrum, ImportForm())
    form = ImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _import_page(request, familienzentrum, form, status=400)
    upload = form.cleaned_data["file"]
    fingerprint = _fingerprint(familienzentrum, upload)
    if _recently_imported(request, fingerprint):
        messages.info(request, _("Diese Datei ist bereits importiert."))
        return redirect("journal:journal", familienzentrum.pk)
    try:
        result = imports.import_journal(user=request.user, familienzentrum=familienzentrum, upload=upload)
    except imports.ImportRefused as refused:
        return _import_page(request, familienzentrum, ImportForm(), refused.problems, status=400)
    _remember_import(request, fingerprint)
    entries = ngettext("%(count)d Eintrag", "%(count)d Einträge", result.entries) % {"count": result.entries}
    sessions = ngettext("%(count)d Termin", "%(count)d Terminen", result.sessions) % {"count": result.sessions}
    messages.success(
        request, _("%(entries)s mit %(sessions)s importiert.") % {"entries": entries, "sessions": sessions}
    )
    return redirect("journal:journal", familienzentrum.pk)


@login_required
@require_GET
def import_template(request, pk: int, file_format: str):
    familienzentrum = get_centre_for_journal(request.user, pk, "journal.keep_journal")
    if file_format not in FORMATS:
        raise Http404
    del familienzentrum  # asked only for the permission
    return _download(*exports.template_file(file_format, timezone.localdate().year))


@login_required
@require_GET
def export_journal(request, pk: int, file_format: str):
    familienzentrum = get_centre_for_journal(request.user, pk)
    if file_format not in FORMATS:
        raise Http404
    year = selectors.review_year_for_journal(timezone.localdate(), request.GET.get("jahr"))
    return _download(*exports.export_journal(familienzentrum, year, file_format))


@login_required
@require_GET
def print_journal(request, pk: int):
    familienzentrum = get_centre_for_journal(request.user, pk)
    today = timezone.localdate()
    year = selectors.review_year_for_journal(today, request.GET.get("jahr"))
    printed = exports.printed_journal(
        familienzentrum, selectors.catalogue_for_journal(familienzentrum, today), year, today
    )
    return render(request, "journal/io/print.html", {"printed": printed, "today": today, "year": year})
