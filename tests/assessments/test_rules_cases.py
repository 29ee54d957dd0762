"""The rule book's helpers that return an object or answer 404/403, case by
case: an assessment the user may not see is not found, one seen but not
the user's to act on is forbidden; a file is found only for who may
download it; a partner's access only for its own staff and only until the
invitation is revoked. The objects come with what the views read of them."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from assessments import services
from assessments.rules import get_assessment_for_user, get_partner_access_for_user, get_revision_for_user
from evidence.models import EvidenceKind, EvidenceRevision
from evidence.services import EvidenceDetails
from tests.assessments.conftest import answer_all
from tests.assessments.files import PDF_BYTES, upload
from tests.factories import MembershipFactory, PartnerFactory, UserFactory

MISSING = 10**9  # no row has this key


def fresh(user):
    """The user read again: roles are kept on the user object (roles_for)."""
    return type(user).objects.get(pk=user.pk)


# ---------------------------------------------------------------- assessments


def test_an_assessment_is_found_for_who_may_read_it(draft, alice, tina, olga):
    for user in (alice, tina, olga):
        assert get_assessment_for_user(user, draft.pk) == draft
        assert get_assessment_for_user(user, draft.pk, "assessments.read_assessment") == draft


def test_an_assessment_the_user_may_not_see_is_not_found(draft, bob, tom, rita, paula):
    for user in (bob, tom, rita, paula):
        with pytest.raises(Http404):
            get_assessment_for_user(user, draft.pk)
        # Not even a permission the user holds elsewhere discloses it.
        with pytest.raises(Http404):
            get_assessment_for_user(user, draft.pk, "assessments.edit_assessment")


def test_an_assessment_that_does_not_exist_is_not_found(db, olga):
    with pytest.raises(Http404):
        get_assessment_for_user(olga, MISSING)


def test_a_visible_assessment_is_forbidden_for_another_roles_action(draft, alice, tina, olga):
    assert get_assessment_for_user(alice, draft.pk, "assessments.edit_assessment") == draft
    with pytest.raises(PermissionDenied):
        get_assessment_for_user(tina, draft.pk, "assessments.edit_assessment")
    with pytest.raises(PermissionDenied):
        get_assessment_for_user(alice, draft.pk, "assessments.assign_reviewers")
    assert get_assessment_for_user(olga, draft.pk, "assessments.assign_reviewers") == draft


def test_a_named_reviewer_finds_the_assessment_and_may_review_only_when_assigned(reviewing, gabi, zeno):
    assert get_assessment_for_user(gabi, reviewing.pk, "assessments.review_assessment") == reviewing
    assert get_assessment_for_user(zeno, reviewing.pk) == reviewing
    with pytest.raises(PermissionDenied):
        get_assessment_for_user(zeno, reviewing.pk, "assessments.review_assessment")


# ---------------------------------------------------------------- files


@pytest.fixture
def revision(draft, alice):
    (document,) = services.upload_for_criterion(
        user=alice,
        assessment_id=draft.pk,
        criterion_code="1.1",
        files=[upload("Konzept.pdf", PDF_BYTES)],
        details=EvidenceDetails(kind=EvidenceKind.OFFER, effective_date=date(2026, 9, 1)),
    )
    return document.revisions.get()


def test_a_file_is_found_for_who_may_read_its_document(revision, alice, tina, olga, django_assert_num_queries):
    for user in (alice, tina, olga):
        found = get_revision_for_user(fresh(user), revision.pk)
        assert found == revision
        # The document comes with the file (the download names it).
        with django_assert_num_queries(0):
            assert found.evidence.title == revision.evidence.title


def test_a_file_is_not_found_for_others_nor_when_it_does_not_exist(revision, bob, tom, paula, rita, alice):
    for user in (bob, tom, paula, rita):
        with pytest.raises(Http404):
            get_revision_for_user(user, revision.pk)
    with pytest.raises(Http404):
        get_revision_for_user(alice, MISSING)


def test_a_file_frozen_in_a_submission_is_found_for_its_reviewers(revision, draft, alice, olga, gabi, zeno, rita):
    answer_all(draft, alice)
    services.submit(user=alice, assessment_id=draft.pk)
    assert EvidenceRevision.objects.filter(submissions__submission__assessment=draft).get() == revision
    with pytest.raises(Http404):
        get_revision_for_user(gabi, revision.pk)
    services.assign_reviewers(user=olga, assessment_id=draft.pk, reviewer=gabi, second_reviewer=zeno)
    for reviewer in (gabi, zeno):
        assert get_revision_for_user(fresh(reviewer), revision.pk) == revision
    with pytest.raises(Http404):
        get_revision_for_user(rita, revision.pk)


# ---------------------------------------------------------------- a partner's access


@pytest.fixture
def access(draft, alice, paula, partner_org):
    invitation = services.invite_partner(
        user=alice, assessment_id=draft.pk, criterion_codes=["1.1"], email=paula.email, partner_id=partner_org.pk
    )
    return services.accept_invitation(user=paula, invitation_id=invitation.pk)


def test_a_partners_access_is_found_for_its_own_staff(access, paula, partner_org, django_assert_num_queries):
    colleague = UserFactory()
    MembershipFactory(user=colleague, role="partner", partner=partner_org)
    for user in (paula, colleague):
        found = get_partner_access_for_user(fresh(user), access.pk)
        assert found == access
        # The page names the centre and the partner without asking again.
        with django_assert_num_queries(0):
            assert (found.assessment.familienzentrum.name, found.partner.name) == (
                access.assessment.familienzentrum.name,
                partner_org.name,
            )


def test_a_partners_access_is_not_found_for_anyone_else(access, alice, tina, olga, rita):
    stranger = UserFactory()
    MembershipFactory(user=stranger, role="partner", partner=PartnerFactory(name="Fremder Partner"))
    for user in (stranger, alice, tina, olga, rita):
        with pytest.raises(Http404):
            get_partner_access_for_user(user, access.pk)


def test_a_revoked_invitation_ends_the_access(access, paula, alice):
    services.revoke_invitation(user=alice, invitation_id=access.invitation_id)
    with pytest.raises(Http404):
        get_partner_access_for_user(fresh(paula), access.pk)


def test_an_access_that_does_not_exist_is_not_found(access, paula):
    with pytest.raises(Http404):
        get_partner_access_for_user(paula, MISSING)
