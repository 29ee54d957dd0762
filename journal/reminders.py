"""The monthly reminder of a journal's gaps (beat task journal.remind_gaps).

For every Familienzentrum that keeps a journal, the coverage of each review
year that contains today (in January two: the one ending, whose second half
still runs, and the one starting) against the newest catalogue version in
force. If some part not met can still be met (RequirementCoverage.
closable_gaps), the Leitung(en) get one message listing those parts, once
per centre and month: the GapReminder row is reserved in the transaction
that writes the message, so a rerun in the same month sends nothing.
Parts that can no longer be met are left out: a reminder is for what one
can still do.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from certification.models import Familienzentrum
from certification.review_year import ReviewYear
from certification.selectors import leader_emails
from journal.coverage import RequirementCoverage, coverage_of
from journal.models import GapReminder, JournalEntry
from journal.selectors import catalogue_for_journal
from notifications.models import NotificationKind
from notifications.services import notify

logger = logging.getLogger(__name__)

EMAIL = "journal/email/"


@dataclass(frozen=True)
class Gap:
    year: ReviewYear
    criterion_code: str
    text: str

    def __str__(self) -> str:
        return f"{self.criterion_code}: {self.text}"


def review_years_of(today: date) -> list[ReviewYear]:
    """The review years whose period contains `today`, oldest first."""
    return [year for year in (ReviewYear(today.year - 1), ReviewYear(today.year)) if today in year.period]


def closable_gaps(coverage: list[RequirementCoverage], year: ReviewYear) -> list[Gap]:
    """'4B1: im 2. Halbjahr fehlt ein Angebot mit mindestens 8 Terminen', one per part still open."""
    return [Gap(year, item.criterion_code, part.text) for item in coverage for part in item.closable_gaps]


def gaps_of(familienzentrum: Familienzentrum, catalogue, today: date) -> list[Gap]:
    gaps: list[Gap] = []
    for year in review_years_of(today):
        gaps += closable_gaps(coverage_of(familienzentrum, catalogue, year, today), year)
    return gaps


def centres_with_journal():
    return (
        Familienzentrum.objects.filter(pk__in=JournalEntry.objects.values("familienzentrum_id"))
        .prefetch_related("site_links")
        .order_by("pk")
    )


def send_gap_reminder(familienzentrum: Familienzentrum, gaps: list[Gap], today: date) -> GapReminder | None:
    """Reserve this month's row and write the message in one transaction.
    When another run has the row already, the insert fails, the savepoint
    rolls back and nothing is sent."""
    recipients = leader_emails(familienzentrum)
    if not recipients or not gaps:
        return None
    month = today.replace(day=1)
    try:
        with transaction.atomic():
            reminder = GapReminder.objects.create(
                familienzentrum=familienzentrum,
                month=month,
                sent_at=timezone.now(),
                recipients=", ".join(recipients),
                gaps="\n".join(str(gap) for gap in gaps),
            )
            years = []
            for gap in gaps:
                if not years or years[-1]["year"] != gap.year:
                    years.append({"year": gap.year, "gaps": []})
                years[-1]["gaps"].append(gap)
            notify(
                kind=NotificationKind.JOURNAL_GAPS,
                recipients=recipients,
                subject_template=f"{EMAIL}journal_gaps_subject.txt",
                body_template=f"{EMAIL}journal_gaps.txt",
                context={"centre": familienzentrum, "years": years, "count": len(gaps), "month": month},
                link=reverse("journal:journal", args=[familienzentrum.pk]),
            )
    except IntegrityError:
        return None
    return reminder


def send_gap_reminders(today: date | None = None) -> list[GapReminder]:
    """The monthly job: one message per centre with closable gaps, once a month."""
    today = today or timezone.localdate()
    already = set(GapReminder.objects.filter(month=today.replace(day=1)).values_list("familienzentrum_id", flat=True))
    sent = []
    for familienzentrum in centres_with_journal().exclude(pk__in=already):
        catalogue = catalogue_for_journal(familienzentrum, today)
        if catalogue is None:
            continue
        gaps = gaps_of(familienzentrum, catalogue, today)
        if not gaps:
            continue
        reminder = send_gap_reminder(familienzentrum, gaps, today)
        if reminder is not None:
            sent.append(reminder)
    logger.info("Journal gap reminders on %s: %d sent", today, len(sent))
    return sent
