"""The HTML evidence index (assessments:evidence_index): journal entries
taken over stand as lines beside the documents, live while the centre
edits and as frozen once submitted; checksums only for the office (and the
assigned reviewers, who see it once it is submitted)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from assessments import services
from tests.assessments.conftest import answer_all
from tests.assessments.test_journal_evidence import frequencies, journal  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db


def index_page(client, assessment) -> str:
    response = client.get(reverse("assessments:evidence_index", args=[assessment.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_taken_over_entries_are_lines_of_the_live_index(client, alice, draft, journal):  # noqa: F811
    group, talk, spring = journal
    client.force_login(alice)
    assert "Angebotsjournal" not in index_page(client, draft)
    services.take_over_journal(user=alice, assessment_id=draft.pk, criterion_code="1.1")
    page = index_page(client, draft)
    assert f'data-journal-entry="{group.pk}"' in page and f'data-journal-entry="{talk.pk}"' in page
    assert f'data-journal-entry="{spring.pk}"' not in page  # before the review period
    assert "Angebotsjournal: Eltern-Kind-Gruppe, wöchentlich" in page
    # The group's attachment opens from its line.
    revision = group.attachment.revisions.get()
    assert reverse("assessments:evidence_download", args=[revision.pk]) in page


def test_the_submitted_index_shows_the_frozen_lines_and_hides_checksums_from_the_centre(
    client,
    alice,
    olga,
    draft,
    journal,  # noqa: F811
):
    group, _talk, _spring = journal
    services.take_over_journal(user=alice, assessment_id=draft.pk, criterion_code="1.1")
    answer_all(draft, alice)
    services.submit(user=alice, assessment_id=draft.pk)
    submission = draft.submissions.get()
    # A later change to the journal does not reach what was submitted.
    group.title = "Umbenannt nach der Einreichung"
    group.save(update_fields=["title"])
    sha = group.attachment.revisions.get().sha256

    client.force_login(alice)
    page = index_page(client, draft)
    assert "Angebotsjournal: Eltern-Kind-Gruppe" in page and "Umbenannt" not in page
    assert "SHA-256" not in page and sha[:16] not in page and submission.sha256[:16] not in page
    assert f"Stand der Einreichung #{submission.number} vom" in page

    client.force_login(olga)
    page = index_page(client, draft)
    assert "SHA-256" in page and sha[:16] in page and submission.sha256[:16] in page
