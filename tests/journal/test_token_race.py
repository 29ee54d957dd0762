"""The new-entry form sent twice at the same moment (a double click reaching
two workers) records one entry on PostgreSQL, where the second insert waits
for the first and is refused by the unique token."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection

from journal import services
from journal.models import JournalEntry, JournalSession
from tests.assessments.test_concurrency import run_together, services_up  # noqa: F401 - fixture

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_two_requests_with_one_token_record_one_entry(services_up, alice, centre, catalogue):  # noqa: F811
    assert connection.vendor == "postgresql"
    token = "fedcba9876543210fedcba9876543210"

    def record():
        data = services.EntryData(
            title="Elterncafé", first_date=date(2026, 11, 3), criterion_codes=["1.3"], form_token=token
        )
        return services.record_entry(user=alice, familienzentrum=centre, data=data)

    results = run_together(record, record)
    recorded = [result for result in results if isinstance(result, JournalEntry)]
    refused = [result for result in results if isinstance(result, services.EntryAlreadyRecorded)]
    assert len(recorded) == 1 and len(refused) == 1, results
    assert JournalEntry.objects.count() == 1 and JournalSession.objects.count() == 1
