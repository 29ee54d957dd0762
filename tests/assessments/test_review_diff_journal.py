"""Journal entries in the reviewer's diff after a resubmission: an entry
taken over since, or changed in what it proves, is named with its line."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from assessments import services
from assessments.snapshots import diff_criterion
from journal.models import Recurrence
from journal.services import EntryData, record_entry

TODAY = date(2026, 12, 2)


def journal_item(entry_id=1, title="Eltern-Kind-Gruppe", dates=("2026-09-01", "2026-09-08"), participants=9, sha=None):
    return {
        "entry_id": entry_id,
        "title": title,
        "kind": "group",
        "recurrence": "weekly",
        "target_group": "families",
        "dates": list(dates),
        "participants": participants,
        "site": "",
        "partner": "",
        "attachment": {"evidence_id": 5, "revision_id": 7, "sha256": sha} if sha else None,
    }


def criterion_entry(journal=()):
    return {
        "code": "1.1",
        "items": [],
        "narrative": "",
        "delivering_sites": [],
        "evidence": [],
        "journal": list(journal),
    }


def test_an_unchanged_journal_is_no_change():
    assert not diff_criterion(criterion_entry([journal_item()]), criterion_entry([journal_item()])).changed


def test_an_entry_taken_over_since_is_added_with_its_line():
    change = diff_criterion(criterion_entry(), criterion_entry([journal_item()]))
    assert change.changed and not change.journal_removed
    (added,) = change.journal_added
    assert added["line"].startswith("Angebotsjournal: Eltern-Kind-Gruppe, wöchentlich, 2 Termine")


@pytest.mark.parametrize(
    "changed",
    [
        {"dates": ("2026-09-01", "2026-09-08", "2026-09-15")},
        {"title": "Krabbelgruppe"},
        {"participants": 12},
        {"sha": "b" * 64},
    ],
)
def test_a_change_in_what_an_entry_proves_shows_old_and_new(changed):
    before = journal_item(sha="a" * 64)
    after = journal_item(**{"sha": "a" * 64, **changed})
    change = diff_criterion(criterion_entry([before]), criterion_entry([after]))
    assert len(change.journal_added) == 1 and len(change.journal_removed) == 1


def test_an_older_payload_without_journal_is_tolerated():
    older = criterion_entry()
    del older["journal"]
    assert not diff_criterion(older, criterion_entry()).changed


@pytest.mark.django_db
def test_the_reviewer_sees_an_entry_taken_over_after_the_query(client, gabi, alice, reviewing):
    client.force_login(gabi)
    client.post(
        reverse("assessments:set_verdict", args=[reviewing.pk, "1.1"]),
        {"verdict": "queried", "comment": "Wie oft trifft sich die Gruppe?"},
    )
    client.post(reverse("assessments:request_changes", args=[reviewing.pk]), {"note": "Eine Frage."})
    record_entry(
        user=alice,
        familienzentrum=reviewing.familienzentrum,
        data=EntryData(
            title="Eltern-Kind-Gruppe",
            first_date=date(2026, 9, 1),
            criterion_codes=["1.1"],
            recurrence=Recurrence.WEEKLY,
            until=date(2026, 11, 24),
            participants=9,
        ),
        today=TODAY,
    )
    services.take_over_journal(user=alice, assessment_id=reviewing.pk, criterion_code="1.1")
    services.reply_to_query(user=alice, assessment_id=reviewing.pk, criterion_code="1.1", reply="Wöchentlich.")
    services.resubmit(user=alice, assessment_id=reviewing.pk)

    body = client.get(reverse("assessments:review_area", args=[reviewing.pk, "1"])).content.decode()
    assert 'data-testid="journal-diff"' in body
    assert "neu: Angebotsjournal: Eltern-Kind-Gruppe, wöchentlich, 13 Termine" in body
