"""The journal's pages: who may see and keep them, recording an offer or a
series, and refused input that changes nothing and loses nothing."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from certification.models import CriterionItem
from evidence.models import Evidence
from journal.models import JournalEntry, JournalSession

TODAY = date(2026, 12, 2)

PERSONAS = ["alice", "bob", "tina", "tom", "paula", "rita", "olga", "anonymous"]
# Reading: the centre's Leitung, its Träger's staff, the office.
READS = {"alice": 200, "tina": 200, "olga": 200}
# Keeping: the centre's Leitung only.
KEEPS = {"alice": 200}


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(date(2026, 12, 2), tick=False):
        yield


@pytest.fixture
def weekly_catalogue(catalogue):
    CriterionItem.objects.filter(criterion__catalogue=catalogue, code="1.3").update(
        frequency={"per": "week", "allowed_gaps": 6}
    )
    return catalogue


@pytest.fixture
def people(alice, bob, tina, tom, paula, rita, olga):
    return {"alice": alice, "bob": bob, "tina": tina, "tom": tom, "paula": paula, "rita": rita, "olga": olga}


def counts() -> tuple[int, int, int]:
    return JournalEntry.objects.count(), JournalSession.objects.count(), Evidence.objects.count()


def post_entry(client, centre, **fields):
    data = {
        "title": "Eltern-Kind-Gruppe",
        "first_date": "2026-11-03",
        "criteria": ["1.3"],
        "participants": "8",
        "recurrence": "once",
        "kind": "group",
        "target_group": "families",
        **fields,
    }
    return client.post(reverse("journal:entry_new", args=[centre.pk]), data)


@pytest.mark.parametrize("who", PERSONAS)
def test_permission_table(client, people, centre, catalogue, who):
    if who != "anonymous":
        client.force_login(people[who])
    entry_url = reverse("journal:journal", args=[centre.pk])
    new_url = reverse("journal:entry_new", args=[centre.pk])
    expected_read = READS.get(who, 302 if who == "anonymous" else 404)
    expected_keep = KEEPS.get(who, 302 if who == "anonymous" else 404)
    assert client.get(entry_url).status_code == expected_read
    assert client.get(new_url).status_code == expected_keep
    before = counts()
    response = post_entry(client, centre)
    assert response.status_code == (302 if who == "alice" else expected_keep)
    assert counts() == ((before[0] + 1, before[1] + 1, before[2]) if who == "alice" else before)


@pytest.mark.parametrize("who", ["bob", "tina", "paula", "rita", "olga"])
def test_others_cannot_change_or_remove_an_entry(client, people, centre, alice, catalogue, who):
    client.force_login(alice)
    post_entry(client, centre)
    entry = JournalEntry.objects.get()
    client.force_login(people[who])
    for name in ("journal:entry_edit", "journal:entry_delete"):
        assert client.post(reverse(name, args=[entry.pk]), {"title": "Gekapert"}).status_code == 404
    entry.refresh_from_db()
    assert entry.title == "Eltern-Kind-Gruppe" and JournalEntry.objects.count() == 1


@pytest.mark.parametrize(
    "fields, field, message",
    [
        ({"first_date": "2024-12-31"}, "first_date", "außerhalb der Prüfjahre"),
        ({"recurrence": "weekly", "until": ""}, "until", "braucht ein Enddatum"),
        ({"participants": "-3"}, "participants", "zwischen 0 und"),
        ({"criteria": []}, "criteria", "mindestens ein Kriterium"),
        ({"recurrence": "weekly", "first_date": "2026-11-03", "until": "2026-10-01"}, "until", "vor dem ersten Termin"),
    ],
)
def test_bad_input_is_refused_on_its_field_and_nothing_is_lost(
    client, alice, centre, catalogue, fields, field, message
):
    client.force_login(alice)
    before = counts()
    response = post_entry(client, centre, title="Mein getippter Titel", **fields)
    assert response.status_code == 400
    form = response.context["form"]
    assert any(message in error for error in form.errors[field]), form.errors
    assert "Mein getippter Titel" in response.content.decode()
    assert counts() == before


def test_an_unknown_criterion_code_is_refused(client, alice, centre, catalogue):
    client.force_login(alice)
    before = counts()
    response = post_entry(client, centre, criteria=["9.9"])
    assert response.status_code == 400 and "criteria" in response.context["form"].errors
    assert counts() == before


def test_a_weekly_series_is_recorded_in_one_go(client, alice, centre, catalogue):
    client.force_login(alice)
    response = post_entry(client, centre, recurrence="weekly", first_date="2026-08-04", until="2026-10-27")
    assert response.status_code == 302
    entry = JournalEntry.objects.get()
    assert entry.sessions.count() == 13 and (entry.first_date, entry.last_date) == (
        date(2026, 8, 4),
        date(2026, 10, 27),
    )
    page = client.get(response.url)
    assert "Serie „Eltern-Kind-Gruppe“ mit 13 Terminen gespeichert." in page.content.decode()


def test_the_same_form_sent_twice_records_the_offer_once(client, alice, centre, catalogue):
    client.force_login(alice)
    token = client.get(reverse("journal:entry_new", args=[centre.pk])).context["form"].initial["token"]
    assert post_entry(client, centre, token=token).status_code == 302
    second = post_entry(client, centre, token=token)
    assert second.status_code == 302 and JournalEntry.objects.count() == 1
    assert "bereits gespeichert" in client.get(second.url).content.decode()


def test_a_disguised_attachment_is_refused_on_its_field(client, alice, centre, catalogue):
    client.force_login(alice)
    before = counts()
    fake = SimpleUploadedFile("flyer.pdf", b"MZ\x90\x00" + b"\x00" * 200, content_type="application/pdf")
    data = {
        "title": "Flyer",
        "first_date": "2026-11-03",
        "criteria": ["1.3"],
        "recurrence": "once",
        "kind": "group",
        "target_group": "families",
        "attachment": fake,
    }
    response = client.post(reverse("journal:entry_new", args=[centre.pk]), data)
    assert response.status_code == 400
    assert response.context["form"].errors["attachment"]
    assert counts() == before


def test_a_disguised_attachment_is_named_even_when_the_title_is_missing(client, alice, centre, catalogue):
    client.force_login(alice)
    before = counts()
    fake = SimpleUploadedFile("flyer.pdf", b"MZ\x90\x00" + b"\x00" * 200, content_type="application/pdf")
    response = post_entry(client, centre, title="", attachment=fake)
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "title" in errors and any("flyer.pdf" in message for message in errors["attachment"]), errors
    assert counts() == before


def test_the_journal_shows_coverage_and_a_weekly_series_covers_1_3(client, alice, centre, weekly_catalogue):
    client.force_login(alice)
    post_entry(client, centre, recurrence="weekly", first_date="2026-01-05", until="2027-01-31")
    page = client.get(reverse("journal:journal", args=[centre.pk]))
    coverage = {item.criterion_code: item for item, _title in page.context["coverage"]}
    assert coverage["1.3"].is_met
    assert 'data-criterion="1.3" data-status="met"' in page.content.decode()


def test_edit_and_delete(client, alice, centre, catalogue):
    client.force_login(alice)
    post_entry(client, centre)
    entry = JournalEntry.objects.get()
    edit = reverse("journal:entry_edit", args=[entry.pk])
    assert client.get(edit).context["form"].initial["title"] == "Eltern-Kind-Gruppe"
    response = client.post(
        edit,
        {
            "title": "Krabbelgruppe",
            "first_date": "2026-11-10",
            "criteria": ["1.3", "1.5"],
            "recurrence": "once",
            "kind": "group",
            "target_group": "families",
        },
    )
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.title == "Krabbelgruppe" and set(entry.tags.values_list("criterion_code", flat=True)) == {"1.3", "1.5"}
    assert client.get(reverse("journal:entry_delete", args=[entry.pk])).status_code == 200
    assert JournalEntry.objects.count() == 1  # a GET asks, only the POST removes
    client.post(reverse("journal:entry_delete", args=[entry.pk]))
    assert JournalEntry.objects.count() == 0


def test_a_series_of_single_dates_without_dates_is_refused_on_dates(client, alice, centre, catalogue):
    client.force_login(alice)
    before = counts()
    response = post_entry(client, centre, recurrence="dates", first_date="", dates="")
    assert response.status_code == 400
    assert "mindestens ein Datum" in " ".join(response.context["form"].errors["dates"])
    assert counts() == before


def test_an_expired_session_sends_the_post_to_the_login_and_records_nothing(client, alice, centre, catalogue):
    response = post_entry(client, centre)
    assert response.status_code == 302 and reverse("accounts:login") in response.url
    assert "next=" in response.url and JournalEntry.objects.count() == 0
    # Signed in again, the same address shows a fresh form.
    client.force_login(alice)
    assert client.get(reverse("journal:entry_new", args=[centre.pk])).status_code == 200


def test_the_form_starts_on_today_with_the_criteria_used_last_or_asked_for(client, alice, centre, catalogue):
    client.force_login(alice)
    new_url = reverse("journal:entry_new", args=[centre.pk])
    form = client.get(new_url).context["form"]
    assert form.initial["first_date"] == TODAY and form.initial["criteria"] == []
    post_entry(client, centre, criteria=["1.3", "1.5"])
    assert client.get(new_url).context["form"].initial["criteria"] == ["1.3", "1.5"]
    assert client.get(new_url + "?kriterium=4B1").context["form"].initial["criteria"] == ["4B1"]


def test_the_journal_lists_a_series_with_its_dates_and_the_attachment_link(client, alice, bob, centre, catalogue):
    from tests.assessments.files import PDF_BYTES

    client.force_login(alice)
    flyer = SimpleUploadedFile("flyer.pdf", PDF_BYTES, content_type="application/pdf")
    post_entry(client, centre, recurrence="weekly", first_date="2026-01-05", until="2026-03-30", attachment=flyer)
    page = client.get(reverse("journal:journal", args=[centre.pk]))
    html = page.content.decode()
    assert "wöchentlich, 13 Termine, 5.1.–30.3.2026" in html
    entry = page.context["page"].object_list[0]
    link = reverse("assessments:evidence_download", args=[entry.attachment_revision_id])
    assert link in html
    assert client.get(link).status_code == 200
    # Bob leads another centre: the file stays closed to him.
    client.force_login(bob)
    assert client.get(link).status_code == 404


def test_filters_by_criterion_and_half_year_and_switches_the_review_year(client, alice, centre, catalogue):
    client.force_login(alice)
    post_entry(client, centre, title="Frühjahr", first_date="2026-03-03", criteria=["1.3"])
    post_entry(client, centre, title="Herbst", first_date="2026-10-06", criteria=["1.5"])
    post_entry(client, centre, title="Nächstes Jahr", first_date="2027-03-02", criteria=["1.3"])
    journal_url = reverse("journal:journal", args=[centre.pk])

    def titles(query):
        return [entry.title for entry in client.get(journal_url + query).context["page"].object_list]

    assert titles("") == ["Herbst", "Frühjahr"]
    assert titles("?halbjahr=1") == ["Frühjahr"]
    assert titles("?halbjahr=2") == ["Herbst"]
    assert titles("?kriterium=1.3") == ["Frühjahr"]
    assert titles("?jahr=2027") == ["Nächstes Jahr"]
    # A year the journal does not keep, or nonsense, shows the current one.
    assert titles("?jahr=2019") == titles("?jahr=abc") == ["Herbst", "Frühjahr"]


def test_the_journal_page_costs_the_same_queries_for_many_entries(
    client, alice, centre, catalogue, django_assert_max_num_queries
):
    from journal.services import EntryData, record_entry

    client.force_login(alice)
    journal_url = reverse("journal:journal", args=[centre.pk])
    for number in range(3):
        record_entry(user=alice, familienzentrum=centre, data=EntryData(f"E{number}", TODAY, ["1.3", "1.5"]))
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(journal_url)
    for number in range(20):
        record_entry(user=alice, familienzentrum=centre, data=EntryData(f"F{number}", TODAY, ["1.3"]))
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(journal_url)


@pytest.mark.parametrize("who", ["tina", "olga"])
def test_readers_who_do_not_keep_the_journal_see_no_form_and_no_edit_links(
    client, people, alice, centre, catalogue, who
):
    client.force_login(alice)
    post_entry(client, centre)
    entry = JournalEntry.objects.get()
    client.force_login(people[who])
    page = client.get(reverse("journal:journal", args=[centre.pk]))
    assert page.context["form"] is None
    assert reverse("journal:entry_edit", args=[entry.pk]) not in page.content.decode()
    assert client.get(reverse("journal:entry_edit", args=[entry.pk])).status_code == 404
    assert client.get(reverse("journal:entry_delete", args=[entry.pk])).status_code == 404


def test_a_new_file_on_an_edited_entry_is_the_next_revision_of_its_document(client, alice, centre, catalogue):
    """Links from assessments point at the document, so a corrected
    attendance list must not become a second, unlinked document; the
    document follows the entry's title and date."""
    from tests.assessments.files import PDF_BYTES

    client.force_login(alice)
    first = SimpleUploadedFile("liste.pdf", PDF_BYTES, content_type="application/pdf")
    post_entry(client, centre, attachment=first)
    entry = JournalEntry.objects.get()
    document = entry.attachment
    corrected = SimpleUploadedFile("liste-korrigiert.pdf", PDF_BYTES + b"%", content_type="application/pdf")
    response = client.post(
        reverse("journal:entry_edit", args=[entry.pk]),
        {
            "title": "Krabbelgruppe",
            "first_date": "2026-11-10",
            "criteria": ["1.3"],
            "recurrence": "once",
            "kind": "group",
            "target_group": "families",
            "attachment": corrected,
        },
    )
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.attachment_id == document.pk and Evidence.objects.count() == 1
    document.refresh_from_db()
    assert document.title == "Krabbelgruppe" and document.effective_date == date(2026, 11, 10)
    names = list(document.revisions.order_by("number").values_list("number", "original_name"))
    assert names == [(1, "liste.pdf"), (2, "liste-korrigiert.pdf")]


def test_the_one_time_token_is_kept_by_the_entry_and_refuses_a_second_recording(alice, centre, catalogue):
    from journal import services

    token = "0123456789abcdef0123456789abcdef"
    data = dict(title="Elterncafé", first_date=date(2026, 11, 3), criterion_codes=["1.3"], form_token=token)
    entry = services.record_entry(user=alice, familienzentrum=centre, data=services.EntryData(**data))
    assert JournalEntry.objects.get().form_token == token
    before = counts()
    with pytest.raises(services.EntryAlreadyRecorded):
        services.record_entry(user=alice, familienzentrum=centre, data=services.EntryData(**data))
    assert counts() == before and JournalEntry.objects.get().pk == entry.pk


@pytest.mark.parametrize("sent", ["", "nicht-von-uns", "A" * 32, "0" * 200])
def test_a_token_the_form_did_not_hand_out_is_ignored(alice, centre, catalogue, sent):
    from journal import services

    data = dict(title="Elterncafé", first_date=date(2026, 11, 3), criterion_codes=["1.3"], form_token=sent)
    for _ in range(2):  # no token: each recording is an entry of its own
        services.record_entry(user=alice, familienzentrum=centre, data=services.EntryData(**data))
    assert list(JournalEntry.objects.values_list("form_token", flat=True)) == [None, None]
