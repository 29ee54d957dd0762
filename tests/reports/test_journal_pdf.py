"""The journal entries a submission froze, in the PDF's evidence index and
the self-assessment report (issue 13): a line per entry, read back with pypdf;
a snapshot from before the journal renders as before."""

from __future__ import annotations

import re

import pytest

from assessments.models import Submission
from reports.models import ReportKind
from tests.assessments.test_journal_evidence import frequencies, journal, submit_with_journal  # noqa: F401
from tests.reports.conftest import pdf_of, text_of
from tests.reports.test_pdfs import build

pytestmark = pytest.mark.django_db

LINE = "Angebotsjournal: Eltern-Kind-Gruppe, wöchentlich, 26 Termine 3.8.2026–25.1.2027, 12 Teilnehmende"


def _flat(text: str) -> str:
    # pypdf breaks lines where the table cell wraps.
    return re.sub(r"\s+", " ", text)


@pytest.mark.parametrize("kind", [ReportKind.EVIDENCE_INDEX, ReportKind.SELF_ASSESSMENT])
def test_the_pdf_names_the_journal_entries(alice, draft, journal, settings, kind):  # noqa: F811
    submission = submit_with_journal(alice, draft)
    text = _flat(text_of(pdf_of(build(alice, submission, kind), settings)))
    assert LINE in text
    assert "Angebotsjournal: Elternabend Sprache, einmalig, 1 Termin 16.9.2026, 30 Teilnehmende" in text


def test_a_snapshot_without_journal_renders(alice, draft, journal, settings):  # noqa: F811
    submission = submit_with_journal(alice, draft)
    payload = submission.payload
    for entry in payload["criteria"]:
        entry.pop("journal", None)
    Submission.objects.filter(pk=submission.pk).update(payload=payload)
    submission.refresh_from_db()
    text = _flat(text_of(pdf_of(build(alice, submission, ReportKind.EVIDENCE_INDEX), settings)))
    assert "Nachweise je Kriterium" in text and "Angebotsjournal:" not in text
