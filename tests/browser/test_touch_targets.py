"""Tablet- and phone-friendly: at 390 px wide (a phone; a tablet is wider)
every visible control of the checklist, the readiness page and the
reviewer's pages is at least 44 x 44 CSS px, and no page is wider than the
screen.

What counts as a control: links, buttons, inputs, selects, textareas,
<summary> and anything focusable. A radio or checkbox counts together with
its label, because a tap on the label checks it. Exempt, as WCAG 2.5.8
allows ("inline: the target is in a sentence"): a link inside a paragraph of
running text, i.e. an inline link whose paragraph has text besides the link.
A link alone in a list item, table cell or paragraph is not exempt.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.browser.helpers import login
from tests.browser.journey_state import LEITUNG_VERBUND, REVIEWER, build_journey

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MIN_TARGET = 44
PHONE = {"width": 390, "height": 844}

SMALL_TARGETS = """(minimum) => {
  const selector = "a[href], button, input:not([type=hidden]), select, textarea, summary, "
    + "[tabindex]:not([tabindex='-1'])";
  const inSentence = (el) => {
    if (el.tagName !== "A" || getComputedStyle(el).display !== "inline") return false;
    const block = el.closest("p, .form-text");
    return !!block && block.textContent.replace(el.textContent, "").trim().length > 0;
  };
  const small = [];
  let measured = 0;
  for (const el of document.querySelectorAll(selector)) {
    const style = getComputedStyle(el);
    if (style.visibility === "hidden" || style.display === "none" || el.closest("[hidden]")) continue;
    let box = el.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue;  // not rendered (a closed <details>, a hidden region)
    if (el.closest(".visually-hidden-focusable")) continue;  // the skip link: shown only when focused
    if ((el.type === "radio" || el.type === "checkbox") && el.labels && el.labels.length) {
      const label = el.labels[0].getBoundingClientRect();
      const left = Math.min(box.left, label.left), right = Math.max(box.right, label.right);
      const top = Math.min(box.top, label.top), bottom = Math.max(box.bottom, label.bottom);
      box = {width: right - left, height: bottom - top};
    }
    measured++;
    if ((box.width < minimum || box.height < minimum) && !inSentence(el)) {
      const name = (el.getAttribute("aria-label") || el.textContent || el.name || "").trim().replace(/\\s+/g, " ");
      small.push(`${el.tagName.toLowerCase()}${el.type ? "[" + el.type + "]" : ""} "${name.slice(0, 50)}": `
                 + `${Math.round(box.width)} x ${Math.round(box.height)}`);
    }
  }
  return {measured, small, scrollWidth: document.documentElement.scrollWidth};
}"""


def check_page(page, url: str, *, at_least: int) -> None:
    response = page.goto(url)
    assert response.ok, f"{url}: HTTP {response.status}"
    result = page.evaluate(SMALL_TARGETS, MIN_TARGET)
    # The page was really measured: a broken selector would pass trivially.
    assert result["measured"] >= at_least, f"{url}: only {result['measured']} controls found"
    assert not result["small"], f"{url}: targets under {MIN_TARGET} px:\n" + "\n".join(result["small"])
    assert result["scrollWidth"] <= PHONE["width"], f"{url}: the page is {result['scrollWidth']} px wide"


@pytest.fixture
def journey(live_server):
    return build_journey()


def test_the_leitung_s_pages_fit_a_finger_at_390_px(journey, live_server, chromium_browser):
    context = chromium_browser.new_context(locale="de-DE", viewport=PHONE, has_touch=True, is_mobile=True)
    page = context.new_page()
    login(page, live_server, LEITUNG_VERBUND)
    pk = journey.eifelzwerge.pk
    check_page(page, live_server.url + reverse("assessments:area", args=[pk, "1"]), at_least=100)
    check_page(page, live_server.url + reverse("assessments:ready", args=[pk]), at_least=20)
    check_page(page, live_server.url + reverse("assessments:detail", args=[pk]), at_least=5)
    # The disclosures open (upload form, history): their controls count too.
    page.goto(live_server.url + reverse("assessments:area", args=[pk, "1"]))
    for summary in page.locator("main details > summary").all()[:6]:
        summary.click()
    result = page.evaluate(SMALL_TARGETS, MIN_TARGET)
    assert not result["small"], "targets under 44 px with the disclosures open:\n" + "\n".join(result["small"])
    assert result["scrollWidth"] <= PHONE["width"]
    context.close()


def test_the_reviewer_s_pages_fit_a_finger_at_390_px(journey, live_server, chromium_browser):
    context = chromium_browser.new_context(locale="de-DE", viewport=PHONE, has_touch=True, is_mobile=True)
    page = context.new_page()
    login(page, live_server, REVIEWER)
    pk = journey.purzelbaum.pk
    check_page(page, live_server.url + reverse("assessments:review", args=[pk]), at_least=10)
    check_page(page, live_server.url + reverse("assessments:review_area", args=[pk, "1"]), at_least=10)
    context.close()


def test_a_small_target_is_caught(live_server, page):
    """The measurement itself: a 13 px radio with a short label fails, an
    inline link in a sentence passes."""
    page.goto(live_server.url + reverse("accounts:login"))
    page.evaluate(
        """() => {
      const main = document.querySelector("main");
      main.insertAdjacentHTML("beforeend",
        '<p>Read the <a href="#x">guide</a> first.</p>'
        + '<div id="probe"><input type="radio" id="tiny" class="probe-tiny">'
        + '<a href="#y" class="probe-tiny">y</a></div>');
      for (const el of document.querySelectorAll(".probe-tiny")) { el.style.setProperty("all", "initial"); }
    }"""
    )
    result = page.evaluate(SMALL_TARGETS, MIN_TARGET)
    assert any("input[radio]" in line for line in result["small"]), result
    assert any('a "y"' in line for line in result["small"]), result
    assert not any('"guide"' in line for line in result["small"]), result
