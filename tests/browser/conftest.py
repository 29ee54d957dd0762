"""Browser journeys: Playwright's sync API driving Debian's Chromium against
pytest-django's live server (which also serves the static files through
django.contrib.staticfiles' handler, so Bootstrap and app.css are loaded).

Outside CI a missing Chromium skips these tests with a reason; in CI it fails.

Every browser context a test opens (the `page` fixture's and those the
journeys open themselves through `chromium_browser.new_context`) watches for
Content-Security-Policy violations: the `securitypolicyviolation` events of
every document (reported through a Playwright binding, added by an init
script: both are exempt from the page's CSP) and Chromium's console messages
("Refused to ...", "... Content Security Policy ..."). Any violation fails the
test at teardown.
"""

from __future__ import annotations

import os
import shutil
import threading
import time

import pytest
from django.core.signals import request_finished, request_started

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


# Runs in every document before its own scripts. Playwright's init scripts
# and bindings are not subject to the page's Content-Security-Policy.
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", function (event) {
  window.__cspViolation({
    url: document.location.href,
    directive: event.effectiveDirective || event.violatedDirective,
    blocked: event.blockedURI,
    source: event.sourceFile + ":" + event.lineNumber,
    sample: event.sample,
  });
}, true);
"""


class CSPWatch:
    """The violations seen during one test, by any of its browser contexts."""

    def __init__(self) -> None:
        self.violations: list[str] = []

    def watch(self, context) -> None:
        context.expose_binding("__cspViolation", lambda source, report: self.violations.append(f"event: {report}"))
        context.add_init_script(script=CSP_LISTENER)
        context.on("console", self._console)

    def _console(self, message) -> None:
        text = message.text
        if "Content Security Policy" in text or text.startswith("Refused to"):
            self.violations.append(f"console ({message.page.url if message.page else '?'}): {text}")


_current_watch: list[CSPWatch] = []


class WatchedBrowser:
    """The Chromium browser, whose new contexts report CSP violations to the
    running test's watch. Everything else goes to the browser itself."""

    def __init__(self, browser) -> None:
        self._browser = browser

    def new_context(self, **kwargs):
        context = self._browser.new_context(**kwargs)
        if _current_watch:
            _current_watch[-1].watch(context)
        return context

    def __getattr__(self, name):
        return getattr(self._browser, name)


class RequestsInFlight:
    """How many requests the live server is still answering. Closing a
    browser context drops its connections, but the server thread goes on
    with the view (an eager report build takes seconds); the next test must
    not start writing to the database while it does. Only the server's
    threads count: a test's own Client runs in the main thread."""

    def __init__(self) -> None:
        self._count = 0
        self._lock = threading.Lock()

    def started(self, **kwargs) -> None:
        if threading.current_thread() is not threading.main_thread():
            with self._lock:
                self._count += 1

    def finished(self, **kwargs) -> None:
        if threading.current_thread() is not threading.main_thread():
            with self._lock:
                self._count -= 1

    def wait_until_idle(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while self._count > 0 and time.monotonic() < deadline:
            time.sleep(0.05)


_in_flight = RequestsInFlight()
request_started.connect(_in_flight.started, weak=False)
request_finished.connect(_in_flight.finished, weak=False)


@pytest.fixture(autouse=True)
def live_server_idle_after_test():
    """Set up before the browser fixtures, so torn down after them: every
    context is closed by then; wait for what the server still answers."""
    yield
    _in_flight.wait_until_idle()


@pytest.fixture(autouse=True)
def csp_violations():
    """Fails the test at teardown if any page violated the Content-Security-Policy."""
    watch = CSPWatch()
    _current_watch.append(watch)
    yield watch.violations
    _current_watch.remove(watch)
    if watch.violations:
        pytest.fail("Content-Security-Policy violations:\n" + "\n".join(watch.violations), pytrace=False)


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
        yield WatchedBrowser(browser)
        browser.close()


@pytest.fixture
def page(chromium_browser, live_server):
    """A fresh browser context (no cookies) per test, German like our users."""
    context = chromium_browser.new_context(locale="de-DE", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    if not page.is_closed():
        # A round trip, so that console messages already sent are delivered.
        page.evaluate("0")
    context.close()
