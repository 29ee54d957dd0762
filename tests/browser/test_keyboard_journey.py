"""The Leitung's journey with the keyboard only (Tab, Shift+Tab, Enter,
Space, arrow keys; no mouse): sign in, open the area, answer a criterion
with the radio keys, type the narrative and keep typing while autosave
works, upload a document, open the readiness page, and after submitting
rebuild a report. After every update of the page the focus is where the
user is, never dropped to the page body. The focus ring on the dark
navigation bar is visible, and axe (WCAG A/AA and best practices) finds
nothing on the area and readiness pages.

The only step that is not a key press: choosing the file, because a
headless browser has no file dialog (Playwright sets the file on the
focused input, as the dialog would).
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from tests.assessments.files import PDF_BYTES
from tests.browser.helpers import DEMO_PASSWORD, axe_source, format_violations
from tests.browser.journey_state import LEITUNG, answer, build_evidence_for_all, load_demo, start_draft, user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ACTIVE = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) {
    return {tag: "body", id: "", type: "", name: "", href: "", text: "", checked: false, value: "", focusKey: ""};
  }
  return {
    tag: el.tagName.toLowerCase(), id: el.id, type: el.type || "", name: el.name || "",
    href: el.getAttribute("href") || "", text: (el.textContent || "").trim().slice(0, 80),
    checked: !!el.checked, value: el.value || "",
    focusKey: el.getAttribute("data-focus-key") || "",
  };
}"""


def active(page: Page) -> dict:
    return page.evaluate(ACTIVE)


def tab_to(page: Page, matches, *, limit: int = 400, backwards: bool = False) -> dict:
    """Press Tab (or Shift+Tab) until the focused element matches; fail after `limit` presses."""
    for _press in range(limit):
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
        element = active(page)
        if matches(element):
            return element
    pytest.fail(f"Tab never reached the element; last focused: {active(page)}")


def full_axe(page: Page) -> list[dict]:
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(axe_source())
    # All rules, best practices included: the duplicated landmark is one of those.
    return page.evaluate("async () => (await axe.run(document)).violations")


@pytest.fixture
def draft(live_server):
    load_demo()
    assessment = start_draft(LEITUNG, "Familienzentrum Purzelbaum")
    # Every area but the first answered earlier; area 1 is the keyboard's.
    answer(assessment, LEITUNG, skip_areas={"1"})
    return assessment


def test_the_leitung_s_journey_with_the_keyboard_only(draft, live_server, page):
    url = live_server.url
    criterion = draft.catalogue.criteria.get(code="1.1")
    card = f"#kriterium-{criterion.pk}"

    # --- Sign in: the address field has the focus; Tab to the password; Enter submits.
    page.goto(url + reverse("accounts:login"))
    assert active(page)["name"] == "username"
    page.keyboard.type(LEITUNG)
    page.keyboard.press("Tab")
    assert active(page)["name"] == "password"
    page.keyboard.type(DEMO_PASSWORD)
    page.keyboard.press("Enter")
    expect(page).to_have_url(url + reverse("home"))

    # --- The focus ring on the dark navigation bar is visible (amber, 3 px).
    tab_to(page, lambda element: element["href"] == reverse("home") and element["text"] == "Start")
    ring = page.evaluate(
        "() => { const s = getComputedStyle(document.activeElement);"
        " return [s.outlineStyle, s.outlineWidth, s.outlineColor]; }"
    )
    assert ring == ["solid", "3px", "rgb(255, 191, 71)"], ring

    # --- To the assessment and its first area.
    tab_to(page, lambda element: element["href"] == reverse("assessments:detail", args=[draft.pk]))
    page.keyboard.press("Enter")
    expect(page).to_have_url(url + reverse("assessments:detail", args=[draft.pk]))
    area_url = reverse("assessments:area", args=[draft.pk, "1"])
    tab_to(page, lambda element: element["href"] == area_url)
    page.keyboard.press("Enter")
    expect(page).to_have_url(url + area_url)
    violations = full_axe(page)
    assert not violations, format_violations(violations)

    # --- Answer 1.1 with the radio keys: Space checks, the arrows move the choice.
    first_item = page.locator(f'{card} [data-item="1.1"] input[type=radio]')
    tab_to(page, lambda element: element["type"] == "radio" and element["name"].endswith("1.1"))
    page.keyboard.press("Space")
    expect(first_item.nth(0)).to_be_checked()
    page.keyboard.press("ArrowRight")
    expect(first_item.nth(1)).to_be_checked()
    page.keyboard.press("ArrowLeft")
    expect(first_item.nth(0)).to_be_checked()
    status = page.locator(f"#status-{criterion.pk}")
    expect(status).to_contain_text("Gespeichert")
    # The next item's group is one Tab away; Space answers it too.
    page.keyboard.press("Tab")
    assert active(page)["name"].endswith("1.1.1"), active(page)
    page.keyboard.press("Space")
    expect(page.locator(f'{card} [data-item="1.1.1"] input[type=radio]').nth(0)).to_be_checked()

    # --- The narrative: typed, saved in the background, and the focus stays in the textarea.
    textarea = tab_to(page, lambda element: element["tag"] == "textarea")
    page.keyboard.type("Das Verzeichnis liegt im Eingang aus.")
    page.wait_for_load_state("networkidle")
    expect(status).to_contain_text("Gespeichert")
    after_save = active(page)
    assert after_save["tag"] == "textarea" and after_save["id"] == textarea["id"], after_save
    # Typing goes on where it stopped.
    page.keyboard.type(" Stand: 2026.")
    page.wait_for_load_state("networkidle")
    expect(page.locator(f"{card} textarea")).to_have_value("Das Verzeichnis liegt im Eingang aus. Stand: 2026.")
    assert active(page)["id"] == textarea["id"]

    # --- Upload a document: open the disclosure with Enter, choose the file, send with Enter.
    tab_to(page, lambda element: element["tag"] == "summary" and "hochladen" in element["text"])
    page.keyboard.press("Enter")
    tab_to(page, lambda element: element["type"] == "file")
    page.locator(f"{card} input[type=file][multiple]").set_input_files(
        files=[{"name": "Verzeichnis.pdf", "mimeType": "application/pdf", "buffer": PDF_BYTES}]
    )
    # The date of the document, typed into the date field (day, month, year).
    tab_to(page, lambda element: element["type"] == "date")
    page.keyboard.type("01032026")
    tab_to(page, lambda element: element["tag"] == "button" and element["text"] == "Hochladen")
    page.keyboard.press("Enter")
    evidence = page.locator(f"#nachweise-{criterion.pk}")
    expect(evidence).to_contain_text("Verzeichnis")
    # Focus is on the result the user just caused, inside this criterion's evidence.
    inside = page.evaluate(
        "(id) => { const a = document.activeElement; return a !== document.body && !!a.closest('#' + id); }",
        f"nachweise-{criterion.pk}",
    )
    assert inside, active(page)

    # --- On to the readiness page, by keyboard.
    ready_url = reverse("assessments:ready", args=[draft.pk])
    detail_url = reverse("assessments:detail", args=[draft.pk])
    tab_to(page, lambda element: element["href"] == detail_url)  # the breadcrumb
    page.keyboard.press("Enter")
    expect(page).to_have_url(url + detail_url)
    tab_to(page, lambda element: element["href"].startswith(ready_url))
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(re.escape(url + ready_url)))
    violations = full_axe(page)
    assert not violations, format_violations(violations)


def test_focus_stays_in_the_reports_panel_after_its_update(live_server, page):
    """After a submission the Leitung rebuilds a report from the keyboard; the
    panel replaces itself (htmx) and focus comes back to the same control."""
    from assessments import services

    load_demo()
    assessment = start_draft(LEITUNG, "Familienzentrum Purzelbaum")
    build_evidence_for_all(assessment)
    answer(assessment, LEITUNG)
    services.submit(user=user(LEITUNG), assessment_id=assessment.pk)

    page.goto(live_server.url + reverse("accounts:login"))
    page.keyboard.type(LEITUNG)
    page.keyboard.press("Tab")
    page.keyboard.type(DEMO_PASSWORD)
    page.keyboard.press("Enter")
    expect(page).to_have_url(live_server.url + reverse("home"))
    page.goto(live_server.url + reverse("reports:assessment_reports", args=[assessment.pk]))
    button = tab_to(page, lambda element: element["focusKey"].startswith("request-"))
    page.keyboard.press("Enter")
    panel = page.locator("#reports-panel")
    expect(panel).to_have_attribute("data-pending", "false", timeout=30_000)
    # The panel was replaced at least once; focus is on the same control or its row, not the body.
    now = active(page)
    assert now["tag"] != "body", now
    inside = page.evaluate("() => !!document.activeElement.closest('#reports-panel')")
    assert inside, now
    assert now["focusKey"] in {button["focusKey"], button["focusKey"].replace("request-", "download-")} or now[
        "tag"
    ] in {"h2", "h3"}, now
