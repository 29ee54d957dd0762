"""Invitations followed up (issue 11, item 4): the Leitung's list of whom she
invited with the state of each, resend (new link, new expiry, the old link
refused) and revoke (link and access end); the form's criteria grouped by
area with "alle im Bereich"; a chosen partner's address used."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from assessments import services
from assessments.models import AssessmentEvent, EventAction, InvitationState, PartnerAccess, PartnerInvitation
from evidence.models import EvidenceKind
from evidence.services import EvidenceDetails
from notifications.models import Notification, NotificationKind
from tests.assessments.files import PDF_BYTES, upload
from tests.unchanged import everything

LINK = re.compile(r"/einladung/([^/\s]+)/")


@pytest.fixture
def partner_with_address(partner_org):
    partner_org.email = "kontakt@beratung-juelich.example"
    partner_org.save(update_fields=["email"])
    return partner_org


@pytest.fixture
def invitation(draft, alice, partner_with_address, paula, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return services.invite_partner(
            user=alice,
            assessment_id=draft.pk,
            criterion_codes=["1.1", "1.2"],
            email=paula.email,
            partner_id=partner_with_address.pk,
        )


def latest_token() -> str:
    return LINK.search(mail.outbox[-1].body).group(1)


def invitations_page(client, user, assessment) -> str:
    client.force_login(user)
    response = client.get(reverse("assessments:invitations", args=[assessment.pk]))
    assert response.status_code == 200
    return response.content.decode()


def row_of(body: str, invitation) -> str:
    start = body.index(f'id="einladung-{invitation.pk}"')
    return body[start : body.index("</article>", start)]


# ------------------------------------------------------------------ the form


def test_form_groups_criteria_by_area_with_alle_im_bereich(client, alice, draft, partner_with_address):
    client.force_login(alice)
    body = client.get(reverse("assessments:invite", args=[draft.pk])).content.decode()
    # One fieldset per area of the assessment's scope, its legend "code title".
    legend = r'<legend class="fs-6[^"]*"><span class="criterion-code">([^<]+)</span> ([^<]+)</legend>'
    legends = re.findall(legend, body)
    assert legends == [("1", "Bereich 1"), ("4B", "Bereich 4B"), ("4H", "Bereich 4H"), ("5", "Bereich 5")]
    assert body.count('name="areas"') == 4 and body.count("alle im Bereich") >= 4
    # The partner's option carries its address for the script.
    assert f'data-email="{partner_with_address.email}"' in body
    assert "js/invitations.js" in body


def test_alle_im_bereich_chooses_every_criterion_of_the_area_without_script(client, alice, draft):
    client.force_login(alice)
    response = client.post(
        reverse("assessments:invite", args=[draft.pk]),
        {"organisation_name": "Beratung Neu", "email": "neu@beratung.example", "areas": ["1"], "criteria": ["5.2"]},
    )
    assert response.status_code == 302
    assert response.url == reverse("assessments:invitations", args=[draft.pk])
    invitation = PartnerInvitation.objects.get()
    assert sorted(invitation.criteria.values_list("code", flat=True)) == ["1.1", "1.2", "5.2"]


def test_a_chosen_partner_without_typed_address_is_invited_at_its_own(client, alice, draft, partner_with_address):
    client.force_login(alice)
    response = client.post(
        reverse("assessments:invite", args=[draft.pk]),
        {"partner": partner_with_address.pk, "email": "", "criteria": ["1.1"]},
    )
    assert response.status_code == 302
    assert PartnerInvitation.objects.get().email == partner_with_address.email
    body = client.get(response.url).content.decode()
    assert f"Die Einladung an {partner_with_address.email} ist angelegt" in body


def test_without_criteria_or_address_the_form_says_what_is_missing(client, alice, draft, partner_org):
    client.force_login(alice)
    url = reverse("assessments:invite", args=[draft.pk])
    body = client.post(url, {"organisation_name": "Beratung Neu", "email": "neu@beratung.example"}).content.decode()
    assert "Wählen Sie mindestens ein Kriterium." in body
    body = client.post(url, {"partner": partner_org.pk, "email": "", "criteria": ["1.1"]}).content.decode()
    assert "keine Adresse hinterlegt" in body
    assert not PartnerInvitation.objects.exists()


# ------------------------------------------------------------------ the list


def test_list_shows_whom_she_invited_and_the_state(client, alice, draft, invitation, paula):
    body = invitations_page(client, alice, draft)
    row = row_of(body, invitation)
    assert invitation.partner.name in row and paula.email in row
    assert "1.1" in row and "1.2" in row
    assert 'data-testid="invitation-state">eingeladen<' in row
    assert "Erneut senden" in row and "Zurücknehmen" in row

    services.accept_invitation(user=paula, invitation_id=invitation.pk)
    row = row_of(invitations_page(client, alice, draft), invitation)
    assert 'data-testid="invitation-state">angenommen<' in row and "Paula Partner" in row
    assert "Erneut senden" not in row and "Zurücknehmen" in row


def test_expired_invitation_is_shown_as_expired_and_its_link_says_so(client, alice, draft, invitation, settings):
    token = latest_token()
    later = timezone.now() + timedelta(days=settings.INVITATION_MAX_AGE_DAYS, hours=1)
    with time_machine.travel(later, tick=False):
        invitation.refresh_from_db()
        assert invitation.state == InvitationState.EXPIRED
        row = row_of(invitations_page(client, alice, draft), invitation)
        assert 'data-testid="invitation-state">abgelaufen<' in row
        assert "Erneut senden" in row
        client.logout()
        before = everything()
        response = client.get(reverse("assessments:invitation", args=[token]))
        assert response.status_code == 400 and "abgelaufen" in response.content.decode()
        assert everything() == before


def test_the_centre_and_the_office_see_the_list_others_do_not(client, draft, invitation, tina, olga, bob, paula, rita):
    for user in (tina, olga):
        assert invitation.email in invitations_page(client, user, draft)
    for user in (bob, paula, rita):
        client.force_login(user)
        assert client.get(reverse("assessments:invitations", args=[draft.pk])).status_code == 404


def test_the_list_costs_the_same_few_queries_however_many_invitations(
    client, alice, draft, invitation, django_assert_max_num_queries
):
    for number in range(5):
        services.invite_partner(
            user=alice,
            assessment_id=draft.pk,
            criterion_codes=["1.1", "5.1"],
            email=f"p{number}@example.org",
            organisation_name=f"Beratung {number}",
        )
    client.force_login(alice)
    with django_assert_max_num_queries(15):
        response = client.get(reverse("assessments:invitations", args=[draft.pk]))
    assert response.content.decode().count('data-testid="invitation"') == 6


# ------------------------------------------------------------------ resend


def test_resend_sends_a_new_link_and_the_old_one_is_refused(
    client, alice, draft, invitation, paula, django_capture_on_commit_callbacks
):
    old_token, old_sent = latest_token(), invitation.sent_at
    client.force_login(alice)
    with time_machine.travel(timezone.now() + timedelta(days=3)):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("assessments:resend_invitation", args=[draft.pk, invitation.pk]))
        assert response.status_code == 302
        new_token = latest_token()
        assert new_token != old_token and mail.outbox[-1].to == [paula.email]
        assert "gilt nicht mehr" in mail.outbox[-1].body  # the mail says the earlier link ended
        invitation.refresh_from_db()
        assert invitation.sent_at > old_sent
        assert invitation.expires_at > old_sent + timedelta(days=3)  # a new expiry

        with pytest.raises(services.InvitationInvalid, match="neu geschickt"):
            services.resolve_invitation(old_token)
        assert services.resolve_invitation(new_token) == invitation
        client.logout()
        before = everything()
        response = client.get(reverse("assessments:invitation", args=[old_token]))
        assert response.status_code == 400 and "neuesten E-Mail" in response.content.decode()
        assert everything() == before

    assert AssessmentEvent.objects.filter(assessment=draft, action=EventAction.INVITATION_RESENT).count() == 1
    assert Notification.objects.filter(kind=NotificationKind.PARTNER_INVITATION).count() == 2


def test_resend_brings_an_expired_invitation_back(client, alice, draft, invitation, paula, settings):
    later = timezone.now() + timedelta(days=settings.INVITATION_MAX_AGE_DAYS + 2)
    with time_machine.travel(later, tick=False):
        services.resend_invitation(user=alice, invitation_id=invitation.pk)
        invitation.refresh_from_db()
        assert invitation.state == InvitationState.INVITED
        assert services.resolve_invitation(services.invitation_token(invitation)) == invitation
        row = row_of(invitations_page(client, alice, draft), invitation)
        assert 'data-testid="invitation-state">eingeladen<' in row


def test_an_accepted_or_revoked_invitation_is_not_resent(alice, invitation, paula):
    services.accept_invitation(user=paula, invitation_id=invitation.pk)
    before = everything()
    with pytest.raises(services.TransitionRefused, match="bereits angenommen"):
        services.resend_invitation(user=alice, invitation_id=invitation.pk)
    # No new link (nonce), no event, no notification row for the outbox.
    assert everything() == before
    services.revoke_invitation(user=alice, invitation_id=invitation.pk)
    before = everything()
    with pytest.raises(services.TransitionRefused, match="zurückgenommen"):
        services.resend_invitation(user=alice, invitation_id=invitation.pk)
    with pytest.raises(services.TransitionRefused, match="bereits zurückgenommen"):
        services.revoke_invitation(user=alice, invitation_id=invitation.pk)
    assert everything() == before


# ------------------------------------------------------------------ revoke


def test_revoking_an_unaccepted_invitation_ends_its_link(client, alice, draft, invitation, paula):
    token = latest_token()
    client.force_login(alice)
    response = client.post(reverse("assessments:revoke_invitation", args=[draft.pk, invitation.pk]), follow=True)
    body = response.content.decode()
    assert "ist zurückgenommen" in body
    assert 'data-testid="invitation-state">zurückgenommen<' in row_of(body, invitation)

    client.force_login(paula)
    before = everything()
    response = client.get(reverse("assessments:invitation", args=[token]))
    assert response.status_code == 400
    assert "hat diese Einladung zurückgenommen" in response.content.decode()
    response = client.post(reverse("assessments:invitation", args=[token]))
    assert response.status_code == 400 and not PartnerAccess.objects.exists()
    assert everything() == before
    with pytest.raises(services.InvitationInvalid, match="zurückgenommen"):
        services.accept_invitation(user=paula, invitation_id=invitation.pk)


def test_revoking_an_accepted_invitation_ends_the_partners_access(
    client, alice, draft, invitation, paula, django_capture_on_commit_callbacks
):
    access = services.accept_invitation(user=paula, invitation_id=invitation.pk)
    client.force_login(paula)
    access_url = reverse("assessments:partner_access", args=[access.pk])
    assert client.get(access_url).status_code == 200
    assert draft.familienzentrum.name in client.get(reverse("assessments:partner_home")).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        services.revoke_invitation(user=alice, invitation_id=invitation.pk)

    assert client.get(access_url).status_code == 404
    assert draft.familienzentrum.name not in client.get(reverse("assessments:partner_home")).content.decode()
    assert not paula.has_perm("assessments.contribute_as_partner", PartnerAccess.objects.get(pk=access.pk))
    with pytest.raises(services.TransitionRefused, match="Zugang"):
        services.upload_as_partner(
            user=paula,
            access_id=access.pk,
            criterion_code="1.1",
            files=[upload("kurs.pdf", PDF_BYTES)],
            details=EvidenceDetails(kind=EvidenceKind.OFFER, effective_date=timezone.localdate()),
        )
    told = Notification.objects.get(kind=NotificationKind.INVITATION_REVOKED)
    assert told.email == paula.email
    assert "Zugang" in mail.outbox[-1].body and mail.outbox[-1].to == [paula.email]
    event = AssessmentEvent.objects.get(assessment=draft, action=EventAction.INVITATION_REVOKED)
    assert event.actor == alice and paula.email in event.note
    # The timeline of the assessment names the step.
    client.force_login(alice)
    assert "Einladung zurückgenommen" in client.get(reverse("assessments:detail", args=[draft.pk])).content.decode()


# ------------------------------------------------------------------ who may


def _unchanged(invitation, nonce, events, rows) -> None:
    invitation.refresh_from_db()
    assert invitation.nonce == nonce and invitation.revoked_at is None
    assert AssessmentEvent.objects.filter(assessment=invitation.assessment).count() == events
    assert Notification.objects.count() == rows


@pytest.mark.parametrize(
    ("who", "status"), [("tina", 403), ("olga", 403), ("bob", 404), ("paula", 404), ("rita", 404), ("anonymous", 302)]
)
@pytest.mark.parametrize("action", ["resend_invitation", "revoke_invitation"])
def test_only_the_leitung_resends_or_revokes(request, client, draft, invitation, who, status, action):
    nonce = invitation.nonce
    events = AssessmentEvent.objects.filter(assessment=draft).count()
    rows = Notification.objects.count()
    if who != "anonymous":
        client.force_login(request.getfixturevalue(who))
    response = client.post(reverse(f"assessments:{action}", args=[draft.pk, invitation.pk]))
    assert response.status_code == status
    if status == 302:
        assert response.url.startswith(reverse("accounts:login"))
    _unchanged(invitation, nonce, events, rows)


@pytest.mark.parametrize("call", [services.resend_invitation, services.revoke_invitation])
def test_the_services_refuse_anyone_but_the_leitung(draft, invitation, tina, bob, call):
    nonce = invitation.nonce
    events = AssessmentEvent.objects.filter(assessment=draft).count()
    rows = Notification.objects.count()
    for user in (tina, bob):
        with pytest.raises(services.TransitionRefused, match="nur die Leitung"):
            call(user=user, invitation_id=invitation.pk)
    _unchanged(invitation, nonce, events, rows)


def test_another_assessments_invitation_cannot_be_reached_through_this_one(
    client, alice, draft, invitation, other_centre, bob, mini_catalogue
):
    from datetime import date

    from certification.models import Area

    other = services.start_assessment(
        user=bob,
        familienzentrum=other_centre,
        catalogue=mini_catalogue,
        kind="first",
        profile_areas=[Area.objects.get(catalogue=mini_catalogue, code="4B")],
        review_period_start=date(2026, 8, 1),
        review_period_end=date(2027, 1, 31),
    )
    client.force_login(bob)
    before = everything()
    response = client.post(reverse("assessments:revoke_invitation", args=[other.pk, invitation.pk]))
    assert response.status_code == 404
    invitation.refresh_from_db()
    assert invitation.revoked_at is None
    assert everything() == before


def test_a_get_after_signing_in_again_lands_on_the_list(client, alice, draft, invitation):
    client.force_login(alice)
    before = everything()
    response = client.get(reverse("assessments:revoke_invitation", args=[draft.pk, invitation.pk]))
    assert response.status_code == 302 and response.url == reverse("assessments:invitations", args=[draft.pk])
    invitation.refresh_from_db()
    assert invitation.revoked_at is None
    assert everything() == before


def test_a_signup_refused_at_the_acceptance_leaves_no_account(client, draft, alice):
    """The account and the acceptance are one transaction: refused, neither stays."""
    from tests.factories import PartnerFactory

    invitation = services.invite_partner(
        user=alice,
        assessment_id=draft.pk,
        criterion_codes=["1.1"],
        email="neu@beratung.example",
        organisation_name="Beratung Neu",
    )
    PartnerFactory(name="Beratung Neu")  # registered by someone else before the link is followed
    url = reverse("assessments:invitation", args=[services.invitation_token(invitation)])
    before = everything()
    password = "sicheres-passwort-1"
    response = client.post(url, {"full_name": "Nina Neu", "password": password, "password_again": password})
    assert response.status_code == 400 and "schon registriert" in response.content.decode()
    assert everything() == before
