"""Partners: the Leitung's invitations, the invitation link, and the
partner's side (invited criteria, uploads, its library and grants)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.decorators import post_only
from assessments import services
from assessments.evaluation import areas_with_scope
from assessments.forms import (
    EvidenceUploadForm,
    GrantForm,
    InvitationForm,
    PartnerRegistrationForm,
)
from assessments.models import InvitationState, PartnerAccess, PartnerInvitation
from assessments.rules import get_assessment_for_user, get_partner_access_for_user
from assessments.selectors import invitations_of, partners_working_with
from assessments.views.common import form_errors, over_limit, upload_refused_returns_to
from assessments.views.evidence import first_revisions, refused_file_messages, saved_file_messages
from certification.exceptions import ActionRefused
from certification.models import Kooperationspartner
from certification.rules import get_partner_for_user
from certification.selectors import roles_for
from certification.templatetags.catalogue_tags import localized
from evidence import services as library_services
from evidence.models import Evidence, EvidenceKind
from evidence.rules import get_document_for_user, get_grant_for_user
from evidence.selectors import grant_log, library_documents


@login_required
def invite(request, pk: int):
    assessment = get_assessment_for_user(request.user, pk, "assessments.edit_assessment")
    groups = [
        (
            area,
            [(c.code, f"{c.code} {localized(c, 'title')}") for c in area.criteria.all()],
        )
        for area in areas_with_scope(assessment)
    ]
    form = InvitationForm(
        request.POST or None,
        criteria_groups=[(area, choices) for area, choices in groups if choices],
        partners=partners_working_with(assessment.familienzentrum, include_unattached=True),
    )
    if request.method == "POST" and form.is_valid() and not over_limit(request, "invitation"):
        partner = form.cleaned_data["partner"]
        try:
            invitation = services.invite_partner(
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
                % {"email": invitation.email},
            )
            return redirect("assessments:invitations", assessment.pk)
    return render(request, "assessments/invite.html", {"assessment": assessment, "form": form})


@login_required
def invitations(request, pk: int):
    """Whom the centre invited, with the state of each invitation."""
    assessment = get_assessment_for_user(request.user, pk, "assessments.see_invitations")
    context = {
        "assessment": assessment,
        "invitations": invitations_of(assessment),
        "states": InvitationState,
        "may_manage": request.user.has_perm("assessments.manage_invitations", assessment),
        "days": settings.INVITATION_MAX_AGE_DAYS,
    }
    return render(request, "assessments/invitations.html", context)


def _invitation_action(request, pk: int, invitation_pk: int, service, done: str):
    assessment = get_assessment_for_user(request.user, pk, "assessments.manage_invitations")
    invitation = get_object_or_404(PartnerInvitation, pk=invitation_pk, assessment=assessment)
    if service is services.resend_invitation and over_limit(request, "invitation"):
        return redirect("assessments:invitations", assessment.pk)
    try:
        service(user=request.user, invitation_id=invitation.pk)
    except ActionRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, done % {"email": invitation.email})
    return redirect("assessments:invitations", assessment.pk)


def _to_invitations(request, pk: int, **kwargs) -> str:
    # A GET here is mostly the browser coming back from the login page.
    return reverse("assessments:invitations", args=[pk])


@post_only(_to_invitations)
@login_required
def resend_invitation(request, pk: int, invitation_pk: int):
    done = _(
        "Die Einladung an %(email)s ist neu gesendet: Der neue Link gilt wieder ab heute, der frühere gilt nicht mehr."
    )
    return _invitation_action(request, pk, invitation_pk, services.resend_invitation, done)


@post_only(_to_invitations)
@login_required
def revoke_invitation(request, pk: int, invitation_pk: int):
    done = _("Die Einladung an %(email)s ist zurückgenommen; der Link und ein gewährter Zugang gelten nicht mehr.")
    return _invitation_action(request, pk, invitation_pk, services.revoke_invitation, done)


def invitation(request, token: str):
    """Where the invitation link leads. Signed in: accept. Not signed in: sign
    in, or, for an address without an account, choose a password first."""
    try:
        invitation = services.resolve_invitation(token)
    except services.InvitationInvalid as invalid:
        return _refused(request, invalid)
    user_model = get_user_model()
    has_account = user_model.objects.filter(email=invitation.email).exists()
    form = None
    if not request.user.is_authenticated and not has_account:
        form = PartnerRegistrationForm(request.POST or None, email=invitation.email)
        if request.method == "POST" and form.is_valid():
            try:
                # One transaction: an acceptance refused here (the
                # organisation registered meanwhile, say) leaves no account.
                with transaction.atomic():
                    user = user_model.objects.create_user(
                        email=invitation.email,
                        password=form.cleaned_data["password"],
                        full_name=form.cleaned_data["full_name"],
                    )
                    access = services.accept_invitation(user=user, invitation_id=invitation.pk)
            except IntegrityError:
                messages.error(request, _("Für diese Adresse gibt es schon ein Konto. Bitte melden Sie sich an."))
                return redirect(f"{reverse('accounts:login')}?next={request.path}")
            except services.InvitationInvalid as invalid:
                return _refused(request, invalid)
            login(request, user, backend="certification.backends.UserWithRolesBackend")
            return _accepted(request, access)
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
        return _refused(request, invalid)
    return _accepted(request, access)


def _refused(request, invalid):
    return render(request, "assessments/invitation_invalid.html", {"message": invalid.message}, status=400)


def _accepted(request, access):
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
        PartnerAccess.objects.filter(partner_id__in=roles.partner_ids, invitation__revoked_at__isnull=True)
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


def _partner_card_url(request, access_pk: int, criterion_code: str) -> str:
    # After signing in again the upload URL is reached by GET: the partner's card of that criterion.
    url = _partner_access_url(request, access_pk, criterion_code)
    criterion = get_partner_access_for_user(request.user, access_pk).criteria.filter(code=criterion_code).first()
    return f"{url}#kriterium-{criterion.pk}" if criterion else url


@upload_refused_returns_to(_partner_access_url)
@login_required
@post_only(_partner_card_url)
def partner_upload(request, access_pk: int, criterion_code: str):
    access = get_partner_access_for_user(request.user, access_pk)
    target = reverse("assessments:partner_access", args=[access.pk])
    if over_limit(request, "upload"):
        return redirect(target)
    form = EvidenceUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        form_errors(request, form)
        return redirect(target)
    files = form.cleaned_data["files"]
    try:
        created = services.upload_as_partner(
            user=request.user,
            access_id=access.pk,
            criterion_code=criterion_code,
            files=files,
            details=form.details(),
        )
    except ValidationError as error:
        refused_file_messages(request, error, files)
    except ActionRefused as refused:
        messages.error(request, refused.message)
    else:
        saved_file_messages(request, files, first_revisions(created))
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
            files = form.cleaned_data["files"]
            try:
                created = library_services.upload_to_library(
                    user=request.user, partner_id=partner.pk, files=files, details=form.details()
                )
            except ValidationError as error:
                refused_file_messages(request, error, files)
            else:
                saved_file_messages(request, files, first_revisions(created))
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
@post_only("assessments:partner_home")
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
@post_only("assessments:partner_home")
def revoke(request, grant_pk: int):
    grant_row = get_grant_for_user(request.user, grant_pk)
    try:
        services.revoke_grant(user=request.user, grant_id=grant_row.pk)
    except ActionRefused as refused:
        raise PermissionDenied(refused.message) from None
    messages.success(request, _("Die Freigabe ist entzogen. Eingereichte Stände behalten das Dokument."))
    return redirect("assessments:library", grant_row.evidence.owner_partner_id)
