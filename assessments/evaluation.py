"""Evaluating an assessment against its pinned catalogue: which criteria are
answered and fulfilled, progress per area, the threshold rules, and what still
stands in the way of a transition. Reads only; the number of queries does not
depend on the size of the catalogue."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Q
from django.utils.translation import gettext as _

from assessments.models import Answer, Assessment, ItemStatus, Verdict
from certification.models import Area, AreaKind, Criterion, CriterionLevel, ItemLogic, Membership, ThresholdRule
from certification.selectors import catalogue_areas_with_criteria, catalogue_rules


def criterion_is_answered(criterion: Criterion, statuses: dict[str, str]) -> bool:
    return all(statuses.get(item.code) in ItemStatus.values for item in criterion.items.all())


def criterion_is_fulfilled(criterion: Criterion, statuses: dict[str, str]) -> bool:
    met = [statuses.get(item.code) == ItemStatus.FULFILLED for item in criterion.items.all()]
    if not met:
        return False
    return any(met) if criterion.logic == ItemLogic.ANY else all(met)


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


@dataclass
class Evaluation:
    areas: list[Area]
    scope_area_ids: set[int]
    answers: dict[int, Answer]
    progress: list[AreaProgress]
    rules: list[RuleResult]
    fulfilled_criterion_ids: set[int]

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


def load_answers(assessment: Assessment) -> dict[int, Answer]:
    answers = Answer.objects.filter(assessment=assessment).prefetch_related("delivering_sites")
    return {answer.criterion_id: answer for answer in answers}


def evaluate(assessment: Assessment, *, areas: list[Area] | None = None) -> Evaluation:
    areas = areas if areas is not None else catalogue_areas_with_criteria(assessment.catalogue)
    in_scope = scope_area_ids(assessment, areas)
    answers = load_answers(assessment)
    progress: list[AreaProgress] = []
    fulfilled_ids: set[int] = set()
    for area in areas:
        entry = AreaProgress(area=area)
        for criterion in area.criteria.all():
            entry.total += 1
            entry.max_points += criterion.points
            answer = answers.get(criterion.pk)
            statuses = answer.item_statuses if answer else {}
            if criterion_is_answered(criterion, statuses):
                entry.answered += 1
            if criterion_is_fulfilled(criterion, statuses):
                entry.fulfilled += 1
                entry.points += criterion.points
                fulfilled_ids.add(criterion.pk)
        progress.append(entry)
    rule_results = [
        _evaluate_rule(rule, areas, in_scope, fulfilled_ids) for rule in catalogue_rules(assessment.catalogue)
    ]
    return Evaluation(
        areas=areas,
        scope_area_ids=in_scope,
        answers=answers,
        progress=progress,
        rules=rule_results,
        fulfilled_criterion_ids=fulfilled_ids,
    )


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
    if rule.min_basis is not None and basis < rule.min_basis:
        result.missing.append(
            _("%(missing)d weitere Basiskriterien (erfüllt %(have)d von mindestens %(need)d)")
            % {"missing": rule.min_basis - basis, "have": basis, "need": rule.min_basis}
        )
    if rule.min_aufbau is not None and aufbau < rule.min_aufbau:
        result.missing.append(
            _("%(missing)d weitere Aufbaukriterien (erfüllt %(have)d von mindestens %(need)d)")
            % {"missing": rule.min_aufbau - aufbau, "have": aufbau, "need": rule.min_aufbau}
        )
    if rule.min_points is not None and points < rule.min_points:
        result.missing.append(
            _("%(missing)d weitere Punkte (erreicht %(have)d von mindestens %(need)d)")
            % {"missing": rule.min_points - points, "have": points, "need": rule.min_points}
        )
    return result


def readiness_problems(assessment: Assessment, evaluation: Evaluation | None = None) -> list[Problem]:
    """Everything that keeps a draft from being submitted, in catalogue order."""
    evaluation = evaluation or evaluate(assessment)
    problems: list[Problem] = []
    catalogue = assessment.catalogue
    chosen = [area for area in assessment.profile_areas.all() if not area.always_required]
    if not catalogue.min_profile_areas <= len(chosen) <= catalogue.max_profile_areas:
        problems.append(
            Problem(
                _("Wählen Sie zwischen %(min)d und %(max)d Profilbereiche (gewählt: %(count)d).")
                % {"min": catalogue.min_profile_areas, "max": catalogue.max_profile_areas, "count": len(chosen)}
            )
        )
    centre = assessment.familienzentrum
    site_ids = {link.site_id for link in centre.site_links.all()}
    for area in evaluation.scope_areas:
        for criterion in area.criteria.all():
            answer = evaluation.answers.get(criterion.pk)
            statuses = answer.item_statuses if answer else {}
            if not criterion_is_answered(criterion, statuses):
                problems.append(Problem(_("Noch nicht vollständig beantwortet."), criterion.code, area.code))
                continue
            if answer.to_confirm:
                problems.append(
                    Problem(
                        _("Aus der letzten Zertifizierung übernommen: bitte bestätigen."), criterion.code, area.code
                    )
                )
            if centre.is_verbund and criterion.pk in evaluation.fulfilled_criterion_ids:
                delivering = {site.pk for site in answer.delivering_sites.all()}
                if not delivering:
                    problems.append(
                        Problem(_("Nennen Sie den Standort, der das Kriterium erfüllt."), criterion.code, area.code)
                    )
                elif criterion.per_site and delivering != site_ids:
                    problems.append(
                        Problem(
                            _("Dieses Kriterium muss jeder Standort des Verbunds erfüllen."), criterion.code, area.code
                        )
                    )
    for result in evaluation.rules:
        for missing in result.missing:
            problems.append(
                Problem(
                    _("Schwelle „%(rule)s“: es fehlen %(missing)s.") % {"rule": result.rule.title, "missing": missing}
                )
            )
    return problems


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
    areas = catalogue_areas_with_criteria(assessment.catalogue)
    in_scope = scope_area_ids(assessment, areas)
    return [area for area in areas if area.pk in in_scope]


__all__ = [
    "AreaProgress",
    "Evaluation",
    "Problem",
    "RuleResult",
    "areas_with_scope",
    "criterion_is_answered",
    "criterion_is_fulfilled",
    "evaluate",
    "readiness_problems",
    "review_problems",
    "reviewer_conflict",
]
