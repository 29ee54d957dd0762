"""Evidence on a criterion: uploads, revisions, linking and unlinking,
private downloads and the evidence index."""

from __future__ import annotations

from csp.decorators import csp_update
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from assessments import services
from assessments.evaluation import areas_with_scope
from assessments.forms import (
    EvidenceUploadForm,
    RevisionUploadForm,
)
from assessments.rules import get_assessment_for_user, get_revision_for_user
from assessments.selectors import (
    evidence_by_criterion,
)
from assessments.snapshots import evidence_entry
from assessments.views.common import (
    criterion_or_404,
    form_errors,
    is_id,
    over_limit,
    report_errors,
    upload_refused_returns_to,
)
from certification.exceptions import ActionRefused
from evidence import services as library_services
from evidence.rules import get_document_for_user


def _card_url(assessment, criterion) -> str:
    return reverse("assessments:area", args=[assessment.pk, criterion.area.code]) + f"#kriterium-{criterion.pk}"


def _upload_card_url(request, pk: int, criterion_code: str) -> str:
    assessment = get_assessment_for_user(request.user, pk, "assessments.edit_assessment")
    return _card_url(assessment, criterion_or_404(assessment, criterion_code))


@upload_refused_returns_to(_upload_card_url)
@login_required
@require_POST
def upload(request, pk: int, criterion_code: str):
    assessment = get_assessment_for_user(request.user, pk, "assessments.edit_assessment")
    criterion = criterion_or_404(assessment, criterion_code)
    if over_limit(request, "upload"):
        return redirect(_card_url(assessment, criterion))
    form = EvidenceUploadForm(request.POST, request.FILES, prefix=f"e{criterion.pk}")
    if not form.is_valid():
        form_errors(request, form)
        return redirect(_card_url(assessment, criterion))
    site_ids = [int(pk) for pk in request.POST.getlist(form.add_prefix("sites")) if is_id(pk)]
    try:
        created = services.upload_for_criterion(
            user=request.user,
            assessment_id=assessment.pk,
            criterion_code=criterion.code,
            files=form.cleaned_data["files"],
            details=form.details(site_ids),
        )
    except ValidationError as error:
        messages.error(request, _("Nichts wurde gespeichert:"))
        report_errors(request, error)
    except ActionRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(
            request,
            _("%(count)d Nachweis(e) zu %(code)s gespeichert.") % {"count": len(created), "code": criterion.code},
        )
    return redirect(_card_url(assessment, criterion))


def _safe_next(request, fallback: str) -> str:
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return fallback


def _no_card(request, evidence_pk: int) -> None:
    # Its "next" is in the body that could not be read: the Referer it is.
    return None


@upload_refused_returns_to(_no_card)
@login_required
@require_POST
def add_revision(request, evidence_pk: int):
    evidence = get_document_for_user(request.user, evidence_pk, "evidence.edit_document")
    if over_limit(request, "upload"):
        return redirect(_safe_next(request, reverse("home")))
    form = RevisionUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        form_errors(request, form)
    else:
        try:
            revision = library_services.add_revision(
                user=request.user, evidence_id=evidence.pk, upload=form.cleaned_data["file"]
            )
        except ValidationError as error:
            report_errors(request, error)
        except ActionRefused as refused:
            messages.error(request, refused.message)
        else:
            messages.success(
                request,
                _("Fassung %(number)d von „%(title)s“ gespeichert.")
                % {"number": revision.number, "title": evidence.title},
            )
    return redirect(_safe_next(request, reverse("home")))


@login_required
@require_POST
def unlink(request, pk: int, criterion_code: str, evidence_pk: int):
    assessment = get_assessment_for_user(request.user, pk, "assessments.edit_assessment")
    criterion = criterion_or_404(assessment, criterion_code)
    try:
        removed = services.unlink_evidence(
            user=request.user, assessment_id=assessment.pk, criterion_code=criterion.code, evidence_id=evidence_pk
        )
    except ActionRefused as refused:
        messages.error(request, refused.message)
    else:
        if removed:
            messages.success(request, _("Der Nachweis ist aus diesem Entwurf entfernt; das Dokument bleibt erhalten."))
        else:
            messages.info(request, _("Dieser Nachweis war mit dem Kriterium nicht verknüpft."))
    return redirect(_card_url(assessment, criterion))


@login_required
@require_POST
def link(request, pk: int, criterion_code: str):
    assessment = get_assessment_for_user(request.user, pk, "assessments.edit_assessment")
    criterion = criterion_or_404(assessment, criterion_code)
    evidence_id = request.POST.get("evidence", "")
    if not is_id(evidence_id):
        messages.error(request, _("Bitte wählen Sie ein Dokument."))
        return redirect(_card_url(assessment, criterion))
    try:
        services.link_evidence(
            user=request.user, assessment_id=assessment.pk, criterion_code=criterion.code, evidence_id=int(evidence_id)
        )
    except ValidationError as error:
        report_errors(request, error)
    except ActionRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, _("Das Dokument ist mit %(code)s verknüpft.") % {"code": criterion.code})
    return redirect(_card_url(assessment, criterion))


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
        rows = [
            {"code": entry["code"], "title": entry["title"], "entries": entry.get("evidence", [])}
            for entry in submission.payload["criteria"]
        ]
        frozen = submission
    document_count = len({item["revision_id"] for row in rows for item in row["entries"]})
    return render(
        request,
        "assessments/evidence_index.html",
        {"assessment": assessment, "rows": rows, "document_count": document_count, "frozen": frozen},
    )


def _live_index_rows(assessment) -> list[dict]:
    linked = evidence_by_criterion(assessment)
    return [
        {
            "code": criterion.code,
            "title": criterion.title,
            "entries": [evidence_entry(entry) for entry in linked.get(criterion.pk, [])],
        }
        for area in areas_with_scope(assessment)
        for criterion in area.criteria.all()
    ]
