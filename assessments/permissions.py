"""Access helpers of the assessments app. An assessment the user may not
see answers 404; one the user may see but not change answers 403."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404

from assessments import rules
from assessments.models import Assessment
from assessments.selectors import assessments_for_user
from certification.models import Familienzentrum
from certification.permissions import get_familienzentrum_for_user
from certification.selectors import familienzentren_led_by


def get_assessment_for_user(user, pk: int) -> Assessment:
    return get_object_or_404(assessments_for_user(user), pk=pk)


def get_assessment_for_editor(user, pk: int) -> Assessment:
    assessment = get_assessment_for_user(user, pk)
    if not rules.can_edit(user, assessment):
        raise PermissionDenied
    return assessment


def get_assessment_for_withdrawal(user, pk: int) -> Assessment:
    assessment = get_assessment_for_user(user, pk)
    if not rules.can_withdraw(user, assessment):
        raise PermissionDenied
    return assessment


def get_familienzentrum_for_leitung(user, pk: int):
    familienzentrum = get_familienzentrum_for_user(user, pk)
    if not familienzentren_led_by(user).filter(pk=familienzentrum.pk).exists():
        raise PermissionDenied
    return familienzentrum


def revision_visible_to(user, revision) -> bool:
    """A file may be downloaded by the office; by its owner's people; by the
    people of a centre it is granted to or that owns it; and by everyone who
    may see an assessment whose frozen submission names it."""
    from assessments.models import SubmissionRevision
    from certification.selectors import familienzentren_for_user, roles_for

    roles = roles_for(user)
    if roles.is_office:
        return True
    evidence = revision.evidence
    if evidence.owner_partner_id is not None and evidence.owner_partner_id in roles.partner_ids:
        return True
    visible_centres = familienzentren_for_user(user).values("pk")
    if (
        evidence.owner_familienzentrum_id is not None
        and Familienzentrum.objects.filter(pk=evidence.owner_familienzentrum_id, pk__in=visible_centres).exists()
    ):
        return True
    if evidence.grants.filter(revoked_at__isnull=True, familienzentrum__in=visible_centres).exists():
        return True
    return SubmissionRevision.objects.filter(
        revision=revision, submission__assessment__in=assessments_for_user(user).values("pk")
    ).exists()


def get_revision_for_user(user, pk: int):
    from assessments.models import EvidenceRevision

    revision = get_object_or_404(EvidenceRevision.objects.select_related("evidence"), pk=pk)
    if not revision_visible_to(user, revision):
        raise Http404
    return revision


def get_partner_access_for_user(user, pk: int):
    from assessments.models import PartnerAccess
    from certification.selectors import roles_for

    return get_object_or_404(
        PartnerAccess.objects.select_related("assessment__familienzentrum", "partner"),
        pk=pk,
        partner_id__in=roles_for(user).partner_ids,
    )
