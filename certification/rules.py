"""The rule book of the certification app: who is what, and who may see or
lead a Familienzentrum. Predicates are registered as permissions with the
`rules` library, so views, services, transitions and templates ask the same
question through `user.has_perm(...)`. Helpers at the end return an object
or answer 404, so that the existence of what a user may not see is not
disclosed."""

from __future__ import annotations

import rules
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from certification.models import CatalogueVersion, Familienzentrum, Kooperationspartner
from certification.selectors import familienzentren_for_user, roles_for, users_tied_to_traeger

# ---------------------------------------------------------------- who is what


@rules.predicate
def is_office(user) -> bool:
    return roles_for(user).is_office


@rules.predicate
def is_reviewer(user) -> bool:
    """In the active reviewer pool."""
    return roles_for(user).is_reviewer


@rules.predicate
def is_partner_staff(user) -> bool:
    return roles_for(user).is_partner


@rules.predicate
def leads_centre(user, familienzentrum) -> bool:
    """Leitung of one of the centre's sites, or Träger staff granted to act as Leitung."""
    if familienzentrum is None:
        return False
    roles = roles_for(user)
    site_ids = {link.site_id for link in familienzentrum.site_links.all()}
    if roles.leitung_site_ids & site_ids:
        return True
    return familienzentrum.traeger_id in roles.acting_traeger_ids


@rules.predicate
def leads_a_site_of(user, familienzentrum) -> bool:
    """Leitung of one of the centre's own sites (not acting for the Träger)."""
    if familienzentrum is None:
        return False
    return bool(roles_for(user).leitung_site_ids & {link.site_id for link in familienzentrum.site_links.all()})


@rules.predicate
def works_for_traeger_of(user, familienzentrum) -> bool:
    return familienzentrum is not None and familienzentrum.traeger_id in roles_for(user).traeger_ids


@rules.predicate
def works_for_partner(user, partner) -> bool:
    return partner is not None and partner.pk in roles_for(user).partner_ids


def is_tied_to_traeger(user, traeger_id: int) -> bool:
    """Staff of the Träger or Leitung of one of its sites: never a judge of its centres."""
    return users_tied_to_traeger(traeger_id).filter(user_id=user.pk).exists()


# The same people familienzentren_for_user() lists (see the test that holds both together).
may_read_familienzentrum = is_office | leads_a_site_of | works_for_traeger_of

rules.add_perm("certification.read_familienzentrum", may_read_familienzentrum)
rules.add_perm("certification.lead_familienzentrum", leads_centre)
rules.add_perm("certification.work_for_partner", works_for_partner)


# ---------------------------------------------------------------- objects or 404


def get_familienzentrum_for_user(user, pk: int, perm: str = "certification.read_familienzentrum") -> Familienzentrum:
    """The centre if the user may see it (else 404); 403 when the user may
    see it but `perm` is not the user's."""
    familienzentrum = get_object_or_404(familienzentren_for_user(user), pk=pk)
    if perm != "certification.read_familienzentrum" and not user.has_perm(perm, familienzentrum):
        raise PermissionDenied
    return familienzentrum


def get_partner_for_user(user, pk: int) -> Kooperationspartner:
    """A partner organisation, for its own staff only."""
    return get_object_or_404(Kooperationspartner, pk=pk, pk__in=roles_for(user).partner_ids)


def get_catalogue_for_user(user, pk: int) -> CatalogueVersion:
    # The catalogue is public to every signed-in user: it is the scheme
    # everyone works to, not data of any one centre.
    return get_object_or_404(CatalogueVersion, pk=pk)
