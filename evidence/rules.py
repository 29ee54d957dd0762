"""The rule book of the document library: who may add revisions to a
document, who may read it, and who may share it. Registered as permissions
with the `rules` library. That a document frozen in a submission may be read
by whoever may see that submission is the assessments app's rule."""

from __future__ import annotations

import rules
from django.http import Http404
from django.shortcuts import get_object_or_404

from certification.models import Familienzentrum
from certification.rules import is_office, leads_centre
from certification.selectors import familienzentren_for_user, roles_for
from evidence.models import Evidence, EvidenceGrant


@rules.predicate
def owns_document(user, evidence) -> bool:
    """The owning partner's staff, or the Leitung of the owning centre."""
    if evidence is None:
        return False
    if evidence.owner_partner_id:
        return evidence.owner_partner_id in roles_for(user).partner_ids
    return leads_centre(user, evidence.owner_familienzentrum)


@rules.predicate
def is_owning_partner_staff(user, evidence) -> bool:
    return (
        evidence is not None
        and evidence.owner_partner_id is not None
        and (evidence.owner_partner_id in roles_for(user).partner_ids)
    )


@rules.predicate
def reaches_through_a_centre(user, evidence) -> bool:
    """The people of the owning centre, or of a centre the document is granted to."""
    if evidence is None:
        return False
    visible_centres = familienzentren_for_user(user).values("pk")
    if (
        evidence.owner_familienzentrum_id is not None
        and Familienzentrum.objects.filter(pk=evidence.owner_familienzentrum_id, pk__in=visible_centres).exists()
    ):
        return True
    return evidence.grants.filter(revoked_at__isnull=True, familienzentrum__in=visible_centres).exists()


rules.add_perm("evidence.edit_document", owns_document)
rules.add_perm("evidence.share_document", is_owning_partner_staff)
rules.add_perm("evidence.read_document", is_office | is_owning_partner_staff | reaches_through_a_centre)


# ---------------------------------------------------------------- objects or 404


def get_document_for_user(user, pk: int, perm: str) -> Evidence:
    """A document the user holds `perm` on; for everyone else it does not exist."""
    evidence = get_object_or_404(Evidence.objects.select_related("owner_familienzentrum", "owner_partner"), pk=pk)
    if not user.has_perm(perm, evidence):
        raise Http404
    return evidence


def get_grant_for_user(user, pk: int) -> EvidenceGrant:
    """A grant, for the staff of the partner whose document it shares."""
    return get_object_or_404(
        EvidenceGrant.objects.select_related("evidence"),
        pk=pk,
        evidence__owner_partner_id__in=roles_for(user).partner_ids,
    )
