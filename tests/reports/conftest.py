"""Fixtures of the reports tests: tasks run eagerly (outside the services
run), and assessments carried through the whole cycle by the real services.
The root conftest puts private storage in a temporary folder."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from assessments import services as assessment_services
from assessments.models import CriterionVerdict, Submission, Verdict
from reports.models import Report
from tests.assessments import conftest as assessment_fixtures
from tests.services import conftest as services_fixtures

# The assessment fixtures (a small catalogue, a draft, submitted and
# in-review assessments) and, for the services run, the real worker.
mini_catalogue = assessment_fixtures.mini_catalogue
draft = assessment_fixtures.draft
submitted = assessment_fixtures.submitted
in_review = assessment_fixtures.in_review
services = services_fixtures.services
celery_worker = services_fixtures.celery_worker


@pytest.fixture(autouse=True)
def _eager_tasks(request, settings):
    """Tasks run in-process, so these tests mean the same in the SQLite and
    the services run; the services tests talk to the real worker instead.
    (Celery reads these Django settings live; setting app.conf instead would
    stick beyond the test.)"""
    if request.node.get_closest_marker("services"):
        return
    settings.CELERY_TASK_ALWAYS_EAGER = True
    # Not propagating lets an eager task retry as a worker would (Celery
    # re-raises Retry when eager runs propagate); .get() still raises.
    settings.CELERY_TASK_EAGER_PROPAGATES = False


EVIDENCE = [
    {
        "evidence_id": 1,
        "revision_id": 1,
        "title": "Kooperationsvereinbarung Beratungsstelle",
        "filename": "kooperation-beratung.pdf",
        "sha256": "ab12cd34ef56" + "0" * 52,
        "effective_date": "2026-09-01",
        "valid_until": None,
        "owner": "Familienzentrum Purzelbaum",
    },
    {
        "evidence_id": 2,
        "revision_id": 2,
        "title": "Fortbildungsnachweis Sprachförderung",
        "filename": "fortbildung.pdf",
        "sha256": "99887766aabb" + "1" * 52,
        "effective_date": "2026-10-15",
        "valid_until": "2033-10-14",
        "owner": "Erziehungsberatungsstelle Jülich",
    },
]


def with_evidence(submission: Submission, evidence: list[dict] | None = None) -> Submission:
    """The evidence a submission names, put into its payload as the
    assessments app freezes it (criteria[].evidence)."""
    payload = submission.payload
    for criterion in payload["criteria"]:
        criterion["evidence"] = list(evidence if evidence is not None else EVIDENCE)
    Submission.objects.filter(pk=submission.pk).update(payload=payload)
    submission.refresh_from_db()
    return submission


@pytest.fixture
def submission(submitted) -> Submission:
    return with_evidence(submitted.latest_submission)


@pytest.fixture
def certified(in_review, rita, olga):
    """in_review carried to certified: every criterion accepted (one with a
    remark), the site visit done, recommended by rita, approved by olga."""
    submission = in_review.latest_submission
    for index, entry in enumerate(submission.payload["criteria"]):
        assessment_services.set_verdict(
            user=rita,
            assessment_id=in_review.pk,
            criterion_code=entry["code"],
            verdict=Verdict.ACCEPTED,
            comment="Gut belegt durch die Elternbefragung." if index == 0 else "",
        )
    site_ids = [link.site_id for link in in_review.familienzentrum.site_links.all()]
    assessment_services.schedule_site_visit(
        user=rita, assessment_id=in_review.pk, scheduled_for=assessment_fixtures.later_today(), site_ids=site_ids
    )
    assessment_services.record_site_visit_done(user=rita, assessment_id=in_review.pk)
    assessment_services.recommend(user=rita, assessment_id=in_review.pk)
    assessment_services.approve(user=olga, assessment_id=in_review.pk)
    in_review.refresh_from_db()
    assert CriterionVerdict.objects.filter(submission=submission).count() == len(submission.payload["criteria"])
    return in_review


def pdf_of(report: Report, settings) -> PdfReader:
    from django.core.files.storage import storages

    with storages["private"].open(report.file_name, "rb") as handle:
        return PdfReader(io.BytesIO(handle.read()))


def text_of(reader: PdfReader) -> str:
    return "\n".join(page.extract_text() for page in reader.pages)
