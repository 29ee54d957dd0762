"""seed_scale: a small population (30 centres, seeded once for the module)
checked against what the services and selectors expect, and the plan's
shape at a larger size without the database."""

from __future__ import annotations

import hashlib
import io
import math
from collections import Counter
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import Q
from django.test.utils import override_settings
from django.utils import timezone

from assessments.evaluation import readiness_problems, review_problems, reviewer_conflict
from assessments.models import (
    OPEN_STATES,
    REVIEW_QUEUE_STATES,
    Answer,
    Assessment,
    AssessmentEvent,
    AssessmentKind,
    AssessmentState,
    CriterionVerdict,
    EventAction,
    EvidenceLink,
    SiteVisit,
    Submission,
    SubmissionRevision,
    Verdict,
)
from assessments.queue_selectors import centres_for_list, office_queue, reviewer_queue
from assessments.selectors import assessment_with_centre, assessments_for_user, with_deadline
from assessments.snapshots import build_snapshot, canonical_json, diff_submissions
from certification.catalogue import SHIPPED_CATALOGUE, read_catalogue_file, write_catalogue
from certification.models import (
    Einrichtung,
    Familienzentrum,
    FamilienzentrumForm,
    Guetesiegel,
    Membership,
    MembershipRole,
    Reviewer,
    Traeger,
)
from certification.services import distance_km, seal_valid_until, validate_site_visit_sites
from evidence.files import check_files
from evidence.models import Evidence, EvidenceRevision
from reports.scale import plan as scale_plan
from reports.scale import seed_population

CENTRES = 30
COUNTED = [
    Traeger,
    Einrichtung,
    Familienzentrum,
    Membership,
    Reviewer,
    Guetesiegel,
    Assessment,
    Answer,
    Answer.delivering_sites.through,
    EvidenceLink,
    Evidence,
    EvidenceRevision,
    Submission,
    SubmissionRevision,
    CriterionVerdict,
    SiteVisit,
    AssessmentEvent,
]


def counts() -> dict[str, int]:
    from django.contrib.auth import get_user_model

    return {model._meta.label: model.objects.count() for model in [*COUNTED, get_user_model()]}


@pytest.fixture(scope="module")
def population(django_db_setup, django_db_blocker, tmp_path_factory):
    """Seeded once for the module in a transaction rolled back at its end;
    each test runs in a savepoint inside it."""
    folder = tmp_path_factory.mktemp("scale-private")
    private = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(folder), "base_url": None},
    }
    with (
        django_db_blocker.unblock(),
        override_settings(
            STORAGES={**settings.STORAGES, "default": private, "private": private},
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        ),
        transaction.atomic(),
    ):
        catalogue = write_catalogue(read_catalogue_file(SHIPPED_CATALOGUE)).catalogue
        result = seed_population(CENTRES, catalogue=catalogue)
        yield SimpleNamespace(result=result, catalogue=catalogue, folder=folder, storage=private)
        transaction.set_rollback(True)


@pytest.fixture
def seeded(population, db, settings):
    settings.STORAGES = {**settings.STORAGES, "default": population.storage, "private": population.storage}
    return population


def test_the_first_run_creates_every_centre(seeded):
    assert seeded.result.created == CENTRES
    assert Familienzentrum.objects.filter(certification_number__startswith="FZ-NRW-").count() == CENTRES
    assert seeded.result.files == EvidenceRevision.objects.count()


def test_the_planner_statistics_are_fresh_after_the_run(seeded):
    """ANALYZE after the bulk load: the lists are planned for the seeded
    tables, not for the empty ones the database last looked at."""
    assert seeded.result.phases["analyze"] > 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [Assessment._meta.db_table])
            assert cursor.fetchone()[0] >= Assessment.objects.count()
        else:
            # One row per index; a partial index (the review queue's) counts only the rows it covers.
            cursor.execute("SELECT stat FROM sqlite_stat1 WHERE tbl = %s", [Assessment._meta.db_table])
            rows = cursor.fetchall()
            assert rows and max(int(stat.split()[0]) for (stat,) in rows) == Assessment.objects.count()


def test_a_second_run_adds_nothing(seeded):
    before = counts()
    result = seed_population(CENTRES, catalogue=seeded.catalogue)
    assert (result.created, result.existing) == (0, CENTRES)
    assert counts() == before


def test_a_larger_run_adds_the_difference_as_a_fresh_run_would_plan_it(seeded):
    result = seed_population(CENTRES + 3, catalogue=seeded.catalogue)
    assert (result.created, result.existing) == (3, CENTRES)
    planned = scale_plan.centre_plans(12, CENTRES + 3)
    for centre, _rng in planned[CENTRES:]:
        row = Familienzentrum.objects.get(certification_number=centre.number)
        assert (row.name, row.traeger.name, row.form) == (centre.name, centre.traeger.name, centre.form)
        assert row.site_links.count() == len(centre.sites)


def test_the_command_prints_what_it_did(seeded):
    out = io.StringIO()
    call_command("seed_scale", "--centres", str(CENTRES), stdout=out)
    assert f"0 Familienzentren angelegt, {CENTRES} waren schon da" in out.getvalue()


def test_every_state_is_present(seeded):
    states = set(Assessment.objects.values_list("state", flat=True))
    assert states == set(AssessmentState.values)
    kinds = set(Assessment.objects.values_list("kind", flat=True))
    assert kinds == set(AssessmentKind.values)


def test_at_most_one_open_cycle_per_centre_and_recertifications_name_the_last_one(seeded):
    open_per_centre = Counter(
        Assessment.objects.filter(state__in=OPEN_STATES).values_list("familienzentrum_id", flat=True)
    )
    assert max(open_per_centre.values()) == 1
    for assessment in Assessment.objects.filter(state__in=OPEN_STATES, previous__isnull=False):
        assert assessment.kind == AssessmentKind.RECERTIFICATION
        assert assessment.previous.state == AssessmentState.CERTIFIED
        assert assessment.previous.familienzentrum_id == assessment.familienzentrum_id


def test_verbunde_have_two_to_five_sites_within_three_km(seeded):
    verbunde = Familienzentrum.objects.filter(form=FamilienzentrumForm.VERBUND).prefetch_related("site_links__site")
    assert verbunde.exists()
    for centre in verbunde:
        sites = [link.site for link in centre.site_links.all()]
        assert 2 <= len(sites) <= 5
        assert sum(link.is_grant_recipient for link in centre.site_links.all()) == 1
        for first in sites:
            for second in sites:
                assert distance_km(first.latitude, first.longitude, second.latitude, second.longitude) <= 3
    for centre in Familienzentrum.objects.filter(form=FamilienzentrumForm.SINGLE):
        assert centre.site_links.count() == 1


def test_the_plan_has_about_ten_percent_verbunde_and_traeger_of_one_to_forty():
    centres = [centre for centre, _rng in scale_plan.centre_plans(12, 3300)]
    share = sum(centre.form == "verbund" for centre in centres) / len(centres)
    assert 0.08 <= share <= 0.12
    sizes = Counter(centre.traeger.index for centre in centres)
    assert 1 <= min(sizes.values()) and max(sizes.values()) <= 40
    assert max(sizes.values()) >= 20  # some large Träger (a city, a diocese's company)
    assert sum(size == 1 for size in sizes.values()) >= len(sizes) / 4  # many with one centre
    assert len({centre.town.name for centre in centres}) >= 60


def test_the_plan_is_deterministic_and_a_prefix_of_a_larger_one():
    small = scale_plan.centre_plans(12, 50)
    large = scale_plan.centre_plans(12, 80)
    assert [(c.number, c.name, c.traeger.name, c.sites) for c, _ in small] == [
        (c.number, c.name, c.traeger.name, c.sites) for c, _ in large[:50]
    ]
    other_seed = scale_plan.centre_plans(13, 50)
    assert [c.name for c, _ in other_seed] != [c.name for c, _ in small]


def test_events_replay_to_the_state(seeded):
    events = AssessmentEvent.objects.order_by("assessment_id", "created_at", "pk")
    by_assessment: dict[int, list[AssessmentEvent]] = {}
    for event in events:
        by_assessment.setdefault(event.assessment_id, []).append(event)
    for assessment in Assessment.objects.all():
        chain = by_assessment[assessment.pk]
        assert chain[0].action == EventAction.START and chain[0].to_state == AssessmentState.DRAFT
        for before, after in zip(chain, chain[1:], strict=False):
            assert after.from_state == before.to_state
            assert after.created_at > before.created_at
        assert chain[-1].to_state == assessment.state
        assert assessment.created_at == chain[0].created_at
        assert assessment.updated_at == chain[-1].created_at
        submits = [event for event in chain if event.action in (EventAction.SUBMIT, EventAction.RESUBMIT)]
        assert [event.submission.number for event in submits] == list(range(1, len(submits) + 1))
        assert assessment.submissions.count() == len(submits)
        if submits:
            assert assessment.submitted_at == submits[-1].created_at == submits[-1].submission.submitted_at


def test_submissions_are_what_build_snapshot_builds_from_the_rows(seeded):
    latest_numbers = 0
    for assessment in Assessment.objects.filter(submissions__isnull=False).distinct():
        assessment = assessment_with_centre(assessment.pk)
        submissions = list(assessment.submissions.order_by("number"))
        latest = submissions[-1]
        rebuilt = build_snapshot(assessment, number=latest.number, user=latest.submitted_by)
        rebuilt["submitted_at"] = latest.payload["submitted_at"]
        assert rebuilt == latest.payload
        for submission in submissions:
            assert submission.sha256 == hashlib.sha256(canonical_json(submission.payload)).hexdigest()
            frozen = sum(len(entry["evidence"]) for entry in submission.payload["criteria"])
            assert submission.frozen_revisions.count() == frozen
        # An earlier submission differs exactly where the centre answered a query.
        for earlier, later in zip(submissions, submissions[1:], strict=False):
            queried = set(earlier.verdicts.filter(verdict=Verdict.QUERIED).values_list("criterion__code", flat=True))
            assert set(diff_submissions(earlier.payload, later.payload)) == queried
        latest_numbers += 1
    assert latest_numbers >= CENTRES  # most centres have a submitted cycle


def test_submitted_cycles_passed_the_readiness_check(seeded):
    checked = 0
    for assessment in Assessment.objects.exclude(state=AssessmentState.DRAFT).filter(submissions__isnull=False):
        assessment = assessment_with_centre(assessment.pk)
        assert readiness_problems(assessment) == []
        checked += 1
    assert checked


def test_drafts_are_partly_answered_and_recertifications_prefilled(seeded):
    drafts = Assessment.objects.filter(state=AssessmentState.DRAFT)
    assert drafts.exists()
    for draft in drafts:
        assert not draft.submissions.exists()
        if draft.kind == AssessmentKind.RECERTIFICATION:
            previous_codes = {entry["code"] for entry in draft.previous.submissions.last().payload["criteria"]}
            assert set(draft.answers.values_list("criterion__code", flat=True)) == previous_codes


def test_reviews_have_the_verdicts_their_state_needs(seeded):
    for assessment in Assessment.objects.filter(state__in=[AssessmentState.RECOMMENDED, AssessmentState.CERTIFIED]):
        assert review_problems(assessment) == []
        assert assessment.recommended_by_id == assessment.reviewer_id
    for assessment in Assessment.objects.filter(state=AssessmentState.CHANGES_REQUESTED):
        latest = assessment.latest_submission
        assert latest.verdicts.filter(verdict=Verdict.QUERIED).exclude(comment="").exists()
        assert assessment.queries_due is not None
    sent_back = AssessmentEvent.objects.filter(action=EventAction.SEND_BACK).select_related("assessment")
    assert sent_back.exists()
    for event in sent_back:
        if event.assessment.state == AssessmentState.IN_REVIEW:
            assert event.assessment.recommended_by_id is None
            assert event.note


def test_reviewers_are_independent_and_the_second_may_confirm(seeded):
    assigned = Assessment.objects.filter(reviewer__isnull=False).select_related("familienzentrum")
    assert assigned.count() >= CENTRES
    for assessment in assigned:
        assert assessment.second_reviewer_id != assessment.reviewer_id
        assert assessment.second_reviewer.reviewer.may_confirm
        assert not reviewer_conflict(assessment)
    assert Reviewer.objects.count() == scale_plan.REVIEWERS
    per_reviewer = Counter(assigned.values_list("reviewer_id", flat=True))
    assert max(per_reviewer.values()) >= 2


def test_seals_follow_the_validity_rule_and_end_across_the_years(seeded):
    seals = list(Guetesiegel.objects.select_related("assessment"))
    assert len(seals) >= CENTRES * 0.8
    today = timezone.localdate()
    for seal in seals:
        assert seal.valid_until == seal_valid_until(seal.valid_from)
        assert seal.number == f"GS-FZ-{seal.valid_from.year}-{seal.pk:05d}"
        assert seal.assessment.state == AssessmentState.CERTIFIED
        assert seal.snapshot_sha256 == seal.assessment.latest_submission.sha256
        assert seal.valid_from <= today
    # A centre's current seal holds until its re-certification is decided.
    latest = {}
    for seal in sorted(seals, key=lambda seal: seal.valid_from):
        latest[seal.familienzentrum_id] = seal
    assert all(seal.valid_until >= today for seal in latest.values())
    # Every seal ends on 31 July (DVO KiBiz §11); they spread over the next years.
    years = Counter(seal.valid_until.year for seal in seals)
    assert len([year for year in years if year >= today.year]) >= 3


def test_files_are_small_pdfs_in_the_private_storage_that_the_upload_check_accepts(seeded):
    revisions = list(EvidenceRevision.objects.order_by("pk")[:5])
    for revision in revisions:
        with default_storage.open(revision.file.name) as stored:
            content = stored.read()
        assert hashlib.sha256(content).hexdigest() == revision.sha256
        assert len(content) == revision.size < 1000
        (checked,) = check_files([SimpleUploadedFile(revision.original_name, content)])
        assert checked.file_type.content_type == revision.content_type == "application/pdf"
    assert revisions[0].file.name.startswith("evidence/")


def test_site_visits_are_valid_and_done_only_after_their_date(seeded):
    now = timezone.now()
    visits = SiteVisit.objects.select_related("assessment__familienzentrum").prefetch_related("sites")
    assert visits.exists()
    for visit in visits:
        validate_site_visit_sites(visit.assessment.familienzentrum, [site.pk for site in visit.sites.all()])
        if visit.done_at is not None:
            assert visit.done_at >= visit.scheduled_for
            assert visit.done_at <= now
        elif visit.assessment.state in OPEN_STATES:
            assert visit.scheduled_for > now


def test_deadlines_are_filled_and_some_are_overdue(seeded):
    today = timezone.localdate()
    open_ones = with_deadline(Assessment.objects.filter(state__in=OPEN_STATES))
    assert all(assessment.deadline is not None for assessment in open_ones)
    assert open_ones.filter(deadline__lt=today).exists()
    assert open_ones.filter(deadline__gte=today).exists()
    for assessment in Assessment.objects.filter(submissions__isnull=False):
        assert assessment.review_due is not None
        assert assessment.visit_window_start <= assessment.visit_window_end


def test_a_traeger_user_sees_only_its_centres(seeded):
    membership = (
        Membership.objects.filter(role=MembershipRole.TRAEGER)
        .select_related("user", "traeger")
        .order_by("-traeger__familienzentren__id")
        .first()
    )
    user = membership.user
    visible = set(assessments_for_user(user).values_list("pk", flat=True))
    own = set(Assessment.objects.filter(familienzentrum__traeger=membership.traeger).values_list("pk", flat=True))
    assert visible == own and own
    assert Traeger.objects.count() >= 3


def test_a_leitung_sees_its_centre_only(seeded):
    membership = Membership.objects.filter(role=MembershipRole.LEITUNG).select_related("user", "site").first()
    visible = set(assessments_for_user(membership.user).values_list("familienzentrum_id", flat=True))
    assert visible == {membership.site.familienzentrum_link.familienzentrum_id}


def test_the_queues_list_what_their_selectors_promise(seeded):
    in_review = set(Assessment.objects.filter(state__in=REVIEW_QUEUE_STATES).values_list("pk", flat=True))
    queue = set(office_queue().values_list("pk", flat=True))
    assert in_review <= queue and len(in_review) >= 5
    assert queue - in_review == set(Assessment.objects.filter(state=AssessmentState.DRAFT).values_list("pk", flat=True))
    busiest = Counter(Assessment.objects.values_list("reviewer_id", flat=True).exclude(reviewer=None)).most_common(1)
    reviewer = Reviewer.objects.get(user_id=busiest[0][0]).user
    mine = set(reviewer_queue(reviewer).values_list("pk", flat=True))
    assert mine == set(
        Assessment.objects.filter(Q(reviewer=reviewer) | Q(second_reviewer=reviewer)).values_list("pk", flat=True)
    )
    # The progress column counts the latest submission's verdicts out of its criteria.
    for row in office_queue().filter(state=AssessmentState.RECOMMENDED):
        assert row.verdicts_given == row.criteria_in_scope > 0


def test_a_traegers_centre_list_holds_its_centres(seeded):
    membership = Membership.objects.filter(role=MembershipRole.TRAEGER).select_related("user").first()
    listed = set(centres_for_list(membership.user).values_list("pk", flat=True))
    assert listed == set(Familienzentrum.objects.filter(traeger=membership.traeger_id).values_list("pk", flat=True))


def test_the_town_coordinates_lie_in_nrw():
    for town in scale_plan.TOWNS:
        assert 50.3 <= town.latitude <= 52.6 and 5.8 <= town.longitude <= 9.5
        assert len(town.postcode) == 5
    assert not math.isclose(sum(town.weight for town in scale_plan.TOWNS), 0)
