"""The history of answers, profile changes, evidence links and grants: the
services write it, the checklist card and the detail page show it."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from assessments import services
from assessments.models import Answer, ItemStatus
from certification.models import Area, LogAction, LogEntry
from certification.selectors import history_of
from evidence import services as library
from evidence.models import EvidenceKind
from evidence.services import EvidenceDetails
from tests.assessments.conftest import answer_all, build_catalogue
from tests.assessments.files import PDF_BYTES, upload

OFFER = EvidenceDetails(kind=EvidenceKind.OFFER, effective_date=date(2026, 9, 15))


def save(assessment, user, statuses, narrative="", code="1.1"):
    existing = Answer.objects.filter(assessment=assessment, criterion__code=code).first()
    return services.save_answer(
        user=user,
        assessment_id=assessment.pk,
        criterion_code=code,
        item_statuses=statuses,
        narrative=narrative,
        site_ids=[],
        expected_version=existing.version if existing else 0,
    )


def entries(action):
    return list(LogEntry.objects.filter(action=action).order_by("pk"))


# ------------------------------------------------------------------ answers


def test_a_saved_answer_leaves_one_entry_with_before_and_after(draft, alice):
    save(draft, alice, {"1.1": ItemStatus.FULFILLED}, "Erst so.")
    save(draft, alice, {"1.1": ItemStatus.NOT_FULFILLED, "1.1.1": ItemStatus.PLANNED}, "Dann so.")
    first, second = entries(LogAction.ANSWER_CHANGED)
    assert second.actor == alice
    assert second.content_object == draft
    assert second.familienzentrum == draft.familienzentrum
    assert second.criterion.code == "1.1"
    assert second.data == {
        "before": {"item_statuses": {"1.1": "fulfilled"}, "narrative": "Erst so.", "site_ids": []},
        "after": {
            "item_statuses": {"1.1": "not_fulfilled", "1.1.1": "planned"},
            "narrative": "Dann so.",
            "site_ids": [],
        },
    }
    assert first.data["before"] == {"item_statuses": {}, "narrative": "", "site_ids": []}


def test_a_save_that_changes_nothing_leaves_no_entry(draft, alice):
    save(draft, alice, {"1.1": ItemStatus.FULFILLED}, "Gleich.")
    save(draft, alice, {"1.1": ItemStatus.FULFILLED}, "Gleich.")
    assert len(entries(LogAction.ANSWER_CHANGED)) == 1


def test_a_stale_save_leaves_no_entry(draft, alice):
    save(draft, alice, {"1.1": ItemStatus.FULFILLED})
    with pytest.raises(services.AnswerConflict):
        services.save_answer(
            user=alice,
            assessment_id=draft.pk,
            criterion_code="1.1",
            item_statuses={"1.1": ItemStatus.NOT_FULFILLED},
            narrative="veraltet",
            site_ids=[],
            expected_version=0,
        )
    assert len(entries(LogAction.ANSWER_CHANGED)) == 1


# ------------------------------------------------------------------ profile, links, grants


def test_a_profile_change_is_logged_with_the_area_codes(draft, alice):
    services.change_profile_areas(
        user=alice, assessment_id=draft.pk, profile_areas=[Area.objects.get(catalogue=draft.catalogue, code="4F")]
    )
    (entry,) = entries(LogAction.PROFILE_CHANGED)
    assert entry.actor == alice and entry.content_object == draft
    assert entry.data == {"before": ["4B"], "after": ["4F"]}


def test_an_unchanged_profile_is_not_logged(draft, alice):
    services.change_profile_areas(
        user=alice, assessment_id=draft.pk, profile_areas=[Area.objects.get(catalogue=draft.catalogue, code="4B")]
    )
    assert not entries(LogAction.PROFILE_CHANGED)


def test_upload_link_and_unlink_are_logged_once_each(draft, alice):
    (document,) = services.upload_for_criterion(
        user=alice, assessment_id=draft.pk, criterion_code="1.1", files=[upload("a.pdf", PDF_BYTES)], details=OFFER
    )
    services.link_evidence(user=alice, assessment_id=draft.pk, criterion_code="1.2", evidence_id=document.pk)
    services.link_evidence(user=alice, assessment_id=draft.pk, criterion_code="1.2", evidence_id=document.pk)
    services.unlink_evidence(user=alice, assessment_id=draft.pk, criterion_code="1.2", evidence_id=document.pk)
    services.unlink_evidence(user=alice, assessment_id=draft.pk, criterion_code="1.2", evidence_id=document.pk)
    linked = entries(LogAction.EVIDENCE_LINKED)
    assert [(entry.criterion.code, entry.data) for entry in linked] == [
        ("1.1", {"evidence_id": document.pk, "title": document.title}),
        ("1.2", {"evidence_id": document.pk, "title": document.title}),
    ]
    (unlinked,) = entries(LogAction.EVIDENCE_UNLINKED)
    assert unlinked.criterion.code == "1.2" and unlinked.actor == alice and unlinked.content_object == draft


@pytest.fixture
def access(draft, alice, paula, partner_org, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        invitation = services.invite_partner(
            user=alice, assessment_id=draft.pk, criterion_codes=["1.1"], email=paula.email, partner_id=partner_org.pk
        )
    return services.accept_invitation(user=paula, invitation_id=invitation.pk)


def test_a_partner_upload_logs_the_grant_and_the_link(access, paula, draft):
    (document,) = services.upload_as_partner(
        user=paula, access_id=access.pk, criterion_code="1.1", files=[upload("v.pdf", PDF_BYTES)], details=OFFER
    )
    (link,) = entries(LogAction.EVIDENCE_LINKED)
    assert link.actor == paula and link.content_object == draft and link.criterion.code == "1.1"
    (grant,) = entries(LogAction.GRANT_CREATED)
    assert grant.actor == paula and grant.content_object == document
    assert grant.familienzentrum == draft.familienzentrum


def test_grant_and_revoke_are_logged_only_when_they_change_something(access, paula, draft):
    (document,) = library.upload_to_library(
        user=paula, partner_id=access.partner_id, files=[upload("k.pdf", PDF_BYTES)], details=OFFER
    )
    grant = services.grant_evidence(user=paula, evidence_id=document.pk, familienzentrum_id=draft.familienzentrum_id)
    services.grant_evidence(user=paula, evidence_id=document.pk, familienzentrum_id=draft.familienzentrum_id)
    services.revoke_grant(user=paula, grant_id=grant.pk)
    services.revoke_grant(user=paula, grant_id=grant.pk)
    assert [entry.action for entry in history_of(document)] == [LogAction.GRANT_REVOKED, LogAction.GRANT_CREATED]
    assert all(
        entry.actor == paula and entry.familienzentrum == draft.familienzentrum for entry in history_of(document)
    )


# ------------------------------------------------------------------ the pages


def test_the_card_shows_who_changed_what(client, alice, draft):
    save(draft, alice, {"1.1": ItemStatus.FULFILLED}, "Erst so.")
    save(draft, alice, {"1.1": ItemStatus.NOT_FULFILLED}, "Dann so.")
    services.upload_for_criterion(
        user=alice, assessment_id=draft.pk, criterion_code="1.1", files=[upload("plan.pdf", PDF_BYTES)], details=OFFER
    )
    client.force_login(alice)
    body = client.get(reverse("assessments:area", args=[draft.pk, "1"])).content.decode()
    start = body.index('data-testid="history-1.1"')
    summary = body[start : body.index("</details>", start)]
    # The card names how many entries there are; they arrive when it is opened.
    assert '<summary>Verlauf <span class="badge text-bg-light border">3</span></summary>' in summary
    assert "Antwort geändert von" not in summary
    assert 'data-testid="history-1.2"' not in body
    url = reverse("assessments:criterion_history", args=[draft.pk, "1.1"])
    for history in (
        client.get(url, HTTP_HX_REQUEST="true").content.decode(),  # into the card
        client.get(url).content.decode(),  # a page of its own without JavaScript
    ):
        assert "Antwort geändert von Alice Leitung am" in history
        assert "1.1 erfüllt → nicht erfüllt; Beschreibung geändert" in history
        assert "Nachweis verknüpft von Alice Leitung" in history and "„plan.pdf“" in history
    assert "<html" in client.get(url).content.decode()


def test_a_criterion_history_is_shown_only_to_who_may_read_the_assessment(client, alice, bob, draft):
    save(draft, alice, {"1.1": ItemStatus.FULFILLED}, "Erst so.")
    url = reverse("assessments:criterion_history", args=[draft.pk, "1.1"])
    client.force_login(bob)
    assert client.get(url).status_code == 404
    client.force_login(alice)
    assert client.get(reverse("assessments:criterion_history", args=[draft.pk, "9.9"])).status_code == 404


def test_the_detail_page_lists_profile_changes(client, alice, draft):
    services.change_profile_areas(
        user=alice, assessment_id=draft.pk, profile_areas=[Area.objects.get(catalogue=draft.catalogue, code="4F")]
    )
    client.force_login(alice)
    body = client.get(reverse("assessments:detail", args=[draft.pk])).content.decode()
    assert "Profil geändert von Alice Leitung am" in body and "4B → 4F" in body


def _area_page_queries(client, assessment, django_assert_max_num_queries, limit):
    with django_assert_max_num_queries(limit) as captured:
        response = client.get(reverse("assessments:area", args=[assessment.pk, "1"]))
    assert response.status_code == 200
    return len(captured.captured_queries)


def test_area_page_queries_do_not_grow_with_history_or_criteria(client, alice, centre, django_assert_max_num_queries):
    client.force_login(alice)
    counts = []
    for scale, rounds in ((1, 1), (3, 3)):
        catalogue = build_catalogue(scale=scale, code=f"history{scale}")
        assessment = services.start_assessment(
            user=alice,
            familienzentrum=centre,
            catalogue=catalogue,
            kind="first",
            profile_areas=[Area.objects.get(catalogue=catalogue, code="4B")],
            review_period_start=date(2026, 8, 1),
            review_period_end=date(2027, 1, 31),
        )
        for status in [ItemStatus.FULFILLED, ItemStatus.NOT_FULFILLED, ItemStatus.PLANNED][:rounds]:
            answer_all(assessment, alice, status)
        # Four areas in scope (1, 4B, 4H, 5), two criteria each per scale step.
        assert history_of(assessment).count() == rounds * 8 * scale
        counts.append(_area_page_queries(client, assessment, django_assert_max_num_queries, 25))
        services.withdraw(user=alice, assessment_id=assessment.pk, reason="nächste Skala")
    assert counts[0] == counts[1], counts
