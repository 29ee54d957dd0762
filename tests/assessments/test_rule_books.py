"""The rule books (each app's rules.py, registered with the `rules` library)
and the selectors that list what a user may see give the same answer; every
permission the code and templates name exists; and superusers meet the same
rules as everyone (Django would otherwise let them pass every permission)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import rules

from assessments import services
from assessments.selectors import assessments_for_user
from certification.selectors import familienzentren_for_user
from tests.assessments.conftest import accept_all, schedule_visit

ROOT = Path(__file__).resolve().parents[2]
PERSONAS = ["alice", "bob", "tina", "tom", "paula", "rita", "olga", "gabi", "zeno"]


@pytest.fixture
def people(request, alice, bob, tina, tom, paula, rita, olga, gabi, zeno):
    return {name: request.getfixturevalue(name) for name in PERSONAS}


@pytest.fixture
def two_assessments(reviewing, other_centre, bob, mini_catalogue):
    from datetime import date

    from assessments.models import AssessmentKind

    other = services.start_assessment(
        user=bob,
        familienzentrum=other_centre,
        catalogue=mini_catalogue,
        kind=AssessmentKind.FIRST,
        profile_areas=list(mini_catalogue.areas.filter(kind="profile", always_required=False)[:1]),
        review_period_start=date(2026, 1, 1),
        review_period_end=date(2026, 7, 31),
    )
    return [reviewing, other]


@pytest.mark.parametrize("who", PERSONAS)
def test_reading_an_assessment_is_what_the_selector_lists(people, two_assessments, who):
    user = people[who]
    listed = set(assessments_for_user(user).values_list("pk", flat=True))
    for assessment in two_assessments:
        assert user.has_perm("assessments.read_assessment", assessment) == (assessment.pk in listed), who


@pytest.mark.parametrize("who", PERSONAS)
def test_reading_a_centre_is_what_the_selector_lists(people, centre, other_centre, who):
    user = people[who]
    listed = set(familienzentren_for_user(user).values_list("pk", flat=True))
    for familienzentrum in (centre, other_centre):
        assert user.has_perm("certification.read_familienzentrum", familienzentrum) == (familienzentrum.pk in listed), (
            who
        )


def _named_permissions() -> set[str]:
    pattern = re.compile(r"""(?:has_perm\(\s*|has_perm\s+|permission=)["']((?:[a-z]+)\.[a-z_]+)["']""")
    names = set()
    for folder in ("accounts", "certification", "evidence", "assessments", "reports", "notifications", "templates"):
        for path in (ROOT / folder).rglob("*"):
            if path.suffix in {".py", ".html"} and "migrations" not in path.parts:
                names |= set(pattern.findall(path.read_text(encoding="utf-8")))
    return names


def test_every_permission_named_in_code_and_templates_is_a_rule():
    names = _named_permissions()
    assert len(names) >= 10, names  # the scan finds them at all
    assert sorted(name for name in names if not rules.perm_exists(name)) == []


def test_a_superuser_who_recommended_cannot_confirm(reviewing, gabi):
    accept_all(reviewing, gabi)
    schedule_visit(reviewing, gabi, done=True)
    gabi.is_staff = gabi.is_superuser = True
    gabi.save()
    services.recommend(user=gabi, assessment_id=reviewing.pk)
    reviewing.refresh_from_db()
    gabi = type(gabi).objects.get(pk=gabi.pk)
    assert not gabi.has_perm("assessments.confirm_assessment", reviewing)
    with pytest.raises(services.TransitionRefused):
        services.approve(user=gabi, assessment_id=reviewing.pk)
    reviewing.refresh_from_db()
    assert reviewing.state == "recommended"


def test_a_superuser_tied_to_the_traeger_cannot_decline(reviewing, tina):
    tina.is_staff = tina.is_superuser = True
    tina.save()
    tina = type(tina).objects.get(pk=tina.pk)
    assert not tina.has_perm("assessments.decline_assessment", reviewing)
    # Django's own (model) permissions keep their meaning for superusers.
    assert tina.has_perm("assessments.view_assessment")


def test_a_permission_asked_without_its_object_is_refused(alice, olga):
    # django-fsm asks a transition's permission also without the object.
    assert not alice.has_perm("assessments.edit_assessment")
    assert not olga.has_perm("assessments.confirm_assessment")
    assert not olga.has_perm("assessments.decline_assessment")
