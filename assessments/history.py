"""The log, read for people: one line per entry ("Antwort geändert von …
am …: 1.1 erfüllt → nicht erfüllt; Beschreibung geändert"). The entries are
written by the services through `certification.services.log_action`."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from assessments.models import Assessment, ItemStatus
from certification.models import LogAction, LogEntry
from certification.selectors import history_by_criterion, history_of


@dataclass
class HistoryRow:
    entry: LogEntry
    changes: list[str] = field(default_factory=list)

    @property
    def actor(self) -> str:
        return str(self.entry.actor) if self.entry.actor is not None else _("System")


def _status_label(status: str | None) -> str:
    return ItemStatus(status).label if status in ItemStatus.values else _("offen")


def describe(entry: LogEntry) -> list[str]:
    """What changed, as short phrases, from the entry's data."""
    data = entry.data or {}
    if entry.action == LogAction.ANSWER_CHANGED:
        before, after = data.get("before", {}), data.get("after", {})
        old_statuses, new_statuses = before.get("item_statuses", {}), after.get("item_statuses", {})
        changes = [
            f"{code} {_status_label(old_statuses.get(code))} → {_status_label(new_statuses.get(code))}"
            for code in sorted(set(old_statuses) | set(new_statuses))
            if old_statuses.get(code) != new_statuses.get(code)
        ]
        if before.get("narrative", "") != after.get("narrative", ""):
            changes.append(_("Beschreibung geändert"))
        if before.get("site_ids", []) != after.get("site_ids", []):
            changes.append(_("Standorte geändert"))
        return changes
    if entry.action == LogAction.PROFILE_CHANGED:
        before = ", ".join(data.get("before", [])) or "–"
        after = ", ".join(data.get("after", [])) or "–"
        return [f"{before} → {after}"]
    if data.get("title"):
        return [f"„{data['title']}“"]
    return []


def criterion_history(assessment: Assessment, criterion_ids) -> dict[int, list[HistoryRow]]:
    """Per criterion id, the answer changes and evidence links, newest first;
    one query for the whole checklist page."""
    return {
        criterion_id: [HistoryRow(entry, describe(entry)) for entry in entries]
        for criterion_id, entries in history_by_criterion(assessment, criterion_ids).items()
    }


def profile_history(assessment: Assessment) -> list[HistoryRow]:
    entries = history_of(assessment).filter(action=LogAction.PROFILE_CHANGED)
    return [HistoryRow(entry, describe(entry)) for entry in entries]


def event_note(event) -> str:
    """An event's note in the reader's language. Most notes are what a person
    wrote (a reason, a comment) or language-free (names, dates, codes); the
    start event stored the kind's label in the language of whoever started,
    so it is shown from the kind instead of the stored text."""
    from django.utils import translation

    from assessments.models import AssessmentKind, EventAction

    if event.action == EventAction.START and event.note:
        for kind in AssessmentKind:
            with translation.override("de"):
                german = str(kind.label)
            if event.note in (german, kind.value, str(kind.label)):
                return str(kind.label)
    return event.note
