"""The bell, the list, opening a notification and marking all read: each
person sees only their own rows; another's is 404; links stay on the site."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from notifications.context_processors import bell
from notifications.models import Notification, NotificationKind
from notifications.views import PAGE_SIZE
from tests.unchanged import everything

LIST = reverse("notifications:list")


def make(user, subject="Betreff", *, link="", read=False, **fields) -> Notification:
    return Notification.objects.create(
        recipient=user,
        email=user.email,
        kind=fields.pop("kind", NotificationKind.ASSESSMENT_SUBMITTED),
        subject=subject,
        body=fields.pop("body", "Text"),
        link=link,
        read_at=timezone.now() if read else None,
        **fields,
    )


def bell_label(page: str) -> str:
    match = re.search(r'<span class="visually-hidden">(Benachrichtigungen[^<]*)</span>', page)
    assert match, "no bell on the page"
    return match.group(1)


# --- the bell ------------------------------------------------------------------


def test_the_bell_counts_the_persons_unread_rows(client, alice, bob):
    for number in range(3):
        make(alice, f"neu {number}")
    make(alice, "gelesen", read=True)
    make(bob, "fremd")
    client.force_login(alice)

    page = client.get(reverse("home")).content.decode()

    assert bell_label(page) == "Benachrichtigungen, 3 ungelesen"
    assert f'href="{LIST}"' in page


def test_the_bell_without_unread_rows(client, alice):
    make(alice, "gelesen", read=True)
    client.force_login(alice)
    assert bell_label(client.get(reverse("home")).content.decode()) == "Benachrichtigungen, keine ungelesen"


def test_the_bell_costs_one_query_and_none_for_anonymous_visitors(alice, django_assert_num_queries):
    make(alice)
    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    with django_assert_num_queries(0):
        assert bell(request) == {}

    request.user = alice
    with django_assert_num_queries(1):
        unread = bell(request)["notifications_unread"]
        assert unread() == 1
        assert unread() == 1  # asked twice on a page, counted once


def test_no_bell_on_the_login_page(client, db):
    page = client.get(reverse("accounts:login")).content.decode()
    assert LIST not in page


def test_the_bell_in_english(client, alice):
    make(alice)
    client.force_login(alice)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert bell_label_en(client.get(LIST).content.decode()) == "Notifications, 1 unread"


def bell_label_en(page: str) -> str:
    match = re.search(r'<span class="visually-hidden">(Notifications[^<]*)</span>', page)
    assert match, "no bell on the page"
    return match.group(1)


# --- the list ------------------------------------------------------------------


def test_the_list_shows_own_rows_newest_first_paginated(client, alice, bob, django_assert_max_num_queries):
    rows = [make(alice, f"Nachricht {number:02d}") for number in range(PAGE_SIZE + 5)]
    make(bob, "Bobs Nachricht")
    client.force_login(alice)

    with django_assert_max_num_queries(12):
        first = client.get(LIST)
    assert first.status_code == 200
    page = first.content.decode()
    subjects = re.findall(r"Nachricht \d\d", page)
    assert subjects == [f"Nachricht {number:02d}" for number in range(PAGE_SIZE + 4, 4, -1)]
    assert "Bobs Nachricht" not in page
    assert "Seite 1 von 2" in page and 'href="?page=2"' in page
    assert f'href="{LIST}" aria-current="page"' in page  # the bell's link marks the current page

    second = client.get(LIST, {"page": 2}).content.decode()
    assert re.findall(r"Nachricht \d\d", second) == [f"Nachricht {number:02d}" for number in range(4, -1, -1)]
    # A page number out of range shows the last page rather than an error.
    assert client.get(LIST, {"page": 99}).status_code == 200
    assert rows[0].pk  # written


def test_the_list_filters_unread_rows_and_keeps_the_filter_when_paging(client, alice):
    for number in range(PAGE_SIZE + 1):
        make(alice, f"Ungelesen {number:02d}")
    make(alice, "Schon gelesen", read=True)
    client.force_login(alice)

    page = client.get(LIST, {"ungelesen": "1"}).content.decode()

    assert "Schon gelesen" not in page
    assert len(re.findall(r"Ungelesen \d\d", page)) == PAGE_SIZE
    assert 'href="?ungelesen=1&amp;page=2"' in page
    second = client.get(LIST, {"ungelesen": "1", "page": "2"}).content.decode()
    assert re.findall(r"Ungelesen \d\d", second) == ["Ungelesen 00"]
    assert "Schon gelesen" in client.get(LIST).content.decode()


def test_the_list_shows_the_whole_message(client, alice):
    make(alice, "Ohne Link", body="Erste Zeile\nZweite Zeile & mehr")
    client.force_login(alice)
    page = client.get(LIST).content.decode()
    assert "Erste Zeile<br>Zweite Zeile &amp; mehr" in page


def test_the_list_needs_a_login(client, db):
    response = client.get(LIST)
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


def test_the_list_when_empty(client, alice):
    client.force_login(alice)
    page = client.get(LIST).content.decode()
    assert "Noch keine Benachrichtigungen." in page
    assert "Alle als gelesen markieren" not in page


# --- opening one ---------------------------------------------------------------


def test_opening_marks_read_and_goes_to_the_link(client, alice):
    row = make(alice, link="/selbstbewertung/7/?tab=rueckfragen#k-1")
    client.force_login(alice)

    response = client.get(reverse("notifications:open", args=[row.pk]))

    assert response.status_code == 302
    assert response["Location"] == "/selbstbewertung/7/?tab=rueckfragen#k-1"
    row.refresh_from_db()
    first_read = row.read_at
    assert first_read is not None
    # Opening again keeps the first time.
    client.get(reverse("notifications:open", args=[row.pk]))
    row.refresh_from_db()
    assert row.read_at == first_read


def test_opening_without_a_link_goes_to_the_list(client, alice):
    row = make(alice)
    client.force_login(alice)
    response = client.get(reverse("notifications:open", args=[row.pk]))
    assert response.status_code == 302 and response["Location"] == LIST


@pytest.mark.parametrize("link", ["/\t/evil.example/", "/\n/evil.example/", "/ /evil.example/"])
def test_a_link_that_slipped_past_the_database_never_leaves_the_site(client, alice, link):
    # The database only refuses the plain forms ("//", "/\\", absolute URLs);
    # the view checks again before it redirects.
    row = make(alice, link=link)
    client.force_login(alice)
    response = client.get(reverse("notifications:open", args=[row.pk]))
    assert response.status_code == 302 and response["Location"] == LIST


def test_another_persons_notification_is_404(client, alice, bob):
    bobs = make(bob, "fremd", link="/selbstbewertung/1/")
    client.force_login(alice)
    before = everything()

    assert client.get(reverse("notifications:open", args=[bobs.pk])).status_code == 404
    bobs.refresh_from_db()
    assert bobs.read_at is None
    assert everything() == before


def test_a_row_without_an_account_is_nobodys_to_open(client, alice):
    row = Notification.objects.create(email="partner@example.org", kind="partner_invitation", subject="x", body="y")
    client.force_login(alice)
    before = everything()
    assert client.get(reverse("notifications:open", args=[row.pk])).status_code == 404
    assert everything() == before  # not marked read, not sent again


def test_opening_needs_a_login(client, alice):
    row = make(alice)
    response = client.get(reverse("notifications:open", args=[row.pk]))
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]
    row.refresh_from_db()
    assert row.read_at is None


# --- marking all read ----------------------------------------------------------


def test_mark_all_read_marks_only_own_unread_rows(client, alice, bob):
    for number in range(3):
        make(alice, f"neu {number}")
    earlier = make(alice, "gelesen", read=True)
    bobs = make(bob, "fremd")
    client.force_login(alice)
    assert "Alle als gelesen markieren" in client.get(LIST).content.decode()

    response = client.post(reverse("notifications:mark_all_read"), follow=True)

    assert response.redirect_chain == [(LIST, 302)]
    page = response.content.decode()
    assert "3 Benachrichtigungen als gelesen markiert." in page
    assert bell_label(page) == "Benachrichtigungen, keine ungelesen"
    assert not Notification.objects.filter(recipient=alice, read_at__isnull=True).exists()
    assert Notification.objects.get(pk=earlier.pk).read_at == earlier.read_at
    assert Notification.objects.get(pk=bobs.pk).read_at is None


def test_mark_all_read_is_a_post(client, alice):
    make(alice)
    client.force_login(alice)
    # A GET (say, the login's ?next= after a session ended) marks nothing and lands on the list, not on a 405.
    response = client.get(reverse("notifications:mark_all_read"))
    assert (response.status_code, response.url) == (302, reverse("notifications:list"))
    assert Notification.objects.filter(read_at__isnull=True).count() == 1


def test_mark_all_read_needs_a_login(client, alice):
    make(alice)
    response = client.post(reverse("notifications:mark_all_read"))
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]
    assert Notification.objects.filter(read_at__isnull=True).count() == 1
