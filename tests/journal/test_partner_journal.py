"""A partner with an accepted invitation adds offers to the centre's journal,
for the criteria of its invitation only; nobody else reaches that page."""

from __future__ import annotations

import secrets
from datetime import date

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from assessments import services as assessment_services
from assessments.models import AssessmentKind, PartnerAccess, PartnerInvitation
from certification.models import Area, Criterion
from journal.models import JournalEntry

TODAY = date(2026, 12, 2)


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(TODAY, tick=False):
        yield


@pytest.fixture
def access(catalogue, centre, alice, partner_org):
    assessment = assessment_services.start_assessment(
        user=alice,
        familienzentrum=centre,
        catalogue=catalogue,
        kind=AssessmentKind.FIRST,
        profile_areas=[Area.objects.get(catalogue=catalogue, code="4B")],
        review_period_start=date(2026, 1, 1),
        review_period_end=date(2027, 1, 31),
    )
    invitation = PartnerInvitation.objects.create(
        assessment=assessment,
        partner=partner_org,
        email="kontakt@partner.example",
        nonce=secrets.token_hex(16),
        created_by=alice,
        accepted_at=timezone.now(),
    )
    criteria = Criterion.objects.filter(catalogue=catalogue, code__in=["1.5", "4B1"])
    invitation.criteria.set(criteria)
    granted = PartnerAccess.objects.create(assessment=assessment, partner=partner_org, invitation=invitation)
    granted.criteria.set(criteria)
    return granted


def url(access) -> str:
    return reverse("assessments:partner_journal", args=[access.pk])


def offer(**fields) -> dict:
    return {
        "title": "Offene Sprechstunde",
        "first_date": "2026-11-12",
        "criteria": ["1.5"],
        "participants": "4",
        "recurrence": "monthly",
        "until": "2027-01-31",
        "kind": "counselling",
        "target_group": "parents",
        **fields,
    }


def test_the_partner_adds_an_offer_for_its_criteria(client, paula, access, centre, partner_org):
    client.force_login(paula)
    page = client.get(url(access))
    assert page.status_code == 200
    # Only the invited criteria are offered, and the form names no partner: it is the partner.
    assert [code for code, _label in page.context["form"].fields["criteria"].choices] == ["1.5", "4B1"]
    assert "partner" not in page.context["form"].fields
    response = client.post(url(access), offer())
    assert response.status_code == 302
    entry = JournalEntry.objects.get()
    assert (entry.familienzentrum, entry.partner, entry.created_by) == (centre, partner_org, paula)
    assert entry.sessions.count() == 3  # 12 Nov, 12 Dec, 12 Jan
    assert "Serie „Offene Sprechstunde“ mit 3 Terminen gespeichert." in client.get(response.url).content.decode()


def test_a_criterion_outside_the_invitation_is_refused_on_its_field(client, paula, access):
    client.force_login(paula)
    response = client.post(url(access), offer(criteria=["1.3"], title="Mein Titel"))
    assert response.status_code == 400
    assert response.context["form"].errors["criteria"]
    assert "Mein Titel" in response.content.decode()
    assert not JournalEntry.objects.exists()


def test_the_partners_entry_shows_in_the_centres_journal(client, paula, alice, access, centre):
    client.force_login(paula)
    client.post(url(access), offer())
    client.force_login(alice)
    page = client.get(reverse("journal:journal", args=[centre.pk]))
    assert "Offene Sprechstunde" in page.content.decode()
    assert "Erziehungsberatungsstelle Jülich" in page.content.decode()


@pytest.mark.parametrize("who", ["alice", "bob", "tina", "rita", "olga", "other_partner", "anonymous"])
def test_nobody_else_reaches_the_partners_journal_page(client, access, alice, bob, tina, rita, olga, who):
    from certification.models import MembershipRole
    from tests.factories import MembershipFactory, PartnerFactory, UserFactory

    people = {"alice": alice, "bob": bob, "tina": tina, "rita": rita, "olga": olga}
    if who == "other_partner":
        people[who] = UserFactory(email="otto@example.org")
        MembershipFactory(user=people[who], role=MembershipRole.PARTNER, partner=PartnerFactory(name="Andere"))
    if who != "anonymous":
        client.force_login(people[who])
    expected = 302 if who == "anonymous" else 404
    assert client.get(url(access)).status_code == expected
    assert client.post(url(access), offer()).status_code == expected
    assert not JournalEntry.objects.exists()


def test_a_revoked_invitation_ends_the_road(client, paula, access):
    PartnerInvitation.objects.filter(pk=access.invitation_id).update(revoked_at=timezone.now())
    client.force_login(paula)
    assert client.get(url(access)).status_code == 404
    assert client.post(url(access), offer()).status_code == 404
    assert not JournalEntry.objects.exists()


def test_the_invitation_page_links_to_the_journal(client, paula, access):
    client.force_login(paula)
    page = client.get(reverse("assessments:partner_access", args=[access.pk]))
    assert url(access) in page.content.decode()
