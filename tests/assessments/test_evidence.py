"""Evidence services: uploads with every rejection kind, revisions, links,
validity warnings, frozen revisions, partners, grants and revocation."""

from __future__ import annotations

import re
import tracemalloc
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.core.exceptions import SuspiciousFileOperation, ValidationError
from django.core.files.uploadedfile import TemporaryUploadedFile
from django.db.models import ProtectedError
from hypothesis import HealthCheck, assume, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from assessments import selectors, services
from assessments.models import EvidenceLink, PartnerAccess
from certification.exceptions import ActionRefused
from evidence import services as library
from evidence import validity
from evidence.models import Evidence, EvidenceGrantLog, EvidenceKind, EvidenceRevision
from evidence.services import EvidenceDetails
from tests.assessments.conftest import accept_all, answer_all, schedule_visit
from tests.assessments.files import ALLOWED, PDF_BYTES, REJECTED, upload
from tests.factories import UserFactory
from tests.unchanged import everything

OFFER = EvidenceDetails(kind=EvidenceKind.OFFER, effective_date=date(2026, 9, 15))


def stored_files(settings) -> list[Path]:
    root = Path(settings.STORAGES["private"]["OPTIONS"]["location"])
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def upload_to(draft, user, *files, code="1.1", details=OFFER):
    return services.upload_for_criterion(
        user=user, assessment_id=draft.pk, criterion_code=code, files=list(files), details=details
    )


# ------------------------------------------------------------------ uploads


@pytest.mark.parametrize("name", sorted(ALLOWED))
def test_every_allowed_type_is_stored_with_hash_and_detected_type(draft, alice, settings, name):
    data, content_type = ALLOWED[name]
    (created,) = upload_to(draft, alice, upload(name, data, content_type="application/octet-stream"))
    revision = created.revisions.get()
    assert revision.content_type == content_type
    assert revision.size == len(data)
    import hashlib

    assert revision.sha256 == hashlib.sha256(data).hexdigest()
    assert revision.file.read() == data
    assert EvidenceLink.objects.filter(assessment=draft, evidence=created, criterion__code="1.1").exists()
    # stored under a generated name, never the user's
    assert name.split(".")[0] not in revision.file.name


@pytest.mark.parametrize("name,data,reason", REJECTED, ids=[row[0] for row in REJECTED])
def test_each_rejection_says_why_and_stores_nothing(draft, alice, settings, name, data, reason):
    with pytest.raises(ValidationError) as error:
        upload_to(draft, alice, upload(name, data))
    assert reason in " ".join(error.value.messages)
    assert not Evidence.objects.exists() and not EvidenceRevision.objects.exists()
    assert stored_files(settings) == []


def test_oversized_file_is_refused(draft, alice, settings):
    settings.MAX_UPLOAD_MB = 1
    before = everything()
    with pytest.raises(ValidationError, match="größer als 1 MB"):
        upload_to(draft, alice, upload("gross.pdf", PDF_BYTES + b"0" * (1024 * 1024)))
    assert not Evidence.objects.exists()
    assert everything() == before


def test_one_bad_file_in_a_batch_stores_none_of_them(draft, alice, settings):
    with pytest.raises(ValidationError) as error:
        upload_to(draft, alice, upload("gut.pdf", PDF_BYTES), upload("böse.pdf", b"MZ\x00\x00"))
    assert any(message.startswith("böse") for message in error.value.messages)
    assert not Evidence.objects.exists() and stored_files(settings) == []


def test_too_many_files_at_once(draft, alice, settings):
    settings.MAX_UPLOAD_FILES = 2
    before = everything()
    with pytest.raises(ValidationError, match="Höchstens 2 Dateien"):
        upload_to(draft, alice, *[upload(f"{n}.pdf", PDF_BYTES) for n in range(3)])
    assert everything() == before  # not the first two either


def test_path_parts_and_control_characters_are_shown_sanitised(draft, alice):
    (created,) = upload_to(draft, alice, upload("../../etc/pass\x1bwd\x00.pdf", PDF_BYTES))
    revision = created.revisions.get()
    assert revision.original_name == "passwd.pdf"
    assert ".." not in revision.file.name and revision.file.name.startswith("evidence/")


def test_a_failure_after_writing_the_file_removes_it(draft, alice, settings, monkeypatch):
    def broken_link(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(EvidenceLink.objects, "create", broken_link)
    with pytest.raises(RuntimeError):
        upload_to(draft, alice, upload("a.pdf", PDF_BYTES))
    assert stored_files(settings) == [] and not Evidence.objects.exists()


def test_others_cannot_upload(draft, bob, tina, olga):
    for user in (bob, tina, olga):
        with pytest.raises(services.TransitionRefused):
            upload_to(draft, user, upload("a.pdf", PDF_BYTES))


def test_a_maximum_size_upload_is_streamed_not_read_whole(draft, alice, settings):
    size = django_settings.MAX_UPLOAD_MB * 1024 * 1024
    temporary = TemporaryUploadedFile("gross.pdf", "application/pdf", size, None)
    temporary.write(PDF_BYTES)
    block = b"0" * (1024 * 1024)
    remaining = size - len(PDF_BYTES)
    while remaining > 0:
        temporary.write(block[: min(len(block), remaining)])
        remaining -= len(block)
    temporary.seek(0)
    tracemalloc.start()
    try:
        (created,) = upload_to(draft, alice, temporary)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        temporary.close()
    assert created.revisions.get().size == size
    # The whole file is 20 MB; reading it whole would show as a peak of that size.
    assert peak < 4 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"


@hypothesis_settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.text(max_size=120), data=st.binary(max_size=2048))
def test_upload_service_takes_arbitrary_names_and_bytes(draft, alice, settings, name, data):
    before = Evidence.objects.count()
    try:
        file = upload(name or "x", data)
    except SuspiciousFileOperation:
        # Django's request parser never hands such names to a view.
        assume(False)
    try:
        (created,) = upload_to(draft, alice, file)
    except ValidationError as error:
        assert error.messages
        assert Evidence.objects.count() == before
    else:
        revision = created.revisions.get()
        assert revision.file.read() == data
        assert "/" not in revision.original_name
    assert len(stored_files(settings)) == EvidenceRevision.objects.count()


# ------------------------------------------------------------------ revisions and links


def test_a_new_revision_keeps_the_old_one(draft, alice):
    (created,) = upload_to(draft, alice, upload("v1.pdf", PDF_BYTES))
    second = library.add_revision(user=alice, evidence_id=created.pk, upload=upload("v2.pdf", PDF_BYTES + b"2"))
    assert second.number == 2
    assert list(created.revisions.values_list("number", flat=True)) == [2, 1]


def test_unlink_removes_from_the_draft_only(draft, alice):
    (created,) = upload_to(draft, alice, upload("a.pdf", PDF_BYTES))
    services.unlink_evidence(user=alice, assessment_id=draft.pk, criterion_code="1.1", evidence_id=created.pk)
    assert not EvidenceLink.objects.exists()
    assert Evidence.objects.filter(pk=created.pk).exists() and created.revisions.exists()


def test_one_document_serves_several_criteria(draft, alice):
    (created,) = upload_to(draft, alice, upload("a.pdf", PDF_BYTES))
    services.link_evidence(user=alice, assessment_id=draft.pk, criterion_code="1.2", evidence_id=created.pk)
    assert set(created.links.values_list("criterion__code", flat=True)) == {"1.1", "1.2"}


def test_submission_names_revisions_with_sha256_and_protects_them(draft, alice):
    (created,) = upload_to(draft, alice, upload("a.pdf", PDF_BYTES))
    answer_all(draft, alice)
    submission = services.submit(user=alice, assessment_id=draft.pk)
    entry = next(item for item in submission.payload["criteria"] if item["code"] == "1.1")
    revision = created.revisions.get()
    assert entry["evidence"][0]["sha256"] == revision.sha256
    assert entry["evidence"][0]["revision_id"] == revision.pk
    with pytest.raises(ProtectedError):
        revision.delete()


# ------------------------------------------------------------------ validity


def test_validity_warnings(draft, alice):
    draft.review_period_start, draft.review_period_end = date(2026, 8, 1), date(2027, 1, 31)

    def warnings_for(**fields):
        item = Evidence(title="x", effective_date=date(2026, 9, 1), **fields)
        return validity.evidence_warnings(
            item, (draft.review_period_start, draft.review_period_end), today=date(2026, 11, 25)
        )

    assert warnings_for(kind=EvidenceKind.OFFER) == []
    outside = Evidence(title="x", kind=EvidenceKind.OFFER, effective_date=date(2025, 3, 1))
    assert (
        "außerhalb des Prüfzeitraums"
        in validity.evidence_warnings(
            outside, (draft.review_period_start, draft.review_period_end), today=date(2026, 11, 25)
        )[0]
    )
    assert "ab 6 Stunden" in warnings_for(kind=EvidenceKind.QUALIFICATION, training_hours=Decimal("4"))[0]
    old_course = Evidence(
        title="x", kind=EvidenceKind.QUALIFICATION, training_hours=Decimal("14"), effective_date=date(2018, 5, 1)
    )
    assert (
        "7 Jahre"
        in validity.evidence_warnings(
            old_course, (draft.review_period_start, draft.review_period_end), today=date(2026, 11, 25)
        )[0]
    )
    long_course = Evidence(
        title="x", kind=EvidenceKind.QUALIFICATION, training_hours=Decimal("120"), effective_date=date(2012, 5, 1)
    )
    assert (
        validity.evidence_warnings(
            long_course, (draft.review_period_start, draft.review_period_end), today=date(2026, 11, 25)
        )
        == []
    )
    expired = warnings_for(kind=EvidenceKind.AGREEMENT, valid_until=date(2026, 10, 1))
    assert "abgelaufen" in expired[0]


def test_qualification_minimum_of_a_criterion(draft, alice):
    criterion = draft.catalogue.criteria.get(code="1.1")
    criterion.qualification_min_hours = 30
    short = Evidence(
        title="a", kind=EvidenceKind.QUALIFICATION, training_hours=Decimal("16"), effective_date=date(2026, 1, 1)
    )
    tiny = Evidence(
        title="b", kind=EvidenceKind.QUALIFICATION, training_hours=Decimal("5"), effective_date=date(2026, 1, 1)
    )
    assert "mindestens 30 Stunden" in validity.criterion_warnings(criterion, [short, tiny])[0]
    enough = Evidence(
        title="c", kind=EvidenceKind.QUALIFICATION, training_hours=Decimal("16"), effective_date=date(2026, 1, 1)
    )
    assert validity.criterion_warnings(criterion, [short, enough]) == []


# ------------------------------------------------------------------ partners


@pytest.fixture
def invitation(draft, alice, partner_org, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return services.invite_partner(
            user=alice,
            assessment_id=draft.pk,
            criterion_codes=["1.1", "1.2"],
            email="paula@example.org",
            partner_id=partner_org.pk,
        )


@pytest.fixture
def access(invitation, paula):
    return services.accept_invitation(user=paula, invitation_id=invitation.pk)


def test_invitation_mail_carries_a_signed_link(invitation):
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    match = re.search(r"/einladung/([^/\s]+)/", body)
    assert match, body
    assert services.resolve_invitation(match.group(1)) == invitation
    assert "1.1" in body and "1.2" in body


def test_tampered_and_expired_links_are_refused(invitation, settings):
    token = services.invitation_token(invitation)
    with pytest.raises(services.InvitationInvalid, match="ungültig"):
        services.resolve_invitation(token[:-2] + ("AA" if not token.endswith("AA") else "BB"))
    import time_machine

    with time_machine.travel(f"{date.today().year + 1}-12-31", tick=False):
        with pytest.raises(services.InvitationInvalid, match="abgelaufen"):
            services.resolve_invitation(token)


def test_a_new_partner_user_by_email_joins_the_named_organisation(draft, alice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        invitation = services.invite_partner(
            user=alice,
            assessment_id=draft.pk,
            criterion_codes=["1.1"],
            email="neu@beratung.example",
            organisation_name="Beratungsstelle Neu",
        )
    newcomer = UserFactory(email="neu@beratung.example")
    access = services.accept_invitation(user=newcomer, invitation_id=invitation.pk)
    assert access.partner.name == "Beratungsstelle Neu"
    assert newcomer.memberships.get().partner == access.partner


def test_someone_else_cannot_accept(invitation, bob):
    with pytest.raises(services.InvitationInvalid, match="andere E-Mail"):
        services.accept_invitation(user=bob, invitation_id=invitation.pk)
    assert not PartnerAccess.objects.exists()


def test_partner_uploads_only_to_invited_criteria(access, paula, draft):
    created = services.upload_as_partner(
        user=paula,
        access_id=access.pk,
        criterion_code="1.1",
        files=[upload("vertrag.pdf", PDF_BYTES)],
        details=EvidenceDetails(kind=EvidenceKind.AGREEMENT, effective_date=date(2024, 1, 1)),
    )[0]
    assert created.owner_partner == access.partner
    assert created.grants.get().familienzentrum == draft.familienzentrum
    assert EvidenceLink.objects.filter(assessment=draft, criterion__code="1.1", evidence=created).exists()
    with pytest.raises(services.TransitionRefused, match="nicht eingeladen"):
        services.upload_as_partner(
            user=paula, access_id=access.pk, criterion_code="5.1", files=[upload("x.pdf", PDF_BYTES)], details=OFFER
        )


def test_library_grant_link_and_revoke(access, paula, draft, alice):
    (document,) = library.upload_to_library(
        user=paula,
        partner_id=access.partner_id,
        files=[upload("kooperation.pdf", PDF_BYTES)],
        details=EvidenceDetails(kind=EvidenceKind.AGREEMENT, effective_date=date(2023, 5, 1)),
    )
    with pytest.raises(ValidationError):
        services.link_evidence(user=alice, assessment_id=draft.pk, criterion_code="1.2", evidence_id=document.pk)
    grant = services.grant_evidence(user=paula, evidence_id=document.pk, familienzentrum_id=draft.familienzentrum_id)
    services.link_evidence(user=alice, assessment_id=draft.pk, criterion_code="1.2", evidence_id=document.pk)
    services.revoke_grant(user=paula, grant_id=grant.pk)
    assert not EvidenceLink.objects.filter(evidence=document).exists()
    assert list(EvidenceGrantLog.objects.filter(evidence=document).values_list("action", flat=True)) == [
        "granted",
        "revoked",
    ]


def test_revoking_keeps_frozen_snapshots(access, paula, draft, alice):
    (document,) = library.upload_to_library(
        user=paula,
        partner_id=access.partner_id,
        files=[upload("kooperation.pdf", PDF_BYTES)],
        details=EvidenceDetails(kind=EvidenceKind.AGREEMENT, effective_date=date(2023, 5, 1)),
    )
    grant = services.grant_evidence(user=paula, evidence_id=document.pk, familienzentrum_id=draft.familienzentrum_id)
    services.link_evidence(user=alice, assessment_id=draft.pk, criterion_code="1.2", evidence_id=document.pk)
    answer_all(draft, alice)
    submission = services.submit(user=alice, assessment_id=draft.pk)
    services.revoke_grant(user=paula, grant_id=grant.pk)
    # Gone from the open cycle (a later resubmission will not freeze it again) ...
    assert not EvidenceLink.objects.filter(evidence=document).exists()
    assert selectors.evidence_by_criterion(draft) == {}
    # ... but the submission keeps naming and protecting the revision.
    assert submission.frozen_revisions.filter(revision__evidence=document).exists()
    entry = next(item for item in submission.payload["criteria"] if item["code"] == "1.2")
    assert entry["evidence"][0]["evidence_id"] == document.pk


def test_other_partner_cannot_grant_or_revoke(access, paula, draft, bob):
    (document,) = library.upload_to_library(
        user=paula, partner_id=access.partner_id, files=[upload("k.pdf", PDF_BYTES)], details=OFFER
    )
    with pytest.raises(ActionRefused):
        services.grant_evidence(user=bob, evidence_id=document.pk, familienzentrum_id=draft.familienzentrum_id)


def test_recertification_links_the_registers_documents_still_valid_at_the_end_of_the_review_year(
    draft, alice, olga, rita, partner_org, django_capture_on_commit_callbacks
):
    from decimal import Decimal

    from register import services as register
    from tests.factories import ReviewerFactory

    answer_all(draft, alice)
    services.submit(user=alice, assessment_id=draft.pk)
    second = ReviewerFactory(user=UserFactory(email="zweit@example.org"), may_confirm=True).user
    services.assign_reviewers(user=olga, assessment_id=draft.pk, reviewer=rita, second_reviewer=second)
    accept_all(draft, rita)
    schedule_visit(draft, rita, done=True)
    services.recommend(user=rita, assessment_id=draft.pk)
    with django_capture_on_commit_callbacks(execute=True):
        services.approve(user=second, assessment_id=draft.pk)
    centre = draft.familienzentrum
    agreement = register.agreement_add(
        user=alice,
        familienzentrum=centre,
        data=register.AgreementData(
            partner_id=partner_org.pk,
            subject="Beratung",
            signed_on=date(2024, 3, 1),
            signed_by="Träger",
            criterion_codes=["1.2"],
        ),
        upload=upload("vereinbarung.pdf", PDF_BYTES),
    )
    # A two-day course of 2022 is valid until 2029: it lapses before the review year 2030 ends.
    lapsed = register.qualification_add(
        user=alice,
        familienzentrum=centre,
        data=register.QualificationData(
            person="A. Muster",
            training="Interkulturelle Öffnung",
            completed_on=date(2022, 5, 1),
            hours=Decimal("14"),
            days=2,
            criterion_codes=["1.2"],
        ),
        upload=upload("bescheinigung.pdf", PDF_BYTES),
    )

    renewed = services.start_recertification(
        user=alice,
        familienzentrum=centre,
        review_period_start=date(2030, 1, 1),
        review_period_end=date(2031, 1, 31),
    )
    linked = set(EvidenceLink.objects.filter(assessment=renewed).values_list("criterion__code", "evidence_id"))
    assert ("1.2", agreement.document_id) in linked
    assert all(evidence_id != lapsed.certificate_id for _code, evidence_id in linked)


def test_recertification_relinks_the_certified_evidence_and_mails_the_decision(
    draft, alice, olga, rita, django_capture_on_commit_callbacks
):
    from tests.factories import ReviewerFactory

    (document,) = upload_to(draft, alice, upload("verzeichnis.pdf", PDF_BYTES))
    answer_all(draft, alice)
    services.submit(user=alice, assessment_id=draft.pk)
    second = ReviewerFactory(user=UserFactory(email="zweit@example.org"), may_confirm=True).user
    services.assign_reviewers(user=olga, assessment_id=draft.pk, reviewer=rita, second_reviewer=second)
    accept_all(draft, rita)
    schedule_visit(draft, rita, done=True)
    services.recommend(user=rita, assessment_id=draft.pk)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.approve(user=second, assessment_id=draft.pk)
    assert any("Gütesiegel erteilt" in message.subject for message in mail.outbox)

    renewed = services.start_recertification(
        user=alice,
        familienzentrum=draft.familienzentrum,
        review_period_start=date(2030, 1, 1),
        review_period_end=date(2030, 7, 31),
    )
    assert list(EvidenceLink.objects.filter(assessment=renewed).values_list("criterion__code", "evidence_id")) == [
        ("1.1", document.pk)
    ]
    assert renewed.answers.filter(to_confirm=True).count() == draft.answers.count()
