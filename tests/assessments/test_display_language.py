"""What was stored in German is shown in the reader's language: the start
event's note (the kind's label), and a frozen submission's titles, item
texts and validity warnings. The stored data itself never changes."""

from __future__ import annotations

from datetime import date

from django.utils import translation

from assessments.frozen_display import WARNING_MESSAGES, localized_payload, translated_warning
from assessments.history import event_note
from assessments.models import EventAction
from evidence.models import Evidence, EvidenceKind
from evidence.validity import evidence_warnings


def test_every_warning_message_is_one_evidence_validity_writes():
    source = open("evidence/validity.py", encoding="utf-8").read().replace('"\n                "', "")
    for message in WARNING_MESSAGES:
        assert message in source, message


def test_a_frozen_warning_is_shown_in_english():
    document = Evidence(kind=EvidenceKind.OFFER, effective_date=date(2026, 9, 1), title="Plan")
    with translation.override("de"):
        (frozen,) = evidence_warnings(document, (date(2026, 1, 1), date(2026, 7, 31)), today=date(2026, 9, 2))
    assert "außerhalb des Prüfzeitraums" in frozen
    with translation.override("en"):
        assert (
            translated_warning(frozen)
            == "The date 01.09.2026 lies outside the review period (01.01.2026 – 31.07.2026)."
        )
        # A warning that names its document first keeps the name.
        assert translated_warning(f"Plan: {frozen}").startswith("Plan: The date 01.09.2026")
        assert translated_warning("Etwas Unbekanntes.") == "Etwas Unbekanntes."
    with translation.override("de"):
        assert translated_warning(frozen) == frozen


def test_the_start_event_names_the_kind_in_the_reader_s_language(draft):
    event = draft.events.get(action=EventAction.START)
    assert event.note == "Erstzertifizierung"  # stored in German, as it was written
    with translation.override("en"):
        assert event_note(event) == "Initial certification"
    with translation.override("de"):
        assert event_note(event) == "Erstzertifizierung"
    event.note = "Bitte beachten"  # any other note is what a person wrote
    with translation.override("en"):
        assert event_note(event) == "Bitte beachten"


def test_a_frozen_payload_shows_the_catalogue_s_english_and_stays_untouched(submitted):
    criterion = submitted.catalogue.criteria.prefetch_related("items").first()
    criterion.title_en = "English title"
    criterion.save(update_fields=["title_en"])
    item = criterion.items.first()
    item.text_en = "English item"
    item.save(update_fields=["text_en"])
    payload = submitted.latest_submission.payload
    german_title = next(entry["title"] for entry in payload["criteria"] if entry["code"] == criterion.code)

    with translation.override("en"):
        shown = localized_payload(payload, submitted.catalogue)
    entry = next(entry for entry in shown["criteria"] if entry["code"] == criterion.code)
    assert entry["title"] == "English title"
    assert next(i for i in entry["items"] if i["code"] == item.code)["text"] == "English item"
    # The frozen payload is unchanged.
    assert next(e for e in payload["criteria"] if e["code"] == criterion.code)["title"] == german_title
    with translation.override("de"):
        assert localized_payload(payload, submitted.catalogue) is payload
