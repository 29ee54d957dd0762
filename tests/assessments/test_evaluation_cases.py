"""The evaluation case by case, on the mini catalogue (tests/assessments/
conftest.py): when a criterion counts as answered and as fulfilled, what
the threshold rules count and say, the readiness list entry by entry, the
counts' fingerprint and its keeping, and the review's open points.

In the mini catalogue every area has two criteria: X.1 (Basis, 1 point,
all items) and X.2 (Aufbau, 2 points, any item); each has a main item and a
sub-item. Rule "basis" wants 2 Basis criteria of areas 1, 4B, 4F, 4H (chosen
profiles only), rule "struktur" 1 point of area 5."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import translation

from assessments import evaluation as ev
from assessments import services
from assessments.evaluation import (
    AnswerFacts,
    AreaProgress,
    Evaluation,
    Problem,
    RuleResult,
    answer_site_ids,
    areas_with_scope,
    centre_site_ids,
    counts_fingerprint,
    criteria_with_evidence,
    criterion_is_answered,
    criterion_is_fulfilled,
    evaluate,
    evaluate_counts,
    forget_counted_evaluations,
    group_readiness,
    items_answered,
    items_fulfilled,
    load_answer_facts,
    load_answers,
    readiness_problems,
    review_problems,
    reviewer_conflict,
    scope_area_ids,
    sites_named,
)
from assessments.models import Answer, AssessmentKind, ItemStatus, Verdict
from certification.models import (
    Area,
    CatalogueVersion,
    Criterion,
    CriterionLevel,
    FamilienzentrumForm,
    FamilienzentrumSite,
    ItemLogic,
    Membership,
    MembershipRole,
    ThresholdRule,
)
from certification.selectors import catalogue_structure
from evidence.models import Evidence, EvidenceGrant, EvidenceKind, EvidenceRevision
from tests.assessments.conftest import accept_all, schedule_visit
from tests.factories import EinrichtungFactory, FamilienzentrumFactory, MembershipFactory, UserFactory

F = ItemStatus.FULFILLED
NF = ItemStatus.NOT_FULFILLED
P = ItemStatus.PLANNED


def criterion_of(catalogue, code: str) -> Criterion:
    return Criterion.objects.prefetch_related("items").get(catalogue=catalogue, code=code)


def statuses(criterion: Criterion, *values) -> dict[str, str]:
    """Statuses for the criterion's items in order (main item, sub-item)."""
    return {item.code: value for item, value in zip(criterion.items.all(), values, strict=False)}


def save(assessment, user, code, *values, site_ids=()):
    """Answer `code` through the service; `values` are the items' statuses."""
    criterion = criterion_of(assessment.catalogue, code)
    existing = Answer.objects.filter(assessment=assessment, criterion=criterion).first()
    return services.save_answer(
        user=user,
        assessment_id=assessment.pk,
        criterion_code=code,
        item_statuses=statuses(criterion, *values),
        narrative="",
        site_ids=list(site_ids),
        expected_version=existing.version if existing else 0,
    )


def area_id(catalogue, code: str) -> int:
    return Area.objects.get(catalogue=catalogue, code=code).pk


def verbund_draft(mini_catalogue):
    """A Verbund of three sites ("Kita Eins" receives the grant; "Kita Zwei"
    was added before "Kita Drei") with its Leitung's draft, profile 4B."""
    centre = FamilienzentrumFactory(form=FamilienzentrumForm.VERBUND, name="Verbund Rur")
    first = centre.site_links.get().site
    first.name = "Kita Eins"
    first.save()
    for name in ("Kita Zwei", "Kita Drei"):
        FamilienzentrumSite.objects.create(
            familienzentrum=centre, site=EinrichtungFactory(traeger=centre.traeger, name=name)
        )
    leitung = UserFactory()
    Membership.objects.create(user=leitung, role=MembershipRole.LEITUNG, site=first)
    draft = services.start_assessment(
        user=leitung,
        familienzentrum=centre,
        catalogue=mini_catalogue,
        kind=AssessmentKind.FIRST,
        profile_areas=[Area.objects.get(catalogue=mini_catalogue, code="4B")],
        review_period_start=date(2026, 8, 1),
        review_period_end=date(2027, 1, 31),
    )
    site_ids = {site.name: site.pk for site in (link.site for link in centre.site_links.all())}
    return draft, leitung, site_ids


# ---------------------------------------------------------------- one criterion


def test_a_criterion_is_answered_when_every_item_has_a_known_status(mini_catalogue):
    criterion = criterion_of(mini_catalogue, "1.1")
    assert not items_answered(criterion, {})
    assert not items_answered(criterion, statuses(criterion, F))
    assert not items_answered(criterion, statuses(criterion, F, "vielleicht"))
    assert items_answered(criterion, statuses(criterion, NF, P))
    assert items_answered(criterion, {**statuses(criterion, F, F), "fremd": "vielleicht"})


def test_all_items_must_be_fulfilled_for_an_und_criterion(mini_catalogue):
    criterion = criterion_of(mini_catalogue, "1.1")
    assert criterion.logic == ItemLogic.ALL
    assert items_fulfilled(criterion, statuses(criterion, F, F))
    assert not items_fulfilled(criterion, statuses(criterion, F, NF))
    assert not items_fulfilled(criterion, statuses(criterion, P, F))
    assert not items_fulfilled(criterion, statuses(criterion, F))


def test_one_item_suffices_for_an_oder_criterion(mini_catalogue):
    criterion = criterion_of(mini_catalogue, "1.2")
    assert criterion.logic == ItemLogic.ANY
    assert items_fulfilled(criterion, statuses(criterion, NF, F))
    assert items_fulfilled(criterion, statuses(criterion, F, P))
    assert not items_fulfilled(criterion, statuses(criterion, NF, P))
    assert not items_fulfilled(criterion, {})


def test_a_criterion_without_items_is_never_fulfilled(mini_catalogue):
    empty = Criterion.objects.create(
        catalogue=mini_catalogue,
        area=Area.objects.get(catalogue=mini_catalogue, code="1"),
        code="1.9",
        title="Ohne Punkte",
        level=CriterionLevel.BASIS,
        points=1,
        logic=ItemLogic.ALL,
        order=99,
    )
    assert not items_fulfilled(empty, {})
    empty.logic = ItemLogic.ANY
    assert not items_fulfilled(empty, {})


def test_a_single_site_names_no_site():
    for per_site in (False, True):
        assert sites_named(Criterion(per_site=per_site))
        assert sites_named(Criterion(per_site=per_site), frozenset(), frozenset())
        assert sites_named(Criterion(per_site=per_site), frozenset({5}), frozenset())


def test_a_verbund_names_at_least_one_of_its_own_sites():
    criterion = Criterion(per_site=False)
    centre = frozenset({1, 2, 3})
    assert not sites_named(criterion, frozenset(), centre)
    assert not sites_named(criterion, frozenset({9}), centre)  # not a site of the Verbund
    assert sites_named(criterion, frozenset({2}), centre)
    assert sites_named(criterion, frozenset({2, 9}), centre)


def test_a_per_site_criterion_names_every_site_of_the_verbund():
    criterion = Criterion(per_site=True)
    centre = frozenset({1, 2, 3})
    assert not sites_named(criterion, frozenset({1, 2}), centre)
    assert not sites_named(criterion, frozenset({1, 2, 9}), centre)
    assert sites_named(criterion, frozenset({1, 2, 3}), centre)
    assert sites_named(criterion, frozenset({1, 2, 3, 9}), centre)


def test_answered_and_fulfilled_with_and_without_the_sites(mini_catalogue):
    criterion = criterion_of(mini_catalogue, "1.1")
    centre = frozenset({1, 2})

    def judged(values, delivering=frozenset(), sites=centre):
        flags = {"delivering_site_ids": delivering, "centre_site_ids": sites}
        return criterion_is_answered(criterion, values, **flags), criterion_is_fulfilled(criterion, values, **flags)

    # Not every item answered: neither, whatever the sites.
    assert judged(statuses(criterion, F), frozenset({1})) == (False, False)
    # Answered as not fulfilled: complete without naming a site.
    assert judged(statuses(criterion, F, NF)) == (True, False)
    # Claimed as fulfilled: in a Verbund only with a site named ...
    assert judged(statuses(criterion, F, F)) == (False, False)
    assert judged(statuses(criterion, F, F), frozenset({2})) == (True, True)
    # ... and at a single site without one.
    assert judged(statuses(criterion, F, F), sites=frozenset()) == (True, True)
    assert criterion_is_answered(criterion, statuses(criterion, F, F))
    assert criterion_is_fulfilled(criterion, statuses(criterion, F, F))
    assert not criterion_is_fulfilled(criterion, statuses(criterion, F, NF))


def test_the_sites_an_answer_names(db, draft, alice):
    assert answer_site_ids(None) == frozenset()
    assert answer_site_ids(AnswerFacts({}, frozenset({4, 5}))) == frozenset({4, 5})
    answer = save(draft, alice, "1.1", F, F)
    site = EinrichtungFactory(traeger=draft.familienzentrum.traeger)
    other = EinrichtungFactory(traeger=draft.familienzentrum.traeger)
    answer.delivering_sites.set([site, other])
    assert answer_site_ids(Answer.objects.get(pk=answer.pk)) == frozenset({site.pk, other.pk})
    answer.delivering_sites.clear()
    assert answer_site_ids(Answer.objects.get(pk=answer.pk)) == frozenset()


def test_a_verbunds_answers_name_from_all_its_sites_and_a_single_centres_from_none(draft, mini_catalogue):
    assert centre_site_ids(draft) == frozenset()
    verbund, _, site_ids = verbund_draft(mini_catalogue)
    assert centre_site_ids(verbund) == frozenset(site_ids.values())
    assert len(site_ids) == 3


# ---------------------------------------------------------------- evidence that counts


def document(centre=None, partner=None, *, user, with_file=True, title="Nachweis"):
    evidence = Evidence.objects.create(
        title=title,
        kind=EvidenceKind.OFFER,
        effective_date=date(2026, 9, 1),
        owner_familienzentrum=centre,
        owner_partner=partner,
        created_by=user,
    )
    if with_file:
        EvidenceRevision.objects.create(
            evidence=evidence,
            number=1,
            storage_key=f"cases-{evidence.pk}",
            file="x.pdf",
            original_name="x.pdf",
            sha256="0" * 64,
            size=1,
            content_type="application/pdf",
            uploaded_by=user,
        )
    return evidence


def test_evidence_counts_with_a_file_and_a_partners_only_while_shared_with_this_centre(
    draft, alice, other_centre, partner_org, mini_catalogue
):
    def link(code, evidence, assessment=draft):
        assessment.evidence_links.create(
            criterion=mini_catalogue.criteria.get(code=code), evidence=evidence, linked_by=alice
        )

    link("1.1", document(draft.familienzentrum, user=alice))
    link("1.2", document(draft.familienzentrum, user=alice, with_file=False))
    shared_elsewhere = document(partner=partner_org, user=alice)
    EvidenceGrant.objects.create(evidence=shared_elsewhere, familienzentrum=other_centre, granted_by=alice)
    link("4B1", shared_elsewhere)
    shared_here = document(partner=partner_org, user=alice)
    EvidenceGrant.objects.create(evidence=shared_here, familienzentrum=draft.familienzentrum, granted_by=alice)
    link("4B2", shared_here)
    revoked = document(partner=partner_org, user=alice)
    EvidenceGrant.objects.create(
        evidence=revoked, familienzentrum=draft.familienzentrum, granted_by=alice, revoked_at=draft.created_at
    )
    link("4H1", revoked)

    ids = {criterion.pk: criterion.code for criterion in mini_catalogue.criteria.all()}
    assert sorted(ids[pk] for pk in criteria_with_evidence(draft)) == ["1.1", "4B2"]


def test_evidence_of_another_assessment_does_not_count(draft, alice, bob, other_centre, mini_catalogue):
    other = services.start_assessment(
        user=bob,
        familienzentrum=other_centre,
        catalogue=mini_catalogue,
        kind=AssessmentKind.FIRST,
        profile_areas=[Area.objects.get(catalogue=mini_catalogue, code="4B")],
        review_period_start=date(2026, 8, 1),
        review_period_end=date(2027, 1, 31),
    )
    other.evidence_links.create(
        criterion=mini_catalogue.criteria.get(code="5.1"), evidence=document(other_centre, user=bob), linked_by=bob
    )
    assert criteria_with_evidence(draft) == set()
    assert criteria_with_evidence(other) == {mini_catalogue.criteria.get(code="5.1").pk}


# ---------------------------------------------------------------- small parts


def test_area_percentages_round_and_never_divide_by_zero():
    assert AreaProgress(area=None).percent_answered == 0
    assert AreaProgress(area=None).percent_points == 0
    assert AreaProgress(area=None, total=3, answered=1).percent_answered == 33
    assert AreaProgress(area=None, total=3, answered=2).percent_answered == 67
    assert AreaProgress(area=None, total=1, answered=1).percent_answered == 100
    assert AreaProgress(area=None, points=1, max_points=3).percent_points == 33
    assert AreaProgress(area=None, points=2, max_points=3).percent_points == 67
    assert AreaProgress(area=None, points=4, max_points=4).percent_points == 100


def result(*missing: str) -> RuleResult:
    return RuleResult(rule=None, basis=0, aufbau=0, points=0, missing=list(missing))


def test_a_rule_is_met_when_nothing_is_missing_and_all_rules_must_be():
    assert result().met
    assert not result("es fehlt noch 1 Punkt").met

    def rules_met(*results):
        return Evaluation(
            areas=[], scope_area_ids=set(), answers={}, progress=[], rules=list(results), fulfilled_criterion_ids=set()
        ).rules_met

    assert rules_met()
    assert rules_met(result(), result())
    assert not rules_met(result(), result("x"))
    assert not rules_met(result("x"), result())


def test_the_scope_is_service_structure_chosen_and_always_required_areas(draft, mini_catalogue):
    areas = catalogue_structure(mini_catalogue).areas

    def codes(ids):
        return sorted(area.code for area in areas if area.pk in ids)

    assert codes(scope_area_ids(draft, areas)) == ["1", "4B", "4H", "5"]
    draft.profile_areas.set([Area.objects.get(catalogue=mini_catalogue, code="4F")])
    assert codes(scope_area_ids(draft, areas)) == ["1", "4F", "4H", "5"]
    draft.profile_areas.clear()
    assert codes(scope_area_ids(draft, areas)) == ["1", "4H", "5"]
    assert [area.code for area in areas_with_scope(draft)] == ["1", "4H", "5"]


def test_the_evaluations_scope_in_catalogue_order(draft, alice):
    evaluation = evaluate(draft)
    assert [area.code for area in evaluation.areas] == ["1", "4B", "4F", "4H", "5"]
    assert [area.code for area in evaluation.scope_areas] == ["1", "4B", "4H", "5"]
    assert [entry.area.code for entry in evaluation.scope_progress] == ["1", "4B", "4H", "5"]
    assert [criterion.code for criterion in evaluation.scope_criteria] == [
        "1.1",
        "1.2",
        "4B1",
        "4B2",
        "4H1",
        "4H2",
        "5.1",
        "5.2",
    ]
    area_4f = evaluation.areas[2]
    assert evaluation.progress_for(area_4f) is evaluation.progress[2]
    assert evaluation.progress_for(Area(pk=-1)) is None
    assert [area.code for area in areas_with_scope(draft)] == ["1", "4B", "4H", "5"]


# ---------------------------------------------------------------- reading answers


def test_load_answers_reads_all_or_the_named_ones_with_their_sites(draft, alice, django_assert_num_queries):
    first = save(draft, alice, "1.1", F, F)
    second = save(draft, alice, "1.2", NF, NF)
    assert set(load_answers(draft)) == {first.criterion_id, second.criterion_id}
    assert set(load_answers(draft, [second.criterion_id])) == {second.criterion_id}
    assert load_answers(draft, []) == {}
    assert load_answers(draft, with_sites=False)[first.criterion_id].pk == first.pk
    answers = load_answers(draft)
    # The sites come with the answers: reading them asks nothing more.
    with django_assert_num_queries(0):
        assert [list(answer.delivering_sites.all()) for answer in answers.values()] == [[], []]


def test_the_answers_facts_of_a_verbund(mini_catalogue, django_assert_num_queries):
    draft, leitung, site_ids = verbund_draft(mini_catalogue)
    one = save(draft, leitung, "1.1", F, F, site_ids=[site_ids["Kita Zwei"], site_ids["Kita Drei"]])
    save(draft, leitung, "1.2", NF, P)
    Answer.objects.filter(pk=one.pk).update(to_confirm=True)
    criterion_11, criterion_12 = (criterion_of(mini_catalogue, code) for code in ("1.1", "1.2"))
    with django_assert_num_queries(2):
        facts = load_answer_facts(draft)
    assert facts == {
        criterion_11.pk: AnswerFacts(
            statuses(criterion_11, F, F), frozenset({site_ids["Kita Zwei"], site_ids["Kita Drei"]}), True
        ),
        criterion_12.pk: AnswerFacts(statuses(criterion_12, NF, P), frozenset(), False),
    }


def test_the_answers_facts_of_a_single_centre_need_one_query(draft, alice, django_assert_num_queries):
    answer = save(draft, alice, "1.1", F, NF)
    with django_assert_num_queries(1):
        facts = load_answer_facts(draft)
    assert facts == {answer.criterion_id: AnswerFacts(statuses(answer.criterion, F, NF), frozenset(), False)}


# ---------------------------------------------------------------- counting


def progress_rows(evaluation):
    return [
        (entry.area.code, entry.total, entry.answered, entry.fulfilled, entry.points, entry.max_points)
        for entry in evaluation.progress
    ]


def test_evaluate_counts_per_area(draft, alice, mini_catalogue):
    save(draft, alice, "1.1", F, F)  # fulfilled, 1 point
    save(draft, alice, "1.2", NF, F)  # ODER: fulfilled, 2 points
    save(draft, alice, "4B1", F, NF)  # UND: answered, not fulfilled
    save(draft, alice, "4F2", F, P)  # outside the scope, still counted in its area
    save(draft, alice, "5.1", F)  # not every item answered
    evaluation = evaluate(draft)
    assert progress_rows(evaluation) == [
        ("1", 2, 2, 2, 3, 3),
        ("4B", 2, 1, 0, 0, 3),
        ("4F", 2, 1, 1, 2, 3),
        ("4H", 2, 0, 0, 0, 3),
        ("5", 2, 0, 0, 0, 3),
    ]
    codes = {criterion.pk: criterion.code for criterion in mini_catalogue.criteria.all()}
    assert sorted(codes[pk] for pk in evaluation.fulfilled_criterion_ids) == ["1.1", "1.2", "4F2"]
    assert sorted(codes[pk] for pk in evaluation.answers) == ["1.1", "1.2", "4B1", "4F2", "5.1"]
    assert evaluation.scope_area_ids == {area_id(mini_catalogue, code) for code in ("1", "4B", "4H", "5")}
    assert evaluation.centre_site_ids == frozenset()
    assert [(r.rule.code, r.basis, r.aufbau, r.points, r.met) for r in evaluation.rules] == [
        ("basis", 1, 1, 3, False),
        ("struktur", 0, 0, 0, False),
    ]


def test_evaluate_over_given_areas_and_answers(draft, alice, mini_catalogue):
    save(draft, alice, "1.1", F, F)
    save(draft, alice, "5.2", F, NF)
    structure = catalogue_structure(mini_catalogue)
    only_1 = evaluate(draft, areas=[structure.areas[0]])
    assert progress_rows(only_1) == [("1", 2, 1, 1, 1, 3)]
    assert only_1.scope_area_ids == {area_id(mini_catalogue, "1")}
    # The facts count as the answers do; no answers, nothing answered.
    facts = load_answer_facts(draft)
    assert progress_rows(evaluate(draft, answers=facts)) == progress_rows(evaluate(draft))
    assert evaluate(draft, answers=facts).answers is facts
    assert [row[2:5] for row in progress_rows(evaluate(draft, answers={}))] == [(0, 0, 0)] * 5


def test_evaluate_a_verbund_counts_only_answers_naming_their_sites(mini_catalogue):
    Criterion.objects.filter(catalogue=mini_catalogue, code="1.1").update(per_site=True)
    draft, leitung, site_ids = verbund_draft(mini_catalogue)
    save(draft, leitung, "1.1", F, F, site_ids=[site_ids["Kita Eins"]])  # per site: all three needed
    save(draft, leitung, "1.2", NF, F, site_ids=[site_ids["Kita Zwei"]])
    save(draft, leitung, "5.1", F, F)  # no site named
    save(draft, leitung, "5.2", NF, NF)  # not fulfilled: no site needed
    evaluation = evaluate(draft)
    assert evaluation.centre_site_ids == frozenset(site_ids.values())
    rows = progress_rows(evaluation)
    assert rows[0] == ("1", 2, 1, 1, 2, 3)
    assert rows[4] == ("5", 2, 1, 0, 0, 3)
    save(draft, leitung, "1.1", F, F, site_ids=site_ids.values())
    assert progress_rows(evaluate(draft))[0] == ("1", 2, 2, 2, 3, 3)


# ---------------------------------------------------------------- threshold rules


@pytest.fixture
def rule(mini_catalogue):
    """A rule over areas 1 and 5 with no minimum yet (each test sets its own)."""
    # The database wants a minimum; the tests set theirs on the object.
    rule = ThresholdRule.objects.create(catalogue=mini_catalogue, code="probe", title="Probe", order=5, min_points=1)
    rule.areas.set(Area.objects.filter(catalogue=mini_catalogue, code__in=["1", "5"]))
    rule.min_points = None
    return rule


def counted(rule, mini_catalogue, fulfilled_codes, in_scope_codes=("1", "4B", "4H", "5")):
    areas = catalogue_structure(mini_catalogue).areas
    fulfilled = set(mini_catalogue.criteria.filter(code__in=fulfilled_codes).values_list("pk", flat=True))
    in_scope = {area_id(mini_catalogue, code) for code in in_scope_codes}
    return ev._evaluate_rule(rule, areas, in_scope, fulfilled)


def test_a_rule_counts_basis_aufbau_and_points_of_its_areas_only(rule, mini_catalogue):
    counts = counted(rule, mini_catalogue, ["1.1", "1.2", "5.2", "4B1", "4B2"])
    assert (counts.basis, counts.aufbau, counts.points, counts.missing) == (1, 2, 5, [])
    assert counts.rule is rule


def test_a_rule_for_chosen_profiles_counts_only_the_chosen_ones(rule, mini_catalogue):
    rule.areas.set(Area.objects.filter(catalogue=mini_catalogue, code__in=["4B", "4F"]))
    fulfilled = ["4B1", "4F1", "4F2"]
    assert (counted(rule, mini_catalogue, fulfilled).basis, counted(rule, mini_catalogue, fulfilled).aufbau) == (2, 1)
    rule.applies_to_chosen_profiles_only = True
    counts = counted(rule, mini_catalogue, fulfilled)
    assert (counts.basis, counts.aufbau, counts.points) == (1, 0, 1)


@pytest.mark.parametrize(
    ("minimum", "missing"),
    [
        (None, []),
        (0, []),
        (1, []),
        (2, ["es fehlt noch 1 Basiskriterium (erfüllt 1 von mindestens 2)"]),
        (4, ["es fehlen noch 3 Basiskriterien (erfüllt 1 von mindestens 4)"]),
    ],
)
def test_a_rules_basis_minimum(rule, mini_catalogue, minimum, missing):
    rule.min_basis = minimum
    assert counted(rule, mini_catalogue, ["1.1", "1.2", "5.2"]).missing == missing


@pytest.mark.parametrize(
    ("minimum", "missing"),
    [
        (None, []),
        (2, []),
        (3, ["es fehlt noch 1 Aufbaukriterium (erfüllt 2 von mindestens 3)"]),
        (5, ["es fehlen noch 3 Aufbaukriterien (erfüllt 2 von mindestens 5)"]),
    ],
)
def test_a_rules_aufbau_minimum(rule, mini_catalogue, minimum, missing):
    rule.min_aufbau = minimum
    assert counted(rule, mini_catalogue, ["1.1", "1.2", "5.2"]).missing == missing


@pytest.mark.parametrize(
    ("minimum", "missing"),
    [
        (None, []),
        (5, []),
        (6, ["es fehlt noch 1 Punkt (erreicht 5 von mindestens 6)"]),
        (9, ["es fehlen noch 4 Punkte (erreicht 5 von mindestens 9)"]),
    ],
)
def test_a_rules_points_minimum(rule, mini_catalogue, minimum, missing):
    rule.min_points = minimum
    assert counted(rule, mini_catalogue, ["1.1", "1.2", "5.2"]).missing == missing


def test_everything_a_rule_misses_in_order(rule, mini_catalogue):
    rule.min_basis, rule.min_aufbau, rule.min_points = 3, 4, 10
    assert counted(rule, mini_catalogue, ["5.1"]).missing == [
        "es fehlen noch 2 Basiskriterien (erfüllt 1 von mindestens 3)",
        "es fehlen noch 4 Aufbaukriterien (erfüllt 0 von mindestens 4)",
        "es fehlen noch 9 Punkte (erreicht 1 von mindestens 10)",
    ]


# ---------------------------------------------------------------- readiness


def test_readiness_lists_every_open_point_in_catalogue_order(draft, alice, mini_catalogue):
    Criterion.objects.filter(catalogue=mini_catalogue, code__in=["1.1", "4B2"]).update(evidence_required=True)
    save(draft, alice, "1.1", F, F)  # fulfilled, no evidence
    save(draft, alice, "1.2", NF, NF)  # complete, not fulfilled
    save(draft, alice, "4B1", F)  # half answered
    confirm = save(draft, alice, "4B2", NF, F)  # taken over, to confirm; fulfilled and evidence expected
    save(draft, alice, "4F1", F)  # outside the scope: nothing to say
    save(draft, alice, "5.2", P, P)
    Answer.objects.filter(pk=confirm.pk).update(to_confirm=True)
    assert readiness_problems(draft) == [
        Problem("Als erfüllt angegeben, aber noch kein Nachweis verknüpft.", "1.1", "1", "evidence"),
        Problem("Noch nicht vollständig beantwortet.", "4B1", "4B", "answer"),
        Problem("Aus der letzten Zertifizierung übernommen: bitte bestätigen.", "4B2", "4B", "confirm"),
        Problem("Als erfüllt angegeben, aber noch kein Nachweis verknüpft.", "4B2", "4B", "evidence"),
        Problem("Noch nicht vollständig beantwortet.", "4H1", "4H", "answer"),
        Problem("Noch nicht vollständig beantwortet.", "4H2", "4H", "answer"),
        Problem("Noch nicht vollständig beantwortet.", "5.1", "5", "answer"),
        Problem(
            "Schwelle „Basisleistungen“: es fehlt noch 1 Basiskriterium (erfüllt 1 von mindestens 2).",
            kind="threshold",
        ),
        Problem("Schwelle „Strukturen“: es fehlt noch 1 Punkt (erreicht 0 von mindestens 1).", kind="threshold"),
    ]


def test_a_criterion_not_fulfilled_leaves_the_next_one_of_its_area_to_be_checked(draft, alice, mini_catalogue):
    Criterion.objects.filter(catalogue=mini_catalogue, code="1.2").update(evidence_required=True)
    save(draft, alice, "1.1", NF, NF)
    save(draft, alice, "1.2", F, F)
    assert [problem for problem in readiness_problems(draft) if problem.area_code == "1"] == [
        Problem("Als erfüllt angegeben, aber noch kein Nachweis verknüpft.", "1.2", "1", "evidence")
    ]


def test_an_answer_to_confirm_is_listed_even_when_not_fulfilled(draft, alice):
    answer = save(draft, alice, "1.2", NF, NF)
    Answer.objects.filter(pk=answer.pk).update(to_confirm=True)
    problems = [problem for problem in readiness_problems(draft) if problem.criterion_code == "1.2"]
    assert problems == [Problem("Aus der letzten Zertifizierung übernommen: bitte bestätigen.", "1.2", "1", "confirm")]


def test_the_evidence_named_by_the_caller_is_what_counts(draft, alice, mini_catalogue):
    Criterion.objects.filter(catalogue=mini_catalogue, code="1.1").update(evidence_required=True)
    save(draft, alice, "1.1", F, F)
    criterion = mini_catalogue.criteria.get(code="1.1")
    draft.evidence_links.create(
        criterion=criterion, evidence=document(draft.familienzentrum, user=alice), linked_by=alice
    )
    evidence_kinds = [problem.kind for problem in readiness_problems(draft) if problem.criterion_code == "1.1"]
    assert evidence_kinds == []
    given = readiness_problems(draft, evidenced_criterion_ids=set())
    assert [problem.kind for problem in given if problem.criterion_code == "1.1"] == ["evidence"]
    given = readiness_problems(draft, evidenced_criterion_ids={criterion.pk})
    assert [problem.kind for problem in given if problem.criterion_code == "1.1"] == []


def test_readiness_reads_the_evaluation_it_is_given(draft, alice):
    before = evaluate(draft)
    save(draft, alice, "1.1", F, F)
    stale = [problem.criterion_code for problem in readiness_problems(draft, before) if problem.kind == "answer"]
    fresh = [problem.criterion_code for problem in readiness_problems(draft) if problem.kind == "answer"]
    assert stale[0] == "1.1" and fresh[0] == "1.2"


@pytest.mark.parametrize(
    ("profiles", "chosen"),
    [([], 0), (["4B"], None), (["4B", "4H"], None), (["4H"], 0), (["4B", "4F"], 2), (["4B", "4F", "4H"], 2)],
)
def test_the_profile_choice_counts_only_the_areas_that_can_be_chosen(draft, mini_catalogue, profiles, chosen):
    draft.profile_areas.set(Area.objects.filter(catalogue=mini_catalogue, code__in=profiles))
    messages = [problem.message for problem in readiness_problems(draft) if problem.kind == "profile"]
    expected = [] if chosen is None else [f"Wählen Sie zwischen 1 und 1 Profilbereiche (gewählt: {chosen})."]
    assert messages == expected


def test_the_profile_choice_between_a_minimum_and_a_maximum(draft, mini_catalogue):
    CatalogueVersion.objects.filter(pk=mini_catalogue.pk).update(min_profile_areas=1, max_profile_areas=2)
    draft.catalogue.refresh_from_db()

    def profile_problems(*codes):
        draft.profile_areas.set(Area.objects.filter(catalogue=mini_catalogue, code__in=codes))
        return [problem for problem in readiness_problems(draft) if problem.kind == "profile"]

    assert profile_problems("4B") == profile_problems("4B", "4F") == []
    assert profile_problems() == [Problem("Wählen Sie zwischen 1 und 2 Profilbereiche (gewählt: 0).", kind="profile")]
    assert readiness_problems(draft)[0].kind == "profile"  # before every criterion


def test_readiness_in_a_verbund_asks_for_the_missing_sites(mini_catalogue):
    Criterion.objects.filter(catalogue=mini_catalogue, code="1.1").update(per_site=True)
    draft, leitung, site_ids = verbund_draft(mini_catalogue)
    save(draft, leitung, "1.1", F, F, site_ids=[site_ids["Kita Eins"]])
    save(draft, leitung, "1.2", NF, F)
    save(draft, leitung, "4B1", F, F, site_ids=[site_ids["Kita Drei"]])
    save(draft, leitung, "4B2", NF, NF)
    sites = [problem for problem in readiness_problems(draft) if problem.area_code in {"1", "4B"}]
    assert sites == [
        Problem("Muss an jedem Standort erfüllt sein: bitte auch Kita Drei, Kita Zwei nennen.", "1.1", "1", "sites"),
        Problem("Bitte den erbringenden Standort nennen.", "1.2", "1", "sites"),
    ]
    save(draft, leitung, "1.1", F, F, site_ids=[site_ids["Kita Eins"], site_ids["Kita Zwei"]])
    assert readiness_problems(draft)[0] == Problem(
        "Muss an jedem Standort erfüllt sein: bitte auch Kita Drei nennen.", "1.1", "1", "sites"
    )


def test_a_single_centre_is_never_asked_for_sites(draft, alice, mini_catalogue):
    Criterion.objects.filter(catalogue=mini_catalogue, code="1.1").update(per_site=True)
    save(draft, alice, "1.1", F, F)
    save(draft, alice, "1.2", F, F)
    assert [problem for problem in readiness_problems(draft) if problem.kind == "sites"] == []


# ---------------------------------------------------------------- the readiness page's grouping


def test_grouping_puts_the_whole_assessment_first_and_each_criterion_once_in_catalogue_order(draft):
    evaluation = evaluate(draft)
    general = Problem("Wählen Sie einen Profilbereich.", kind="profile")
    threshold = Problem("Schwelle.", kind="threshold")
    problems = [
        Problem("Offen.", "5.1", "5", "answer"),
        general,
        Problem("Kein Nachweis.", "1.2", "1", "evidence"),
        Problem("Bestätigen.", "1.2", "1", "confirm"),
        Problem("Offen.", "1.1", "1", "answer"),
        threshold,
    ]
    readiness = group_readiness(problems, evaluation)
    assert readiness.general == [general, threshold]
    rows = [
        (group.area.code, [(entry.criterion.code, entry.messages, entry.kinds) for entry in group.criteria])
        for group in readiness.areas
    ]
    assert rows == [
        ("1", [("1.1", ["Offen."], {"answer"}), ("1.2", ["Kein Nachweis.", "Bestätigen."], {"evidence", "confirm"})]),
        ("5", [("5.1", ["Offen."], {"answer"})]),
    ]
    assert (readiness.open_criteria, readiness.missing_evidence, readiness.is_empty) == (3, 1, False)


def test_an_empty_readiness_and_ones_with_only_general_or_only_criterion_points(draft):
    evaluation = evaluate(draft)
    empty = group_readiness([], evaluation)
    assert (empty.general, empty.areas, empty.open_criteria, empty.missing_evidence, empty.is_empty) == (
        [],
        [],
        0,
        0,
        True,
    )
    assert not group_readiness([Problem("Schwelle.", kind="threshold")], evaluation).is_empty
    only_criteria = group_readiness([Problem("Kein Nachweis.", "4B1", "4B", "evidence")], evaluation)
    assert (only_criteria.is_empty, only_criteria.open_criteria, only_criteria.missing_evidence) == (False, 1, 1)


# ---------------------------------------------------------------- counts kept under their fingerprint


def test_the_fingerprint_is_the_same_for_the_same_input(draft, alice):
    save(draft, alice, "1.1", F, F)
    facts = load_answer_facts(draft)
    assert counts_fingerprint(draft, facts) == counts_fingerprint(draft, load_answer_facts(draft))
    assert counts_fingerprint(draft, facts) == counts_fingerprint(draft, dict(reversed(list(facts.items()))))
    assert len(counts_fingerprint(draft, facts)) == 64


def test_the_fingerprint_changes_with_each_thing_the_counts_read(draft, alice, mini_catalogue, bob, other_centre):
    criterion = criterion_of(mini_catalogue, "1.1")
    facts = {criterion.pk: AnswerFacts(statuses(criterion, F, F), frozenset({3}))}
    base = counts_fingerprint(draft, facts)
    changed = [
        {criterion.pk: AnswerFacts(statuses(criterion, F, NF), frozenset({3}))},
        {criterion.pk: AnswerFacts(statuses(criterion, F, F), frozenset({4}))},
        {criterion.pk: AnswerFacts(statuses(criterion, F, F), frozenset({3}), to_confirm=True)},
        {criterion.pk + 1: AnswerFacts(statuses(criterion, F, F), frozenset({3}))},
        {},
    ]
    assert all(counts_fingerprint(draft, other) != base for other in changed)
    with translation.override("en"):
        assert counts_fingerprint(draft, facts) != base
    draft.profile_areas.add(Area.objects.get(catalogue=mini_catalogue, code="4F"))
    assert counts_fingerprint(draft, facts) != base
    draft.profile_areas.set([Area.objects.get(catalogue=mini_catalogue, code="4B")])
    assert counts_fingerprint(draft, facts) == base
    # The same input for another assessment on the same catalogue and profile.
    other = services.start_assessment(
        user=bob,
        familienzentrum=other_centre,
        catalogue=mini_catalogue,
        kind=AssessmentKind.FIRST,
        profile_areas=[Area.objects.get(catalogue=mini_catalogue, code="4B")],
        review_period_start=date(2026, 8, 1),
        review_period_end=date(2027, 1, 31),
    )
    assert counts_fingerprint(other, facts) != base


@pytest.mark.parametrize("attribute", ["pk", "loaded_at", "source_sha256"])
def test_the_fingerprint_changes_with_the_catalogue_as_loaded(draft, attribute):
    base = counts_fingerprint(draft, {})
    catalogue = draft.catalogue
    changed = {
        "pk": catalogue.pk + 100,
        "loaded_at": catalogue.loaded_at + timedelta(seconds=1),
        "source_sha256": "1" * 64,
    }[attribute]
    setattr(catalogue, attribute, changed)
    assert counts_fingerprint(draft, {}) != base


def test_the_fingerprint_changes_with_the_verbunds_sites(mini_catalogue):
    draft, _, site_ids = verbund_draft(mini_catalogue)
    base = counts_fingerprint(draft, {})
    FamilienzentrumSite.objects.create(
        familienzentrum=draft.familienzentrum, site=EinrichtungFactory(traeger=draft.familienzentrum.traeger)
    )
    assert counts_fingerprint(draft, {}) != base


def test_counts_are_made_once_per_input_and_kept_under_their_fingerprint(draft, alice):
    save(draft, alice, "1.1", F, F)
    first = evaluate_counts(draft)
    facts = load_answer_facts(draft)
    assert first.fingerprint == counts_fingerprint(draft, facts)
    assert evaluate_counts(draft) is first
    assert evaluate_counts(draft, facts) is first
    assert progress_rows(first) == progress_rows(evaluate(draft))
    save(draft, alice, "1.2", F, F)
    second = evaluate_counts(draft)
    assert second is not first
    assert progress_rows(second)[0] == ("1", 2, 2, 2, 3, 3)
    forget_counted_evaluations()
    assert evaluate_counts(draft) is not second
    assert evaluate_counts(draft) == second


def test_counts_are_made_from_the_facts_given_not_from_the_saved_answers(draft, mini_catalogue):
    # What an autosave is about to store is counted before it is read back.
    criterion = criterion_of(mini_catalogue, "1.1")
    claimed = evaluate_counts(draft, {criterion.pk: AnswerFacts(statuses(criterion, F, F), frozenset())})
    assert progress_rows(claimed)[0] == ("1", 2, 1, 1, 1, 3)
    assert progress_rows(evaluate_counts(draft))[0] == ("1", 2, 0, 0, 0, 3)


def test_the_oldest_counts_give_way(draft, alice, mini_catalogue, monkeypatch):
    monkeypatch.setattr(ev, "_COUNTED_KEPT", 2)
    criterion = criterion_of(mini_catalogue, "1.1")
    inputs = [{criterion.pk: AnswerFacts(statuses(criterion, value, value), frozenset())} for value in (F, NF, P)]
    made = [evaluate_counts(draft, facts) for facts in inputs]
    assert list(ev._COUNTED) == [made[1].fingerprint, made[2].fingerprint]
    assert evaluate_counts(draft, inputs[2]) is made[2]
    assert evaluate_counts(draft, inputs[0]) is not made[0]
    assert list(ev._COUNTED) == [made[2].fingerprint, made[0].fingerprint]


# ---------------------------------------------------------------- the review


def test_a_reviewer_tied_to_the_traeger_is_in_conflict(draft, centre, alice, tina, tom, bob, rita, paula):
    colleague = UserFactory()  # Leitung of another site of the same Träger
    MembershipFactory(user=colleague, role=MembershipRole.LEITUNG, site=EinrichtungFactory(traeger=centre.traeger))
    for reviewer, conflict in [
        (tina, True),
        (alice, True),
        (colleague, True),
        (tom, False),
        (bob, False),
        (rita, False),
        (paula, False),
    ]:
        draft.reviewer = reviewer
        assert reviewer_conflict(draft) is conflict, reviewer.email
    draft.reviewer = None
    assert not reviewer_conflict(draft)


def test_nothing_to_review_without_a_submission(draft):
    assert review_problems(draft) == [Problem("Es liegt keine Einreichung vor.")]


def test_the_review_is_open_until_every_criterion_is_accepted_and_the_visit_done(reviewing, gabi):
    criteria = reviewing.latest_submission.payload["criteria"]
    visit = Problem("Die Begehung ist noch nicht durchgeführt.")
    assert review_problems(reviewing) == [
        *(Problem("Noch nicht akzeptiert.", entry["code"], entry["area"]) for entry in criteria),
        visit,
    ]
    accept_all(reviewing, gabi)
    services.set_verdict(
        user=gabi, assessment_id=reviewing.pk, criterion_code="4B2", verdict=Verdict.QUERIED, comment="Bitte belegen."
    )
    schedule_visit(reviewing, gabi)
    reviewing.refresh_from_db()
    assert review_problems(reviewing) == [Problem("Noch nicht akzeptiert.", "4B2", "4B"), visit]
    services.set_verdict(
        user=gabi, assessment_id=reviewing.pk, criterion_code="4B2", verdict=Verdict.ACCEPTED, comment=""
    )
    assert review_problems(reviewing) == [visit]  # planned, not yet done


def test_the_reviews_open_points_cost_the_same_queries_however_many_verdicts(reviewing, gabi):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries():
        with CaptureQueriesContext(connection) as captured:
            review_problems(reviewing)
        return len(captured)

    services.set_verdict(
        user=gabi, assessment_id=reviewing.pk, criterion_code="1.1", verdict=Verdict.ACCEPTED, comment=""
    )
    queries()  # the first call also reads what the assessment then keeps (its latest submission)
    one = queries()
    accept_all(reviewing, gabi)
    assert queries() == one


def test_a_submission_that_names_no_criteria_leaves_only_the_visit(draft, alice):
    from assessments.models import Submission

    Submission.objects.create(assessment=draft, number=1, submitted_by=alice, payload={}, sha256="0" * 64)
    assert review_problems(draft) == [Problem("Die Begehung ist noch nicht durchgeführt.")]


def test_nothing_is_open_once_everything_is_accepted_and_the_visit_done(reviewing, gabi):
    accept_all(reviewing, gabi)
    schedule_visit(reviewing, gabi, done=True)
    reviewing.refresh_from_db()
    assert review_problems(reviewing) == []
