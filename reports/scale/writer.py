"""Writes the planned population (reports.scale.plan) in batches, one
transaction each: the parties with bulk_create, the bulk of the rows with
plain inserts (reports.scale.rows). The rows are those the services would
have produced: states follow the recorded events; every submission is the
snapshot assessments.snapshots.build_snapshot makes of the rows written
before it, after the readiness check submit() runs; seals carry the
validity of certification.services.seal_valid_until and issue_seal's
numbers; evidence files are stored in the configured private storage.

Left out, as history nobody reads again: the answer log (LogEntry), the
messages of past hand-offs (notifications) and the deadline reminders (the
first run of the reminder task tells about what is due now, once)."""

from __future__ import annotations

import hashlib
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.db.models import prefetch_related_objects
from django.utils import timezone, translation

from assessments import deadlines
from assessments.evaluation import evaluate, readiness_problems
from assessments.models import (
    OPEN_STATES,
    Answer,
    Assessment,
    AssessmentEvent,
    AssessmentKind,
    AssessmentState,
    CriterionVerdict,
    EventAction,
    EvidenceLink,
    ItemStatus,
    SiteVisit,
    Submission,
    SubmissionRevision,
)
from assessments.snapshots import build_snapshot, canonical_json
from certification.management.commands.seed_demo import DEMO_PASSWORD
from certification.models import (
    AreaKind,
    CatalogueVersion,
    Einrichtung,
    Familienzentrum,
    Guetesiegel,
    Membership,
)
from certification.selectors import catalogue_structure
from certification.services import seal_valid_until
from evidence.models import Evidence, EvidenceRevision
from reports.scale import plan as scale_plan
from reports.scale.cycles import CriterionInfo, CyclePlan, Scope, Today, plan_population
from reports.scale.names import AFTER_QUERY
from reports.scale.parties import PartiesWriter
from reports.scale.plan import CentrePlan
from reports.scale.rows import EncodedJSON, allocate_ids, historic_timestamps, insert


class SeedError(RuntimeError):
    """The plan produced something the services would refuse (a bug here)."""


# Fields the ORM would stamp with "now" (the rows written by reports.scale.rows.insert carry
# their times anyway).
HISTORIC_FIELDS = [
    (Familienzentrum, "created_at"),
    (Membership, "created_at"),
    (Evidence, "created_at"),
    (EvidenceRevision, "uploaded_at"),
    (Assessment, "created_at"),
    (Assessment, "updated_at"),
    (Guetesiegel, "issued_at"),
]


def scope_of(catalogue: CatalogueVersion) -> Scope:
    structure = catalogue_structure(catalogue)
    criteria = {}
    choosable = []
    for area in structure.areas:
        if area.kind == AreaKind.PROFILE and not area.always_required:
            choosable.append(area.code)
        criteria[area.code] = tuple(
            CriterionInfo(
                code=criterion.code,
                area=area.code,
                area_kind=area.kind,
                level=criterion.level,
                logic=criterion.logic,
                item_codes=tuple(item.code for item in criterion.items.all()),
                per_site=criterion.per_site,
                evidence_required=criterion.evidence_required,
                qualification_min_hours=criterion.qualification_min_hours,
            )
            for criterion in area.criteria.all()
        )
    return Scope(criteria, tuple(choosable), catalogue.min_profile_areas, catalogue.max_profile_areas)


class SiteSet:
    """The delivering sites of a seeded answer, read like a related manager."""

    def __init__(self, sites: list[Einrichtung]):
        self.sites = sites

    def all(self) -> list[Einrichtung]:
        return self.sites


@dataclass(frozen=True)
class SeededAnswer:
    """An answer as written, with what the evaluation and build_snapshot
    read of an Answer (tests rebuild the snapshots from the stored rows and
    compare). Cheaper than a model instance with its related managers."""

    item_statuses: dict
    narrative: str
    to_confirm: bool
    delivering_sites: SiteSet


@dataclass
class SeedResult:
    requested: int
    existing: int
    created: int
    seconds: float = 0.0
    rows: Counter = field(default_factory=Counter)
    phases: Counter = field(default_factory=Counter)  # seconds per step of the writer
    files: int = 0


class ScaleWriter(PartiesWriter):
    def __init__(self, *, catalogue: CatalogueVersion, seed: int = 12, today=None, batch: int = 100, log=None):
        self.catalogue = catalogue
        self.seed = seed
        self.today = today or timezone.localdate()
        self.batch = max(1, batch)
        self.log = log
        self.scope = scope_of(catalogue)
        self.clock = Today(self.today)
        self.structure = catalogue_structure(catalogue)
        self.criterion_ids = {code: criterion.pk for code, criterion in self.structure.criteria_by_code.items()}
        self.area_ids = {area.code: area.pk for area in self.structure.areas}
        self.codes = {pk: code for code, pk in self.criterion_ids.items()}
        self.password = None
        self.result: SeedResult | None = None

    def note(self, message: str) -> None:
        if self.log is not None:
            self.log(message)

    # ------------------------------------------------------------ the run

    def run(self, centres: int) -> SeedResult:
        started = time.perf_counter()
        numbers = Familienzentrum.objects.filter(certification_number__startswith=scale_plan.NUMBER_PREFIX)
        existing = {
            int(digits)
            for digits in (
                number[len(scale_plan.NUMBER_PREFIX) :]
                for number in numbers.values_list("certification_number", flat=True)
            )
            if digits.isdigit()
        }
        wanted = set(range(1, centres + 1)) - existing
        result = self.result = SeedResult(
            requested=centres, existing=len(existing & set(range(1, centres + 1))), created=0
        )
        with translation.override("de"):
            self.password = make_password(DEMO_PASSWORD)  # one hash for every seeded person: hashing is slow
            self.people()
            if wanted:
                planning = time.perf_counter()
                plans = plan_population(self.seed, centres, self.scope, self.today, wanted)
                result.phases["plan"] += time.perf_counter() - planning
                self.note(f"planned {len(plans)} centres in {time.perf_counter() - started:.1f} s")
                for start in range(0, len(plans), self.batch):
                    chunk = plans[start : start + self.batch]
                    stored: list[str] = []
                    try:
                        with transaction.atomic(), historic_timestamps(HISTORIC_FIELDS):
                            self.write(chunk, stored)
                    except BaseException:
                        for name in stored:  # a failed batch leaves no files behind
                            default_storage.delete(name)
                        raise
                    result.created += len(chunk)
                    self.note(f"{start + len(chunk)}/{len(plans)} centres, {time.perf_counter() - started:.1f} s")
                self.timed(self.analyze)
        result.seconds = time.perf_counter() - started
        return result

    def analyze(self) -> None:
        """Fresh planner statistics after a bulk load, as an operator runs
        ANALYZE after one: without them the database plans the lists for the
        near-empty tables it last looked at (autovacuum catches up only later,
        and a test or bench database is measured right away)."""
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

    def count(self, model, number: int) -> None:
        self.result.rows[model._meta.label] += number

    def write(self, centres: list[CentrePlan], stored: list[str]) -> None:
        self.users = {
            user.email: user
            for user in get_user_model().objects.filter(
                email__in=[scale_plan.reviewer_email(k) for k in range(1, scale_plan.REVIEWERS + 1)]
                + [scale_plan.office_email(k) for k in range(1, scale_plan.OFFICE_STAFF + 1)]
            )
        }
        timed = self.timed
        timed(self.parties, centres)
        documents = timed(self.evidence, centres, stored)
        cycles = timed(self.assessments, centres)
        timed(self.answers, cycles)
        timed(self.links, cycles, documents)
        timed(self.submissions, cycles)
        timed(self.visits, cycles)
        timed(self.seals, cycles)
        timed(self.events, cycles)

    def timed(self, method, *args):
        started = time.perf_counter()
        try:
            return method(*args)
        finally:
            self.result.phases[method.__name__] += time.perf_counter() - started

    def assessments(self, centres: list[CentrePlan]) -> list[tuple[CentrePlan, CyclePlan]]:
        cycles = [(centre, cycle) for centre in centres for cycle in centre.cycles]
        rows = {}
        # Decided cycles first: an open re-certification names the one before it.
        for open_ones in (False, True):
            batch = []
            for centre, cycle in cycles:
                if (cycle.state in OPEN_STATES) != open_ones:
                    continue
                row = self.assessment_row(centre, cycle)
                if cycle.previous is not None:
                    row.previous = rows[id(cycle.previous)]
                rows[id(cycle)] = row
                batch.append(row)
            Assessment.objects.bulk_create(batch)
        self.count(Assessment, len(rows))
        through = Assessment.profile_areas.through
        chosen = [
            through(assessment_id=rows[id(cycle)].pk, area_id=self.area_ids[code])
            for _, cycle in cycles
            for code in cycle.profiles
        ]
        through.objects.bulk_create(chosen)
        for centre, cycle in cycles:
            cycle.row = rows[id(cycle)]
            cycle.row.familienzentrum = centre.row
            cycle.row.catalogue = self.catalogue
        prefetch_related_objects([cycle.row for _, cycle in cycles], "profile_areas")
        return cycles

    def assessment_row(self, centre: CentrePlan, cycle: CyclePlan) -> Assessment:
        reviewer = self.users[scale_plan.reviewer_email(cycle.reviewer)] if cycle.reviewer else None
        second = self.users[scale_plan.reviewer_email(cycle.second)] if cycle.second else None
        row = Assessment(
            familienzentrum=centre.row,
            catalogue=self.catalogue,
            kind=cycle.kind,
            review_period_start=cycle.period[0],
            review_period_end=cycle.period[1],
            state=cycle.state,
            reviewer=reviewer,
            second_reviewer=second,
            recommended_by=reviewer if cycle.recommended else None,
            created_by=centre.leaders[0],
            created_at=cycle.steps[0].at,
            updated_at=cycle.steps[-1].at,
            submitted_at=cycle.submissions[-1].at if cycle.submissions else None,
        )
        # The dates the services set at each step (assessments.deadlines).
        previous_until = None
        if cycle.previous is not None:
            previous_until = seal_valid_until(self.clock.day(cycle.previous.approve_day))
        row.submission_due = deadlines.default_submission_due(row, previous_until)
        if cycle.submissions:
            # The review runs from the latest submission; the visit window from the first.
            submitted_on = timezone.localdate(cycle.submissions[-1].at)
            row.review_due = deadlines.default_review_due(submitted_on)
            window = deadlines.default_visit_window(submitted_on, row.review_due)
            row.visit_window_start = timezone.localdate(cycle.submissions[0].at)
            row.visit_window_end = max(window.end, row.visit_window_start)
        if cycle.request_days:
            row.queries_due = deadlines.default_queries_due(self.clock.day(cycle.request_days[-1]))
        return row

    def answers(self, cycles) -> None:
        """The answers as they stand now (a submitted cycle's as last
        submitted), with the sites a Verbund names."""
        rows = []
        named = []
        for centre, cycle in cycles:
            sites = centre.site_rows
            if cycle.submissions:
                self.meet_thresholds(cycle, sites)
            leader = centre.leaders[0].pk
            for plan in cycle.answers:
                at = self.clock.moment(plan.day, 120 + len(rows) % 300)
                row = (cycle.row.pk, self.criterion_ids[plan.code], plan.statuses, plan.narrative, plan.to_confirm)
                rows.append((*row, plan.version, leader, at))
                named.append([sites[number - 1].pk for number in plan.site_numbers])
        ids = allocate_ids(Answer, len(rows))
        fields = ["assessment", "criterion", "item_statuses", "narrative", "to_confirm", "version", "updated_by"]
        insert(Answer, ["id", *fields, "updated_at"], [(pk, *row) for pk, row in zip(ids, rows, strict=True)])
        self.count(Answer, len(rows))
        through = [(pk, site_id) for pk, site_ids in zip(ids, named, strict=True) for site_id in site_ids]
        insert(Answer.delivering_sites.through, ["answer", "einrichtung"], through)

    def meet_thresholds(self, cycle: CyclePlan, sites: list[Einrichtung]) -> None:
        """A submitted cycle met the thresholds (submit() refuses otherwise):
        where the planned answers fall short, every item is fulfilled. Keeps
        the answers and their evaluation for the snapshots."""
        for attempt in range(2):
            cycle.seeded = {
                self.criterion_ids[plan.code]: SeededAnswer(
                    plan.statuses,
                    plan.narrative,
                    plan.to_confirm,
                    SiteSet([sites[number - 1] for number in plan.site_numbers]),
                )
                for plan in cycle.answers
            }
            cycle.evaluation = evaluate(cycle.row, answers=cycle.seeded)
            if cycle.evaluation.rules_met or attempt:
                return
            for plan in cycle.answers:
                plan.statuses = {code: ItemStatus.FULFILLED for code in plan.statuses}
                if len(sites) > 1 and not plan.site_numbers:
                    plan.site_numbers = tuple(range(1, len(sites) + 1))

    def links(self, cycles, documents: dict) -> None:
        rows = []
        for centre, cycle in cycles:
            cycle.evidenced = set()
            for code, docs in cycle.links.items():
                criterion_id = self.criterion_ids[code]
                cycle.evidenced.add(criterion_id)
                for doc in docs:
                    document = documents[(centre.index, id(doc))]
                    at = max(document.created_at, cycle.row.created_at)
                    rows.append((cycle.row.pk, criterion_id, document.pk, centre.leaders[0].pk, at))
        insert(EvidenceLink, ["assessment", "criterion", "evidence", "linked_by", "linked_at"], rows)
        self.count(EvidenceLink, len(rows))

    def submissions(self, cycles) -> None:
        """Each submission frozen by build_snapshot from the rows as they
        stood then (answers queried after it carry their earlier text), after
        the readiness check submit() runs."""
        rows = []
        for centre, cycle in cycles:
            cycle.submission_rows = []
            if not cycle.submissions:
                continue
            evaluation = cycle.evaluation
            problems = readiness_problems(cycle.row, evaluation, evidenced_criterion_ids=cycle.evidenced)
            if problems:
                raise SeedError(f"{centre.number}: {[(p.criterion_code, p.message) for p in problems[:3]]}")
            # One snapshot built from the rows; the earlier submissions differ
            # from it only in their number, time and the texts changed since.
            final = build_snapshot(
                cycle.row, number=len(cycle.submissions), user=centre.leaders[0], evaluation=evaluation
            )
            for number, plan in enumerate(cycle.submissions, start=1):
                later = set().union(*(earlier.changed_after for earlier in cycle.submissions[number - 1 :]))
                criteria = [
                    {**entry, "narrative": entry["narrative"].removesuffix(AFTER_QUERY)}
                    if entry["code"] in later
                    else entry
                    for entry in final["criteria"]
                ]
                payload = {
                    **final,
                    "number": number,
                    "submitted_at": plan.at.astimezone(UTC).isoformat(),
                    "criteria": criteria,
                }
                encoded = canonical_json(payload)
                row = Submission(
                    assessment=cycle.row,
                    number=number,
                    payload=payload,
                    sha256=hashlib.sha256(encoded).hexdigest(),
                    submitted_by=centre.leaders[0],
                    submitted_at=plan.at,
                )
                row.encoded = EncodedJSON(encoded.decode())
                cycle.submission_rows.append(row)
                rows.append(row)
        for row, pk in zip(rows, allocate_ids(Submission, len(rows)), strict=True):
            row.pk = pk
        fields = ["id", "assessment", "number", "payload", "sha256", "submitted_by", "submitted_at", "criteria_count"]
        insert(
            Submission,
            fields,
            [
                (
                    row.pk,
                    row.assessment_id,
                    row.number,
                    row.encoded,
                    row.sha256,
                    row.submitted_by_id,
                    row.submitted_at,
                    Submission.criteria_in(row.payload),
                )
                for row in rows
            ],
        )
        self.count(Submission, len(rows))
        frozen = [
            (row.pk, self.criterion_ids[entry["code"]], item["revision_id"])
            for row in rows
            for entry in row.payload["criteria"]
            for item in entry["evidence"]
        ]
        insert(SubmissionRevision, ["submission", "criterion", "revision"], frozen)
        self.count(SubmissionRevision, len(frozen))
        verdicts = []
        for _centre, cycle in cycles:
            for plan, row in zip(cycle.submissions, cycle.submission_rows, strict=True):
                for verdict in plan.verdicts:
                    reviewer = cycle.row.reviewer_id
                    replied = self.clock.moment(verdict.reply_day, 300) if verdict.reply_day is not None else None
                    at = replied or self.clock.moment(verdict.day, 200)
                    code = self.criterion_ids[verdict.code]
                    verdicts.append(
                        (row.pk, code, verdict.verdict, verdict.comment, reviewer, verdict.reply, replied, at)
                    )
        fields = ["submission", "criterion", "verdict", "comment", "reviewer", "reply", "replied_at", "updated_at"]
        insert(CriterionVerdict, fields, verdicts)
        self.count(CriterionVerdict, len(verdicts))

    def visits(self, cycles) -> None:
        visits = []
        chosen = []
        for centre, cycle in cycles:
            plan = cycle.visit
            if plan is None:
                continue
            when = datetime.combine(self.clock.day(plan.visit_day), datetime.min.time(), tzinfo=self.clock.zone)
            when += timedelta(hours=plan.hour)
            visit = SiteVisit(
                assessment=cycle.row,
                scheduled_for=when,
                notes=plan.notes,
                done_at=when + timedelta(hours=4) if plan.done else None,
            )
            cycle.visit_row = visit
            visits.append(visit)
            chosen.append([centre.site_rows[number - 1] for number in plan.site_numbers])
        SiteVisit.objects.bulk_create(visits)
        through = SiteVisit.sites.through
        through.objects.bulk_create(
            through(sitevisit_id=visit.pk, einrichtung_id=site.pk)
            for visit, sites in zip(visits, chosen, strict=True)
            for site in sites
        )
        self.count(SiteVisit, len(visits))

    def seals(self, cycles) -> None:
        """issue_seal's rows: valid for four years stretched to 31 July,
        numbered after the row id."""
        certified = [(centre, cycle) for centre, cycle in cycles if cycle.state == AssessmentState.CERTIFIED]
        seals = []
        for centre, cycle in certified:
            approved = next(step.at for step in cycle.steps if step.action == EventAction.APPROVE)
            valid_from = timezone.localdate(approved)
            seals.append(
                Guetesiegel(
                    familienzentrum=centre.row,
                    number=f"pending-{self.seed}-{cycle.row.pk}",
                    valid_from=valid_from,
                    valid_until=seal_valid_until(valid_from),
                    snapshot_sha256=cycle.submission_rows[-1].sha256,
                    issued_at=approved,
                )
            )
        Guetesiegel.objects.bulk_create(seals)
        for seal in seals:
            seal.number = f"GS-FZ-{seal.valid_from.year}-{seal.pk:05d}"
        Guetesiegel.objects.bulk_update(seals, ["number"])
        for (_centre, cycle), seal in zip(certified, seals, strict=True):
            cycle.row.seal = seal
        Assessment.objects.bulk_update([cycle.row for _, cycle in certified], ["seal"])
        self.count(Guetesiegel, len(seals))

    def events(self, cycles) -> None:
        rows = []
        for centre, cycle in cycles:
            assessment = cycle.row
            actors = {
                "leitung": centre.leaders[0],
                "office": self.users[scale_plan.office_email(1 + centre.index % scale_plan.OFFICE_STAFF)],
                "reviewer": assessment.reviewer,
                "second": assessment.second_reviewer,
            }
            submissions = getattr(cycle, "submission_rows", [])
            latest = None
            for step in cycle.steps:
                submission = submissions[step.submission] if step.submission is not None else None
                latest = submission or latest
                note = step.note
                if step.action == EventAction.START:
                    note = AssessmentKind(cycle.kind).label
                elif step.action in (EventAction.SUBMIT, EventAction.RESUBMIT):
                    note = submission.sha256
                elif step.action == EventAction.ASSIGN:
                    note = f"{assessment.reviewer.get_full_name()} / {assessment.second_reviewer.get_full_name()}"
                elif step.action == EventAction.VISIT_SCHEDULED:
                    visit = cycle.visit_row
                    names = ", ".join(
                        link.site.name
                        for link in centre.row.site_links.all()
                        if link.site_id in {centre.site_rows[n - 1].pk for n in cycle.visit.site_numbers}
                    )
                    note = f"{timezone.localtime(visit.scheduled_for):%d.%m.%Y %H:%M} · {names}"
                elif step.action == EventAction.APPROVE:
                    note = latest.sha256
                if step.action in (EventAction.RECOMMEND, EventAction.APPROVE, EventAction.DECLINE):
                    submission = latest
                rows.append(
                    (
                        assessment.pk,
                        actors[step.actor].pk,
                        step.action,
                        step.from_state,
                        step.to_state,
                        str(note),
                        submission.pk if submission else None,
                        step.at,
                    )
                )
        fields = ["assessment", "actor", "action", "from_state", "to_state", "note", "submission", "created_at"]
        insert(AssessmentEvent, fields, rows)
        self.count(AssessmentEvent, len(rows))
