"""Partners: the Leitung's invitations, the invitation link, and the
partner's side (invited criteria, uploads, its library and grants)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from assessments import services
from assessments.evaluation import areas_with_scope
from assessments.forms import (
    EvidenceUploadForm,
    GrantForm,
    InvitationForm,
    PartnerRegistrationForm,
)
from assessments.models import PartnerAccess
from assessments.rules import get_assessment_for_user, get_partner_access_for_user
from assessments.selectors import partners_working_with
from assessments.views.common import form_errors, over_limit, report_errors, upload_refused_returns_to
from certification.exceptions import ActionRefused
from certification.models import Kooperationspartner
from certification.rules import get_partner_for_user
from certification.selectors import roles_for
from evidence import services as library_services
from evidence.models import Evidence, EvidenceKind
from evidence.rules import get_document_for_user, get_grant_for_user
from evidence.selectors import grant_log, library_documents


@login_required
def invite(request, pk: int):
    assessment = get_assessment_for_user(request.user, pk, "assessments.edit_assessment")
    choices = [
        (criterion.code, f"{criterion.code} {criterion.title}")
        for area in areas_with_scope(assessment)
        for criterion in area.criteria.all()
    ]
    form = InvitationForm(
        request.POST or None,
        criteria_choices=choices,
        partners=partners_working_with(assessment.familienzentrum, include_unattached=True),
    )
    if request.method == "POST" and form.is_valid() and not over_limit(request, "invitation"):
        partner = form.cleaned_data["partner"]
        try:
            services.invite_partner(
                user=request.user,
                assessment_id=assessment.pk,
                criterion_codes=form.cleaned_data["criteria"],
                email=form.cleaned_data["email"],
                partner_id=partner.pk if partner else None,
                organisation_name=form.cleaned_data["organisation_name"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        except ActionRefused as refused:
            messages.error(request, refused.message)
            return redirect("assessments:detail", assessment.pk)
        else:
            messages.success(
                request,
                _("Die Einladung an %(email)s ist angelegt; die E-Mail mit dem persönlichen Link folgt in Kürze.")
                % {"email": form.cleaned_data["email"]},
            )
            return redirect("assessments:detail", assessment.pk)
    return render(request, "assessments/invite.html", {"assessment": assessment, "form": form})


def invitation(request, token: str):
    """Where the invitation link leads. Signed in: accept. Not signed in: sign
    in, or, for an address without an account, choose a password first."""
    try:
        invitation = services.resolve_invitation(token)
    except services.InvitationInvalid as invalid:
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
        access = services.accept_invitation(user=request.user, invitation_id=invitation.pk)
    except services.InvitationInvalid as invalid:
        return render(request, "assessments/invitation_invalid.html", {"message": invalid.message}, status=400)
    messages.success(request, _("Einladung angenommen. Sie können jetzt Nachweise beitragen."))
    return redirect("assessments:partner_access", access.pk)


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


def _partner_access_url(request, access_pk: int, criterion_code: str) -> str:
    return reverse("assessments:partner_access", args=[get_partner_access_for_user(request.user, access_pk).pk])


@upload_refused_returns_to(_partner_access_url)
@login_required
@require_POST
def partner_upload(request, access_pk: int, criterion_code: str):
    access = get_partner_access_for_user(request.user, access_pk)
    target = reverse("assessments:partner_access", args=[access.pk])
    if over_limit(request, "upload"):
        return redirect(target)
    form = EvidenceUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        form_errors(request, form)
        return redirect(target)
    try:
        created = services.upload_as_partner(
            user=request.user,
            access_id=access.pk,
            criterion_code=criterion_code,
            files=form.cleaned_data["files"],
            details=form.details(),
        )
    except ValidationError as error:
        messages.error(request, _("Nichts wurde gespeichert:"))
        report_errors(request, error)
    except ActionRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, _("%(count)d Nachweis(e) gespeichert und freigegeben.") % {"count": len(created)})
    return redirect(target)


def _library_url(request, partner_pk: int) -> str:
    return reverse("assessments:library", args=[get_partner_for_user(request.user, partner_pk).pk])


@upload_refused_returns_to(_library_url)
@login_required
def library(request, partner_pk: int):
    partner = get_partner_for_user(request.user, partner_pk)
    if request.method == "POST" and over_limit(request, "upload"):
        return redirect("assessments:library", partner.pk)
    form = EvidenceUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                library_services.upload_to_library(
                    user=request.user, partner_id=partner.pk, files=form.cleaned_data["files"], details=form.details()
                )
            except ValidationError as error:
                messages.error(request, _("Nichts wurde gespeichert:"))
                report_errors(request, error)
            else:
                messages.success(request, _("In Ihre Bibliothek aufgenommen."))
                return redirect("assessments:library", partner.pk)
        else:
            form_errors(request, form)
    documents = library_documents(partner)
    centres = services.centres_partner_works_with(partner.pk)
    log = grant_log(partner)
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
    evidence = get_document_for_user(request.user, evidence_pk, "evidence.share_document")
    form = GrantForm(request.POST, centres=services.centres_partner_works_with(evidence.owner_partner_id))
    if form.is_valid():
        try:
            services.grant_evidence(
                user=request.user, evidence_id=evidence.pk, familienzentrum_id=form.cleaned_data["familienzentrum"].pk
            )
        except (ValidationError, ActionRefused) as error:
            messages.error(request, getattr(error, "message", None) or " ".join(error.messages))
        else:
            messages.success(request, _("„%(title)s“ ist freigegeben.") % {"title": evidence.title})
    else:
        form_errors(request, form)
    return redirect("assessments:library", evidence.owner_partner_id)


@login_required
@require_POST
def revoke(request, grant_pk: int):
    grant_row = get_grant_for_user(request.user, grant_pk)
    try:
        services.revoke_grant(user=request.user, grant_id=grant_row.pk)
    except ActionRefused as refused:
        raise PermissionDenied(refused.message) from None
    messages.success(request, _("Die Freigabe ist entzogen. Eingereichte Stände behalten das Dokument."))
    return redirect("assessments:library", grant_row.evidence.owner_partner_id)
