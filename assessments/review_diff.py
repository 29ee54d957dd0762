"""What changed in one criterion between two frozen submissions.

Pure functions over the snapshot payloads (assessments.services.build_snapshot):
no database, so a reviewer's page costs no query per criterion and the rules
are tested on plain dicts."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ItemChange:
    code: str
    text: str
    before: str
    after: str


@dataclass(frozen=True)
class TextSegment:
    """A run of words: "equal", "insert" (new) or "delete" (removed)."""

    op: str
    text: str


@dataclass
class CriterionDiff:
    code: str
    is_new: bool = False
    is_removed: bool = False
    items: list[ItemChange] = field(default_factory=list)
    narrative_changed: bool = False
    narrative_before: str = ""
    narrative_after: str = ""
    narrative_segments: list[TextSegment] = field(default_factory=list)
    sites_added: list[int] = field(default_factory=list)
    sites_removed: list[int] = field(default_factory=list)
    evidence_added: list[dict] = field(default_factory=list)
    evidence_removed: list[dict] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(
            self.is_new
            or self.is_removed
            or self.items
            or self.narrative_changed
            or self.sites_added
            or self.sites_removed
            or self.evidence_added
            or self.evidence_removed
        )


def _evidence_key(entry: dict) -> str:
    """A document counts as the same when its bytes are: compare by sha256
    (a new revision with other content is a change, a re-upload of the same
    file is none). Entries without a hash fall back to their revision."""
    return entry.get("sha256") or f"revision:{entry.get('revision_id')}"


def text_segments(before: str, after: str) -> list[TextSegment]:
    """A word-level diff of two texts, merged into runs."""
    old, new = before.split(), after.split()
    segments: list[TextSegment] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes():
        if op == "equal":
            segments.append(TextSegment("equal", " ".join(old[i1:i2])))
            continue
        if op in ("delete", "replace"):
            segments.append(TextSegment("delete", " ".join(old[i1:i2])))
        if op in ("insert", "replace"):
            segments.append(TextSegment("insert", " ".join(new[j1:j2])))
    return segments


def diff_criterion(before: dict | None, after: dict | None) -> CriterionDiff:
    """The change of one criterion entry from `before` to `after` (either may
    be None: a criterion new in or gone from the later snapshot)."""
    code = (after or before or {}).get("code", "")
    result = CriterionDiff(code=code, is_new=before is None and after is not None, is_removed=after is None)
    before = before or {}
    after = after or {}

    old_items = {item["code"]: item for item in before.get("items", [])}
    new_items = {item["code"]: item for item in after.get("items", [])}
    for item_code in list(new_items) + [c for c in old_items if c not in new_items]:
        old_status = old_items.get(item_code, {}).get("status", "")
        new_status = new_items.get(item_code, {}).get("status", "")
        if old_status != new_status:
            text = (new_items.get(item_code) or old_items.get(item_code) or {}).get("text", "")
            result.items.append(ItemChange(code=item_code, text=text, before=old_status, after=new_status))

    old_text, new_text = before.get("narrative", "") or "", after.get("narrative", "") or ""
    if old_text.strip() != new_text.strip():
        result.narrative_changed = True
        result.narrative_before, result.narrative_after = old_text, new_text
        result.narrative_segments = text_segments(old_text, new_text)

    old_sites, new_sites = set(before.get("delivering_sites", [])), set(after.get("delivering_sites", []))
    result.sites_added = sorted(new_sites - old_sites)
    result.sites_removed = sorted(old_sites - new_sites)

    old_evidence = {_evidence_key(entry): entry for entry in before.get("evidence", []) or []}
    new_evidence = {_evidence_key(entry): entry for entry in after.get("evidence", []) or []}
    result.evidence_added = [entry for key, entry in new_evidence.items() if key not in old_evidence]
    result.evidence_removed = [entry for key, entry in old_evidence.items() if key not in new_evidence]
    return result


def diff_submissions(before_payload: dict | None, after_payload: dict) -> dict[str, CriterionDiff]:
    """Per criterion code, what changed from the earlier to the later
    snapshot; only criteria with a change are in the result. No earlier
    snapshot: nothing to compare, an empty result."""
    if not before_payload:
        return {}
    old = {entry["code"]: entry for entry in before_payload.get("criteria", [])}
    new = {entry["code"]: entry for entry in after_payload.get("criteria", [])}
    result = {}
    for code in list(new) + [code for code in old if code not in new]:
        change = diff_criterion(old.get(code), new.get(code))
        if change.changed:
            result[code] = change
    return result
