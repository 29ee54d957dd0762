"""The journal's io pages: the print view (coverage and entries by criterion
and half-year), the import page, the downloads, and who may open them."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from django.urls import reverse

from certification.models import CriterionItem
from journal.models import JournalEntry, Recurrence
from journal.services import EntryData, record_entry
from tests.journal.io_helpers import csv_file

TODAY = date(2026, 12, 2)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(date(2026, 12, 2), tick=False):
        yield


@pytest.fixture
def frequencies(catalogue):
    wanted = {"1.3": {"per": "week", "allowed_gaps": 6}, "4B1": {"per": "half_year", "min_sessions": 8}}
    for code, frequency in wanted.items():
        CriterionItem.objects.filter(criterion__catalogue=catalogue, code=code).update(frequency=frequency)
    return catalogue


@pytest.fixture
def journal(centre, alice, frequencies):
    def record(**fields):
        record_entry(user=alice, familienzentrum=centre, data=EntryData(**fields), today=TODAY)

    # A course across the half-year boundary: 5 sessions in July, 3 in August.
    course = [date(2026, 7, day) for day in (3, 10, 17, 24, 31)] + [date(2026, 8, day) for day in (7, 14, 21)]
    record(
        title="Kinderkurs Sommer", first_date=None, recurrence=Recurrence.DATES, dates=course, criterion_codes=["4B1"]
    )
    record(
        title="Krabbelgruppe",
        first_date=date(2026, 1, 6),
        recurrence=Recurrence.WEEKLY,
        until=date(2027, 1, 26),
        criterion_codes=["1.3", "4B1"],
        participants=11,
    )
    return centre


def test_the_print_view_shows_coverage_and_entries_by_criterion_and_half(client, alice, journal):
    client.force_login(alice)
    response = client.get(reverse("journal:print", args=[journal.pk]), {"jahr": "2026"})

    assert response.status_code == 200
    html = response.content.decode()
    assert "journal-print.css" in html and "bootstrap" not in html
    assert "Prüfjahr 2026: 01.01.2026 bis 31.01.2027" in html
    assert "Abdeckung der Häufigkeiten" in html
    assert "1.3: 1. Halbjahr erfüllt – 2. Halbjahr erfüllt" in html
    printed = response.context["printed"]
    by_code = {criterion.code: criterion for criterion in printed.criteria}
    assert list(by_code) == ["1.3", "4B1"]
    first, second = by_code["4B1"].halves
    course_first = next(item for item in first.entries if item.entry.title == "Kinderkurs Sommer")
    course_second = next(item for item in second.entries if item.entry.title == "Kinderkurs Sommer")
    assert course_first.dates[-1] == date(2026, 7, 31) and len(course_first.dates) == 5
    assert course_second.dates[0] == date(2026, 8, 7) and len(course_second.dates) == 3
    # An entry tagged to two criteria shows under each.
    assert any(item.entry.title == "Krabbelgruppe" for item in by_code["1.3"].halves[0].entries)
    assert any(item.entry.title == "Krabbelgruppe" for item in first.entries)


def test_the_print_view_costs_the_same_queries_for_more_entries(client, alice, journal, django_assert_max_num_queries):
    client.force_login(alice)
    url = reverse("journal:print", args=[journal.pk])
    client.get(url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for number in range(10):
        record_entry(
            user=alice,
            familienzentrum=journal,
            data=EntryData(title=f"Treff {number}", first_date=date(2026, 3, number + 1), criterion_codes=["1.3"]),
            today=TODAY,
        )
    with django_assert_max_num_queries(len(few)):
        client.get(url)


def test_the_import_page_names_every_bad_row_and_keeps_the_journal(client, alice, journal):
    client.force_login(alice)
    before = JournalEntry.objects.count()
    upload = csv_file(
        [
            {"Titel": "Treff", "Datum": "01.02.2026", "Kriterien": "1.3", "Teilnehmende": "-2"},
            {"Titel": "Treff", "Datum": "01.02.2026", "Kriterien": "1.3"},
            {"Titel": "Vortrag", "Datum": "01.02.2020", "Kriterien": "7Q"},
        ]
    )

    response = client.post(reverse("journal:import", args=[journal.pk]), {"file": upload})

    assert response.status_code == 400
    html = response.content.decode()
    assert "Nichts importiert: 3 Probleme" in html
    assert "Zeile 2, Teilnehmende:" in html
    assert "Zeile 4, Datum:" in html and "Zeile 4, Kriterien:" in html
    assert JournalEntry.objects.count() == before


def test_the_import_page_imports_and_tells_how_many(client, alice, journal):
    client.force_login(alice)
    upload = csv_file(
        [
            {
                "Titel": "Treff",
                "Datum": "01.02.2026",
                "Wiederholung": "wöchentlich",
                "bis": "22.02.2026",
                "Kriterien": "1.3",
            }
        ]
    )
    url = reverse("journal:import", args=[journal.pk])

    response = client.post(url, {"file": upload}, follow=True)

    assert response.redirect_chain[-1][0] == reverse("journal:journal", args=[journal.pk])
    assert "1 Eintrag mit 4 Terminen importiert." in response.content.decode()
    assert JournalEntry.objects.filter(title="Treff").count() == 1
    # The same file sent again (a second click, a reload) imports nothing twice.
    upload.seek(0)
    response = client.post(url, {"file": upload}, follow=True)
    assert "bereits importiert" in response.content.decode()
    assert JournalEntry.objects.filter(title="Treff").count() == 1


def test_the_import_page_without_a_file(client, alice, journal):
    client.force_login(alice)
    response = client.post(reverse("journal:import", args=[journal.pk]), {})
    assert response.status_code == 400
    assert "Bitte eine CSV- oder XLSX-Datei auswählen." in response.content.decode()


def test_the_import_page_documents_the_columns(client, alice, journal):
    client.force_login(alice)
    html = client.get(reverse("journal:import", args=[journal.pk])).content.decode()
    for header in (
        "Titel",
        "Art",
        "Datum",
        "Wiederholung",
        "bis",
        "Termine",
        "Standort",
        "Kooperationspartner",
        "Zielgruppe",
        "Teilnehmende",
        "Kriterien",
        "Notiz",
    ):
        assert f"<code>{header}</code>" in html
    assert reverse("journal:import_template", args=[journal.pk, "xlsx"]) in html


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_downloads_are_attachments(client, alice, journal, file_format):
    client.force_login(alice)
    for name in ("export", "import_template"):
        response = client.get(reverse(f"journal:{name}", args=[journal.pk, file_format]))
        assert response.status_code == 200
        assert response["Content-Disposition"].startswith("attachment;")
        assert response["X-Content-Type-Options"] == "nosniff"
    assert client.get(reverse("journal:export", args=[journal.pk, "pdf"])).status_code == 404


# Who may open what: the Leitung keeps the journal; who may read the centre
# (its Träger, the office) may print and export it; everybody else gets 404.
PAGES = {
    "import": lambda pk: reverse("journal:import", args=[pk]),
    "template": lambda pk: reverse("journal:import_template", args=[pk, "csv"]),
    "export": lambda pk: reverse("journal:export", args=[pk, "xlsx"]),
    "print": lambda pk: reverse("journal:print", args=[pk]),
}
ALLOWED = {
    "alice": {"import", "template", "export", "print"},
    "tina": {"export", "print"},
    "olga": {"export", "print"},
    "bob": set(),
    "tom": set(),
    "paula": set(),
    "rita": set(),
}


@pytest.mark.parametrize("persona", sorted(ALLOWED))
@pytest.mark.parametrize("page", sorted(PAGES))
def test_permissions_of_the_io_pages(client, request, journal, persona, page):
    client.force_login(request.getfixturevalue(persona))
    response = client.get(PAGES[page](journal.pk))
    assert response.status_code == (200 if page in ALLOWED[persona] else 404)


@pytest.mark.parametrize("persona", ["bob", "tina", "paula"])
def test_nobody_but_the_leitung_may_post_an_import(client, request, journal, persona):
    client.force_login(request.getfixturevalue(persona))
    before = JournalEntry.objects.count()
    response = client.post(
        reverse("journal:import", args=[journal.pk]),
        {"file": csv_file([{"Titel": "X", "Datum": "01.02.2026", "Kriterien": "1.3"}])},
    )
    assert response.status_code == 404
    assert JournalEntry.objects.count() == before


def test_anonymous_visitors_are_sent_to_the_login(client, journal):
    for page in PAGES.values():
        response = client.get(page(journal.pk))
        assert response.status_code == 302 and "/konto/" in response["Location"]
