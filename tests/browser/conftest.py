"""Browser journeys: Playwright's sync API driving Debian's Chromium against
pytest-django's live server (which also serves the static files through
django.contrib.staticfiles' handler, so Bootstrap and app.css are loaded).

Outside CI a missing Chromium skips these tests with a reason; in CI it fails.
"""

from __future__ import annotations

import os
import shutil

import pytest

from tests.conftest import IN_CI

# Playwright's sync API runs an asyncio event loop in this thread; Django
# would otherwise refuse database access from it (SynchronousOnlyOperation).
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def chromium_browser():
    executable = shutil.which("chromium")
    if executable is None:
        reason = "Chromium is missing: install the Debian package 'chromium' to run the browser tests."
        if IN_CI:
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium_browser, live_server):
    """A fresh browser context (no cookies) per test, German like our users."""
    context = chromium_browser.new_context(locale="de-DE", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()
