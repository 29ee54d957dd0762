"""The rule book of the assessments app: every "who may" about an
assessment, its review, its partners and its files, registered as a
permission with the `rules` library. The state machine's transitions name
these permissions (permission="assessments.…"), views and services ask
`user.has_perm(...)`, templates `{% has_perm %}`: one question, one answer.
Whether an action is possible *now* (the state, the conditions) is the
services' business. The helpers at the end return an object or answer 404."""

from __future__ import annotations

import rules
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404

from assessments.models import Assessment, PartnerAccess, SubmissionRevision
from assessments.selectors import assessment_with_centre, assessments_for_user
from certification.rules import (
    is_office,
    is_reviewer,
    is_tied_to_traeger,
    leads_a_site_of,
    leads_centre,
    works_for_traeger_of,
)
from certification.selectors import roles_for
from evidence.models import EvidenceRevision

# ---------------------------------------------------------------- predicates


@rules.predicate
def is_leitung_of(user, assessment) -> bool:
    return assessment is not None and leads_centre(user, assessment.familienzentrum)


@rules.predicate
def is_traeger_of(user, assessment) -> bool:
    return assessment is not None and works_for_traeger_of(user, assessment.familienzentrum)


@rules.predicate
def is_named_reviewer(user, assessment) -> bool:
    """Named as reviewer or second reviewer (whether still in the pool or not)."""
    return assessment is not None and user.pk in (assessment.reviewer_id, assessment.second_reviewer_id)


@rules.predicate
def is_assigned_reviewer(user, assessment) -> bool:
    """The assigned reviewer, while still in the active pool."""
    return assessment is not None and assessment.reviewer_id == user.pk and roles_for(user).is_reviewer


@rules.predicate
def is_second_reviewer(user, assessment) -> bool:
    """The named second reviewer, while still in the pool and allowed to confirm."""
    if assessment is None or assessment.second_reviewer_id != user.pk:
        return False
    roles = roles_for(user)
    return roles.is_reviewer and roles.reviewer.may_confirm


# Positive predicates only, each false without an assessment: django-fsm
# also asks a transition's permission without the object, and a negated
# predicate (~p) would be true there.


@rules.predicate
def did_not_recommend(user, assessment) -> bool:
    return assessment is not None and assessment.recommended_by_id != user.pk


@rules.predicate
def independent_of_its_traeger(user, assessment) -> bool:
    """Not staff of the centre's Träger nor Leitung of one of its sites: only such a person judges."""
    return assessment is not None and not is_tied_to_traeger(user, assessment.familienzentrum.traeger_id)


@rules.predicate
def is_an_assessment(user, assessment) -> bool:
    return assessment is not None


@rules.predicate
def sees_the_centre(user, assessment) -> bool:
    return assessment is not None and (
        leads_a_site_of(user, assessment.familienzentrum) or works_for_traeger_of(user, assessment.familienzentrum)
    )


# Exactly the people assessments_for_user() lists (a test holds the two together).
may_read = (is_office & is_an_assessment) | sees_the_centre | is_named_reviewer

rules.add_perm("assessments.read_assessment", may_read)
rules.add_perm("assessments.edit_assessment", is_leitung_of)
rules.add_perm("assessments.withdraw_assessment", is_leitung_of | is_traeger_of)
rules.add_perm("assessments.assign_reviewers", is_office & is_an_assessment)
# The cycle's dates (assessments.services.deadlines): the office moves them.
rules.add_perm("assessments.edit_deadlines", is_office & is_an_assessment)
rules.add_perm("assessments.review_assessment", is_assigned_reviewer)
rules.add_perm("assessments.read_review", is_assigned_reviewer | is_second_reviewer | (is_office & is_an_assessment))
# The four-eyes check: the named second reviewer or the office, never the
# person who recommended, never anyone tied to the Träger.
rules.add_perm(
    "assessments.confirm_assessment", (is_second_reviewer | is_office) & did_not_recommend & independent_of_its_traeger
)
rules.add_perm("assessments.decline_assessment", (is_assigned_reviewer | is_office) & independent_of_its_traeger)
# File fingerprints (SHA-256) and the submission checksum are working tools of
# the review: reviewers and the office see them, centre users and partners see
# titles, dates and versions instead.
# Invitations carry partners' addresses: the centre's people and the office
# see the list; only the Leitung resends or revokes them.
rules.add_perm("assessments.see_invitations", sees_the_centre | (is_office & is_an_assessment))
rules.add_perm("assessments.manage_invitations", is_leitung_of)
rules.add_perm("assessments.see_fingerprints", is_named_reviewer | (is_office & is_an_assessment))
# The personal calendar feed of site visits (issue 12): members of the active pool.
rules.add_perm("assessments.keep_calendar_feed", is_reviewer)


# The work queues and centre lists (issue 12): lists, asked without an object.
# Which rows each holds is scoped by assessments.queue_selectors.
@rules.predicate
def works_for_a_traeger(user) -> bool:
    return roles_for(user).is_traeger


rules.add_perm("assessments.see_review_queue", is_office)
rules.add_perm("assessments.see_own_reviews", is_reviewer)
rules.add_perm("assessments.see_centre_list", is_office | works_for_a_traeger)


@rules.predicate
def contributes_through(user, access) -> bool:
    """A partner's staff working through the access its invitation granted,
    until the centre revokes the invitation."""
    if access is None or access.partner_id not in roles_for(user).partner_ids:
        return False
    return access.invitation.revoked_at is None


rules.add_perm("assessments.contribute_as_partner", contributes_through)


@rules.predicate
def reads_through_a_submission(user, revision) -> bool:
    """A revision frozen in a submission may be read by whoever may see that assessment."""
    return (
        revision is not None
        and SubmissionRevision.objects.filter(
            revision=revision, submission__assessment__in=assessments_for_user(user).values("pk")
        ).exists()
    )


@rules.predicate
def reads_the_document(user, revision) -> bool:
    return revision is not None and user.has_perm("evidence.read_document", revision.evidence)


rules.add_perm("assessments.download_revision", reads_the_document | reads_through_a_submission)


# ---------------------------------------------------------------- objects or 404


def get_assessment_for_user(user, pk: int, perm: str = "assessments.read_assessment") -> Assessment:
    """The one helper for assessments: 404 for what the user may not see at
    all; 403 for a visible assessment when `perm` belongs to another role."""
    # Read by its key and judged by the rule book: the same people as
    # assessments_for_user() lists, without that list's joins.
    assessment = assessment_with_centre(pk)
    if assessment is None or not user.has_perm("assessments.read_assessment", assessment):
        raise Http404
    if perm != "assessments.read_assessment" and not user.has_perm(perm, assessment):
        raise PermissionDenied
    return assessment


def get_revision_for_user(user, pk: int) -> EvidenceRevision:
    revision = get_object_or_404(EvidenceRevision.objects.select_related("evidence"), pk=pk)
    if not user.has_perm("assessments.download_revision", revision):
        raise Http404
    return revision


def get_partner_access_for_user(user, pk: int) -> PartnerAccess:
    return get_object_or_404(
        PartnerAccess.objects.select_related("assessment__familienzentrum", "partner"),
        pk=pk,
        partner_id__in=roles_for(user).partner_ids,
        invitation__revoked_at__isnull=True,  # a revoked invitation ends the access
    )
