"""Which partner organisations a Leitung may invite: those already working
with the centre or its Träger (and new ones by name), never another Träger's."""

from __future__ import annotations

import secrets
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from assessments import services
from assessments.models import AssessmentKind, PartnerAccess, PartnerInvitation
from assessments.selectors import partners_working_with
from certification.models import Area
from evidence import services as library
from evidence.models import EvidenceGrant, EvidenceKind
from evidence.services import EvidenceDetails
from tests.assessments.files import PDF_BYTES, upload
from tests.factories import FamilienzentrumFactory, MembershipFactory, PartnerFactory, UserFactory
from tests.unchanged import everything


def _assessment_of(centre, mini_catalogue):
    leitung = UserFactory()
    MembershipFactory(user=leitung, role="leitung", site=centre.site_links.first().site)
    return services.start_assessment(
        user=leitung,
        familienzentrum=centre,
        catalogue=mini_catalogue,
        kind=AssessmentKind.FIRST,
        profile_areas=[Area.objects.get(catalogue=mini_catalogue, code="4B")],
        review_period_start=date(2026, 8, 1),
        review_period_end=date(2027, 1, 31),
    ), leitung


def _give_access(assessment, partner, user):
    invitation = PartnerInvitation.objects.create(
        assessment=assessment,
        partner=partner,
        email="kontakt@partner.example",
        nonce=secrets.token_hex(16),
        created_by=user,
    )
    return PartnerAccess.objects.create(assessment=assessment, partner=partner, invitation=invitation)


@pytest.fixture
def foreign_partner(mini_catalogue, other_centre):
    """Works with a centre of another Träger."""
    assessment, leitung = _assessment_of(other_centre, mini_catalogue)
    partner = PartnerFactory(name="Beratung des anderen Trägers")
    _give_access(assessment, partner, leitung)
    return partner


@pytest.fixture
def sibling(centre):
    return FamilienzentrumFactory(name="Familienzentrum Geschwister", traeger=centre.traeger)


def _offered(client, user, draft) -> str:
    client.force_login(user)
    response = client.get(reverse("assessments:invite", args=[draft.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_another_traegers_partner_is_not_offered(client, draft, alice, foreign_partner):
    assert foreign_partner not in partners_working_with(draft.familienzentrum, include_unattached=True)
    assert foreign_partner.name not in _offered(client, alice, draft)


def test_a_crafted_post_naming_another_traegers_partner_is_refused(client, draft, alice, foreign_partner):
    client.force_login(alice)
    before = everything()
    response = client.post(
        reverse("assessments:invite", args=[draft.pk]),
        {"partner": foreign_partner.pk, "email": "x@partner.example", "criteria": ["1.1"]},
    )
    assert response.status_code == 200  # the form again, with its error
    assert not PartnerInvitation.objects.filter(assessment=draft).exists()
    # No invitation mail queued for the outbox, no event.
    assert everything() == before

    with pytest.raises(ValidationError, match="kann hier nicht eingeladen werden"):
        services.invite_partner(
            user=alice,
            assessment_id=draft.pk,
            criterion_codes=["1.1"],
            email="x@partner.example",
            partner_id=foreign_partner.pk,
        )
    assert not PartnerInvitation.objects.filter(assessment=draft).exists()
    assert everything() == before


def test_a_partner_of_a_sibling_centre_is_offered_and_invitable(
    client, draft, alice, mini_catalogue, sibling, foreign_partner, django_capture_on_commit_callbacks
):
    sibling_assessment, leitung = _assessment_of(sibling, mini_catalogue)
    partner = PartnerFactory(name="Beratung der Schwester")
    _give_access(sibling_assessment, partner, leitung)

    assert list(partners_working_with(draft.familienzentrum)) == [partner]
    page = _offered(client, alice, draft)
    assert partner.name in page and foreign_partner.name not in page

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("assessments:invite", args=[draft.pk]),
            {"partner": partner.pk, "email": "kontakt@schwester.example", "criteria": ["1.1"]},
        )
    assert response.status_code == 302
    assert PartnerInvitation.objects.get(assessment=draft).partner == partner


def test_a_partner_that_granted_a_document_to_a_sibling_is_offered(draft, sibling, foreign_partner):
    partner = PartnerFactory(name="Beratung mit Freigabe")
    staff = UserFactory()
    MembershipFactory(user=staff, role="partner", partner=partner)
    (document,) = library.upload_to_library(
        user=staff,
        partner_id=partner.pk,
        files=[upload("vertrag.pdf", PDF_BYTES)],
        details=EvidenceDetails(kind=EvidenceKind.AGREEMENT, effective_date=date(2023, 1, 1)),
    )
    EvidenceGrant.objects.create(evidence=document, familienzentrum=sibling, granted_by=staff)

    assert list(partners_working_with(draft.familienzentrum)) == [partner]


def test_an_organisation_working_with_nobody_yet_stays_invitable(draft, foreign_partner):
    unattached = PartnerFactory(name="Neu registrierte Beratung")
    assert unattached not in partners_working_with(draft.familienzentrum)
    assert unattached in partners_working_with(draft.familienzentrum, include_unattached=True)
