"""Evidence on a criterion: uploads, revisions, linking and unlinking,
private downloads and the evidence index."""

from __future__ import annotations

from datetime import date

from csp.decorators import csp_update
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from accounts.decorators import post_only
from assessments import services
from assessments.evaluation import areas_with_scope
from assessments.forms import (
    EvidenceUploadForm,
    RevisionUploadForm,
)
from assessments.journal_evidence import frozen_journal, journal_shown
from assessments.rules import get_assessment_for_user, get_revision_for_user
from assessments.selectors import (
    evidence_by_criterion,
    linkable_documents,
)
from assessments.snapshots import evidence_entry
from assessments.views.common import (
    card_url,
    criterion_or_404,
    is_id,
    over_limit,
    upload_refused_returns_to,
)
from certification.exceptions import ActionRefused
from certification.templatetags.catalogue_tags import localized
from evidence import files as file_types
from evidence import services as library_services
from evidence.models import EvidenceRevision
from evidence.rules import get_document_for_user


def region_tag(region_id: str) -> str:
    """The extra_tags of a message meant for one region of a page (the
    evidence section of a criterion's card, a partner's card): the region's
    template shows it there (templates/assessments/_upload_results.html),
    base.html leaves it out of the messages at the top. With JavaScript the
    upload script swaps the region in place, messages included."""
    return f"in-card {region_id}"


def form_errors(request, form, *, tags: str = "") -> None:
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        for error in errors:
            messages.error(request, f"{label}: {error}" if label else error, extra_tags=tags)


def report_errors(request, error: ValidationError, *, tags: str = "") -> None:
    for message in error.messages:
        messages.error(request, message, extra_tags=tags)


def evidence_region(criterion) -> str:
    return f"nachweise-{criterion.pk}"


# How the results name a detected type ("als Textdatei erkannt").
_TYPE_NAMES = {
    file_types.PDF.content_type: gettext_lazy("PDF-Dokument"),
    file_types.JPEG.content_type: gettext_lazy("JPEG-Bild"),
    file_types.PNG.content_type: gettext_lazy("PNG-Bild"),
    file_types.DOCX.content_type: gettext_lazy("Word-Dokument (DOCX)"),
    file_types.XLSX.content_type: gettext_lazy("Excel-Tabelle (XLSX)"),
    file_types.ODT.content_type: gettext_lazy("Textdokument (ODT)"),
    file_types.ODS.content_type: gettext_lazy("Tabelle (ODS)"),
    file_types.TEXT.content_type: gettext_lazy("Textdatei"),
}
# Extensions that name a type as well as its canonical one does.
_SAME_TYPE_EXTENSIONS = {file_types.JPEG.content_type: {".jpeg", ".jpe"}}


def _extension(name: str) -> str:
    return "." + name.rsplit(".", 1)[1].lower() if "." in name else ""


def _matches(given: str, revision: EvidenceRevision) -> bool:
    stored_extension = _extension(revision.original_name)
    extension = _extension(given)
    return extension == stored_extension or extension in _SAME_TYPE_EXTENSIONS.get(revision.content_type, set())


def saved_file_messages(request, uploads: list, revisions: list, *, tags: str = "") -> None:
    """One message per stored file. A file whose content is of another type
    than its name says (a text file named "Hygieneplan.pdf") is stored under
    the name of what it is; that is said aloud, so that a wrong file does not
    go unnoticed."""
    for upload, revision in zip(uploads, revisions, strict=True):
        given = file_types.safe_display_name(getattr(upload, "name", ""))
        if _matches(given, revision):
            messages.success(request, _("„%(name)s“ gespeichert.") % {"name": revision.original_name}, extra_tags=tags)
        else:
            messages.warning(
                request,
                _(
                    "„%(given)s“ wurde als %(type)s erkannt und als „%(stored)s“ gespeichert. "
                    "Bitte prüfen Sie, ob es die richtige Datei ist."
                )
                % {
                    "given": given,
                    "type": _TYPE_NAMES.get(revision.content_type, revision.content_type),
                    "stored": revision.original_name,
                },
                extra_tags=tags,
            )


def refused_file_messages(request, error: ValidationError, uploads: list, *, tags: str = "") -> None:
    """Nothing of an upload is stored when one file is refused: each refused
    file with its reason, and the files that were fine but not stored."""
    names = [file_types.safe_display_name(getattr(upload, "name", "")) for upload in uploads]
    messages.error(request, _("Nichts wurde gespeichert."), extra_tags=tags)
    refused = set()
    for text in error.messages:
        # evidence.files.check_files says "<shown name>: <reason>" per file.
        name = next((name for name in names if text.startswith(f"{name}: ")), None)
        if name is None:
            messages.error(request, text, extra_tags=tags)
            continue
        refused.add(name)
        reason = text[len(name) + 2 :]
        messages.error(
            request, _("„%(name)s“ abgelehnt: %(reason)s") % {"name": name, "reason": reason}, extra_tags=tags
        )
    if refused:
        for name in names:
            if name not in refused:
                messages.info(
                    request,
                    _("„%(name)s“ wäre in Ordnung, ist aber mit den anderen nicht gespeichert. Bitte erneut hochladen.")
                    % {"name": name},
                    extra_tags=tags,
                )


def first_revisions(created) -> list[EvidenceRevision]:
    by_document = {
        revision.evidence_id: revision
        for revision in EvidenceRevision.objects.filter(evidence__in=created, number=1).only(
            "evidence_id", "original_name", "content_type"
        )
    }
    return [by_document[evidence.pk] for evidence in created]


def _upload_card_url(request, pk: int, criterion_code: str) -> str:
    assessment = get_assessment_for_user(request.user, pk, "assessments.edit_assessment")
    return card_url(assessment, criterion_or_404(assessment, criterion_code))


def _criterion_card_url(request, pk: int, criterion_code: str, *args, **kwargs) -> str:
    """Where a GET of a POST-only URL of a criterion lands: its card (the
    overview where the criterion is unknown or not the user's to edit)."""
    assessment = get_assessment_for_user(request.user, pk)
    try:
        return card_url(assessment, criterion_or_404(assessment, criterion_code))
    except Http404:
        return reverse("assessments:detail", args=[assessment.pk])


@upload_refused_returns_to(_upload_card_url)
@login_required
@post_only(_criterion_card_url)
def upload(request, pk: int, criterion_code: str):
    assessment = get_assessment_for_user(request.user, pk, "assessments.edit_assessment")
    criterion = criterion_or_404(assessment, criterion_code)
    tags = region_tag(evidence_region(criterion))
    if over_limit(request, "upload"):
        return redirect(card_url(assessment, criterion))
    form = EvidenceUploadForm(request.POST, request.FILES, prefix=f"e{criterion.pk}")
    if not form.is_valid():
        form_errors(request, form, tags=tags)
        return redirect(card_url(assessment, criterion))
    site_ids = [int(pk) for pk in request.POST.getlist(form.add_prefix("sites")) if is_id(pk)]
    files = form.cleaned_data["files"]
    try:
        created = services.upload_for_criterion(
            user=request.user,
            assessment_id=assessment.pk,
            criterion_code=criterion.code,
            files=files,
            details=form.details(site_ids),
        )
    except ValidationError as error:
        refused_file_messages(request, error, files, tags=tags)
    except ActionRefused as refused:
        messages.error(request, refused.message, extra_tags=tags)
    else:
        saved_file_messages(request, files, first_revisions(created), tags=tags)
    return redirect(card_url(assessment, criterion))


def _safe_next(request, fallback: str) -> str:
    # The form sends its card as ?next= in the action's query too, so that a
    # GET after signing in (and a refused body) still knows its way back.
    target = request.POST.get("next", "") or request.GET.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return fallback


def _revision_next(request, evidence_pk: int) -> str | None:
    # Its "next" is in the body that could not be read: the query, else the Referer.
    target = _safe_next(request, "")
    return target or None


def _revision_landing(request, evidence_pk: int) -> str:
    return _safe_next(request, reverse("home"))


def _revision_tags(request) -> str:
    """A new revision from a criterion's card names the card's region."""
    region = request.POST.get("region", "")
    if region.startswith("nachweise-") and is_id(region.removeprefix("nachweise-")):
        return region_tag(region)
    return ""


@upload_refused_returns_to(_revision_next)
@login_required
@post_only(_revision_landing)
def add_revision(request, evidence_pk: int):
    evidence = get_document_for_user(request.user, evidence_pk, "evidence.edit_document")
    tags = _revision_tags(request)
    if over_limit(request, "upload"):
        return redirect(_safe_next(request, reverse("home")))
    form = RevisionUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        form_errors(request, form, tags=tags)
    else:
        upload_file = form.cleaned_data["file"]
        try:
            revision = library_services.add_revision(user=request.user, evidence_id=evidence.pk, upload=upload_file)
        except ValidationError as error:
            refused_file_messages(request, error, [upload_file], tags=tags)
        except ActionRefused as refused:
            messages.error(request, refused.message, extra_tags=tags)
        else:
            messages.success(
                request,
                _("Fassung %(number)d von „%(title)s“ gespeichert.")
                % {"number": revision.number, "title": evidence.title},
                extra_tags=tags,
            )
            if not _matches(file_types.safe_display_name(upload_file.name), revision):
                saved_file_messages(request, [upload_file], [revision], tags=tags)
    return redirect(_safe_next(request, reverse("home")))


@login_required
@post_only(_criterion_card_url)
def unlink(request, pk: int, criterion_code: str, evidence_pk: int):
    assessment = get_assessment_for_user(request.user, pk, "assessments.edit_assessment")
    criterion = criterion_or_404(assessment, criterion_code)
    tags = region_tag(evidence_region(criterion))
    try:
        removed = services.unlink_evidence(
            user=request.user, assessment_id=assessment.pk, criterion_code=criterion.code, evidence_id=evidence_pk
        )
    except ActionRefused as refused:
        messages.error(request, refused.message, extra_tags=tags)
    else:
        if removed:
            messages.success(
                request,
                _("Der Nachweis ist aus diesem Entwurf entfernt; das Dokument bleibt erhalten."),
                extra_tags=tags,
            )
        else:
            messages.info(request, _("Dieser Nachweis war mit dem Kriterium nicht verknüpft."), extra_tags=tags)
    return redirect(card_url(assessment, criterion))


@login_required
@require_http_methods(["GET", "POST"])
def link(request, pk: int, criterion_code: str):
    """GET: the documents to choose from (loaded into the card on demand, or
    a page of its own without JavaScript); POST: link the chosen one."""
    assessment = get_assessment_for_user(request.user, pk, "assessments.edit_assessment")
    criterion = criterion_or_404(assessment, criterion_code)
    if request.method == "GET":
        context = {
            "assessment": assessment,
            "criterion": criterion,
            "documents": linkable_documents(assessment, criterion),
            "card_url": card_url(assessment, criterion),
        }
        template = "assessments/_link_chooser.html" if request.htmx else "assessments/link_evidence.html"
        return render(request, template, context)
    tags = region_tag(evidence_region(criterion))
    evidence_id = request.POST.get("evidence", "")
    if not is_id(evidence_id):
        messages.error(request, _("Bitte wählen Sie ein Dokument."), extra_tags=tags)
        return redirect(card_url(assessment, criterion))
    try:
        services.link_evidence(
            user=request.user, assessment_id=assessment.pk, criterion_code=criterion.code, evidence_id=int(evidence_id)
        )
    except ValidationError as error:
        report_errors(request, error, tags=tags)
    except ActionRefused as refused:
        messages.error(request, refused.message, extra_tags=tags)
    else:
        messages.success(
            request, _("Das Dokument ist mit %(code)s verknüpft.") % {"code": criterion.code}, extra_tags=tags
        )
    return redirect(card_url(assessment, criterion))


@login_required
@csp_update({"sandbox": True})  # a file, never a page: no script, no same origin
def download(request, revision_pk: int):
    revision = get_revision_for_user(request.user, revision_pk)
    response = FileResponse(
        revision.file.open("rb"),
        as_attachment=True,
        filename=revision.original_name,
        content_type=revision.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def index(request, pk: int):
    """The evidence index of an assessment: criterion to documents. While the
    centre can edit, the live links; once submitted, what the latest
    submission froze, so that nobody mistakes later files for submitted ones."""
    assessment = get_assessment_for_user(request.user, pk)
    submission = assessment.latest_submission
    if assessment.is_editable or submission is None:
        rows = _live_index_rows(assessment)
        frozen = None
    else:
        # The snapshot froze the German titles; shown in the reader's language
        # from the pinned catalogue version (codes never change within one).
        criteria = {criterion.code: criterion for criterion in assessment.catalogue.criteria.all()}
        rows = [
            {
                "code": entry["code"],
                "title": localized(criteria[entry["code"]], "title") if entry["code"] in criteria else entry["title"],
                "entries": entry.get("evidence", []),
                "journal": [journal_shown(item) for item in entry.get("journal", [])],
            }
            for entry in submission.payload["criteria"]
        ]
        frozen = submission
    document_count = len({item["revision_id"] for row in rows for item in row["entries"]})
    for row in rows:
        row["line_count"] = len(row["entries"]) + len(row["journal"])
        # Frozen and live entries carry ISO dates; shown as the reader's dates.
        row["entries"] = [
            {
                **item,
                "effective_day": date.fromisoformat(item["effective_date"]) if item.get("effective_date") else None,
            }
            for item in row["entries"]
        ]
    return render(
        request,
        "assessments/evidence_index.html",
        {
            "assessment": assessment,
            "rows": rows,
            "document_count": document_count,
            "journal_count": len({item["entry_id"] for row in rows for item in row["journal"]}),
            "frozen": frozen,
            # Checksums are the review's and the office's tool, not the centre's.
            "see_fingerprints": request.user.has_perm("assessments.see_fingerprints", assessment),
        },
    )


def _live_index_rows(assessment) -> list[dict]:
    linked = evidence_by_criterion(assessment)
    journal = frozen_journal(assessment)  # what a submission now would freeze
    return [
        {
            "code": criterion.code,
            "title": localized(criterion, "title"),
            "entries": [evidence_entry(entry) for entry in linked.get(criterion.pk, [])],
            "journal": [journal_shown(item) for item in journal.get(criterion.pk, [])],
        }
        for area in areas_with_scope(assessment)
        for criterion in area.criteria.all()
    ]
