"""A small catalogue built in code and assessments on it, for the service and
permission tests; the shipped catalogue is exercised by the loader tests and
the browser journeys."""

from __future__ import annotations

from datetime import date

import pytest

from assessments import services
from assessments.models import Answer, Assessment, AssessmentKind, ItemStatus
from certification.models import (
    Area,
    AreaKind,
    CatalogueVersion,
    Criterion,
    CriterionItem,
    CriterionLevel,
    ItemLogic,
    ThresholdRule,
)


def build_catalogue(*, scale: int = 1, code: str = "mini") -> CatalogueVersion:
    """Areas 1 (service), 4B/4F (profile), 4H (always required) and 5
    (structure); each with `2 * scale` criteria, alternating UND/ODER."""
    catalogue = CatalogueVersion.objects.create(
        code=code,
        version=f"{scale}",
        title=f"Minikatalog x{scale}",
        valid_from=date(2020, 8, 1),
        is_working_version=True,
        min_profile_areas=1,
        max_profile_areas=1,
        source_name="mini.yaml",
        source_sha256="0" * 64,
    )
    specs = [
        ("1", AreaKind.SERVICE, False),
        ("4B", AreaKind.PROFILE, False),
        ("4F", AreaKind.PROFILE, False),
        ("4H", AreaKind.PROFILE, True),
        ("5", AreaKind.STRUCTURE, False),
    ]
    order = 0
    for area_order, (area_code, kind, always) in enumerate(specs):
        area = Area.objects.create(
            catalogue=catalogue,
            code=area_code,
            kind=kind,
            title=f"Bereich {area_code}",
            always_required=always,
            order=area_order,
        )
        for number in range(1, 2 * scale + 1):
            order += 1
            separator = "." if area_code[0].isdigit() and len(area_code) == 1 else ""
            criterion_code = f"{area_code}{separator}{number}"
            criterion = Criterion.objects.create(
                catalogue=catalogue,
                area=area,
                code=criterion_code,
                title=f"Kriterium {criterion_code}",
                level=CriterionLevel.BASIS if number % 2 else CriterionLevel.AUFBAU,
                points=1 if number % 2 else 2,
                logic=ItemLogic.ALL if number % 2 else ItemLogic.ANY,
                order=order,
            )
            CriterionItem.objects.create(criterion=criterion, code=criterion_code, text="Hauptaussage", order=0)
            CriterionItem.objects.create(criterion=criterion, code=f"{criterion_code}.1", text="Unterpunkt", order=1)
    basis_rule = ThresholdRule.objects.create(
        catalogue=catalogue,
        code="basis",
        title="Basisleistungen",
        min_basis=2,
        order=0,
        applies_to_chosen_profiles_only=True,
    )
    basis_rule.areas.set(Area.objects.filter(catalogue=catalogue, code__in=["1", "4B", "4F", "4H"]))
    points_rule = ThresholdRule.objects.create(
        catalogue=catalogue, code="struktur", title="Strukturen", min_points=1, order=1
    )
    points_rule.areas.set(Area.objects.filter(catalogue=catalogue, code="5"))
    return catalogue


@pytest.fixture
def mini_catalogue(db):
    return build_catalogue()


@pytest.fixture
def draft(centre, alice, mini_catalogue):
    """alice's draft with profile 4B chosen."""
    return services.start_assessment(
        user=alice,
        familienzentrum=centre,
        catalogue=mini_catalogue,
        kind=AssessmentKind.FIRST,
        profile_areas=[Area.objects.get(catalogue=mini_catalogue, code="4B")],
        review_period_start=date(2026, 8, 1),
        review_period_end=date(2027, 1, 31),
    )


def answer_all(
    assessment: Assessment,
    user,
    status: str = ItemStatus.FULFILLED,
    *,
    skip_areas: set[str] = frozenset(),
    skip_criteria: set[str] = frozenset(),
    evidence: bool = True,
) -> None:
    """Answer every in-scope criterion through the service, as the UI would
    (except the areas and criteria a test wants to answer in the browser).
    A Verbund names its first site, or every site where the criterion is
    per site. With `evidence`, a criterion answered as fulfilled that expects
    evidence gets one document (the same for all), as submitting requires."""
    from assessments.evaluation import areas_with_scope

    site_ids = [link.site_id for link in assessment.familienzentrum.site_links.all()]
    document = None
    for area in areas_with_scope(assessment):
        if area.code in skip_areas:
            continue
        for criterion in area.criteria.all():
            if criterion.code in skip_criteria:
                continue
            existing = Answer.objects.filter(assessment=assessment, criterion=criterion).first()
            services.save_answer(
                user=user,
                assessment_id=assessment.pk,
                criterion_code=criterion.code,
                item_statuses={item.code: status for item in criterion.items.all()},
                narrative=f"So erfüllen wir {criterion.code}.",
                site_ids=(site_ids if criterion.per_site else site_ids[:1])
                if assessment.familienzentrum.is_verbund
                else [],
                expected_version=existing.version if existing else 0,
            )
            if evidence and status == ItemStatus.FULFILLED and criterion.evidence_required:
                document = link_one_document(assessment, user, criterion.code, document)


def link_one_document(assessment: Assessment, user, criterion_code: str, document=None):
    """Link `document` to the criterion, uploading a small PDF first when
    there is none yet; returns the document."""
    from evidence.models import EvidenceKind
    from evidence.services import EvidenceDetails
    from tests.assessments.files import PDF_BYTES, upload

    if document is None:
        (document,) = services.upload_for_criterion(
            user=user,
            assessment_id=assessment.pk,
            criterion_code=criterion_code,
            files=[upload("Nachweise.pdf", PDF_BYTES, content_type="application/pdf")],
            details=EvidenceDetails(kind=EvidenceKind.OFFER, effective_date=assessment.review_period_start),
        )
        return document
    services.link_evidence(
        user=user, assessment_id=assessment.pk, criterion_code=criterion_code, evidence_id=document.pk
    )
    return document


@pytest.fixture
def submitted(draft, alice):
    answer_all(draft, alice)
    services.submit(user=alice, assessment_id=draft.pk)
    draft.refresh_from_db()
    return draft


@pytest.fixture
def in_review(submitted, olga, rita):
    from tests.factories import ReviewerFactory, UserFactory

    second = ReviewerFactory(user=UserFactory(email="zweit@example.org"), may_confirm=True).user
    services.assign_reviewers(user=olga, assessment_id=submitted.pk, reviewer=rita, second_reviewer=second)
    submitted.refresh_from_db()
    return submitted


# ---------------------------------------------------------------- the review (issue 5)
# gabi is the assigned reviewer and zeno the second reviewer of `reviewing`;
# rita stays an unassigned reviewer, as in the shared personas.


@pytest.fixture
def gabi(db):
    from tests.factories import ReviewerFactory, UserFactory

    return ReviewerFactory(user=UserFactory(email="gabi@example.org", full_name="Gabi Gutachterin")).user


@pytest.fixture
def zeno(db):
    from tests.factories import ReviewerFactory, UserFactory

    return ReviewerFactory(user=UserFactory(email="zeno@example.org", full_name="Zeno Zweit"), may_confirm=True).user


@pytest.fixture
def reviewing(submitted, olga, gabi, zeno):
    services.assign_reviewers(user=olga, assessment_id=submitted.pk, reviewer=gabi, second_reviewer=zeno)
    submitted.refresh_from_db()
    return submitted


def accept_all(assessment, reviewer) -> None:
    from assessments.models import Verdict

    for entry in assessment.latest_submission.payload["criteria"]:
        services.set_verdict(
            user=reviewer,
            assessment_id=assessment.pk,
            criterion_code=entry["code"],
            verdict=Verdict.ACCEPTED,
            comment="",
        )


def later_today():
    """A moment ahead that is still today (Berlin): a visit may be planned only
    in the future and marked done only from its day on, so a visit that is to
    be done at once is planned for later today. In the last seconds of a day
    this waits for the next one."""
    import time
    from datetime import timedelta

    from django.utils import timezone

    soon = timezone.localtime() + timedelta(seconds=5)
    if soon.date() != timezone.localdate():
        time.sleep(6)
        soon = timezone.localtime() + timedelta(seconds=5)
    return soon


def schedule_visit(assessment, reviewer, *, done: bool = False):
    """Planned for 10 March 2027, 9:30; with `done`, planned for later today
    and recorded as done (issue 12: done only on or after the visit's day)."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    site_ids = [link.site_id for link in assessment.familienzentrum.site_links.all() if link.is_grant_recipient]
    if assessment.familienzentrum.is_verbund:
        site_ids = [link.site_id for link in assessment.familienzentrum.site_links.all()][:2]
    visit = services.schedule_site_visit(
        user=reviewer,
        assessment_id=assessment.pk,
        scheduled_for=later_today() if done else datetime(2030, 3, 10, 9, 30, tzinfo=ZoneInfo("Europe/Berlin")),
        site_ids=site_ids,
        notes="Bitte Räume und Elternbereich zeigen.",
    )
    if done:
        visit = services.record_site_visit_done(user=reviewer, assessment_id=assessment.pk, notes="Alles gesehen.")
    return visit


@pytest.fixture
def queried(reviewing, gabi, alice):
    """gabi queried 1.1 and sent the query; alice has answered it."""
    from assessments.models import Verdict

    services.set_verdict(
        user=gabi, assessment_id=reviewing.pk, criterion_code="1.1", verdict=Verdict.QUERIED, comment="Bitte belegen."
    )
    services.request_changes(user=gabi, assessment_id=reviewing.pk)
    services.reply_to_query(user=alice, assessment_id=reviewing.pk, criterion_code="1.1", reply="Liegt jetzt bei.")
    reviewing.refresh_from_db()
    return reviewing


@pytest.fixture
def visited(reviewing, gabi):
    schedule_visit(reviewing, gabi)
    return reviewing


@pytest.fixture
def recommended_by_gabi(reviewing, gabi):
    accept_all(reviewing, gabi)
    schedule_visit(reviewing, gabi, done=True)
    services.recommend(user=gabi, assessment_id=reviewing.pk, note="Empfehlung.")
    reviewing.refresh_from_db()
    return reviewing
