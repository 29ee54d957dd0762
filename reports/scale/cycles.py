"""Four years of cycles per centre, planned without the database: every
step dated by the transitions the services allow, the answers, verdicts,
documents and visits. Dates are days relative to `today`; the writer
(reports.scale.writer) turns them into rows."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import cache

from django.utils import timezone

from assessments.models import AssessmentKind, AssessmentState, EventAction, ItemStatus
from certification.services import seal_valid_until
from evidence.models import EvidenceKind
from reports.scale import names
from reports.scale.plan import REVIEWERS, CentrePlan, centre_plans, is_confirmer, person, weighted

NEW_CENTRE_SHARE = 0.06  # first certification, no seal yet
# The open cycle of a centre that holds a seal (None: none open).
OPEN_STATES_WEIGHTS = (
    (None, 38),
    (AssessmentState.DRAFT, 24),
    (AssessmentState.SUBMITTED, 8),
    (AssessmentState.IN_REVIEW, 15),
    (AssessmentState.CHANGES_REQUESTED, 7),
    (AssessmentState.RECOMMENDED, 5),
    ("sent_back", 3),  # in review again after the second reviewer sent the recommendation back
)
NEW_CENTRE_STATES = (
    (AssessmentState.DRAFT, 40),
    (AssessmentState.SUBMITTED, 15),
    (AssessmentState.IN_REVIEW, 25),
    (AssessmentState.CHANGES_REQUESTED, 10),
    (AssessmentState.RECOMMENDED, 10),
)
# The first centres cover every state whatever N is (tests run at N=30).
FORCED = {
    1: ("seal", AssessmentState.DRAFT, None),
    2: ("seal", AssessmentState.SUBMITTED, None),
    3: ("seal", AssessmentState.IN_REVIEW, None),
    4: ("seal", AssessmentState.CHANGES_REQUESTED, None),
    5: ("seal", AssessmentState.RECOMMENDED, None),
    6: ("seal", "sent_back", AssessmentState.WITHDRAWN),
    7: ("seal", None, AssessmentState.NOT_CERTIFIED),
    8: ("new", AssessmentState.IN_REVIEW, AssessmentState.NOT_CERTIFIED),
}
HISTORY_SHARE = {AssessmentState.WITHDRAWN: 0.03, AssessmentState.NOT_CERTIFIED: 0.03}
QUALIFICATION_HOURS = Decimal("40")  # above every qualification minimum of the shipped catalogue
# Documents a re-certification takes over from the last cycle (the rest must come from the new review period).
LASTING_KINDS = (EvidenceKind.CONCEPT, EvidenceKind.AGREEMENT, EvidenceKind.QUALIFICATION)


ITEM_STATUSES = tuple(ItemStatus.values)


@dataclass(frozen=True)
class CriterionInfo:
    """What the plan needs of a catalogue criterion."""

    code: str
    area: str
    area_kind: str
    level: str
    logic: str
    item_codes: tuple[str, ...]
    per_site: bool
    evidence_required: bool
    qualification_min_hours: int | None


@dataclass(frozen=True)
class Scope:
    """The catalogue as the plan sees it: every criterion per area code, the
    profile areas a centre chooses from and those it always works on."""

    criteria: dict[str, tuple[CriterionInfo, ...]]  # area code -> criteria, catalogue order
    choosable_profiles: tuple[str, ...]
    min_profiles: int
    max_profiles: int

    def in_scope(self, profiles) -> list[CriterionInfo]:
        return [
            criterion
            for area, criteria in self.criteria.items()
            for criterion in criteria
            if criterion.area_kind != "profile" or area not in self.choosable_profiles or area in profiles
        ]


@dataclass
class Step:
    action: str  # EventAction value
    day: int
    to_state: str
    actor: str  # "leitung", "office", "reviewer", "second"
    note: str = ""
    submission: int | None = None  # index into CyclePlan.submissions
    at: datetime | None = None  # set by CyclePlanner.times
    from_state: str = ""  # set by CyclePlanner.times


@dataclass
class VerdictPlan:
    code: str
    verdict: str
    comment: str
    day: int
    reply: str = ""
    reply_day: int | None = None


@dataclass
class SubmissionPlan:
    day: int
    # Criteria whose narrative the centre changed after this submission's queries.
    changed_after: set[str] = field(default_factory=set)
    verdicts: list[VerdictPlan] = field(default_factory=list)
    at: datetime | None = None


@dataclass
class AnswerPlan:
    code: str
    statuses: dict[str, str]
    narrative: str
    site_numbers: tuple[int, ...]  # 1-based numbers of the centre's sites delivering it
    to_confirm: bool = False
    version: int = 1
    day: int = 0


@dataclass
class DocPlan:
    key: str  # identifies the document within its centre
    title: str
    kind: str
    effective: date
    day: int
    training_hours: Decimal | None = None

    @property
    def filename(self) -> str:
        return f"{self.key}.pdf"


@dataclass
class VisitPlan:
    scheduled_day: int  # when it was planned
    visit_day: int  # the date of the visit
    hour: int
    site_numbers: tuple[int, ...]
    done: bool
    notes: str = ""


@dataclass
class CyclePlan:
    kind: str
    state: str
    created_day: int
    period: tuple[date, date]
    profiles: tuple[str, ...]
    reviewer: int | None = None  # 1-based number in the reviewer pool
    second: int | None = None
    steps: list[Step] = field(default_factory=list)
    submissions: list[SubmissionPlan] = field(default_factory=list)
    answers: list[AnswerPlan] = field(default_factory=list)
    docs: list[DocPlan] = field(default_factory=list)  # documents this cycle uploaded
    links: dict[str, list[DocPlan]] = field(default_factory=dict)
    visit: VisitPlan | None = None
    previous: CyclePlan | None = None
    recommended: bool = False  # recommended_by is the reviewer now
    request_days: list[int] = field(default_factory=list)

    @property
    def approve_day(self) -> int | None:
        return next((step.day for step in self.steps if step.action == EventAction.APPROVE), None)


class Today:
    """Turns day offsets into dates and datetimes in the configured time zone."""

    def __init__(self, today: date):
        self.date = today
        self.zone = timezone.get_current_timezone()

    def day(self, offset: int) -> date:
        return self.date + timedelta(days=offset)

    def moment(self, offset: int, minutes: int) -> datetime:
        return datetime.combine(self.day(offset), time(7, 30), tzinfo=self.zone) + timedelta(minutes=minutes)


class CyclePlanner:
    """Plans one centre's cycles. Every cycle is simulated forward from day 0
    by the transitions the services allow, then shifted so that it ends where
    the centre's history needs it."""

    def __init__(self, rng: random.Random, centre: CentrePlan, scope: Scope, today: Today):
        self.rng = rng
        self.centre = centre
        self.scope = scope
        self.today = today
        self.filled = 0  # cycles filled so far: numbers the documents of each

    def days(self, low: int, high: int) -> int:
        return self.rng.randint(low, high)

    # -- the centre's history ------------------------------------------------

    def plan(self) -> list[CyclePlan]:
        rng = self.rng
        forced = FORCED.get(self.centre.index)
        if forced:
            kind, open_state, history = forced
        else:
            kind = "new" if rng.random() < NEW_CENTRE_SHARE else "seal"
            open_state = weighted(rng, NEW_CENTRE_STATES if kind == "new" else OPEN_STATES_WEIGHTS)
            history = next((state for state, share in HISTORY_SHARE.items() if rng.random() < share), None)
        profiles = tuple(
            sorted(
                rng.sample(
                    self.scope.choosable_profiles, rng.randint(max(1, self.scope.min_profiles), self.scope.max_profiles)
                )
            )
        )
        cycles: list[CyclePlan] = []
        open_cycle = None
        if open_state is not None:
            recert = kind == "seal"
            open_cycle = self.open_cycle(
                open_state, AssessmentKind.RECERTIFICATION if recert else AssessmentKind.FIRST, profiles
            )
        certified = None
        if kind == "seal":
            if open_cycle is not None:
                # The seal being renewed was issued two to four years before the
                # renewal started, and holds until it is renewed.
                latest = open_cycle.created_day - 2 * 365
                earliest = max(latest - 2 * 365 + 90, self.still_valid_from())
                approve = self.days(min(earliest, latest), latest)
            else:
                approve = self.days(self.still_valid_from(), -20)
            certified = self.closed_cycle(AssessmentState.CERTIFIED, AssessmentKind.RECERTIFICATION, approve, profiles)
        if history is not None:
            before = (certified or open_cycle).created_day if (certified or open_cycle) else 0
            end = before - self.days(30, 200)
            cycles.append(self.closed_cycle(history, AssessmentKind.FIRST, end, profiles))
        if certified is not None:
            cycles.append(certified)
        if open_cycle is not None:
            open_cycle.previous = certified
            self.fill(open_cycle)
            cycles.append(open_cycle)
        return cycles

    def still_valid_from(self) -> int:
        """The earliest day (an offset) a seal issued on is still valid today."""
        return still_valid_from(self.today.date)

    # -- one cycle ---------------------------------------------------------

    def new_cycle(self, kind: str, profiles=()) -> CyclePlan:
        return CyclePlan(
            kind=kind,
            state=AssessmentState.DRAFT,
            created_day=0,
            period=(date.min, date.min),
            profiles=tuple(profiles),
            steps=[Step(EventAction.START, 0, AssessmentState.DRAFT, "leitung")],
        )

    def reviewers(self, cycle: CyclePlan) -> None:
        rng = self.rng
        # Some reviewers carry five times the load of others.
        cycle.reviewer = rng.choices(range(1, REVIEWERS + 1), weights=[1 + (k * 7) % 5 for k in range(REVIEWERS)])[0]
        confirmers = [k for k in range(1, REVIEWERS + 1) if is_confirmer(k) and k != cycle.reviewer]
        cycle.second = rng.choice(confirmers)

    def step(self, cycle: CyclePlan, action: str, day: int, to_state: str, actor: str, **extra) -> int:
        cycle.steps.append(Step(action, day, to_state, actor, **extra))
        cycle.state = to_state
        return day

    def submit(self, cycle: CyclePlan, day: int, action=EventAction.SUBMIT) -> int:
        cycle.submissions.append(SubmissionPlan(day=day))
        to_state = AssessmentState.SUBMITTED if action == EventAction.SUBMIT else AssessmentState.IN_REVIEW
        return self.step(cycle, action, day, to_state, "leitung", submission=len(cycle.submissions) - 1)

    def assign(self, cycle: CyclePlan, day: int) -> int:
        self.reviewers(cycle)
        return self.step(cycle, EventAction.ASSIGN, day, AssessmentState.IN_REVIEW, "office")

    def visit(self, cycle: CyclePlan, planned: int, on: int, done: bool) -> None:
        numbers = (1,) if len(self.centre.sites) == 1 else (1, self.rng.randint(2, len(self.centre.sites)))
        cycle.visit = VisitPlan(
            planned, on, self.rng.choice((9, 10, 13)), numbers, done, self.rng.choice(names.VISIT_NOTES) if done else ""
        )
        cycle.steps.append(Step(EventAction.VISIT_SCHEDULED, planned, cycle.state, "reviewer"))
        if done:
            cycle.steps.append(Step(EventAction.VISIT_DONE, on, cycle.state, "reviewer", note=cycle.visit.notes))

    def judge(self, cycle: CyclePlan, start: int, end: int, share: float, queries: int = 0) -> list[str]:
        """Verdicts on the latest submission between `start` and `end`: a
        share of the unjudged criteria accepted and `queries` queried.
        Returns the queried codes."""
        submission = cycle.submissions[-1]
        judged = {verdict.code for verdict in submission.verdicts}
        codes = [criterion.code for criterion in self.scope.in_scope(cycle.profiles) if criterion.code not in judged]
        queried = self.rng.sample(codes, min(queries, len(codes))) if queries else []
        for code in codes:
            day = self.days(start, max(start, end))
            if code in queried:
                submission.verdicts.append(VerdictPlan(code, "queried", self.rng.choice(names.QUERIES), day))
            elif self.rng.random() < share:
                submission.verdicts.append(VerdictPlan(code, "accepted", "", day))
        return queried

    def query_round(self, cycle: CyclePlan, since: int, day: int, *, answered: bool) -> int:
        """Judged since `since`, queries sent on `day`; then replied and
        resubmitted (`answered`) or still open."""
        queried = self.judge(cycle, since + 1, day - 1, 0.8, queries=self.days(1, 5))
        self.step(cycle, EventAction.REQUEST_CHANGES, day, AssessmentState.CHANGES_REQUESTED, "reviewer")
        cycle.request_days.append(day)
        submission = cycle.submissions[-1]
        if not answered:
            # Replies written so far: some.
            for verdict in submission.verdicts:
                if verdict.verdict == "queried" and self.rng.random() < 0.4:
                    verdict.reply, verdict.reply_day = self.rng.choice(names.REPLIES), day + 1
            return day
        reply_day = day + self.days(3, 20)
        for verdict in submission.verdicts:
            if verdict.verdict == "queried":
                verdict.reply, verdict.reply_day = self.rng.choice(names.REPLIES), reply_day
        submission.changed_after = set(queried)
        day = self.submit(cycle, reply_day + self.days(1, 10), EventAction.RESUBMIT)
        # resubmit() carries the acceptances over where nothing changed.
        cycle.submissions[-1].verdicts = [
            VerdictPlan(verdict.code, "accepted", "", day)
            for verdict in submission.verdicts
            if verdict.verdict == "accepted" and verdict.code not in submission.changed_after
        ]
        return day

    def review_to_recommendation(self, cycle: CyclePlan, assigned: int) -> int:
        """From the assignment to a recommendation: maybe a round of queries,
        the site visit, every criterion accepted."""
        day = assigned
        if self.rng.random() < 0.4:
            day = self.query_round(cycle, day, day + self.days(14, 45), answered=True)
        planned = assigned + self.days(3, 20)
        on = max(planned + self.days(10, 30), day + 1)
        self.visit(cycle, planned, on, done=True)
        recommend = max(on, day) + self.days(2, 12)
        self.judge(cycle, day + 1, recommend - 1, 1.0)
        cycle.recommended = True
        return self.step(cycle, EventAction.RECOMMEND, recommend, AssessmentState.RECOMMENDED, "reviewer")

    def closed_cycle(self, state: str, kind: str, end_day: int, profiles) -> CyclePlan:
        """A decided cycle whose last step falls on `end_day`."""
        rng = self.rng
        cycle = self.new_cycle(kind, profiles)
        if state == AssessmentState.WITHDRAWN and rng.random() < 0.5:
            day = self.days(30, 200)
        else:
            day = self.assign(cycle, self.submit(cycle, self.days(150, 330)) + self.days(2, 21))
            if state == AssessmentState.CERTIFIED:
                day = self.review_to_recommendation(cycle, day)
                cycle.recommended = True
                day = self.step(cycle, EventAction.APPROVE, day + self.days(3, 25), AssessmentState.CERTIFIED, "second")
            elif state == AssessmentState.NOT_CERTIFIED:
                day = self.query_round(cycle, day, day + self.days(14, 45), answered=True)
                planned = day + self.days(3, 20)
                self.visit(cycle, planned, planned + self.days(14, 30), done=True)
                self.judge(cycle, day + 1, planned + 30, 0.6, queries=2)
                day = self.step(
                    cycle,
                    EventAction.DECLINE,
                    planned + self.days(35, 60),
                    AssessmentState.NOT_CERTIFIED,
                    "reviewer",
                    note=rng.choice(names.DECLINE_REASONS),
                )
        if state == AssessmentState.WITHDRAWN:
            day = self.step(
                cycle,
                EventAction.WITHDRAW,
                day + self.days(5, 40),
                AssessmentState.WITHDRAWN,
                "leitung",
                note=rng.choice(names.WITHDRAW_REASONS),
            )
        self.shift(cycle, end_day - day)
        self.fill(cycle)
        return cycle

    def open_cycle(self, state: str, kind: str, profiles) -> CyclePlan:
        """A cycle in `state` today: simulated up to it, then shifted so that
        its last step lies in the past and what is planned in the future."""
        cycle = self.new_cycle(kind, profiles)
        rng = self.rng
        if state == AssessmentState.DRAFT:
            # A first certification's draft may have stalled past its date; a
            # re-certification's is due before the seal ends.
            now = self.days(3, 500 if kind == AssessmentKind.FIRST else 330)
        elif state == AssessmentState.SUBMITTED:
            now = self.submit(cycle, self.days(150, 330)) + self.days(1, 75)
        else:
            assigned = self.assign(cycle, self.submit(cycle, self.days(150, 330)) + self.days(2, 21))
            if state == AssessmentState.CHANGES_REQUESTED:
                now = self.query_round(cycle, assigned, assigned + self.days(14, 45), answered=False)
                now += self.days(1, 45)
                if rng.random() < 0.5:
                    self.visit(cycle, assigned + self.days(3, 20), now + self.days(3, 50), done=False)
            elif state == AssessmentState.RECOMMENDED:
                now = self.review_to_recommendation(cycle, assigned) + self.days(1, 14)
            elif state == "sent_back":
                day = self.review_to_recommendation(cycle, assigned) + self.days(2, 14)
                cycle.recommended = False
                self.step(
                    cycle,
                    EventAction.SEND_BACK,
                    day,
                    AssessmentState.IN_REVIEW,
                    "second",
                    note=rng.choice(names.SEND_BACK_REASONS),
                )
                now = day + self.days(1, 20)
            else:  # in review
                day = assigned
                if rng.random() < 0.15:
                    day = self.query_round(cycle, day, day + self.days(14, 45), answered=True)
                now = day + self.days(1, 75)
                visit = rng.random()
                if now - assigned > 35 and visit < 0.5:
                    on = self.days(assigned + 20, now - 1)
                    self.visit(cycle, self.days(assigned + 1, on - 7), on, done=True)
                elif visit < 0.75:
                    self.visit(cycle, self.days(assigned + 1, now), now + self.days(3, 60), done=False)
                self.judge(cycle, day + 1, now, rng.random() * 0.9, queries=rng.choice((0, 0, 1, 2)))
        self.shift(cycle, -now)
        return cycle

    def shift(self, cycle: CyclePlan, offset: int) -> None:
        cycle.created_day += offset
        for step in cycle.steps:
            step.day += offset
        for submission in cycle.submissions:
            submission.day += offset
            for verdict in submission.verdicts:
                verdict.day += offset
                if verdict.reply_day is not None:
                    verdict.reply_day += offset
        if cycle.visit is not None:
            cycle.visit.scheduled_day += offset
            cycle.visit.visit_day += offset
        cycle.request_days = [day + offset for day in cycle.request_days]

    # -- what the centre wrote and uploaded ----------------------------------

    def fill(self, cycle: CyclePlan) -> None:
        """The review period, times of the steps, the answers and the evidence."""
        today = self.today
        first_submission = cycle.submissions[0].day if cycle.submissions else None
        if cycle.kind == AssessmentKind.RECERTIFICATION:
            # The review year: 1 January to 31 January, the last one ended before the submission.
            reference = today.day(first_submission if first_submission is not None else cycle.created_day + 200)
            year = reference.year - 1 if reference.month > 1 else reference.year - 2
            cycle.period = (date(year, 1, 1), date(year + 1, 1, 31))
        else:
            end = today.day(
                first_submission - self.days(7, 40) if first_submission is not None else cycle.created_day + 330
            )
            cycle.period = (end - timedelta(days=self.days(240, 330)), end)
        self.filled += 1
        self.times(cycle)
        self.answer(cycle)
        self.evidence(cycle)

    def times(self, cycle: CyclePlan) -> None:
        """A time of day for every step, in order; each step's from and to
        state replayed in that order (a visit is recorded in whatever state
        the cycle is in at the time)."""
        last = None
        state = ""
        cycle.steps.sort(key=lambda step: step.day)  # stable: same-day steps keep their order
        for step in cycle.steps:
            at = self.today.moment(step.day, self.days(0, 9 * 60))
            if last is not None and at <= last:
                at = last + timedelta(minutes=self.days(1, 30))
            step.at = last = at
            if step.action in (EventAction.VISIT_SCHEDULED, EventAction.VISIT_DONE):
                step.to_state = state
            step.from_state, state = state, step.to_state
            if step.submission is not None:
                cycle.submissions[step.submission].at = step.at

    def answer(self, cycle: CyclePlan) -> None:
        rng = self.rng
        criteria = self.scope.in_scope(cycle.profiles)
        sites = len(self.centre.sites)
        end = cycle.submissions[0].day if cycle.submissions else 0
        if cycle.state == AssessmentState.DRAFT and cycle.previous is not None:
            # start_recertification copied every answer (to confirm); some are confirmed since.
            confirmed = rng.random()
            for before in cycle.previous.answers:
                again = rng.random() < confirmed
                cycle.answers.append(
                    AnswerPlan(
                        before.code,
                        dict(before.statuses),
                        before.narrative,
                        before.site_numbers,
                        to_confirm=not again,
                        version=2 if again else 1,
                        day=self.days(cycle.created_day, 0) if again else cycle.created_day,
                    )
                )
            return
        share = rng.uniform(0.05, 1.0) if cycle.state == AssessmentState.DRAFT else 1.0
        staff = [site.leitung_name for site in self.centre.sites] + [person(rng), person(rng)]
        first_year = cycle.period[0].year
        for criterion in criteria[: round(share * len(criteria))]:
            statuses = self.statuses(criterion)
            fulfilled = items_fulfilled(criterion, statuses)
            numbers: tuple[int, ...] = ()
            if fulfilled and sites > 1:
                if criterion.per_site:
                    numbers = tuple(range(1, sites + 1))
                else:
                    numbers = tuple(sorted(rng.sample(range(1, sites + 1), rng.randint(1, sites))))
            text = rng.choice(names.NARRATIVES).format(
                year=first_year - rng.randint(0, 6), person=rng.choice(staff), town=self.centre.town.name
            )
            changed = [submission for submission in cycle.submissions if criterion.code in submission.changed_after]
            day = self.days(cycle.created_day + 1, end - 1) if end > cycle.created_day + 1 else end
            if changed:  # edited after the queries, before the next submission
                day = cycle.submissions[cycle.submissions.index(changed[-1]) + 1].day - 1
            cycle.answers.append(
                AnswerPlan(
                    criterion.code,
                    statuses,
                    text + (names.AFTER_QUERY if changed else ""),
                    numbers,
                    version=rng.randint(1, 4) + (1 if changed else 0),
                    day=day,
                )
            )

    def statuses(self, criterion: CriterionInfo) -> dict[str, str]:
        """Basis criteria fulfilled; a few Aufbau criteria not (yet)."""
        rng = self.rng
        codes = criterion.item_codes
        if criterion.level == "aufbau" and rng.random() < 0.12:
            other = rng.choice((ItemStatus.NOT_FULFILLED, ItemStatus.PLANNED))
            return {code: other for code in codes}
        if criterion.logic == "any" and len(codes) > 1:
            chosen = rng.randrange(len(codes))
            return {
                code: ItemStatus.FULFILLED if index == chosen else rng.choice(ITEM_STATUSES)
                for index, code in enumerate(codes)
            }
        return {code: ItemStatus.FULFILLED for code in codes}

    def evidence(self, cycle: CyclePlan) -> None:
        """Documents uploaded for this cycle (a re-certification keeps the
        concept, agreement and qualification of the last one) and linked to
        every answered criterion that needs one."""
        rng = self.rng
        start, end = cycle.period
        year = end.year
        deadline = (cycle.submissions[0].day if cycle.submissions else 1) - 1
        upload_day = max(cycle.created_day, min(cycle.created_day + self.days(1, 60), deadline))
        uploaded = self.today.day(upload_day)

        def within() -> date:
            # An offer of the review period, as far as it has passed when uploaded.
            last = min(end, uploaded)
            return start + timedelta(days=rng.randint(0, (last - start).days)) if last >= start else uploaded

        previous = cycle.previous.docs if cycle.previous else []
        kept = {doc.key.split("-")[0]: doc for doc in previous if doc.kind in LASTING_KINDS}
        number = self.filled

        def doc(key: str, title: str, kind: str, effective: date, hours=None) -> DocPlan:
            if key in kept:
                return kept[key]
            made = DocPlan(f"{key}-{number}", title, kind, effective, upload_day, hours)
            cycle.docs.append(made)
            return made

        concept = doc("konzeption", f"Konzeption des {self.centre.name}", EvidenceKind.CONCEPT, start)
        agreement = doc(
            "kooperation",
            f"Kooperationsvereinbarung Erziehungsberatungsstelle {self.centre.town.name}",
            EvidenceKind.AGREEMENT,
            start - timedelta(days=rng.randint(100, 900)),
        )
        training = doc(
            "fortbildung",
            "Fortbildungsnachweis Beratung und Gesprächsführung (40 Stunden)",
            EvidenceKind.QUALIFICATION,
            start - timedelta(days=rng.randint(30, 1500)),
            QUALIFICATION_HOURS,
        )
        programme = doc("programm", f"Jahresprogramm Familienbildung {year - 1}/{year}", EvidenceKind.OFFER, within())
        survey = doc("befragung", f"Auswertung der Elternbefragung {year - 1}", EvidenceKind.OTHER, within())
        by_area = {"5": concept, "6": agreement, "7": survey, "8": concept}
        criteria = {criterion.code: criterion for criterion in self.scope.in_scope(cycle.profiles)}
        for answer in cycle.answers:
            criterion = criteria[answer.code]
            if not (criterion.evidence_required or rng.random() < 0.3):
                continue
            chosen = [by_area.get(criterion.area, programme)]
            if criterion.qualification_min_hours:
                chosen.append(training)
            if rng.random() < 0.2 and concept not in chosen:
                chosen.append(concept)
            cycle.links[answer.code] = chosen


@cache
def still_valid_from(today: date) -> int:
    """The earliest day, as an offset from `today`, whose seal
    (seal_valid_until: four years, stretched to 31 July) has not ended."""
    offset = -5 * 365
    while seal_valid_until(today + timedelta(days=offset)) < today:
        offset += 1
    return offset


def items_fulfilled(criterion: CriterionInfo, statuses: dict[str, str]) -> bool:
    met = [statuses.get(code) == ItemStatus.FULFILLED for code in criterion.item_codes]
    return bool(met) and (any(met) if criterion.logic == "any" else all(met))


def plan_population(seed: int, count: int, scope: Scope, today: date, wanted=None) -> list[CentrePlan]:
    """The first `count` centres with their cycles (only those in `wanted`)."""
    clock = Today(today)
    plans = []
    for centre, rng in centre_plans(seed, count, wanted):
        planner = CyclePlanner(rng, centre, scope, clock)
        for cycle in planner.plan():
            centre.cycles.append(cycle)
        plans.append(centre)
    return plans
