"""The bell and the list in a real browser, checked with axe-core: the bell
is a link whose name says how many are unread, the list marks all read."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from notifications.models import Notification, NotificationKind
from tests.browser.helpers import assert_accessible, login

pytestmark = pytest.mark.browser


def test_bell_list_and_mark_all_read(page, live_server, alice, bob):
    for number, link in enumerate(["/", ""]):
        Notification.objects.create(
            recipient=alice,
            email=alice.email,
            kind=NotificationKind.CHANGES_REQUESTED,
            subject=f"Rückfragen zu Eltern & Kinder ({number})",
            body="Die Gutachterin hat Rückfragen gestellt.\nBitte beantworten Sie sie.",
            link=link,
        )
    Notification.objects.create(recipient=bob, email=bob.email, kind="approved", subject="Bobs", body="x")

    login(page, live_server, alice.email)
    bell = page.get_by_role("link", name="Benachrichtigungen, 2 ungelesen")
    expect(bell).to_be_visible()
    assert_accessible(page)

    bell.click()
    expect(page.get_by_role("heading", name="Benachrichtigungen")).to_be_visible()
    expect(page.get_by_text("Sie haben 2 ungelesene Benachrichtigungen.")).to_be_visible()
    expect(page.get_by_text("Bobs")).to_have_count(0)
    page.get_by_text("Nachricht anzeigen").first.click()
    expect(page.get_by_text("Bitte beantworten Sie sie.").first).to_be_visible()
    assert_accessible(page)

    # Opening one marks it read and follows its link (here: the start page).
    page.get_by_role("link", name=re.compile(r"Rückfragen zu Eltern & Kinder \(0\)")).click()
    expect(page).to_have_url(live_server.url + "/")
    expect(page.get_by_role("link", name="Benachrichtigungen, 1 ungelesen")).to_be_visible()

    page.get_by_role("link", name="Benachrichtigungen, 1 ungelesen").click()
    page.get_by_role("button", name="Alle als gelesen markieren").click()
    expect(page.get_by_role("status").filter(has_text="1 Benachrichtigung als gelesen markiert.")).to_be_visible()
    expect(page.get_by_role("link", name="Benachrichtigungen, keine ungelesen")).to_be_visible()
    assert_accessible(page)
