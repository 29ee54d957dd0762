"""The Content-Security-Policy (django-csp) on every response: pages, error
pages and the file downloads (those with `sandbox`). Scripts and styles come
only from the site itself: no inline script, no eval, no inline style. The
browser journeys (tests/browser) fail on any violation the browser reports."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import include, path, reverse

from assessments import services as assessment_services
from evidence.models import EvidenceKind
from evidence.services import EvidenceDetails
from reports import services as report_services
from reports.models import ReportKind, ReportStatus
from tests.assessments import conftest as assessment_fixtures
from tests.assessments.files import PDF_BYTES, upload

mini_catalogue = assessment_fixtures.mini_catalogue
draft = assessment_fixtures.draft
submitted = assessment_fixtures.submitted


def _broken_view(request):
    raise RuntimeError("Absichtlicher Fehler für den Test der 500-Seite")


# This module is also the URLconf of the 500 test: the project's URLs and a view that fails.
urlpatterns = [
    path("kaputt/", _broken_view),
    path("", include("config.urls")),
]

EXPECTED = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}


def policy(response) -> dict[str, list[str]]:
    header = response.headers.get("Content-Security-Policy")
    assert header, f"no Content-Security-Policy on {response.status_code} {response.get('Content-Type')}"
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def assert_page_policy(response) -> None:
    assert policy(response) == EXPECTED


def test_the_configured_policy_allows_no_inline_script_eval_or_inline_style():
    directives = settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]
    for name in ("default-src", "script-src", "script-src-elem", "script-src-attr", "style-src"):
        values = directives.get(name, [])
        assert "'unsafe-inline'" not in values and "'unsafe-eval'" not in values, name
        assert "'unsafe-hashes'" not in values and "'strict-dynamic'" not in values, name
        assert not any(value.startswith(("'nonce-", "'sha")) for value in values), name
    assert directives["script-src"] == ["'self'"]
    assert "csp.middleware.CSPMiddleware" in settings.MIDDLEWARE


def test_login_page(client, db):
    response = client.get(reverse("accounts:login"))
    assert response.status_code == 200
    assert_page_policy(response)


def test_start_pages(client, alice, centre, mini_catalogue):
    client.force_login(alice)
    for url in (reverse("home"), reverse("assessments:start", args=[centre.pk])):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_page_policy(response)


def test_assessment_pages(client, alice, draft):
    client.force_login(alice)
    for url in (
        reverse("assessments:detail", args=[draft.pk]),
        reverse("assessments:area", args=[draft.pk, "1"]),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_page_policy(response)


def test_htmx_fragments_carry_it_too(client, alice, draft):
    client.force_login(alice)
    response = client.get(reverse("reports:assessment_panel", args=[draft.pk]), headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert_page_policy(response)


def test_evidence_download_is_sandboxed(client, alice, draft):
    from datetime import date

    (document,) = assessment_services.upload_for_criterion(
        user=alice,
        assessment_id=draft.pk,
        criterion_code="1.1",
        files=[upload("Kooperation.pdf", PDF_BYTES)],
        details=EvidenceDetails(kind=EvidenceKind.OFFER, effective_date=date(2026, 9, 1)),
    )
    client.force_login(alice)
    response = client.get(reverse("assessments:evidence_download", args=[document.revisions.get().pk]))
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert policy(response) == {**EXPECTED, "sandbox": []}


def test_report_download_is_sandboxed(client, alice, submitted):
    report = report_services.request_report(alice, submitted.latest_submission, ReportKind.SELF_ASSESSMENT)
    report_services.build_report(report.pk)
    report.refresh_from_db()
    assert report.status == ReportStatus.DONE
    client.force_login(alice)
    response = client.get(reverse("reports:download", args=[submitted.pk, report.pk]))
    assert response.status_code == 200
    assert policy(response) == {**EXPECTED, "sandbox": []}


def test_not_found_page(client, alice):
    client.force_login(alice)
    response = client.get("/selbstbewertung/999999/")
    assert response.status_code == 404
    assert_page_policy(response)


def test_forbidden_page(client, tina, centre):
    client.force_login(tina)
    response = client.get(reverse("assessments:start", args=[centre.pk]))
    assert response.status_code == 403
    assert_page_policy(response)


def test_stale_form_page(alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    response = client.post(reverse("accounts:logout"), {"csrfmiddlewaretoken": "veraltet"})
    assert response.status_code == 403
    assert_page_policy(response)


@pytest.mark.urls("tests.test_csp")
def test_server_error_page(db):
    client = Client(raise_request_exception=False)
    response = client.get("/kaputt/")
    assert response.status_code == 500
    assert "Ein Fehler ist aufgetreten" in response.content.decode()
    assert_page_policy(response)
    # Its look now comes from the stylesheet, not from a style attribute.
    assert 'href="/static/css/app.css"' in response.content.decode()


# ------------------------------------------------- the templates obey the policy

TEMPLATES = Path(settings.BASE_DIR) / "templates"
# The PDF templates are printed by WeasyPrint and never reach a browser.
BROWSER_TEMPLATES = sorted(p for p in TEMPLATES.rglob("*.html") if "pdf" not in p.relative_to(TEMPLATES).parts)


@pytest.mark.parametrize("template", BROWSER_TEMPLATES, ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_templates_have_no_inline_script_or_style(template):
    source = template.read_text(encoding="utf-8")
    for tag in re.findall(r"<script\b[^>]*>", source):
        assert "src=" in tag, f"inline <script> in {template.name}: {tag}"
    assert "<style" not in source, f"<style> element in {template.name}"
    assert not re.search(r"\sstyle\s*=", source), f"style attribute in {template.name}"
    assert not re.search(r"\son[a-z]+\s*=", source), f"inline event handler in {template.name}"
    assert "javascript:" not in source, f"javascript: URL in {template.name}"
