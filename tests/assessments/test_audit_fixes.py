"""Regression tests for defects found in the security and correctness audit."""

from __future__ import annotations

import io
import tracemalloc
import zipfile
from datetime import date

import pytest
from django.urls import reverse

from assessments import services
from assessments.models import AssessmentState, CriterionVerdict, ItemStatus, Verdict
from certification.models import Membership, MembershipRole
from evidence import services as library
from evidence.files import UploadRejected, detect_type
from evidence.models import EvidenceKind
from evidence.services import EvidenceDetails
from tests.assessments.conftest import accept_all, answer_all, schedule_visit
from tests.assessments.files import PDF_BYTES, upload
from tests.unchanged import everything


def test_an_invitation_never_makes_anyone_staff_of_an_existing_partner(draft, alice, paula, partner_org):
    # alice invites her own address to someone else's organisation ...
    invitation = services.invite_partner(
        user=alice, assessment_id=draft.pk, criterion_codes=["1.1"], email=alice.email, partner_id=partner_org.pk
    )
    with pytest.raises(services.InvitationInvalid, match="nicht als Mitarbeiter"):
        services.accept_invitation(user=alice, invitation_id=invitation.pk)
    assert not Membership.objects.filter(user=alice, role=MembershipRole.PARTNER).exists()


def test_a_new_organisation_may_not_take_an_existing_name(draft, alice, partner_org):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="schon registriert"):
        services.invite_partner(
            user=alice,
            assessment_id=draft.pk,
            criterion_codes=["1.1"],
            email="x@example.org",
            organisation_name=partner_org.name.upper(),
        )


def test_an_acceptance_carries_over_only_for_unchanged_criteria(in_review, rita, alice):
    services.set_verdict(
        user=rita, assessment_id=in_review.pk, criterion_code="1.1", verdict=Verdict.QUERIED, comment="Bitte ergänzen."
    )
    for code in ("1.2", "5.1"):
        services.set_verdict(
            user=rita, assessment_id=in_review.pk, criterion_code=code, verdict=Verdict.ACCEPTED, comment=""
        )
    services.request_changes(user=rita, assessment_id=in_review.pk)
    answer = in_review.answers.get(criterion__code="1.2")
    # 1.2 was accepted, but the centre changes it during the query round.
    services.save_answer(
        user=alice,
        assessment_id=in_review.pk,
        criterion_code="1.2",
        item_statuses={"1.2": ItemStatus.FULFILLED, "1.2.1": ItemStatus.NOT_FULFILLED},
        narrative="geändert",
        site_ids=[],
        expected_version=answer.version,
    )
    services.reply_to_query(user=alice, assessment_id=in_review.pk, criterion_code="1.1", reply="ergänzt")
    submission = services.resubmit(user=alice, assessment_id=in_review.pk)
    carried = set(CriterionVerdict.objects.filter(submission=submission).values_list("criterion__code", flat=True))
    assert carried == {"5.1"}


def test_a_zip_bomb_is_not_inflated(settings):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mimetype", b"\0" * (60 * 1024 * 1024))
    tracemalloc.start()
    try:
        with pytest.raises(UploadRejected):
            detect_type(io.BytesIO(buffer.getvalue()))
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"


@pytest.mark.parametrize("value", ["²", "١٢", "99999999999999999999999"])
def test_odd_digits_in_ids_are_a_message_not_a_crash(client, alice, draft, value):
    client.force_login(alice)
    response = client.post(reverse("assessments:evidence_link", args=[draft.pk, "1.1"]), {"evidence": value})
    assert response.status_code == 302
    criterion = draft.catalogue.criteria.get(code="1.1")
    response = client.post(
        reverse("assessments:evidence_upload", args=[draft.pk, "1.1"]),
        {
            f"e{criterion.pk}-files": [upload("a.pdf", PDF_BYTES)],
            f"e{criterion.pk}-kind": "offer",
            f"e{criterion.pk}-effective_date": "2026-09-01",
            f"e{criterion.pk}-sites": value,
        },
    )
    assert response.status_code == 302


@pytest.fixture
def recommended(in_review, rita):
    accept_all(in_review, rita)
    schedule_visit(in_review, rita, done=True)
    services.recommend(user=rita, assessment_id=in_review.pk)
    in_review.refresh_from_db()
    return in_review


def test_office_staff_tied_to_the_traeger_can_neither_approve_nor_decline(recommended, tina):
    tina.is_staff = True
    tina.save()
    tina = type(tina).objects.get(pk=tina.pk)
    with pytest.raises(services.TransitionRefused):
        services.approve(user=tina, assessment_id=recommended.pk)
    with pytest.raises(services.TransitionRefused):
        services.decline(user=tina, assessment_id=recommended.pk, reason="x")
    recommended.refresh_from_db()
    assert recommended.state == AssessmentState.RECOMMENDED


def test_a_reviewer_taken_out_of_the_pool_loses_the_assignment(in_review, rita):
    rita.reviewer.is_active = False
    rita.reviewer.save()
    rita = type(rita).objects.get(pk=rita.pk)
    with pytest.raises(services.TransitionRefused):
        services.set_verdict(
            user=rita, assessment_id=in_review.pk, criterion_code="1.1", verdict=Verdict.ACCEPTED, comment=""
        )


def test_a_second_reviewer_without_confirm_right_cannot_approve(recommended):
    second = recommended.second_reviewer
    second.reviewer.may_confirm = False
    second.reviewer.save()
    second = type(second).objects.get(pk=second.pk)
    with pytest.raises(services.TransitionRefused):
        services.approve(user=second, assessment_id=recommended.pk)


def test_the_timeline_names_reviewers_without_their_addresses(client, in_review, alice, rita):
    client.force_login(alice)
    body = client.get(reverse("assessments:detail", args=[in_review.pk])).content.decode()
    assert rita.email not in body and "zweit@example.org" not in body
    assert rita.full_name in body


def test_the_evidence_index_shows_the_submitted_state_after_submit(client, draft, alice):
    (document,) = services.upload_for_criterion(
        user=alice,
        assessment_id=draft.pk,
        criterion_code="1.1",
        files=[upload("erste.pdf", PDF_BYTES)],
        details=EvidenceDetails(kind=EvidenceKind.OFFER, effective_date=date(2026, 9, 1)),
    )
    answer_all(draft, alice)
    services.submit(user=alice, assessment_id=draft.pk)
    library.add_revision(user=alice, evidence_id=document.pk, upload=upload("zweite.pdf", PDF_BYTES + b"2"))
    client.force_login(alice)
    body = client.get(reverse("assessments:evidence_index", args=[draft.pk])).content.decode()
    assert "Stand der Einreichung #1" in body
    assert "erste.pdf" in body and "zweite.pdf" not in body


def test_invitation_signup_applies_the_password_rules(client, draft, alice):
    invitation = services.invite_partner(
        user=alice,
        assessment_id=draft.pk,
        criterion_codes=["1.1"],
        email="neu@beratung.example",
        organisation_name="Beratung Neu",
    )
    url = reverse("assessments:invitation", args=[services.invitation_token(invitation)])
    before = everything()
    response = client.post(url, {"full_name": "Nina Neu", "password": "1234567890", "password_again": "1234567890"})
    assert response.status_code == 200
    assert "komplett numerisch" in response.content.decode()
    # No account, no organisation, no access: the invitation is still open.
    assert everything() == before


def test_an_oversized_body_is_refused_before_it_is_read(client, alice, draft, settings):
    settings.MAX_UPLOAD_MB = 1
    settings.MAX_UPLOAD_FILES = 1
    client.force_login(alice)
    before = everything()
    response = client.generic(
        "POST",
        reverse("assessments:evidence_upload", args=[draft.pk, "1.1"]),
        b"x" * 10,
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(3 * 1024 * 1024),
    )
    assert response.status_code == 413
    assert "zu groß" in response.content.decode()
    assert everything() == before
