"""Pages and actions around evidence: uploads on a criterion, revisions,
linking, downloads, the evidence index, partner invitations and the partner
side (invited criteria, library, grants)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from assessments import evidence as evidence_services
from assessments.evaluation import areas_with_scope
from assessments.forms import (
    EvidenceUploadForm,
    GrantForm,
    InvitationForm,
    PartnerRegistrationForm,
    RevisionUploadForm,
)
from assessments.models import Evidence, EvidenceGrant, EvidenceGrantLog, EvidenceKind, PartnerAccess
from assessments.permissions import (
    get_assessment_for_editor,
    get_assessment_for_user,
    get_partner_access_for_user,
    get_revision_for_user,
)
from assessments.services import CriterionNotInCatalogue, TransitionRefused, criterion_of
from certification.models import Kooperationspartner
from certification.selectors import roles_for


def _card_url(assessment, criterion) -> str:
    return reverse("assessments:area", args=[assessment.pk, criterion.area.code]) + f"#kriterium-{criterion.pk}"


def _report_errors(request, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


def _form_errors(request, form) -> None:
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        for error in errors:
            messages.error(request, f"{label}: {error}" if label else error)


def _is_id(value: str) -> bool:
    # str.isdigit() accepts "²"; int() does not.
    return value.isascii() and value.isdigit() and len(value) < 19


def _criterion_or_404(assessment, code):
    try:
        return criterion_of(assessment, code)
    except CriterionNotInCatalogue:
        raise Http404 from None


@login_required
@require_POST
def upload(request, pk: int, criterion_code: str):
    assessment = get_assessment_for_editor(request.user, pk)
    criterion = _criterion_or_404(assessment, criterion_code)
    form = EvidenceUploadForm(request.POST, request.FILES, prefix=f"e{criterion.pk}")
    if not form.is_valid():
        _form_errors(request, form)
        return redirect(_card_url(assessment, criterion))
    site_ids = [int(pk) for pk in request.POST.getlist(form.add_prefix("sites")) if _is_id(pk)]
    try:
        created = evidence_services.upload_for_criterion(
            user=request.user,
            assessment_id=assessment.pk,
            criterion_code=criterion.code,
            files=form.cleaned_data["files"],
            details=form.details(site_ids),
        )
    except ValidationError as error:
        messages.error(request, _("Nichts wurde gespeichert:"))
        _report_errors(request, error)
    except TransitionRefused as refused:
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


@login_required
@require_POST
def add_revision(request, evidence_pk: int):
    evidence = get_object_or_404(Evidence, pk=evidence_pk)
    if not evidence_services.evidence_editable_by(request.user, evidence):
        raise Http404
    form = RevisionUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        _form_errors(request, form)
    else:
        try:
            revision = evidence_services.add_revision(
                user=request.user, evidence_id=evidence.pk, upload=form.cleaned_data["file"]
            )
        except ValidationError as error:
            _report_errors(request, error)
        except TransitionRefused as refused:
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
    assessment = get_assessment_for_editor(request.user, pk)
    criterion = _criterion_or_404(assessment, criterion_code)
    try:
        removed = evidence_services.unlink_evidence(
            user=request.user, assessment_id=assessment.pk, criterion_code=criterion.code, evidence_id=evidence_pk
        )
    except TransitionRefused as refused:
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
    assessment = get_assessment_for_editor(request.user, pk)
    criterion = _criterion_or_404(assessment, criterion_code)
    evidence_id = request.POST.get("evidence", "")
    if not _is_id(evidence_id):
        messages.error(request, _("Bitte wählen Sie ein Dokument."))
        return redirect(_card_url(assessment, criterion))
    try:
        evidence_services.link_evidence(
            user=request.user, assessment_id=assessment.pk, criterion_code=criterion.code, evidence_id=int(evidence_id)
        )
    except ValidationError as error:
        _report_errors(request, error)
    except TransitionRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, _("Das Dokument ist mit %(code)s verknüpft.") % {"code": criterion.code})
    return redirect(_card_url(assessment, criterion))


@login_required
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
    from assessments.services import evidence_entry

    linked = evidence_services.evidence_by_criterion(assessment)
    return [
        {
            "code": criterion.code,
            "title": criterion.title,
            "entries": [evidence_entry(entry) for entry in linked.get(criterion.pk, [])],
        }
        for area in areas_with_scope(assessment)
        for criterion in area.criteria.all()
    ]


# ---------------------------------------------------------------- invitations


@login_required
def invite(request, pk: int):
    assessment = get_assessment_for_editor(request.user, pk)
    choices = [
        (criterion.code, f"{criterion.code} {criterion.title}")
        for area in areas_with_scope(assessment)
        for criterion in area.criteria.all()
    ]
    form = InvitationForm(request.POST or None, criteria_choices=choices)
    if request.method == "POST" and form.is_valid():
        partner = form.cleaned_data["partner"]
        try:
            evidence_services.invite_partner(
                user=request.user,
                assessment_id=assessment.pk,
                criterion_codes=form.cleaned_data["criteria"],
                email=form.cleaned_data["email"],
                partner_id=partner.pk if partner else None,
                organisation_name=form.cleaned_data["organisation_name"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        except TransitionRefused as refused:
            messages.error(request, refused.message)
            return redirect("assessments:detail", assessment.pk)
        else:
            messages.success(
                request, _("Die Einladung an %(email)s ist verschickt.") % {"email": form.cleaned_data["email"]}
            )
            return redirect("assessments:detail", assessment.pk)
    return render(request, "assessments/invite.html", {"assessment": assessment, "form": form})


def invitation(request, token: str):
    """Where the invitation link leads. Signed in: accept. Not signed in: sign
    in, or, for an address without an account, choose a password first."""
    try:
        invitation = evidence_services.resolve_invitation(token)
    except evidence_services.InvitationInvalid as invalid:
        return render(request, "assessments/invitation_invalid.html", {"message": invalid.message}, status=400)
    user_model = get_user_model()
    has_account = user_model.objects.filter(email=invitation.email).exists()
    form = None
    if not request.user.is_authenticated and not has_account:
        form = PartnerRegistrationForm(request.POST or None, email=invitation.email)
        if request.method == "POST" and form.is_valid():
            try:
                user = user_model.objects.create_user(
                    email=invitation.email,
                    password=form.cleaned_data["password"],
                    full_name=form.cleaned_data["full_name"],
                )
            except IntegrityError:
                messages.error(request, _("Für diese Adresse gibt es schon ein Konto. Bitte melden Sie sich an."))
                return redirect(f"{reverse('accounts:login')}?next={request.path}")
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            return _accept(request, invitation)
    elif request.user.is_authenticated and request.method == "POST":
        return _accept(request, invitation)
    context = {
        "invitation": invitation,
        "form": form,
        "has_account": has_account,
        "criteria": invitation.criteria.order_by("area__order", "order"),
    }
    return render(request, "assessments/invitation.html", context)


def _accept(request, invitation):
    try:
        access = evidence_services.accept_invitation(user=request.user, invitation_id=invitation.pk)
    except evidence_services.InvitationInvalid as invalid:
        return render(request, "assessments/invitation_invalid.html", {"message": invalid.message}, status=400)
    messages.success(request, _("Einladung angenommen. Sie können jetzt Nachweise beitragen."))
    return redirect("assessments:partner_access", access.pk)


# ---------------------------------------------------------------- partner side


def _require_partner(user):
    roles = roles_for(user)
    if not roles.is_partner:
        raise Http404
    return roles


@login_required
def partner_home(request):
    roles = _require_partner(request.user)
    accesses = (
        PartnerAccess.objects.filter(partner_id__in=roles.partner_ids)
        .select_related("assessment__familienzentrum", "partner")
        .prefetch_related("criteria")
        .order_by("-pk")
    )
    partners = Kooperationspartner.objects.filter(pk__in=roles.partner_ids).order_by("name")
    return render(request, "assessments/partner_home.html", {"accesses": accesses, "partners": partners})


@login_required
def partner_access(request, access_pk: int):
    access = get_partner_access_for_user(request.user, access_pk)
    criteria = list(access.criteria.select_related("area").prefetch_related("items").order_by("area__order", "order"))
    own = (
        Evidence.objects.filter(owner_partner=access.partner, links__assessment=access.assessment)
        .prefetch_related("revisions", "links__criterion")
        .distinct()
    )
    uploads = {criterion.pk: [] for criterion in criteria}
    for evidence in own:
        for evidence_link in evidence.links.all():
            if evidence_link.assessment_id == access.assessment_id and evidence_link.criterion_id in uploads:
                uploads[evidence_link.criterion_id].append(evidence)
    rows = [{"criterion": criterion, "uploads": uploads[criterion.pk]} for criterion in criteria]
    return render(
        request,
        "assessments/partner_access.html",
        {"access": access, "rows": rows, "kinds": EvidenceKind.choices, "editable": access.assessment.is_editable},
    )


@login_required
@require_POST
def partner_upload(request, access_pk: int, criterion_code: str):
    access = get_partner_access_for_user(request.user, access_pk)
    form = EvidenceUploadForm(request.POST, request.FILES)
    target = reverse("assessments:partner_access", args=[access.pk])
    if not form.is_valid():
        _form_errors(request, form)
        return redirect(target)
    try:
        created = evidence_services.upload_as_partner(
            user=request.user,
            access_id=access.pk,
            criterion_code=criterion_code,
            files=form.cleaned_data["files"],
            details=form.details(),
        )
    except ValidationError as error:
        messages.error(request, _("Nichts wurde gespeichert:"))
        _report_errors(request, error)
    except TransitionRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, _("%(count)d Nachweis(e) gespeichert und freigegeben.") % {"count": len(created)})
    return redirect(target)


@login_required
def library(request, partner_pk: int):
    roles = _require_partner(request.user)
    if partner_pk not in roles.partner_ids:
        raise Http404
    partner = get_object_or_404(Kooperationspartner, pk=partner_pk)
    form = EvidenceUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                evidence_services.upload_to_library(
                    user=request.user, partner_id=partner.pk, files=form.cleaned_data["files"], details=form.details()
                )
            except ValidationError as error:
                messages.error(request, _("Nichts wurde gespeichert:"))
                _report_errors(request, error)
            else:
                messages.success(request, _("In Ihre Bibliothek aufgenommen."))
                return redirect("assessments:library", partner.pk)
        else:
            _form_errors(request, form)
    documents = (
        Evidence.objects.filter(owner_partner=partner)
        .prefetch_related("revisions", "grants__familienzentrum")
        .order_by("title")
    )
    centres = evidence_services.centres_partner_works_with(partner.pk)
    log = (
        EvidenceGrantLog.objects.filter(evidence__owner_partner=partner)
        .select_related("evidence", "familienzentrum", "actor")
        .order_by("-created_at")[:50]
    )
    return render(
        request,
        "assessments/library.html",
        {
            "partner": partner,
            "documents": documents,
            "kinds": EvidenceKind.choices,
            "grant_form": GrantForm(centres=centres),
            "log": log,
        },
    )


@login_required
@require_POST
def grant(request, evidence_pk: int):
    evidence = get_object_or_404(Evidence, pk=evidence_pk, owner_partner_id__in=roles_for(request.user).partner_ids)
    form = GrantForm(request.POST, centres=evidence_services.centres_partner_works_with(evidence.owner_partner_id))
    if form.is_valid():
        try:
            evidence_services.grant_evidence(
                user=request.user, evidence_id=evidence.pk, familienzentrum_id=form.cleaned_data["familienzentrum"].pk
            )
        except (ValidationError, TransitionRefused) as error:
            messages.error(request, getattr(error, "message", None) or " ".join(error.messages))
        else:
            messages.success(request, _("„%(title)s“ ist freigegeben.") % {"title": evidence.title})
    else:
        _form_errors(request, form)
    return redirect("assessments:library", evidence.owner_partner_id)


@login_required
@require_POST
def revoke(request, grant_pk: int):
    grant_row = get_object_or_404(
        EvidenceGrant.objects.select_related("evidence"),
        pk=grant_pk,
        evidence__owner_partner_id__in=roles_for(request.user).partner_ids,
    )
    try:
        evidence_services.revoke_grant(user=request.user, grant_id=grant_row.pk)
    except TransitionRefused as refused:
        raise PermissionDenied(refused.message) from None
    messages.success(request, _("Die Freigabe ist entzogen. Eingereichte Stände behalten das Dokument."))
    return redirect("assessments:library", grant_row.evidence.owner_partner_id)
