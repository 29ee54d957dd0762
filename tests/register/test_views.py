"""The register's pages: who may see and keep them, refused input that
changes nothing, a disguised upload, the lapsing list and what is relinked
at re-certification."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from certification.review_year import ReviewYear
from evidence.models import Evidence, EvidenceKind, EvidenceRevision
from register.models import CooperationAgreement, StaffQualification
from register.selectors import lapsing, valid_for_recertification
from register.services import AgreementData, agreement_edit, agreement_end
from tests.assessments.files import PDF_BYTES
from tests.factories import EinrichtungFactory

PERSONAS = ["alice", "bob", "tina", "tom", "paula", "rita", "olga", "anonymous"]
READS = {"alice": 200, "tina": 200, "olga": 200}
KEEPS = {"alice": 200}


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(date(2026, 12, 2), tick=False):
        yield


@pytest.fixture
def people(alice, bob, tina, tom, paula, rita, olga):
    return {"alice": alice, "bob": bob, "tina": tina, "tom": tom, "paula": paula, "rita": rita, "olga": olga}


def counts() -> tuple[int, int, int, int]:
    return (
        StaffQualification.objects.count(),
        CooperationAgreement.objects.count(),
        Evidence.objects.count(),
        EvidenceRevision.objects.count(),
    )


def stored_files(settings) -> list:
    root = settings.PRIVATE_MEDIA_ROOT
    return sorted(path.name for path in root.rglob("*") if path.is_file()) if root.exists() else []


def pdf(name="Bescheinigung.pdf", data=PDF_BYTES):
    return SimpleUploadedFile(name, data, content_type="application/pdf")


def qualification_fields(**fields):
    return {
        "person": "Maria Schmitz",
        "role": "Erzieherin",
        "training": "Interkulturelle Öffnung",
        "completed_on": "2024-05-10",
        "hours": "40",
        "days": "5",
        "criteria": ["1.2"],
        **fields,
    }


def agreement_fields(partner, **fields):
    return {
        "partner": str(partner.pk),
        "subject": "Offene Sprechstunde",
        "signed_on": "2023-02-01",
        "signed_by": "Träger",
        "criteria": ["1.5"],
        **fields,
    }


def add_qualification(user, centre, **fields):
    from register.services import QualificationData, qualification_add

    upload = fields.pop("upload", None)
    data = {
        "person": "Jonas Becker",
        "training": "Elterngespräche",
        "completed_on": date(2020, 1, 10),
        "hours": 14,
        "days": 2,
        "criterion_codes": ["1.2"],
        **fields,
    }
    return qualification_add(user=user, familienzentrum=centre, data=QualificationData(**data), upload=upload)


def add_agreement(user, centre, partner, **fields):
    from register.services import AgreementData, agreement_add

    data = {
        "partner_id": partner.pk,
        "subject": "Sprechstunde",
        "signed_on": date(2023, 2, 1),
        "signed_by": "Träger",
        "criterion_codes": ["1.5"],
        **fields,
    }
    return agreement_add(user=user, familienzentrum=centre, data=AgreementData(**data))


@pytest.mark.parametrize("who", PERSONAS)
def test_permission_table(client, people, centre, alice, partner_org, catalogue, who):
    qualification = add_qualification(alice, centre)
    agreement = add_agreement(alice, centre, partner_org)
    if who != "anonymous":
        client.force_login(people[who])
    denied = 302 if who == "anonymous" else 404
    for name in ("register:register", "register:lapsing"):
        assert client.get(reverse(name, args=[centre.pk])).status_code == READS.get(who, denied), name
    keep_pages = [
        reverse("register:qualification_new", args=[centre.pk]),
        reverse("register:agreement_new", args=[centre.pk]),
        reverse("register:qualification_edit", args=[qualification.pk]),
        reverse("register:qualification_delete", args=[qualification.pk]),
        reverse("register:agreement_edit", args=[agreement.pk]),
        reverse("register:agreement_end", args=[agreement.pk]),
        reverse("register:agreement_delete", args=[agreement.pk]),
    ]
    for url in keep_pages:
        assert client.get(url).status_code == KEEPS.get(who, denied), url
    if who == "alice":
        return
    before = counts()
    posts = [
        (keep_pages[0], qualification_fields()),
        (keep_pages[1], agreement_fields(partner_org)),
        (keep_pages[2], qualification_fields(person="Gekapert")),
        (keep_pages[4], agreement_fields(partner_org, subject="Gekapert")),
        (keep_pages[5], {"ended_on": "2026-12-01"}),
        (keep_pages[3], {}),
        (keep_pages[6], {}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == denied, url
    assert counts() == before
    qualification.refresh_from_db()
    agreement.refresh_from_db()
    assert qualification.person == "Jonas Becker" and agreement.subject == "Sprechstunde" and agreement.ended_on is None


def test_the_leitung_adds_a_qualification_with_its_certificate(client, alice, centre, catalogue, settings):
    client.force_login(alice)
    response = client.post(
        reverse("register:qualification_new", args=[centre.pk]), {**qualification_fields(), "certificate": pdf()}
    )
    assert response.status_code == 302
    qualification = StaffQualification.objects.get()
    assert qualification.criterion_codes == ["1.2"] and qualification.created_by == alice
    certificate = qualification.certificate
    assert certificate.kind == EvidenceKind.QUALIFICATION and certificate.owner_familienzentrum == centre
    assert certificate.training_hours == 40 and certificate.effective_date == date(2024, 5, 10)
    assert certificate.revisions.get().content_type == "application/pdf"
    page = client.get(reverse("register:register", args=[centre.pk])).content.decode()
    assert "Interkulturelle Öffnung" in page and 'data-status="valid"' in page


@pytest.mark.parametrize(
    "fields, field, message",
    [
        ({"hours": "0"}, "hours", "größer als 0"),
        ({"hours": "-2"}, "hours", "größer als 0"),
        ({"completed_on": "2026-12-03"}, "completed_on", "in der Zukunft"),
        ({"criteria": ["9.9"]}, "criteria", ""),
        ({"preparation_hours": "2"}, "preparation_hours", "nur bei Online-Seminaren"),
        ({"days": "0"}, "days", "zwischen 1 und"),
        ({"person": "  "}, "person", ""),
    ],
)
def test_refused_qualification_input_changes_nothing_and_keeps_what_was_typed(
    client, alice, centre, catalogue, settings, fields, field, message
):
    client.force_login(alice)
    before, files = counts(), stored_files(settings)
    data = {**qualification_fields(training="Mein getippter Titel"), **fields, "certificate": pdf()}
    response = client.post(reverse("register:qualification_new", args=[centre.pk]), data)
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert field in errors and any(message in error for error in errors[field]), errors
    assert "Mein getippter Titel" in response.content.decode()
    assert counts() == before and stored_files(settings) == files


def test_a_site_of_another_centre_is_refused(alice, centre, other_centre, catalogue):
    from register.services import QualificationData, RegisterError, qualification_add

    centre.site_links.create(site=EinrichtungFactory(traeger=centre.traeger))  # a Verbund: sites to choose from
    foreign = other_centre.site_links.first().site
    data = QualificationData(
        person="A", training="B", completed_on=date(2025, 1, 1), hours=8, site_id=foreign.pk, criterion_codes=[]
    )
    with pytest.raises(RegisterError) as refused:
        qualification_add(user=alice, familienzentrum=centre, data=data)
    assert "site" in refused.value.by_field and StaffQualification.objects.count() == 0


def test_a_disguised_program_is_refused_with_a_message_on_the_form(client, alice, centre, catalogue, settings):
    client.force_login(alice)
    before, files = counts(), stored_files(settings)
    program = pdf("Zertifikat.pdf", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200)
    response = client.post(
        reverse("register:qualification_new", args=[centre.pk]), {**qualification_fields(), "certificate": program}
    )
    assert response.status_code == 400
    errors = response.context["form"].errors["certificate"]
    assert any("ausführbare Programmdatei" in error for error in errors), errors
    assert "ausführbare Programmdatei" in response.content.decode()
    assert counts() == before and stored_files(settings) == files


def test_a_disguised_program_is_named_even_when_other_fields_are_missing(client, alice, centre, catalogue, settings):
    """The form's own refusal (a missing date) must not hide the file's:
    else the user picks the file again and only then learns it is refused."""
    client.force_login(alice)
    before, files = counts(), stored_files(settings)
    program = pdf("Zertifikat.pdf", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200)
    fields = {**qualification_fields(), "completed_on": "", "certificate": program}
    response = client.post(reverse("register:qualification_new", args=[centre.pk]), fields)
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "completed_on" in errors
    assert any("ausführbare Programmdatei" in error for error in errors["certificate"]), errors
    assert counts() == before and stored_files(settings) == files


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"valid_until": "2023-02-01"}, "valid_until"),
        ({"signed_on": "2027-01-01"}, "signed_on"),
        ({"partner": ""}, "partner"),
        ({"signed_by": ""}, "signed_by"),
    ],
)
def test_refused_agreement_input_changes_nothing(client, alice, centre, partner_org, catalogue, fields, field):
    client.force_login(alice)
    before = counts()
    data = {**agreement_fields(partner_org), **fields, "document": pdf("Vereinbarung.pdf")}
    response = client.post(reverse("register:agreement_new", args=[centre.pk]), data)
    assert response.status_code == 400 and field in response.context["form"].errors
    assert counts() == before


def test_ending_an_agreement_asks_first_and_then_ends_it(client, alice, centre, partner_org, catalogue):
    agreement = add_agreement(alice, centre, partner_org)
    client.force_login(alice)
    url = reverse("register:agreement_end", args=[agreement.pk])
    assert "Vereinbarung beenden?" in client.get(url).content.decode()
    agreement.refresh_from_db()
    assert agreement.ended_on is None  # a GET only asks
    refused = client.post(url, {"ended_on": "2022-01-01"})
    assert refused.status_code == 400 and "ended_on" in refused.context["form"].errors
    assert client.post(url, {"ended_on": "2026-12-01"}).status_code == 302
    agreement.refresh_from_db()
    assert agreement.ended_on == date(2026, 12, 1)
    page = client.get(reverse("register:register", args=[centre.pk])).content.decode()
    assert 'data-status="ended"' in page


def test_the_lapsing_view_lists_what_lapses_and_what_is_already_invalid(client, alice, centre, partner_org, catalogue):
    lapses = add_qualification(alice, centre, training="Läuft im Januar ab", completed_on=date(2020, 1, 10))
    add_qualification(alice, centre, training="Gilt weiter", completed_on=date(2021, 6, 1))
    add_qualification(alice, centre, training="Zu kurz", hours=3, completed_on=date(2025, 6, 1))
    ended = add_agreement(alice, centre, partner_org, subject="Beendet")
    agreement_end(user=alice, agreement_id=ended.pk, ended_on=date(2026, 6, 30))
    add_agreement(alice, centre, partner_org, subject="Befristet bis März", valid_until=date(2027, 3, 31))
    rows = lapsing(centre)
    assert [str(row.entry) for row in rows][0].endswith("Zu kurz")  # no date first
    titles = {getattr(row.entry, "training", None) or row.entry.subject for row in rows}
    assert titles == {"Läuft im Januar ab", "Zu kurz", "Beendet"}
    client.force_login(alice)
    page = client.get(reverse("register:lapsing", args=[centre.pk])).content.decode()
    assert "Läuft im Januar ab" in page and "läuft am 10.01.2027 ab" in page
    assert "Zu kurz" in page and "Beendet" in page
    assert "Gilt weiter" not in page and "Befristet bis März" not in page
    assert lapses.pk in {row.entry.pk for row in lapsing(centre, date(2027, 1, 31))}


def test_valid_for_recertification_gives_the_documents_valid_through_the_review_year(
    alice, centre, partner_org, catalogue
):
    long_course = add_qualification(
        alice, centre, training="Lang", hours=40, days=5, completed_on=date(2019, 1, 1), upload=pdf()
    )
    add_qualification(alice, centre, training="Läuft ab", completed_on=date(2020, 1, 10), upload=pdf())
    add_qualification(alice, centre, training="Ohne Datei", hours=40, days=5, completed_on=date(2019, 1, 1))
    agreement = add_agreement(alice, centre, partner_org)
    assert agreement.document is None
    pairs = valid_for_recertification(centre, ReviewYear(2026))
    assert pairs == [("1.2", long_course.certificate)]
    agreement = agreement_edit(
        user=alice,
        agreement_id=agreement.pk,
        data=AgreementData(
            partner_id=partner_org.pk,
            subject="Sprechstunde",
            signed_on=date(2023, 2, 1),
            signed_by="Träger",
            criterion_codes=["1.5", "1.4"],
        ),
        upload=pdf("Vereinbarung.pdf"),
    )
    pairs = valid_for_recertification(centre, ReviewYear(2026))
    assert pairs == [("1.2", long_course.certificate), ("1.4", agreement.document), ("1.5", agreement.document)]
    assert agreement.document.kind == EvidenceKind.AGREEMENT


def test_the_leitung_adds_an_agreement_with_its_document(client, alice, centre, partner_org, catalogue):
    client.force_login(alice)
    data = {**agreement_fields(partner_org, valid_until="2027-06-30"), "document": pdf("Vereinbarung.pdf")}
    assert client.post(reverse("register:agreement_new", args=[centre.pk]), data).status_code == 302
    agreement = CooperationAgreement.objects.get()
    assert agreement.document.kind == EvidenceKind.AGREEMENT and agreement.document.valid_until == date(2027, 6, 30)
    page = client.get(reverse("register:register", args=[centre.pk])).content.decode()
    assert "Offene Sprechstunde" in page and 'data-status="valid"' in page
