"""Reads of the review screens and of the start page's review parts."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Max, QuerySet

from assessments.models import OPEN_STATES, Assessment, AssessmentState, CriterionVerdict, Submission, Verdict
from certification.models import Area

REVIEW_QUEUE_STATES = [
    AssessmentState.SUBMITTED,
    AssessmentState.IN_REVIEW,
    AssessmentState.CHANGES_REQUESTED,
    AssessmentState.RECOMMENDED,
]


def review_queue() -> QuerySet[Assessment]:
    """The office's overview: every assessment between submission and decision."""
    return (
        Assessment.objects.filter(state__in=REVIEW_QUEUE_STATES)
        .select_related("familienzentrum__traeger", "reviewer", "second_reviewer", "recommended_by")
        .annotate(last_submitted_at=Max("submissions__submitted_at"))
        .order_by("last_submitted_at", "pk")
    )


def last_closed_state_by_centre(centre_ids) -> dict[int, str]:
    """Per Familienzentrum, the state its last closed assessment ended in (one query)."""
    rows = (
        Assessment.objects.filter(familienzentrum_id__in=list(centre_ids))
        .exclude(state__in=OPEN_STATES)
        .order_by("familienzentrum_id", "-created_at", "-pk")
        .values_list("familienzentrum_id", "state")
    )
    result: dict[int, str] = {}
    for centre_id, state in rows:
        result.setdefault(centre_id, state)
    return result


def latest_submissions(assessment: Assessment) -> tuple[Submission | None, Submission | None]:
    """The latest submission and the one before it (for the diff)."""
    submissions = list(assessment.submissions.order_by("-number")[:2])
    latest = submissions[0] if submissions else None
    previous = submissions[1] if len(submissions) > 1 else None
    return latest, previous


def verdicts_by_code(submission: Submission | None) -> dict[str, CriterionVerdict]:
    if submission is None:
        return {}
    return {
        verdict.criterion.code: verdict
        for verdict in submission.verdicts.select_related("criterion", "reviewer").order_by("criterion__order")
    }


def area_titles(assessment: Assessment, codes) -> dict[str, str]:
    return dict(
        Area.objects.filter(catalogue_id=assessment.catalogue_id, code__in=list(codes)).values_list("code", "title")
    )


@dataclass
class AreaCount:
    code: str
    title: str
    total: int = 0
    accepted: int = 0
    queried: int = 0
    changed: int = 0

    @property
    def judged(self) -> int:
        return self.accepted + self.queried

    @property
    def open(self) -> int:
        return self.total - self.accepted

    @property
    def percent(self) -> int:
        return round(100 * self.judged / self.total) if self.total else 0


@dataclass
class ReviewProgress:
    areas: list[AreaCount] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(area.total for area in self.areas)

    @property
    def accepted(self) -> int:
        return sum(area.accepted for area in self.areas)

    @property
    def queried(self) -> int:
        return sum(area.queried for area in self.areas)

    @property
    def judged(self) -> int:
        return self.accepted + self.queried

    @property
    def percent(self) -> int:
        return round(100 * self.judged / self.total) if self.total else 0

    def area(self, code: str) -> AreaCount | None:
        return next((area for area in self.areas if area.code == code), None)


def review_progress(
    payload: dict, verdicts: dict[str, CriterionVerdict], titles: dict[str, str], changed=()
) -> ReviewProgress:
    """Judged, accepted and queried criteria per area of a frozen submission."""
    progress = ReviewProgress()
    by_code: dict[str, AreaCount] = {}
    for entry in payload.get("criteria", []):
        area = by_code.get(entry["area"])
        if area is None:
            area = by_code[entry["area"]] = AreaCount(code=entry["area"], title=titles.get(entry["area"], ""))
            progress.areas.append(area)
        area.total += 1
        verdict = verdicts.get(entry["code"])
        if verdict is not None and verdict.verdict == Verdict.ACCEPTED:
            area.accepted += 1
        elif verdict is not None and verdict.verdict == Verdict.QUERIED:
            area.queried += 1
        if entry["code"] in changed:
            area.changed += 1
    return progress


def queried_verdicts(assessment: Assessment) -> list[CriterionVerdict]:
    """Every query of every submission, the latest submission first."""
    return list(
        CriterionVerdict.objects.filter(submission__assessment=assessment, verdict=Verdict.QUERIED)
        .select_related("criterion__area", "submission", "reviewer")
        .order_by("-submission__number", "criterion__order")
    )
