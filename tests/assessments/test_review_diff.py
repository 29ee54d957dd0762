"""The diff between two frozen submissions, on plain payload dicts."""

from __future__ import annotations

from assessments.snapshots import diff_criterion, diff_submissions, text_segments


def entry(
    code="1.1", statuses=("fulfilled", "fulfilled"), narrative="Wir haben ein Verzeichnis.", sites=(), evidence=()
):
    return {
        "code": code,
        "area": code.split(".")[0],
        "items": [
            {"code": code, "text": "Hauptaussage", "status": statuses[0]},
            {"code": f"{code}.1", "text": "Unterpunkt", "status": statuses[1]},
        ],
        "narrative": narrative,
        "delivering_sites": list(sites),
        "evidence": list(evidence),
    }


def doc(sha, title="Verzeichnis", revision_id=1):
    return {"title": title, "filename": f"{title}.pdf", "sha256": sha, "revision_id": revision_id}


def test_an_unchanged_criterion_has_no_diff():
    change = diff_criterion(entry(), entry())
    assert not change.changed
    assert diff_submissions({"criteria": [entry()]}, {"criteria": [entry()]}) == {}


def test_item_status_changes_are_listed_with_before_and_after():
    change = diff_criterion(entry(statuses=("planned", "fulfilled")), entry(statuses=("fulfilled", "fulfilled")))
    assert change.changed
    assert [(item.code, item.before, item.after) for item in change.items] == [("1.1", "planned", "fulfilled")]


def test_an_item_answered_for_the_first_time_counts_as_a_change():
    before = entry(statuses=("", "fulfilled"))
    change = diff_criterion(before, entry())
    assert [(item.before, item.after) for item in change.items] == [("", "fulfilled")]


def test_narrative_change_gives_word_segments():
    change = diff_criterion(
        entry(narrative="Wir haben ein Verzeichnis."), entry(narrative="Wir haben ein neues Verzeichnis.")
    )
    assert change.narrative_changed
    assert ("insert", "neues") in [(segment.op, segment.text) for segment in change.narrative_segments]
    # Whitespace alone is no change.
    assert not diff_criterion(entry(narrative="a  b"), entry(narrative="a  b ")).narrative_changed


def test_text_segments_mark_replacements_as_delete_then_insert():
    segments = [(segment.op, segment.text) for segment in text_segments("monatlich offen", "wöchentlich offen")]
    assert segments == [("delete", "monatlich"), ("insert", "wöchentlich"), ("equal", "offen")]


def test_sites_added_and_removed():
    change = diff_criterion(entry(sites=[1, 2]), entry(sites=[2, 3]))
    assert (change.sites_added, change.sites_removed) == ([3], [1])


def test_evidence_is_compared_by_sha256():
    old = doc("a" * 64, revision_id=1)
    same_bytes_new_revision = doc("a" * 64, revision_id=7)
    new_content = doc("b" * 64, title="Verzeichnis 2026", revision_id=8)
    change = diff_criterion(entry(evidence=[old]), entry(evidence=[same_bytes_new_revision]))
    assert not change.changed  # the same file uploaded again is no change
    change = diff_criterion(entry(evidence=[old]), entry(evidence=[new_content]))
    assert [item["title"] for item in change.evidence_added] == ["Verzeichnis 2026"]
    assert [item["sha256"] for item in change.evidence_removed] == ["a" * 64]


def test_criteria_new_in_or_gone_from_the_later_snapshot():
    before = {"criteria": [entry("1.1"), entry("1.2")]}
    after = {"criteria": [entry("1.1"), entry("1.3")]}
    result = diff_submissions(before, after)
    assert set(result) == {"1.2", "1.3"}
    assert result["1.3"].is_new and result["1.2"].is_removed


def test_no_earlier_snapshot_means_nothing_to_compare():
    assert diff_submissions(None, {"criteria": [entry()]}) == {}


def test_missing_keys_in_older_payloads_are_tolerated():
    older = {"code": "1.1", "items": [{"code": "1.1", "status": "fulfilled"}]}
    change = diff_criterion(older, entry())
    assert [item.code for item in change.items] == ["1.1.1"]
    assert change.narrative_changed
