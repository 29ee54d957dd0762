"""Who may read and keep a Familienzentrum's standing evidence register:
the Leitung of the centre keeps it (or Träger staff granted to act as
Leitung); its Träger's staff and the certifier's office read it. Everyone
else meets 404, whatever they ask for."""

from __future__ import annotations

import rules
from django.http import Http404
from django.shortcuts import get_object_or_404

from certification.models import Familienzentrum
from certification.rules import is_office, leads_centre, works_for_traeger_of
from register.models import CooperationAgreement, StaffQualification

rules.add_perm("register.read_register", is_office | leads_centre | works_for_traeger_of)
rules.add_perm("register.keep_register", leads_centre)


def get_centre_for_register(user, pk: int, perm: str = "register.read_register") -> Familienzentrum:
    """The Familienzentrum whose register the user holds `perm` on; 404 for everyone else."""
    familienzentrum = get_object_or_404(
        Familienzentrum.objects.select_related("traeger").prefetch_related("site_links"), pk=pk
    )
    if not user.has_perm(perm, familienzentrum):
        raise Http404
    return familienzentrum


def get_qualification_for_user(user, pk: int, perm: str = "register.keep_register") -> StaffQualification:
    qualification = get_object_or_404(
        StaffQualification.objects.select_related("familienzentrum").prefetch_related("familienzentrum__site_links"),
        pk=pk,
    )
    if not user.has_perm(perm, qualification.familienzentrum):
        raise Http404
    return qualification


def get_agreement_for_user(user, pk: int, perm: str = "register.keep_register") -> CooperationAgreement:
    agreement = get_object_or_404(
        CooperationAgreement.objects.select_related("familienzentrum", "partner").prefetch_related(
            "familienzentrum__site_links"
        ),
        pk=pk,
    )
    if not user.has_perm(perm, agreement.familienzentrum):
        raise Http404
    return agreement
