"""The demo journey's data in one call, for the browser tests that walk every
page of it (English interface, touch targets, keyboard): the shipped
catalogue, the demo accounts, and

- Purzelbaum: submitted, assigned, one query sent back (changes requested),
  one evidence document, so the queries page, the review workspace, the
  timeline and the reports page have something to show;
- Eifelzwerge (Verbund): a draft with area 1 left open for the browser, and
  an accepted partner invitation, so the partner has a home and a library.

Narratives and titles typed "by the users" are neutral (codes and numbers):
a test that looks for German interface text must not trip over what people
wrote, which is legitimately German in real life.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from accounts.models import User
from assessments import services
from assessments.models import Answer, Assessment, AssessmentKind, ItemStatus, Verdict
from certification.models import Area, Familienzentrum, Kooperationspartner
from evidence.models import EvidenceKind
from evidence.services import EvidenceDetails
from tests.assessments.files import PDF_BYTES, upload

SHIPPED = Path(settings.BASE_DIR) / "certification" / "catalogues" / "gfz-2020-arbeitsfassung.yaml"
LEITUNG = "leitung.purzelbaum@example.org"
LEITUNG_VERBUND = "leitung.eifelzwerge@example.org"
TRAEGER = "traeger@example.org"
PARTNER = "partner@example.org"
REVIEWER = "gutachterin@example.org"
SECOND = "zweitgutachter@example.org"
OFFICE = "office@example.org"


@dataclass
class Journey:
    purzelbaum: Assessment
    eifelzwerge: Assessment


def load_demo() -> None:
    call_command("load_catalogue", str(SHIPPED), verbosity=0)
    # An empty document library: without the demo centre's year of records.
    call_command("seed_demo", "--no-records", verbosity=0)


def user(email: str) -> User:
    return User.objects.get(email=email)


def start_draft(email: str, centre_name: str, *, profile: str = "4B") -> Assessment:
    catalogue = services.current_catalogue()
    today = timezone.localdate()
    return services.start_assessment(
        user=user(email),
        familienzentrum=Familienzentrum.objects.get(name=centre_name),
        catalogue=catalogue,
        kind=AssessmentKind.FIRST,
        profile_areas=[Area.objects.get(catalogue=catalogue, code=profile)],
        review_period_start=today.replace(month=1, day=1),
        review_period_end=today.replace(month=7, day=31),
    )


def answer(assessment: Assessment, email: str, *, skip_areas: set[str] = frozenset()) -> None:
    from assessments.evaluation import areas_with_scope

    leitung = user(email)
    sites = [link.site_id for link in assessment.familienzentrum.site_links.all()]
    for area in areas_with_scope(assessment):
        if area.code in skip_areas:
            continue
        for criterion in area.criteria.all():
            existing = Answer.objects.filter(assessment=assessment, criterion=criterion).first()
            services.save_answer(
                user=leitung,
                assessment_id=assessment.pk,
                criterion_code=criterion.code,
                item_statuses={item.code: ItemStatus.FULFILLED for item in criterion.items.all()},
                narrative=f"{criterion.code}: 2026.",
                site_ids=sites[:1] if assessment.familienzentrum.is_verbund else [],
                expected_version=existing.version if existing else 0,
            )


def build_evidence_for_all(assessment: Assessment, email: str = LEITUNG) -> None:
    """One document, uploaded for 1.1 and linked to every other criterion in
    scope: a criterion claimed as met needs evidence before submitting."""
    from assessments.evaluation import areas_with_scope

    (document,) = services.upload_for_criterion(
        user=user(email),
        assessment_id=assessment.pk,
        criterion_code="1.1",
        files=[upload("Plan-2026.pdf", PDF_BYTES)],
        details=EvidenceDetails(kind=EvidenceKind.OFFER, effective_date=date(2026, 9, 1), title="Plan 2026"),
    )
    for area in areas_with_scope(assessment):
        for criterion in area.criteria.all():
            if criterion.code != "1.1":
                services.link_evidence(
                    user=user(email),
                    assessment_id=assessment.pk,
                    criterion_code=criterion.code,
                    evidence_id=document.pk,
                )


def build_journey() -> Journey:
    load_demo()
    purzelbaum = start_draft(LEITUNG, "Familienzentrum Purzelbaum")
    build_evidence_for_all(purzelbaum)
    answer(purzelbaum, LEITUNG)
    services.submit(user=user(LEITUNG), assessment_id=purzelbaum.pk)
    services.assign_reviewers(
        user=user(OFFICE),
        assessment_id=purzelbaum.pk,
        reviewer=user(REVIEWER),
        second_reviewer=user(SECOND),
    )
    reviewer = user(REVIEWER)
    for entry in Assessment.objects.get(pk=purzelbaum.pk).latest_submission.payload["criteria"]:
        services.set_verdict(
            user=reviewer,
            assessment_id=purzelbaum.pk,
            criterion_code=entry["code"],
            verdict=Verdict.QUERIED if entry["code"] == "1.1" else Verdict.ACCEPTED,
            comment="1.1: 2026?" if entry["code"] == "1.1" else "",
        )
    services.request_changes(user=reviewer, assessment_id=purzelbaum.pk, note="1.1")

    eifelzwerge = start_draft(LEITUNG_VERBUND, "Familienzentrum Eifelzwerge")
    answer(eifelzwerge, LEITUNG_VERBUND, skip_areas={"1"})
    partner = Kooperationspartner.objects.get()
    invitation = services.invite_partner(
        user=user(LEITUNG_VERBUND),
        assessment_id=eifelzwerge.pk,
        criterion_codes=["1.1", "1.4"],
        email=PARTNER,
        partner_id=partner.pk,
    )
    services.accept_invitation(user=user(PARTNER), invitation_id=invitation.pk)
    return Journey(
        purzelbaum=Assessment.objects.get(pk=purzelbaum.pk), eifelzwerge=Assessment.objects.get(pk=eifelzwerge.pk)
    )
