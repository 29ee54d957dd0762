"""The office at volume, in a real browser with JavaScript on (issue 12): the
office filters the queue for overdue submissions, selects them all and
assigns them at once to the demo reviewer; a submission that is not overdue
stays out of it. The reviewer signs in, finds both in her queue and the
hand-offs in her bell, accepts an area at once after its confirmation and
opens a PDF of the evidence in the browser's preview. axe-core checks each
page the office and the reviewer meet on the way."""

from __future__ import annotations

import re
from datetime import date, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import User
from assessments import services
from assessments.models import Assessment, AssessmentKind, AssessmentState, Verdict
from tests.browser.helpers import assert_accessible, login
from tests.browser.journey_state import (
    LEITUNG,
    OFFICE,
    REVIEWER,
    SECOND,
    answer,
    build_evidence_for_all,
    load_demo,
    start_draft,
    user,
)
from tests.factories import FamilienzentrumFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def submitted(email: str, centre: str) -> Assessment:
    assessment = start_draft(email, centre)
    build_evidence_for_all(assessment, email)
    answer(assessment, email)
    services.submit(user=user(email), assessment_id=assessment.pk)
    return assessment


def written(name: str, *, review_due: date) -> Assessment:
    """A submitted assessment written directly: only its row in the queues matters here."""
    today = timezone.localdate()
    return Assessment.objects.create(
        familienzentrum=FamilienzentrumFactory(name=name),
        catalogue=services.current_catalogue(),
        kind=AssessmentKind.RECERTIFICATION,
        state=AssessmentState.SUBMITTED,
        review_period_start=date(today.year, 1, 1),
        review_period_end=date(today.year, 7, 31),
        created_by=user(OFFICE),
        submitted_at=timezone.now() - timedelta(days=30),
        review_due=review_due,
    )


@pytest.fixture
def population(live_server):
    """Two submissions past their review date (Purzelbaum, submitted through
    the services with its evidence, and another centre) and one well within it."""
    load_demo()
    today = timezone.localdate()
    purzelbaum = submitted(LEITUNG, "Familienzentrum Purzelbaum")
    Assessment.objects.filter(pk=purzelbaum.pk).update(review_due=today - timedelta(days=5))
    late = written("Familienzentrum Spätzünder", review_due=today - timedelta(days=2))
    in_time = written("Familienzentrum Fristgerecht", review_due=today + timedelta(days=40))
    return (purzelbaum, late), in_time


def new_page(browser, width: int = 1280):
    context = browser.new_context(locale="de-DE", viewport={"width": width, "height": 900})
    context.set_default_timeout(15_000)
    return context, context.new_page()


def test_office_bulk_assigns_the_overdue_and_the_reviewer_works_through_them(population, live_server, chromium_browser):
    (purzelbaum, late), in_time = population
    url = live_server.url
    reviewer_user, second_user = User.objects.get(email=REVIEWER), User.objects.get(email=SECOND)

    # --- The office: the assign page of the one in time shows workloads and conflicts (nothing chosen yet).
    office_context, office = new_page(chromium_browser)
    login(office, live_server, OFFICE)
    office.goto(url + reverse("assessments:assign", args=[in_time.pk]))
    expect(office.get_by_role("heading", name="Auslastung und Konflikte")).to_be_visible()
    assert_accessible(office)

    # --- The queue, filtered for overdue ones: the two late submissions, not the third.
    office.goto(url + reverse("assessments:review_overview"))
    office.get_by_test_id("queue-filters").get_by_label("Frist", exact=True).select_option(label="überfällig")
    office.get_by_test_id("queue-filters").get_by_role("button", name="Anwenden").click()
    queue = office.get_by_test_id("review-queue")
    expect(queue).to_contain_text("Familienzentrum Purzelbaum")
    expect(queue).to_contain_text("Familienzentrum Spätzünder")
    expect(queue).not_to_contain_text("Familienzentrum Fristgerecht")
    filtered = office.url
    assert "deadline=overdue" in filtered
    assert_accessible(office)

    # --- All on this page (JavaScript's checkbox), one reviewer with her workload, the second named too.
    office.get_by_label("Alle auf dieser Seite auswählen").check()
    expect(office.locator("input[name=assessment]:checked")).to_have_count(2)
    reviewer_choice = office.get_by_test_id("bulk-form").get_by_label("Gutachter:in", exact=True)
    expect(reviewer_choice.locator(f'option[value="{reviewer_user.pk}"]')).to_have_text(
        re.compile(r"^Petra Lange – 0 offen, 0 Begehungen")
    )
    # The workloads came after the page (htmx): nobody is chosen for her by the swap.
    expect(reviewer_choice).to_have_value("")
    second_choice = office.get_by_test_id("bulk-form").get_by_label("Zweitgutachter:in", exact=True)
    expect(second_choice).to_have_value("")
    reviewer_choice.select_option(value=str(reviewer_user.pk))
    office.get_by_test_id("bulk-form").get_by_label("Zweitgutachter:in", exact=True).select_option(
        value=str(second_user.pk)
    )
    office.get_by_role("button", name="Ausgewählte zuweisen").click()
    expect(
        office.get_by_role("status").filter(has_text="2 Selbstbewertungen sind Petra Lange zugewiesen.")
    ).to_be_visible()
    # Back where she was, with her filter (the empty fields of the filter form left out).
    assert _filters(office.url) == _filters(filtered) == {"deadline": ["overdue"], "o": ["submitted"]}
    for assessment in (purzelbaum, late):
        assessment.refresh_from_db()
        assert (assessment.state, assessment.reviewer_id) == (AssessmentState.IN_REVIEW, reviewer_user.pk)
    in_time.refresh_from_db()
    assert (in_time.state, in_time.reviewer_id) == (AssessmentState.SUBMITTED, None)
    # The reviewer's workload in the choice follows at once.
    expect(
        office.get_by_test_id("bulk-form")
        .get_by_label("Gutachter:in", exact=True)
        .locator(f'option[value="{reviewer_user.pk}"]')
    ).to_have_text(re.compile(r"^Petra Lange – 2 offen"))
    assert_accessible(office)
    # The same figures as a table (the way without JavaScript).
    office.get_by_role("link", name="Auslastung aller Gutachter:innen ansehen").click()
    expect(office.get_by_role("heading", name="Auslastung der Gutachter:innen")).to_be_visible()
    expect(office.get_by_test_id("workloads").get_by_role("row").filter(has_text="Petra Lange")).to_contain_text("2")
    assert_accessible(office)
    office_context.close()

    # --- The reviewer: both in her queue, both hand-offs in her bell.
    reviewer_context, reviewer = new_page(chromium_browser)
    login(reviewer, live_server, REVIEWER)
    reviewer.goto(url + reverse("assessments:my_reviews"))
    mine = reviewer.get_by_test_id("my-reviews")
    expect(mine).to_contain_text("Familienzentrum Purzelbaum")
    expect(mine).to_contain_text("Familienzentrum Spätzünder")
    expect(mine).not_to_contain_text("Familienzentrum Fristgerecht")
    assert_accessible(reviewer)
    reviewer.get_by_role("link", name=re.compile(r"^Benachrichtigungen, \d+ ungelesen")).click()
    expect(reviewer.get_by_text("Begutachtung übernommen: Familienzentrum Purzelbaum")).to_be_visible()
    expect(reviewer.get_by_text("Begutachtung übernommen: Familienzentrum Spätzünder")).to_be_visible()

    # --- Area 1 of Purzelbaum at once, after the confirmation that names what is accepted.
    reviewer.goto(url + reverse("assessments:review_area", args=[purzelbaum.pk, "1"]))
    reviewer.get_by_role("button", name="Alle offenen Kriterien dieses Bereichs annehmen").click()
    confirm = reviewer.get_by_test_id("accept-area-confirm")
    expect(confirm).to_contain_text("1.1")
    assert_accessible(reviewer)
    confirm.get_by_role("button", name="Annehmen").click()
    expect(reviewer.get_by_role("status").first).to_be_visible()
    submission = Assessment.objects.get(pk=purzelbaum.pk).latest_submission
    area_codes = {entry["code"] for entry in submission.payload["criteria"] if entry["area"] == "1"}
    accepted = set(
        submission.verdicts.filter(verdict=Verdict.ACCEPTED, criterion__code__in=area_codes).values_list(
            "criterion__code", flat=True
        )
    )
    assert area_codes and accepted == area_codes

    # --- The evidence of 1.1 opens as a PDF in the browser, from the private store, sandboxed.
    responses = []
    reviewer_context.on("response", lambda response: responses.append(response))
    card = reviewer.locator("#pruefung-1-1")
    with reviewer_context.expect_page() as opened:
        card.get_by_test_id("evidence-preview").first.click()
    preview_page = opened.value
    preview_page.wait_for_load_state()
    preview = next(response for response in responses if "/ansicht/" in response.url)
    headers = preview.all_headers()
    assert preview.status == 200
    assert headers["content-type"] == "application/pdf"
    assert not headers.get("content-disposition", "").startswith("attachment")
    assert headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in headers["content-security-policy"]
    # Chromium shows it in its PDF viewer (the document stays the PDF), and the bytes are the stored file's.
    assert preview_page.evaluate("document.contentType") == "application/pdf"
    assert reviewer_context.request.get(preview.url).body().startswith(b"%PDF")
    reviewer_context.close()


def _filters(url: str) -> dict:
    return parse_qs(urlsplit(url).query)
