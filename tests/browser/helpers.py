"""Helpers the browser journeys share: sign in, and check a page with axe-core."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import axe_playwright_python
from django.urls import reverse
from playwright.sync_api import Page, expect

DEMO_PASSWORD = "familienzentrum"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@cache
def axe_source() -> str:
    """axe-core as bundled with axe-playwright-python (no network needed)."""
    return (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text(encoding="utf-8")


def axe_violations(page: Page) -> list[dict]:
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Evaluated like axe-playwright-python does: Playwright's evaluate is
        # not subject to the page's CSP, an inline <script> tag would be.
        page.evaluate(axe_source())
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})",
        AXE_TAGS,
    )
    return result["violations"]


def format_violations(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation.get('impact')}): {violation['help']} – {violation['helpUrl']}")
        for node in violation["nodes"]:
            lines.append(f"    {node['target']}: {node.get('failureSummary', '').replace(chr(10), ' ')}")
            lines.append(f"        {node['html'][:200]}")
    return "\n".join(lines)


def assert_accessible(page: Page) -> None:
    """Run axe-core (WCAG 2.0/2.1 A and AA rules) on the current page and fail
    with every violation, its nodes and the reason."""
    violations = axe_violations(page)
    assert not violations, f"axe-core found accessibility violations on {page.url}:\n{format_violations(violations)}"


def login(page: Page, live_server, email: str, password: str = DEMO_PASSWORD) -> None:
    """Sign in through the login form and wait for the start page. Reviewers
    and office staff are asked for their TOTP code next: the demo accounts'
    code is computed from the documented demo secret."""
    page.goto(live_server.url + reverse("accounts:login"))
    page.get_by_label("E-Mail-Adresse").fill(email)
    page.get_by_label("Passwort").fill(password)
    page.get_by_role("main").get_by_role("button", name="Anmelden").click()
    home = live_server.url + reverse("home")
    verify = live_server.url + reverse("accounts:two_factor_verify")
    page.wait_for_url(lambda url: url == home or url.startswith(verify))
    if page.url.startswith(verify):
        from tests.two_factor import demo_code

        page.get_by_label("Sechsstelliger Code aus der App").fill(demo_code(email))
        page.get_by_role("main").get_by_role("button", name="Bestätigen").click()
    expect(page).to_have_url(home)
