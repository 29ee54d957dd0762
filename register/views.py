"""The register's pages: the register of a centre, what lapses before the
review year ends, and adding, changing, ending and removing entries. Thin:
the rules helper, a service call, a message, a redirect."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from register import selectors, services
from register.forms import AgreementForm, EndAgreementForm, QualificationForm
from register.rules import get_agreement_for_user, get_centre_for_register, get_qualification_for_user
from register.validity import current_review_year

KEEP = "register.keep_register"


def _register_url(familienzentrum) -> str:
    return reverse("register:register", args=[familienzentrum.pk])


def _qualification_form(familienzentrum, **kwargs) -> QualificationForm:
    return QualificationForm(
        criteria=selectors.criteria_choices(timezone.localdate()),
        sites=selectors.site_choices(familienzentrum),
        **kwargs,
    )


def _agreement_form(familienzentrum, **kwargs) -> AgreementForm:
    return AgreementForm(
        criteria=selectors.criteria_choices(timezone.localdate()),
        sites=selectors.site_choices(familienzentrum),
        partners=selectors.partner_choices(),
        **kwargs,
    )


def _entry_form(request, familienzentrum, *, kind: str, make_form, save, entry=None, initial=None):
    """The add and edit pages of both kinds of entry: GET shows the form,
    POST runs `save(data, upload)`; a refusal (of the form or the service)
    shows the form again with its messages on their fields and keeps the input."""
    context = {"familienzentrum": familienzentrum, "kind": kind, "entry": entry}
    if request.method == "GET":
        context["form"] = make_form(familienzentrum, initial=initial or {})
        return render(request, "register/entry_form.html", context)
    form = make_form(familienzentrum, data=request.POST, files=request.FILES)
    saved = None
    try:
        if form.is_valid():
            saved = save(form.data_for_service(), form.cleaned_data.get(form.upload_field))
        elif form.upload_field in request.FILES and form.upload_field not in form.errors:
            services.check_document(request.FILES[form.upload_field], form.upload_field)
    except services.RegisterError as error:
        form.add_service_errors(error.by_field)
    if saved is None:
        return render(request, "register/entry_form.html", {**context, "form": form}, status=400)
    if entry is None:
        messages.success(request, _("„%(entry)s“ ist im Nachweisregister eingetragen.") % {"entry": saved})
    else:
        messages.success(request, _("„%(entry)s“ ist gespeichert.") % {"entry": saved})
    return redirect(_register_url(familienzentrum))


def _entry_delete(request, entry, *, kind: str, remove):
    """Asked on GET, removed on POST."""
    familienzentrum = entry.familienzentrum
    if request.method == "POST":
        remove()
        messages.success(request, _("„%(entry)s“ ist aus dem Register entfernt.") % {"entry": entry})
        return redirect(_register_url(familienzentrum))
    context = {"familienzentrum": familienzentrum, "entry": entry, "kind": kind}
    return render(request, "register/entry_delete.html", context)


@login_required
def register(request, pk: int):
    familienzentrum = get_centre_for_register(request.user, pk)
    context = {
        "familienzentrum": familienzentrum,
        "register": selectors.register_of(familienzentrum),
        "may_keep": request.user.has_perm(KEEP, familienzentrum),
    }
    return render(request, "register/register.html", context)


@login_required
def lapsing(request, pk: int):
    familienzentrum = get_centre_for_register(request.user, pk)
    today = timezone.localdate()
    year = current_review_year(today)
    context = {
        "familienzentrum": familienzentrum,
        "rows": selectors.lapsing(familienzentrum, year.end, today),
        "review_year": year,
        "may_keep": request.user.has_perm(KEEP, familienzentrum),
    }
    return render(request, "register/lapsing.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def qualification_new(request, pk: int):
    familienzentrum = get_centre_for_register(request.user, pk, KEEP)

    def save(data, upload):
        return services.qualification_add(user=request.user, familienzentrum=familienzentrum, data=data, upload=upload)

    return _entry_form(request, familienzentrum, kind="qualification", make_form=_qualification_form, save=save)


@login_required
@require_http_methods(["GET", "POST"])
def qualification_edit(request, entry_pk: int):
    qualification = get_qualification_for_user(request.user, entry_pk)
    fields = ("person", "role", "training", "provider", "completed_on", "hours", "days", "online", "preparation_hours")
    initial = {name: getattr(qualification, name) for name in fields}
    initial.update(site=qualification.site_id, criteria=qualification.criterion_codes)

    def save(data, upload):
        return services.qualification_edit(
            user=request.user, qualification_id=qualification.pk, data=data, upload=upload
        )

    return _entry_form(
        request,
        qualification.familienzentrum,
        kind="qualification",
        make_form=_qualification_form,
        save=save,
        entry=qualification,
        initial=initial,
    )


@login_required
@require_http_methods(["GET", "POST"])
def qualification_delete(request, entry_pk: int):
    qualification = get_qualification_for_user(request.user, entry_pk)
    return _entry_delete(
        request,
        qualification,
        kind="qualification",
        remove=lambda: services.qualification_remove(user=request.user, qualification_id=qualification.pk),
    )


@login_required
@require_http_methods(["GET", "POST"])
def agreement_new(request, pk: int):
    familienzentrum = get_centre_for_register(request.user, pk, KEEP)

    def save(data, upload):
        return services.agreement_add(user=request.user, familienzentrum=familienzentrum, data=data, upload=upload)

    return _entry_form(request, familienzentrum, kind="agreement", make_form=_agreement_form, save=save)


@login_required
@require_http_methods(["GET", "POST"])
def agreement_edit(request, entry_pk: int):
    agreement = get_agreement_for_user(request.user, entry_pk)
    initial = {
        "partner": agreement.partner_id,
        "subject": agreement.subject,
        "signed_on": agreement.signed_on,
        "signed_by": agreement.signed_by,
        "valid_until": agreement.valid_until,
        "sites": [site.pk for site in agreement.sites.all()],
        "criteria": agreement.criterion_codes,
    }

    def save(data, upload):
        return services.agreement_edit(user=request.user, agreement_id=agreement.pk, data=data, upload=upload)

    return _entry_form(
        request,
        agreement.familienzentrum,
        kind="agreement",
        make_form=_agreement_form,
        save=save,
        entry=agreement,
        initial=initial,
    )


@login_required
@require_http_methods(["GET", "POST"])
def agreement_end(request, entry_pk: int):
    agreement = get_agreement_for_user(request.user, entry_pk)
    familienzentrum = agreement.familienzentrum
    if request.method == "GET":
        form = EndAgreementForm(initial={"ended_on": agreement.ended_on or timezone.localdate()})
    else:
        form = EndAgreementForm(request.POST)
        if form.is_valid():
            try:
                services.agreement_end(
                    user=request.user, agreement_id=agreement.pk, ended_on=form.cleaned_data["ended_on"]
                )
            except services.RegisterError as error:
                form.add_service_errors(error.by_field)
            else:
                messages.success(request, _("„%(entry)s“ ist als beendet eingetragen.") % {"entry": agreement})
                return redirect(_register_url(familienzentrum))
    context = {"familienzentrum": familienzentrum, "entry": agreement, "form": form}
    return render(request, "register/agreement_end.html", context, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def agreement_delete(request, entry_pk: int):
    agreement = get_agreement_for_user(request.user, entry_pk)
    return _entry_delete(
        request,
        agreement,
        kind="agreement",
        remove=lambda: services.agreement_remove(user=request.user, agreement_id=agreement.pk),
    )
