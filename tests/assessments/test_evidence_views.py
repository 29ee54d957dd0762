"""Evidence over HTTP: who may upload, download and see what; download
headers; the invitation link; the partner's pages."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from assessments import services
from assessments.models import PartnerAccess
from evidence import services as library
from evidence.models import Evidence, EvidenceKind
from evidence.services import EvidenceDetails
from tests.assessments.files import PDF_BYTES, upload
from tests.factories import MembershipFactory, PartnerFactory, UserFactory
from tests.unchanged import everything

PERSONAS = ["alice", "bob", "tina", "tom", "paula", "stranger_partner", "rita", "olga", "anonymous"]


@pytest.fixture
def people(alice, bob, tina, tom, paula, rita, olga):
    stranger = UserFactory(email="fremd@partner.example")
    MembershipFactory(user=stranger, role="partner", partner=PartnerFactory(name="Fremder Partner"))
    return {
        "alice": alice,
        "bob": bob,
        "tina": tina,
        "tom": tom,
        "paula": paula,
        "stranger_partner": stranger,
        "rita": rita,
        "olga": olga,
    }


@pytest.fixture
def centre_document(draft, alice):
    (document,) = services.upload_for_criterion(
        user=alice,
        assessment_id=draft.pk,
        criterion_code="1.1",
        files=[upload("Kooperation März.pdf", PDF_BYTES)],
        details=EvidenceDetails(kind=EvidenceKind.OFFER, effective_date=date(2026, 9, 1)),
    )
    return document


@pytest.fixture
def access(draft, alice, paula, partner_org):
    invitation = services.invite_partner(
        user=alice, assessment_id=draft.pk, criterion_codes=["1.1"], email=paula.email, partner_id=partner_org.pk
    )
    return services.accept_invitation(user=paula, invitation_id=invitation.pk)


def login_as(client, people, who):
    if who != "anonymous":
        client.force_login(people[who])


DOWNLOAD_CENTRE_DOC = {
    "alice": 200,
    "bob": 404,
    "tina": 200,
    "tom": 404,
    "paula": 404,
    "stranger_partner": 404,
    "rita": 404,
    "olga": 200,
    "anonymous": 302,
}


@pytest.mark.parametrize("who", PERSONAS)
def test_download_of_a_centre_document(client, people, centre_document, who):
    login_as(client, people, who)
    response = client.get(reverse("assessments:evidence_download", args=[centre_document.revisions.get().pk]))
    assert response.status_code == DOWNLOAD_CENTRE_DOC[who]


INDEX = {
    "alice": 200,
    "bob": 404,
    "tina": 200,
    "tom": 404,
    "paula": 404,
    "stranger_partner": 404,
    "rita": 404,
    "olga": 200,
    "anonymous": 302,
}


@pytest.mark.parametrize("who", PERSONAS)
def test_evidence_index(client, people, draft, centre_document, who):
    login_as(client, people, who)
    response = client.get(reverse("assessments:evidence_index", args=[draft.pk]))
    assert response.status_code == INDEX[who]
    if response.status_code == 200:
        assert "Kooperation März" in response.content.decode()


UPLOAD = {
    "alice": 302,
    "bob": 404,
    "tina": 403,
    "tom": 404,
    "paula": 404,
    "stranger_partner": 404,
    "rita": 404,
    "olga": 403,
    "anonymous": 302,
}


@pytest.mark.parametrize("who", PERSONAS)
def test_upload_view(client, people, draft, who):
    login_as(client, people, who)
    criterion = draft.catalogue.criteria.get(code="1.1")
    prefix = f"e{criterion.pk}"
    response = client.post(
        reverse("assessments:evidence_upload", args=[draft.pk, "1.1"]),
        {
            f"{prefix}-files": [upload("a.pdf", PDF_BYTES)],
            f"{prefix}-kind": "offer",
            f"{prefix}-effective_date": "2026-09-01",
        },
    )
    assert response.status_code == UPLOAD[who]
    assert Evidence.objects.exists() == (who == "alice")


PARTNER_ACCESS = {
    "alice": 404,
    "bob": 404,
    "tina": 404,
    "tom": 404,
    "paula": 200,
    "stranger_partner": 404,
    "rita": 404,
    "olga": 404,
    "anonymous": 302,
}


@pytest.mark.parametrize("who", PERSONAS)
def test_partner_access_page(client, people, access, who):
    login_as(client, people, who)
    access.refresh_from_db()
    before = (access.invitation.revoked_at, Evidence.objects.count(), list(PartnerAccess.objects.values()))
    response = client.get(reverse("assessments:partner_access", args=[access.pk]))
    assert response.status_code == PARTNER_ACCESS[who]
    # Whoever is refused sees nothing of the page, and looking changes nothing.
    assert ("Kriterium 1.1" in response.content.decode()) == (response.status_code == 200)
    access.refresh_from_db()
    assert (access.invitation.revoked_at, Evidence.objects.count(), list(PartnerAccess.objects.values())) == before


def test_partner_sees_only_invited_criteria_and_own_uploads(client, access, paula, centre_document):
    client.force_login(paula)
    body = client.get(reverse("assessments:partner_access", args=[access.pk])).content.decode()
    assert "Kriterium 1.1" in body and "Kriterium 1.2" not in body
    assert "Kooperation März" not in body  # the centre's own document


def test_partner_cannot_download_the_centres_documents_nor_after_revocation(client, access, paula, draft, alice):
    (document,) = library.upload_to_library(
        user=paula,
        partner_id=access.partner_id,
        files=[upload("vertrag.pdf", PDF_BYTES)],
        details=EvidenceDetails(kind=EvidenceKind.AGREEMENT, effective_date=date(2023, 1, 1)),
    )
    grant = services.grant_evidence(user=paula, evidence_id=document.pk, familienzentrum_id=draft.familienzentrum_id)
    url = reverse("assessments:evidence_download", args=[document.revisions.get().pk])
    client.force_login(alice)
    assert client.get(url).status_code == 200
    services.revoke_grant(user=paula, grant_id=grant.pk)
    assert client.get(url).status_code == 404


def test_download_headers(client, alice, centre_document):
    client.force_login(alice)
    response = client.get(reverse("assessments:evidence_download", args=[centre_document.revisions.get().pk]))
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=utf-8''Kooperation%20M%C3%A4rz.pdf" in disposition
    assert b"".join(response.streaming_content) == PDF_BYTES


def test_upload_rejection_is_shown_and_nothing_stored(client, alice, draft):
    client.force_login(alice)
    criterion = draft.catalogue.criteria.get(code="1.1")
    prefix = f"e{criterion.pk}"
    before = everything()
    response = client.post(
        reverse("assessments:evidence_upload", args=[draft.pk, "1.1"]),
        {
            f"{prefix}-files": [upload("seite.pdf", b"<html><script>x</script></html>")],
            f"{prefix}-kind": "offer",
            f"{prefix}-effective_date": "2026-09-01",
        },
        follow=True,
    )
    body = response.content.decode()
    assert "Nichts wurde gespeichert" in body and "seite.pdf" in body and "HTML" in body
    assert not Evidence.objects.exists()
    assert everything() == before  # no row and no file in private storage


def test_invitation_link_tampered_or_expired(client, draft, alice, partner_org, paula):
    invitation = services.invite_partner(
        user=alice, assessment_id=draft.pk, criterion_codes=["1.1"], email=paula.email, partner_id=partner_org.pk
    )
    token = services.invitation_token(invitation)
    before = everything()
    response = client.get(reverse("assessments:invitation", args=[token + "x"]))
    assert response.status_code == 400 and "ungültig" in response.content.decode()
    assert everything() == before
    client.force_login(paula)
    response = client.post(reverse("assessments:invitation", args=[token]))
    assert response.status_code == 302
    assert response.url.startswith("/selbstbewertung/partner/zugang/")


def test_new_partner_registers_through_the_link(client, draft, alice):
    invitation = services.invite_partner(
        user=alice,
        assessment_id=draft.pk,
        criterion_codes=["1.1"],
        email="neu@beratung.example",
        organisation_name="Beratung Neu",
    )
    url = reverse("assessments:invitation", args=[services.invitation_token(invitation)])
    response = client.post(
        url, {"full_name": "Nina Neu", "password": "sicheres-passwort-1", "password_again": "sicheres-passwort-1"}
    )
    assert response.status_code == 302
    response = client.get(response.url)
    assert response.status_code == 200 and "Kriterium 1.1" in response.content.decode()


def test_a_verbund_document_names_the_sites_it_serves(client, alice, mini_catalogue):
    from datetime import date as _date

    from assessments import services
    from certification.models import Area, FamilienzentrumForm, FamilienzentrumSite, Membership
    from tests.factories import EinrichtungFactory, FamilienzentrumFactory

    centre = FamilienzentrumFactory(form=FamilienzentrumForm.VERBUND, name="Verbund Eifel")
    second = EinrichtungFactory(traeger=centre.traeger, name="Zweiter Standort")
    FamilienzentrumSite.objects.create(familienzentrum=centre, site=second)
    Membership.objects.create(user=alice, role="leitung", site=second)
    alice = type(alice).objects.get(pk=alice.pk)
    assessment = services.start_assessment(
        user=alice,
        familienzentrum=centre,
        catalogue=mini_catalogue,
        kind="first",
        profile_areas=[Area.objects.get(catalogue=mini_catalogue, code="4B")],
        review_period_start=_date(2026, 8, 1),
        review_period_end=_date(2027, 1, 31),
    )
    client.force_login(alice)
    criterion = mini_catalogue.criteria.get(code="1.1")
    prefix = f"e{criterion.pk}"
    page = client.get(reverse("assessments:area", args=[assessment.pk, "1"])).content.decode()
    assert f'name="{prefix}-sites"' in page
    site_ids = [str(link.site_id) for link in centre.site_links.all()]
    client.post(
        reverse("assessments:evidence_upload", args=[assessment.pk, "1.1"]),
        {
            f"{prefix}-files": [upload("a.pdf", PDF_BYTES)],
            f"{prefix}-kind": "offer",
            f"{prefix}-effective_date": "2026-09-01",
            f"{prefix}-sites": site_ids,
        },
    )
    document = Evidence.objects.get()
    assert sorted(str(pk) for pk in document.sites.values_list("pk", flat=True)) == sorted(site_ids)
    page = client.get(reverse("assessments:area", args=[assessment.pk, "1"])).content.decode()
    # On the document's own line, not only among the answer's site choices.
    line = page.split("· a.pdf ·")[1].split("</span>")[0]
    names = sorted(link.site.name for link in centre.site_links.select_related("site"))
    assert f"Standorte: {', '.join(names)}" in line


def test_removing_a_document_that_is_not_linked_says_so(client, alice, draft, centre_document):
    client.force_login(alice)
    url = reverse("assessments:evidence_unlink", args=[draft.pk, "1.2", centre_document.pk])
    response = client.post(url, follow=True)
    assert "war mit dem Kriterium nicht verknüpft" in response.content.decode()
    url = reverse("assessments:evidence_unlink", args=[draft.pk, "1.1", centre_document.pk])
    response = client.post(url, follow=True)
    assert "aus diesem Entwurf entfernt" in response.content.decode()
