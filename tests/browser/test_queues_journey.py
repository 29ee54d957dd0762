"""The office's work queue in a real browser: the office (with its TOTP
code) filters the overdue submissions, sees exactly those rows and no
message, ticks every row of the page with one checkbox, and at 390 px the
page is no wider than the screen. axe-core checks the page."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from assessments import services
from assessments.models import AssessmentState
from tests.assessments.test_queues import make_assessment, make_centre
from tests.browser.helpers import assert_accessible, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHIPPED = Path(settings.BASE_DIR) / "certification" / "catalogues" / "gfz-2020-arbeitsfassung.yaml"
OFFICE = "office@example.org"


@pytest.fixture
def queue(live_server):
    """The demo data plus five submissions: three past their review date, two not."""
    call_command("load_catalogue", str(SHIPPED), verbosity=0)
    call_command("seed_demo", verbosity=0)
    catalogue = services.current_catalogue()
    today = timezone.localdate()
    overdue = [
        make_assessment(
            make_centre(f"Familienzentrum Verspätet {n} mit einem recht langen Namen", number=f"FZ-LATE-{n}"),
            catalogue,
            state=AssessmentState.SUBMITTED,
            waiting=40 + n,
            due=today - timedelta(days=n),
        )
        for n in (1, 2, 3)
    ]
    on_time = [
        make_assessment(
            make_centre(f"Familienzentrum Pünktlich {n}"),
            catalogue,
            state=AssessmentState.SUBMITTED,
            waiting=5,
            due=today + timedelta(days=30),
        )
        for n in (1, 2)
    ]
    return overdue, on_time


def test_the_office_filters_overdue_submissions_and_selects_them(page, live_server, queue):
    overdue, on_time = queue
    login(page, live_server, OFFICE)
    page.goto(live_server.url + reverse("assessments:review_overview"))
    rows = page.locator("[data-testid=review-queue] tbody tr[data-assessment]")
    for assessment in overdue + on_time:
        expect(page.locator(f'tr[data-assessment="{assessment.pk}"]')).to_have_count(1)

    page.get_by_label("Frist").select_option(label="überfällig")
    page.get_by_role("button", name="Anwenden").click()
    page.wait_for_url("**deadline=overdue**")
    expect(rows).to_have_count(len(overdue))
    # The longest waiting first, each marked in words.
    expect(rows.first).to_contain_text("Familienzentrum Verspätet 3")
    for assessment in overdue:
        row = page.locator(f'tr[data-assessment="{assessment.pk}"]')
        expect(row.get_by_test_id("deadline")).to_contain_text("überfällig")
    for assessment in on_time:
        expect(page.locator(f'tr[data-assessment="{assessment.pk}"]')).to_have_count(0)
    expect(page.locator("main .messages .alert")).to_have_count(0)
    expect(page.get_by_test_id("queue-count")).to_contain_text(f"1–{len(overdue)} von {len(overdue)}")

    # One checkbox ticks the page's rows (the no-JavaScript link gives way to it).
    expect(page.locator("[data-select-all-fallback]")).to_be_hidden()
    page.get_by_label("Alle auf dieser Seite auswählen").check()
    boxes = page.locator("input[name=assessment]")
    for index in range(boxes.count()):
        expect(boxes.nth(index)).to_be_checked()
    way_back = page.get_by_test_id("bulk-form").locator("input[name=next]").input_value()
    assert way_back == reverse("assessments:review_overview") + "?deadline=overdue&o=submitted"
    assert_accessible(page)

    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    expect(rows).to_have_count(len(overdue))
    overflow = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow == 0, f"the page is {overflow} px wider than the screen"
    # Every row is a card within the screen, its cells included.
    too_wide = page.evaluate(
        """() => [...document.querySelectorAll('[data-testid=review-queue] tr, [data-testid=review-queue] td')]
                 .filter(el => el.getBoundingClientRect().right > document.documentElement.clientWidth + 1).length"""
    )
    assert too_wide == 0
    assert_accessible(page)
