"""The demo register: one qualification lapses before the review year ends, the rest holds."""

from __future__ import annotations

from datetime import date

from register.demo import seed_register
from register.models import CooperationAgreement, StaffQualification
from register.selectors import lapsing


def test_seed_register_adds_one_entry_that_lapses(alice, centre, partner_org, catalogue):
    today = date(2026, 12, 2)
    added = seed_register(centre, alice, today)
    assert StaffQualification.objects.count() == 3 and CooperationAgreement.objects.count() == 1
    rows = lapsing(centre, today=today)
    assert [row.entry.training for row in rows] == ["Beratungsgespräche mit Eltern führen"]
    assert seed_register(centre, alice, today) == [] and len(added) == 4  # once only
