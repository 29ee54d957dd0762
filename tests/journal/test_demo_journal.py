"""The demo journal (seed_demo): a year of offers with one gap to find."""

from __future__ import annotations

from datetime import date

import pytest

from certification.models import CriterionItem
from certification.review_year import ReviewYear
from journal.coverage import Status, coverage_of
from journal.demo import seed_journal
from journal.models import JournalEntry

TODAY = date(2026, 12, 2)


@pytest.fixture
def frequencies(catalogue):
    """The frequencies the corrected catalogue states, set on this version's items."""
    wanted = {
        "1.3": {"per": "week", "allowed_gaps": 6},
        "1.5": {"per": "month"},
        "4B1": {"per": "half_year", "min_sessions": 8},
        "4B2": {"per": "half_year"},
        "4F2": {"per": "year"},
    }
    for code, frequency in wanted.items():
        CriterionItem.objects.filter(criterion__catalogue=catalogue, code=code).update(frequency=frequency)
    return catalogue


def test_the_demo_year_has_one_gap_the_second_half_years_course(centre, alice, frequencies):
    assert seed_journal(centre, alice, TODAY) == 8

    coverage = {c.criterion_code: c for c in coverage_of(centre, frequencies, ReviewYear(2026), TODAY)}
    not_met = {code: c for code, c in coverage.items() if not c.is_met}
    assert list(not_met) == ["4B1"]
    first, second = not_met["4B1"].parts
    assert first.status == Status.MET
    assert second.status == Status.OPEN
    assert not_met["4B1"].summary == (
        "4B1: 1. Halbjahr erfüllt – im 2. Halbjahr fehlt ein Angebot mit mindestens 8 Terminen"
    )
    # The courses carry their attendance list as the centre's evidence.
    courses = JournalEntry.objects.filter(familienzentrum=centre, kind="course")
    assert all(entry.attachment.owner_familienzentrum_id == centre.pk for entry in courses)


def test_seeding_twice_adds_nothing(centre, alice, frequencies):
    seed_journal(centre, alice, TODAY)
    assert seed_journal(centre, alice, TODAY) == 0
    assert JournalEntry.objects.filter(familienzentrum=centre).count() == 8
