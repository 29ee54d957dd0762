"""The offer journal as evidence of the self-assessment (issue 13, item 4):
entries of the review period offered on the card, taken over once with
their attachments, refused outside the review period or the editable
states, frozen with the submission and shown in the reviewer's view."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments import services
from assessments.journal_evidence import journal_line
from assessments.models import EvidenceLink, JournalLink
from certification.exceptions import ActionRefused
from certification.models import CriterionItem
from certification.review_year import Period
from certification.selectors import forget_catalogue_structures
from journal.evidence_offers import entries_for_review
from journal.models import JournalEntry, Recurrence
from journal.services import EntryData, record_entry
from tests.assessments.conftest import answer_all
from tests.assessments.files import PDF_BYTES, upload
from tests.unchanged import everything

pytestmark = pytest.mark.django_db

TODAY = date(2026, 12, 2)


@pytest.fixture
def frequencies(draft):
    """Until the shipped catalogue states them: 1.1 weekly (two weeks off
    per half), 4B1 a course of at least 8 sessions in each half."""
    CriterionItem.objects.filter(criterion__catalogue=draft.catalogue, code="1.1").update(
        frequency={"per": "week", "allowed_gaps": 2}
    )
    CriterionItem.objects.filter(criterion__catalogue=draft.catalogue, code="4B1").update(
        frequency={"per": "half_year", "min_sessions": 8}
    )
    forget_catalogue_structures()
    yield
    forget_catalogue_structures()


def record(alice, centre, title, codes, first, *, until=None, participants=None, attachment=False, dates=()):
    data = EntryData(
        title=title,
        first_date=first,
        criterion_codes=list(codes),
        recurrence=Recurrence.WEEKLY if until else (Recurrence.DATES if dates else Recurrence.ONCE),
        until=until,
        dates=list(dates),
        participants=participants,
    )
    file = upload(f"{title}.pdf", PDF_BYTES, content_type="application/pdf") if attachment else None
    return record_entry(user=alice, familienzentrum=centre, data=data, upload=file, today=TODAY)


@pytest.fixture
def journal(alice, centre, draft, frequencies):
    """The draft's review period is 1 August 2026 - 31 January 2027."""
    group = record(
        alice,
        centre,
        "Eltern-Kind-Gruppe",
        ["1.1"],
        date(2026, 8, 3),
        until=date(2027, 1, 25),
        participants=12,
        attachment=True,
    )
    talk = record(alice, centre, "Elternabend Sprache", ["1.1", "1.2"], date(2026, 9, 16), participants=30)
    # Before the review period: not offered.
    spring = record(alice, centre, "Frühlingskurs", ["1.1", "4B1"], date(2026, 3, 2), until=date(2026, 5, 18))
    return group, talk, spring


def area_page(client, draft, area="1") -> str:
    return client.get(reverse("assessments:area", args=[draft.pk, area])).content.decode()


def card_of(page: str, draft, code: str) -> str:
    from assessments.services import criterion_of

    return page.split(f'id="kriterium-{criterion_of(draft, code).pk}"')[1].split('id="kriterium-')[0]


# ---------------------------------------------------------------- the read


def test_entries_for_review_are_those_with_a_session_in_the_period_in_one_query(centre, journal):
    group, talk, spring = journal
    with CaptureQueriesContext(connection) as queries:
        offered = entries_for_review(centre, Period(date(2026, 8, 1), date(2027, 1, 31)), ["1.1", "1.2", "4B1"])
    assert len(queries) == 1
    assert [item.entry_id for item in offered["1.1"]] == [group.pk, talk.pk]
    assert [item.entry_id for item in offered["1.2"]] == [talk.pk]
    assert "4B1" not in offered  # the spring course lies before the period
    first = offered["1.1"][0]
    assert first.dates[0] == date(2026, 8, 3) and first.dates[-1] == date(2027, 1, 25)
    assert first.participants == 12 and first.attachment_id == group.attachment_id
    assert all(day >= date(2026, 8, 1) for day in first.dates)


def test_the_line_names_title_recurrence_sessions_dates_and_participants():
    line = journal_line(
        {
            "title": "Eltern-Kind-Gruppe",
            "recurrence": "weekly",
            "dates": ["2026-01-05", "2026-03-02", "2026-07-13"],
            "participants": 12,
        }
    )
    assert line == "Angebotsjournal: Eltern-Kind-Gruppe, wöchentlich, 3 Termine 5.1.–13.7.2026, 12 Teilnehmende"


# ---------------------------------------------------------------- taking over


def test_taking_over_links_entries_and_attachments_once(alice, draft, journal):
    group, talk, spring = journal
    taken = services.take_over_journal(user=alice, assessment_id=draft.pk, criterion_code="1.1")
    assert (taken.entries, taken.attachments) == (2, 1)
    assert set(JournalLink.objects.filter(assessment=draft).values_list("entry_id", flat=True)) == {group.pk, talk.pk}
    assert list(EvidenceLink.objects.filter(assessment=draft).values_list("evidence_id", flat=True)) == [
        group.attachment_id
    ]
    again = services.take_over_journal(user=alice, assessment_id=draft.pk, criterion_code="1.1")
    assert (again.entries, again.attachments) == (0, 0)
    assert JournalLink.objects.filter(assessment=draft).count() == 2
    assert EvidenceLink.objects.filter(assessment=draft).count() == 1


def test_an_attachment_linked_before_is_not_linked_twice_and_stays_on_unlink(alice, draft, journal):
    group, _talk, _spring = journal
    services.link_evidence(user=alice, assessment_id=draft.pk, criterion_code="1.1", evidence_id=group.attachment_id)
    taken = services.take_over_journal(user=alice, assessment_id=draft.pk, criterion_code="1.1")
    assert taken.attachments == 0
    services.unlink_journal_entry(user=alice, assessment_id=draft.pk, criterion_code="1.1", entry_id=group.pk)
    # Linked by hand before: taking over did not add it, unlinking leaves it.
    assert EvidenceLink.objects.filter(assessment=draft, evidence_id=group.attachment_id).exists()


def test_unlinking_removes_the_entry_and_the_attachment_it_brought(alice, draft, journal):
    group, talk, _spring = journal
    services.take_over_journal(user=alice, assessment_id=draft.pk, criterion_code="1.1")
    assert services.unlink_journal_entry(user=alice, assessment_id=draft.pk, criterion_code="1.1", entry_id=group.pk)
    assert list(JournalLink.objects.filter(assessment=draft).values_list("entry_id", flat=True)) == [talk.pk]
    assert not EvidenceLink.objects.filter(assessment=draft).exists()
    assert JournalEntry.objects.filter(pk=group.pk).exists()  # the journal keeps it
    assert not services.unlink_journal_entry(
        user=alice, assessment_id=draft.pk, criterion_code="1.1", entry_id=group.pk
    )


def test_an_entry_outside_the_review_period_is_refused(alice, draft, journal):
    _group, _talk, spring = journal
    before = everything()
    with pytest.raises(ValidationError, match="Prüfzeitraum"):
        services.link_journal_entry(user=alice, assessment_id=draft.pk, criterion_code="1.1", entry_id=spring.pk)
    assert not JournalLink.objects.exists()
    assert everything() == before  # the entry, the assessment and the LogEntry rows as they were


def test_another_centres_entry_is_refused(alice, bob, other_centre, draft, journal):
    foreign = record(bob, other_centre, "Fremde Gruppe", ["1.1"], date(2026, 9, 1))
    before = everything()
    with pytest.raises(ValidationError):
        services.link_journal_entry(user=alice, assessment_id=draft.pk, criterion_code="1.1", entry_id=foreign.pk)
    assert not JournalLink.objects.exists()
    assert everything() == before


def test_an_outsider_may_not_take_over(bob, draft, journal):
    before = everything()
    with pytest.raises(ActionRefused):
        services.take_over_journal(user=bob, assessment_id=draft.pk, criterion_code="1.1")
    assert not JournalLink.objects.exists() and not EvidenceLink.objects.exists()
    assert everything() == before


def test_an_outsider_gets_404_on_the_route_and_nothing_changes(client, bob, draft, journal):
    client.force_login(bob)
    before = everything()
    response = client.post(reverse("assessments:journal_take_over", args=[draft.pk, "1.1"]))
    assert response.status_code == 404
    assert not JournalLink.objects.exists()
    assert everything() == before


def test_not_editable_once_submitted(alice, draft, journal):
    group, _talk, _spring = journal
    services.take_over_journal(user=alice, assessment_id=draft.pk, criterion_code="1.1")
    answer_all(draft, alice)
    services.submit(user=alice, assessment_id=draft.pk)
    before = everything()
    with pytest.raises(ActionRefused):
        services.take_over_journal(user=alice, assessment_id=draft.pk, criterion_code="1.2")
    with pytest.raises(ActionRefused):
        services.unlink_journal_entry(user=alice, assessment_id=draft.pk, criterion_code="1.1", entry_id=group.pk)
    assert JournalLink.objects.filter(assessment=draft).count() == 2
    assert everything() == before


# ---------------------------------------------------------------- the card


def test_the_card_shows_coverage_offered_entries_and_takes_them_over(client, alice, draft, journal):
    group, talk, spring = journal
    client.force_login(alice)
    card = card_of(area_page(client, draft), draft, "1.1")
    assert "Angebotsjournal" in card
    assert "wöchentlich" in card and "2. Hj." in card
    assert "1. Hj." not in card  # the review period is the second half only
    assert "Aus dem Journal übernehmen (2)" in card
    assert "Eltern-Kind-Gruppe, wöchentlich" in card and "Frühlingskurs" not in card

    response = client.post(reverse("assessments:journal_take_over", args=[draft.pk, "1.1"]))
    assert response.status_code == 302 and response["Location"].endswith(f"#kriterium-{card_of_pk(draft, '1.1')}")
    card = card_of(area_page(client, draft), draft, "1.1")
    assert "2 Journaleinträge als Nachweis übernommen." in card
    assert "Aus dem Journal übernehmen" not in card
    assert "2 Einträge übernommen" in card
    assert reverse("assessments:journal_unlink", args=[draft.pk, "1.1", group.pk]) in card
    # The attachment is an ordinary evidence link of the criterion now.
    assert "Eltern-Kind-Gruppe.pdf" in card
    # Shown again (kept cards): still true, without the message.
    again = card_of(area_page(client, draft), draft, "1.1")
    assert "2 Einträge übernommen" in again and "als Nachweis übernommen." not in again


def card_of_pk(draft, code):
    from assessments.services import criterion_of

    return criterion_of(draft, code).pk


def test_a_kept_card_follows_the_journal(client, alice, centre, draft, journal):
    client.force_login(alice)
    assert "Aus dem Journal übernehmen (2)" in card_of(area_page(client, draft), draft, "1.1")
    record(alice, centre, "Babymassage", ["1.1"], date(2026, 10, 7))
    assert "Aus dem Journal übernehmen (3)" in card_of(area_page(client, draft), draft, "1.1")


def test_checklist_queries_do_not_grow_with_the_entries(client, alice, centre, draft, frequencies):
    client.force_login(alice)
    first = record(alice, centre, "Eine Gruppe", ["1.1"], date(2026, 8, 3), until=date(2026, 12, 14), attachment=True)
    services.link_journal_entry(user=alice, assessment_id=draft.pk, criterion_code="1.1", entry_id=first.pk)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("assessments:area", args=[draft.pk, "1"])).status_code == 200
        return len(queries)

    count()  # the process reads the catalogue once
    one = count()
    for number in range(6):
        entry = record(
            alice,
            centre,
            f"Gruppe {number}",
            ["1.1", "1.2"],
            date(2026, 8, 4),
            until=date(2026, 11, 24),
            attachment=number % 2 == 0,
        )
        services.link_journal_entry(user=alice, assessment_id=draft.pk, criterion_code="1.1", entry_id=entry.pk)
    assert count() == one


# ---------------------------------------------------------------- readiness


def test_readiness_warns_of_frequencies_not_met(client, alice, centre, draft, journal):
    client.force_login(alice)
    body = client.get(reverse("assessments:ready", args=[draft.pk])).content.decode()
    assert "4B1: im 2. Halbjahr fehlt ein Angebot mit mindestens 8 Terminen" in body
    section = body.split('id="journal-gaps"')[1].split("</ul>\n  </section>")[0]
    assert "1.1:" not in section  # the weekly group covers the second half


# ---------------------------------------------------------------- frozen with the submission


def submit_with_journal(alice, draft):
    services.take_over_journal(user=alice, assessment_id=draft.pk, criterion_code="1.1")
    answer_all(draft, alice)
    services.submit(user=alice, assessment_id=draft.pk)
    draft.refresh_from_db()
    return draft.latest_submission


def test_the_snapshot_freezes_the_entries_and_later_journal_changes_do_not_reach_it(alice, centre, draft, journal):
    group, talk, _spring = journal
    submission = submit_with_journal(alice, draft)
    (entry_11,) = [entry for entry in submission.payload["criteria"] if entry["code"] == "1.1"]
    frozen = {item["entry_id"]: item for item in entry_11["journal"]}
    assert set(frozen) == {group.pk, talk.pk}
    assert frozen[group.pk]["participants"] == 12 and frozen[group.pk]["dates"][0] == "2026-08-03"
    attachment = frozen[group.pk]["attachment"]
    assert attachment["evidence_id"] == group.attachment_id and len(attachment["sha256"]) == 64
    assert submission.frozen_revisions.filter(revision_id=attachment["revision_id"]).exists()
    payload, sha = submission.payload, submission.sha256
    # The journal changes afterwards: the frozen submission does not.
    JournalEntry.objects.filter(pk=group.pk).update(title="Umbenannt", participants=3)
    talk.delete()
    submission.refresh_from_db()
    assert submission.payload == payload and submission.sha256 == sha


def test_the_reviewer_sees_the_journal_lines(client, alice, olga, gabi, zeno, draft, journal):
    submit_with_journal(alice, draft)
    services.assign_reviewers(user=olga, assessment_id=draft.pk, reviewer=gabi, second_reviewer=zeno)
    client.force_login(gabi)
    body = client.get(reverse("assessments:review_area", args=[draft.pk, "1"])).content.decode()
    assert "Angebotsjournal: Eltern-Kind-Gruppe, wöchentlich, 26 Termine 3.8.2026–25.1.2027, 12 Teilnehmende" in body
    assert "Angebotsjournal: Elternabend Sprache, einmalig, 1 Termin 16.9.2026, 30 Teilnehmende" in body


def test_an_old_snapshot_without_journal_still_renders(client, alice, olga, gabi, zeno, draft, journal):
    from assessments.models import Submission

    submission = submit_with_journal(alice, draft)
    payload = submission.payload
    for entry in payload["criteria"]:
        entry.pop("journal", None)
    Submission.objects.filter(pk=submission.pk).update(payload=payload)
    services.assign_reviewers(user=olga, assessment_id=draft.pk, reviewer=gabi, second_reviewer=zeno)
    client.force_login(gabi)
    response = client.get(reverse("assessments:review_area", args=[draft.pk, "1"]))
    assert response.status_code == 200 and "Angebotsjournal:" not in response.content.decode()
