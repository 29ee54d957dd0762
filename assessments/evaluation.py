"""Evaluating an assessment against its pinned catalogue: which criteria are
answered and fulfilled, progress per area, the threshold rules, and what still
stands in the way of a transition. Reads only; the number of queries does not
depend on the size of the catalogue."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, Q
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from assessments.models import Answer, Assessment, EvidenceLink, ItemStatus, Verdict
from certification.models import Area, AreaKind, Criterion, CriterionLevel, ItemLogic, Membership, ThresholdRule
from certification.selectors import catalogue_structure
from certification.templatetags.catalogue_tags import localized
from evidence.models import EvidenceGrant, EvidenceRevision

# A criterion's answer is judged by its item statuses and, in a Verbund, by
# the sites named as delivering it. `centre_site_ids` is empty for a single
# site (no site has to be named there) and holds every site of a Verbund;
# `delivering_site_ids` are the sites the answer names.
NO_SITES: frozenset[int] = frozenset()
# ItemStatus.values builds a new list on every access; this runs per item.
ITEM_STATUSES: frozenset[str] = frozenset(ItemStatus.values)


def items_answered(criterion: Criterion, statuses: dict[str, str]) -> bool:
    """Every item has a status."""
    return all(statuses.get(item.code) in ITEM_STATUSES for item in criterion.items.all())


def items_fulfilled(criterion: Criterion, statuses: dict[str, str]) -> bool:
    """The items, combined by the criterion's logic, say "fulfilled": what the
    centre claims, before the sites are looked at."""
    met = [statuses.get(item.code) == ItemStatus.FULFILLED for item in criterion.items.all()]
    if not met:
        return False
    return any(met) if criterion.logic == ItemLogic.ANY else all(met)


def sites_named(criterion: Criterion, delivering_site_ids=NO_SITES, centre_site_ids=NO_SITES) -> bool:
    """In a Verbund a fulfilled criterion names who delivers it: every site
    for a per-site criterion, at least one of the Verbund's sites otherwise.
    A single site names none."""
    if not centre_site_ids:
        return True
    delivering = set(delivering_site_ids) & set(centre_site_ids)
    if criterion.per_site:
        return delivering == set(centre_site_ids)
    return bool(delivering)


def criterion_is_answered(
    criterion: Criterion,
    statuses: dict[str, str],
    *,
    delivering_site_ids=NO_SITES,
    centre_site_ids=NO_SITES,
) -> bool:
    """Every item has a status, and a criterion claimed as fulfilled in a
    Verbund names its sites (until then the answer is incomplete)."""
    if not items_answered(criterion, statuses):
        return False
    return not items_fulfilled(criterion, statuses) or sites_named(criterion, delivering_site_ids, centre_site_ids)


def criterion_is_fulfilled(
    criterion: Criterion,
    statuses: dict[str, str],
    *,
    delivering_site_ids=NO_SITES,
    centre_site_ids=NO_SITES,
) -> bool:
    """The items say fulfilled and, in a Verbund, the sites are named. Only
    then does the criterion count for progress, points and thresholds."""
    return items_fulfilled(criterion, statuses) and sites_named(criterion, delivering_site_ids, centre_site_ids)


def centre_site_ids(assessment: Assessment) -> frozenset[int]:
    """The sites a Verbund's answers must name from; empty for a single site.
    Reads the centre's site links (prefetched by the assessment selectors)."""
    centre = assessment.familienzentrum
    if not centre.is_verbund:
        return NO_SITES
    return frozenset(link.site_id for link in centre.site_links.all())


def answer_site_ids(answer: Answer | AnswerFacts | None) -> frozenset[int]:
    if answer is None:
        return NO_SITES
    if isinstance(answer, AnswerFacts):
        return answer.site_ids
    return frozenset(site.pk for site in answer.delivering_sites.all())


def criteria_with_evidence(assessment: Assessment) -> set[int]:
    """Ids of the criteria with at least one usable document linked: one with
    a file, and a partner's document only while its grant to the centre
    stands (as on the checklist). One query."""
    granted = EvidenceGrant.objects.filter(
        evidence_id=OuterRef("evidence_id"), familienzentrum_id=assessment.familienzentrum_id, revoked_at__isnull=True
    )
    has_file = EvidenceRevision.objects.filter(evidence_id=OuterRef("evidence_id"))
    links = EvidenceLink.objects.filter(assessment=assessment).filter(
        Exists(has_file), Q(evidence__owner_partner__isnull=True) | Exists(granted)
    )
    return set(links.values_list("criterion_id", flat=True))


@dataclass(frozen=True)
class AnswerFacts:
    """An answer as the counting sees it."""

    item_statuses: dict[str, str]
    site_ids: frozenset[int]
    to_confirm: bool = False


@dataclass
class AreaProgress:
    area: Area
    total: int = 0
    answered: int = 0
    fulfilled: int = 0
    points: int = 0
    max_points: int = 0

    @property
    def percent_answered(self) -> int:
        return round(100 * self.answered / self.total) if self.total else 0

    @property
    def percent_points(self) -> int:
        return round(100 * self.points / self.max_points) if self.max_points else 0


@dataclass
class RuleResult:
    rule: ThresholdRule
    basis: int
    aufbau: int
    points: int
    missing: list[str] = field(default_factory=list)

    @property
    def met(self) -> bool:
        return not self.missing


@dataclass
class Problem:
    """One thing that blocks a transition, linked to its criterion where it has one."""

    message: str
    criterion_code: str = ""
    area_code: str = ""
    # What kind of problem: "answer", "confirm", "sites", "evidence" (per
    # criterion) or "profile", "threshold" (for the whole assessment).
    kind: str = ""


@dataclass
class Evaluation:
    areas: list[Area]
    scope_area_ids: set[int]
    answers: dict[int, Answer]
    progress: list[AreaProgress]
    rules: list[RuleResult]
    fulfilled_criterion_ids: set[int]
    # The Verbund's sites the answers name from (empty for a single site).
    centre_site_ids: frozenset[int] = NO_SITES
    # Set by evaluate_counts(): what the counts were made from (the progress
    # panel is kept under it).
    fingerprint: str = ""

    @property
    def rules_met(self) -> bool:
        return all(result.met for result in self.rules)

    def progress_for(self, area: Area) -> AreaProgress | None:
        return next((entry for entry in self.progress if entry.area.pk == area.pk), None)

    @property
    def scope_areas(self) -> list[Area]:
        """The areas this assessment works on, in catalogue order."""
        return [area for area in self.areas if area.pk in self.scope_area_ids]

    @property
    def scope_progress(self) -> list[AreaProgress]:
        return [entry for entry in self.progress if entry.area.pk in self.scope_area_ids]

    @property
    def scope_criteria(self) -> list[Criterion]:
        return [criterion for area in self.scope_areas for criterion in area.criteria.all()]


def scope_area_ids(assessment: Assessment, areas: list[Area]) -> set[int]:
    """Service and structure areas, the chosen profile areas and those every centre works on."""
    chosen = {area.pk for area in assessment.profile_areas.all()}
    return {area.pk for area in areas if area.kind != AreaKind.PROFILE or area.always_required or area.pk in chosen}


def load_answers(assessment: Assessment, criterion_ids=None, *, with_sites: bool = True) -> dict[int, Answer]:
    """The full answers (all, or those to `criterion_ids`) with their sites
    (`with_sites=False`: without, for a reader that never asks for them)."""
    answers = Answer.objects.filter(assessment=assessment)
    if with_sites:
        answers = answers.prefetch_related("delivering_sites")
    if criterion_ids is not None:
        answers = answers.filter(criterion_id__in=list(criterion_ids))
    return {answer.criterion_id: answer for answer in answers}


def load_answer_facts(assessment: Assessment) -> dict[int, AnswerFacts]:
    """What the counting needs of every answer (statuses, named sites), in
    two narrow queries and without model instances: what an autosave
    re-reads to update the progress panel."""
    site_ids: dict[int, set[int]] = {}
    if assessment.familienzentrum.is_verbund:
        through = Answer.delivering_sites.through.objects.filter(answer__assessment=assessment)
        for answer_id, site_id in through.values_list("answer_id", "einrichtung_id"):
            site_ids.setdefault(answer_id, set()).add(site_id)
    rows = Answer.objects.filter(assessment=assessment).values_list("pk", "criterion_id", "item_statuses", "to_confirm")
    return {
        criterion_id: AnswerFacts(statuses, frozenset(site_ids.get(pk, ())), to_confirm)
        for pk, criterion_id, statuses, to_confirm in rows
    }


def evaluate(
    assessment: Assessment, *, areas: list[Area] | None = None, answers: dict[int, Answer | AnswerFacts] | None = None
) -> Evaluation:
    """`answers` (e.g. from load_answer_facts) spares reading full answers
    where only the counts are shown."""
    structure = catalogue_structure(assessment.catalogue)
    areas = areas if areas is not None else structure.areas
    in_scope = scope_area_ids(assessment, areas)
    answers = answers if answers is not None else load_answers(assessment)
    site_ids = centre_site_ids(assessment)
    progress: list[AreaProgress] = []
    fulfilled_ids: set[int] = set()
    for area in areas:
        entry = AreaProgress(area=area)
        for criterion in area.criteria.all():
            entry.total += 1
            entry.max_points += criterion.points
            answer = answers.get(criterion.pk)
            statuses = answer.item_statuses if answer else {}
            sites = {"delivering_site_ids": answer_site_ids(answer), "centre_site_ids": site_ids}
            if criterion_is_answered(criterion, statuses, **sites):
                entry.answered += 1
            if criterion_is_fulfilled(criterion, statuses, **sites):
                entry.fulfilled += 1
                entry.points += criterion.points
                fulfilled_ids.add(criterion.pk)
        progress.append(entry)
    rule_results = [_evaluate_rule(rule, areas, in_scope, fulfilled_ids) for rule in structure.rules]
    return Evaluation(
        areas=areas,
        scope_area_ids=in_scope,
        answers=answers,
        progress=progress,
        rules=rule_results,
        fulfilled_criterion_ids=fulfilled_ids,
        centre_site_ids=site_ids,
    )


# An autosave of a narrative (the most frequent change) moves no count, nor
# does a page shown again: each process keeps the latest evaluations under
# the fingerprint of what they were made from, the oldest giving way.
_COUNTED: dict[str, Evaluation] = {}
_COUNTED_KEPT = 256


def counts_fingerprint(assessment: Assessment, facts: dict[int, AnswerFacts]) -> str:
    """Everything evaluate() reads besides the answers' facts: the catalogue
    version as loaded, the chosen profiles, the Verbund's sites, and the
    language the rules' messages are phrased in."""
    catalogue = assessment.catalogue
    parts = [
        "counts-1",
        assessment.pk,
        (catalogue.pk, str(catalogue.loaded_at), catalogue.source_sha256),
        sorted(area.pk for area in assessment.profile_areas.all()),
        sorted(centre_site_ids(assessment)),
        translation.get_language(),
        sorted(
            (criterion_id, sorted(fact.item_statuses.items()), sorted(fact.site_ids), fact.to_confirm)
            for criterion_id, fact in facts.items()
        ),
    ]
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def evaluate_counts(assessment: Assessment, facts: dict[int, AnswerFacts] | None = None) -> Evaluation:
    """evaluate() over the answers' facts (what the progress panel and the
    checklist need), made once per distinct input in each process. The
    result is shared: callers treat it as read-only."""
    facts = facts if facts is not None else load_answer_facts(assessment)
    key = counts_fingerprint(assessment, facts)
    evaluation = _COUNTED.get(key)
    if evaluation is None:
        evaluation = evaluate(assessment, answers=facts)
        evaluation.fingerprint = key
        while len(_COUNTED) >= _COUNTED_KEPT:
            _COUNTED.pop(next(iter(_COUNTED)), None)
        _COUNTED[key] = evaluation
    return evaluation


def forget_counted_evaluations() -> None:
    """For tests that change a loaded catalogue's rows in place."""
    _COUNTED.clear()


def _evaluate_rule(rule: ThresholdRule, areas: list[Area], in_scope: set[int], fulfilled_ids: set[int]) -> RuleResult:
    rule_area_ids = {area.pk for area in rule.areas.all()}
    if rule.applies_to_chosen_profiles_only:
        rule_area_ids &= in_scope
    basis = aufbau = points = 0
    for area in areas:
        if area.pk not in rule_area_ids:
            continue
        for criterion in area.criteria.all():
            if criterion.pk not in fulfilled_ids:
                continue
            points += criterion.points
            if criterion.level == CriterionLevel.BASIS:
                basis += 1
            else:
                aufbau += 1
    result = RuleResult(rule=rule, basis=basis, aufbau=aufbau, points=points)
    # Each entry is a whole phrase with its verb, so that singular and plural
    # read right ("es fehlt noch 1 Basiskriterium").
    if rule.min_basis is not None and basis < rule.min_basis:
        missing = rule.min_basis - basis
        result.missing.append(
            ngettext(
                "es fehlt noch %(missing)d Basiskriterium (erfüllt %(have)d von mindestens %(need)d)",
                "es fehlen noch %(missing)d Basiskriterien (erfüllt %(have)d von mindestens %(need)d)",
                missing,
            )
            % {"missing": missing, "have": basis, "need": rule.min_basis}
        )
    if rule.min_aufbau is not None and aufbau < rule.min_aufbau:
        missing = rule.min_aufbau - aufbau
        result.missing.append(
            ngettext(
                "es fehlt noch %(missing)d Aufbaukriterium (erfüllt %(have)d von mindestens %(need)d)",
                "es fehlen noch %(missing)d Aufbaukriterien (erfüllt %(have)d von mindestens %(need)d)",
                missing,
            )
            % {"missing": missing, "have": aufbau, "need": rule.min_aufbau}
        )
    if rule.min_points is not None and points < rule.min_points:
        missing = rule.min_points - points
        result.missing.append(
            ngettext(
                "es fehlt noch %(missing)d Punkt (erreicht %(have)d von mindestens %(need)d)",
                "es fehlen noch %(missing)d Punkte (erreicht %(have)d von mindestens %(need)d)",
                missing,
            )
            % {"missing": missing, "have": points, "need": rule.min_points}
        )
    return result


def readiness_problems(
    assessment: Assessment,
    evaluation: Evaluation | None = None,
    *,
    evidenced_criterion_ids: set[int] | None = None,
) -> list[Problem]:
    """Everything that keeps a draft from being submitted, in catalogue order:
    the profile choice, then per criterion of the scope an incomplete answer,
    an answer to confirm, the sites a Verbund must name, and missing evidence
    for a criterion claimed as fulfilled; last the threshold rules.

    Evidence is required, not merely advised: the certifier checks each answer
    against the documents uploaded with it (DOMAIN: evidence is uploaded with
    the questionnaire), so a fulfilled criterion without any document would
    be queried by the reviewer as the very first thing."""
    evaluation = evaluation or evaluate(assessment)
    if evidenced_criterion_ids is None:
        evidenced_criterion_ids = criteria_with_evidence(assessment)
    problems: list[Problem] = []
    catalogue = assessment.catalogue
    chosen = [area for area in assessment.profile_areas.all() if not area.always_required]
    if not catalogue.min_profile_areas <= len(chosen) <= catalogue.max_profile_areas:
        problems.append(
            Problem(
                _("Wählen Sie zwischen %(min)d und %(max)d Profilbereiche (gewählt: %(count)d).")
                % {"min": catalogue.min_profile_areas, "max": catalogue.max_profile_areas, "count": len(chosen)},
                kind="profile",
            )
        )
    site_ids = evaluation.centre_site_ids
    site_names = {link.site_id: link.site.name for link in assessment.familienzentrum.site_links.all()}
    for area in evaluation.scope_areas:
        for criterion in area.criteria.all():
            answer = evaluation.answers.get(criterion.pk)
            statuses = answer.item_statuses if answer else {}

            def add(message: str, kind: str, criterion=criterion, area=area) -> None:
                problems.append(Problem(message, criterion.code, area.code, kind=kind))

            if not items_answered(criterion, statuses):
                add(_("Noch nicht vollständig beantwortet."), "answer")
                continue
            if answer.to_confirm:
                add(_("Aus der letzten Zertifizierung übernommen: bitte bestätigen."), "confirm")
            if not items_fulfilled(criterion, statuses):
                continue
            delivering = answer_site_ids(answer) & site_ids
            if site_ids and not sites_named(criterion, delivering, site_ids):
                if criterion.per_site:
                    missing = sorted(site_names[pk] for pk in site_ids - delivering)
                    add(
                        _("Muss an jedem Standort erfüllt sein: bitte auch %(sites)s nennen.")
                        % {"sites": ", ".join(missing)},
                        "sites",
                    )
                else:
                    add(_("Bitte den erbringenden Standort nennen."), "sites")
            if criterion.evidence_required and criterion.pk not in evidenced_criterion_ids:
                add(_("Als erfüllt angegeben, aber noch kein Nachweis verknüpft."), "evidence")
    for result in evaluation.rules:
        for missing in result.missing:
            problems.append(
                Problem(
                    _("Schwelle „%(rule)s“: %(missing)s.")
                    % {"rule": localized(result.rule, "title"), "missing": missing},
                    kind="threshold",
                )
            )
    return problems


@dataclass
class CriterionProblems:
    """A criterion of the readiness list with everything still open for it."""

    criterion: Criterion
    messages: list[str] = field(default_factory=list)
    kinds: set[str] = field(default_factory=set)


@dataclass
class AreaProblems:
    area: Area
    criteria: list[CriterionProblems] = field(default_factory=list)


@dataclass
class Readiness:
    """The readiness problems as the page shows them: the ones of the whole
    assessment first, then per area (in catalogue order) each criterion once."""

    general: list[Problem]
    areas: list[AreaProblems]

    @property
    def open_criteria(self) -> int:
        return sum(len(area.criteria) for area in self.areas)

    @property
    def missing_evidence(self) -> int:
        return sum(1 for area in self.areas for entry in area.criteria if "evidence" in entry.kinds)

    @property
    def is_empty(self) -> bool:
        return not self.general and not self.areas


def group_readiness(problems: list[Problem], evaluation: Evaluation) -> Readiness:
    criteria = {criterion.code: criterion for area in evaluation.areas for criterion in area.criteria.all()}
    by_code: dict[str, CriterionProblems] = {}
    general: list[Problem] = []
    for problem in problems:
        if not problem.criterion_code:
            general.append(problem)
            continue
        entry = by_code.get(problem.criterion_code)
        if entry is None:
            entry = by_code[problem.criterion_code] = CriterionProblems(criterion=criteria[problem.criterion_code])
        entry.messages.append(problem.message)
        entry.kinds.add(problem.kind)
    areas = []
    for area in evaluation.areas:
        entries = [by_code[criterion.code] for criterion in area.criteria.all() if criterion.code in by_code]
        if entries:
            areas.append(AreaProblems(area=area, criteria=entries))
    return Readiness(general=general, areas=areas)


def reviewer_conflict(assessment: Assessment) -> bool:
    """True when the assigned reviewer is tied to the centre's Träger: staff of
    the Träger or Leitung of any of its sites."""
    traeger_id = assessment.familienzentrum.traeger_id
    return Membership.objects.filter(
        Q(traeger_id=traeger_id) | Q(site__traeger_id=traeger_id), user_id=assessment.reviewer_id
    ).exists()


def review_problems(assessment: Assessment) -> list[Problem]:
    """What keeps a reviewer from recommending: every criterion of the latest
    submission accepted, and the site visit done."""
    problems: list[Problem] = []
    submission = assessment.latest_submission
    if submission is None:
        return [Problem(_("Es liegt keine Einreichung vor."))]
    verdicts = {verdict.criterion.code: verdict.verdict for verdict in submission.verdicts.select_related("criterion")}
    for entry in submission.payload.get("criteria", []):
        if verdicts.get(entry["code"]) != Verdict.ACCEPTED:
            problems.append(Problem(_("Noch nicht akzeptiert."), entry["code"], entry["area"]))
    visit = getattr(assessment, "site_visit", None)
    if visit is None or not visit.is_done:
        problems.append(Problem(_("Die Begehung ist noch nicht durchgeführt.")))
    return problems


def areas_with_scope(assessment: Assessment) -> list[Area]:
    """The catalogue's areas restricted to those this assessment works on."""
    areas = catalogue_structure(assessment.catalogue).areas
    in_scope = scope_area_ids(assessment, areas)
    return [area for area in areas if area.pk in in_scope]


__all__ = [
    "AreaProblems",
    "AreaProgress",
    "CriterionProblems",
    "Evaluation",
    "Problem",
    "Readiness",
    "RuleResult",
    "answer_site_ids",
    "areas_with_scope",
    "centre_site_ids",
    "criteria_with_evidence",
    "criterion_is_answered",
    "criterion_is_fulfilled",
    "evaluate",
    "group_readiness",
    "items_answered",
    "items_fulfilled",
    "readiness_problems",
    "sites_named",
    "review_problems",
    "reviewer_conflict",
]
