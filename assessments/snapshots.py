"""Frozen submissions: the snapshot of everything a reviewer judges, copied
out of the live rows and hashed; and what changed in each criterion between
two snapshots. The diff is pure functions over the payloads: no database, so
a reviewer's page costs no query per criterion and the rules are tested on
plain dicts."""

from __future__ import annotations

import difflib
import hashlib
import json
from dataclasses import dataclass, field

from django.utils import timezone

from assessments.evaluation import Evaluation, evaluate
from assessments.journal_evidence import frozen_journal, journal_shown
from assessments.models import Assessment, Submission, SubmissionRevision
from assessments.selectors import evidence_by_criterion, warnings_by_criterion
from certification.models import Criterion


def canonical_json(payload: dict) -> bytes:
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def build_snapshot(assessment: Assessment, *, number: int, user, evaluation: Evaluation | None = None) -> dict:
    """Everything a reviewer judges, copied out of the live rows: answers,
    evidence (the latest revision of each linked document, with its sha256)
    and the validity warnings at this moment."""
    evaluation = evaluation or evaluate(assessment)
    centre = assessment.familienzentrum
    catalogue = assessment.catalogue
    site_links = list(centre.site_links.all())
    linked = evidence_by_criterion(assessment)
    warnings = warnings_by_criterion(assessment, evaluation.scope_criteria, linked)
    # The journal entries taken over, as they are now: later changes to the
    # journal do not reach a submitted snapshot.
    journal = frozen_journal(assessment)
    criteria = []
    for area in evaluation.scope_areas:
        for criterion in area.criteria.all():
            answer = evaluation.answers.get(criterion.pk)
            statuses = answer.item_statuses if answer else {}
            criteria.append(
                {
                    "code": criterion.code,
                    "area": area.code,
                    "title": criterion.title,
                    "level": criterion.level,
                    "points": criterion.points,
                    "logic": criterion.logic,
                    "items": [
                        {"code": item.code, "text": item.text, "status": statuses.get(item.code, "")}
                        for item in criterion.items.all()
                    ],
                    "fulfilled": criterion.pk in evaluation.fulfilled_criterion_ids,
                    "narrative": answer.narrative if answer else "",
                    "delivering_sites": sorted(site.pk for site in answer.delivering_sites.all()) if answer else [],
                    "evidence": [evidence_entry(entry) for entry in linked.get(criterion.pk, [])],
                    "journal": journal.get(criterion.pk, []),
                    "warnings": warnings.get(criterion.pk, []),
                }
            )
    return {
        "schema": 1,
        "number": number,
        "submitted_at": timezone.now().isoformat(),
        "submitted_by": user.email,
        "assessment": {
            "id": assessment.pk,
            "kind": assessment.kind,
            "review_period": [assessment.review_period_start.isoformat(), assessment.review_period_end.isoformat()],
        },
        "familienzentrum": {
            "id": centre.pk,
            "name": centre.name,
            "form": centre.form,
            "traeger": centre.traeger.name,
            "sites": [
                {
                    "id": link.site_id,
                    "name": link.site.name,
                    "city": link.site.city,
                    "grant_recipient": link.is_grant_recipient,
                }
                for link in site_links
            ],
        },
        "catalogue": {
            "id": catalogue.pk,
            "code": catalogue.code,
            "version": catalogue.version,
            "title": catalogue.title,
            "source_sha256": catalogue.source_sha256,
        },
        "profile_areas": sorted(area.code for area in assessment.profile_areas.all()),
        "criteria": criteria,
        "evaluation": {
            "areas": [
                {
                    "code": entry.area.code,
                    "title": entry.area.title,
                    "answered": entry.answered,
                    "fulfilled": entry.fulfilled,
                    "points": entry.points,
                    "max_points": entry.max_points,
                    "total": entry.total,
                }
                for entry in evaluation.scope_progress
            ],
            "rules": [
                {
                    "code": result.rule.code,
                    "title": result.rule.title,
                    "title_en": result.rule.title_en,
                    "met": result.met,
                    "basis": result.basis,
                    "aufbau": result.aufbau,
                    "points": result.points,
                    "missing": result.missing,
                }
                for result in evaluation.rules
            ],
        },
    }


def evidence_entry(entry) -> dict:
    """A linked document as the snapshot records it (also used for live lists)."""
    evidence, revision = entry.evidence, entry.revision
    return {
        "evidence_id": evidence.pk,
        "revision_id": revision.pk,
        "revision": revision.number,
        "title": evidence.title,
        "kind": evidence.kind,
        "filename": revision.original_name,
        "content_type": revision.content_type,
        "size": revision.size,
        "sha256": revision.sha256,
        "effective_date": evidence.effective_date.isoformat(),
        "valid_until": evidence.valid_until.isoformat() if evidence.valid_until else None,
        "owner": str(evidence.owner),
        "warnings": entry.warnings,
    }


def freeze_submission(assessment: Assessment, user, *, evaluation: Evaluation | None = None) -> Submission:
    number = assessment.submissions.count() + 1
    payload = build_snapshot(assessment, number=number, user=user, evaluation=evaluation)
    submission = Submission.objects.create(
        assessment=assessment,
        number=number,
        payload=payload,
        sha256=hashlib.sha256(canonical_json(payload)).hexdigest(),
        submitted_by=user,
    )
    # The queues sort and wait by it: kept on the assessment, not counted from submissions.
    assessment.submitted_at = submission.submitted_at
    Assessment.objects.filter(pk=assessment.pk).update(submitted_at=submission.submitted_at)
    # These rows PROTECT the named revisions: a frozen file can never be deleted.
    criterion_ids = dict(Criterion.objects.filter(catalogue_id=assessment.catalogue_id).values_list("code", "pk"))
    # A journal entry's attachment is frozen like any other evidence, also
    # when its own link was removed from the criterion.
    frozen = {
        (criterion_ids[entry["code"]], revision_id)
        for entry in payload["criteria"]
        for revision_id in [item["revision_id"] for item in entry["evidence"]]
        + [
            (item.get("attachment") or {}).get("revision_id")
            for item in entry.get("journal", [])
            if (item.get("attachment") or {}).get("revision_id")
        ]
    }
    SubmissionRevision.objects.bulk_create(
        SubmissionRevision(submission=submission, criterion_id=criterion_id, revision_id=revision_id)
        for criterion_id, revision_id in sorted(frozen)
    )
    return submission


# ---------------------------------------------------------------- differences


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
    # Journal entries taken over, each with its "line" (journal_shown).
    journal_added: list[dict] = field(default_factory=list)
    journal_removed: list[dict] = field(default_factory=list)

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
            or self.journal_added
            or self.journal_removed
        )


def _evidence_key(entry: dict) -> str:
    """A document counts as the same when its bytes are: compare by sha256
    (a new revision with other content is a change, a re-upload of the same
    file is none). Entries without a hash fall back to their revision."""
    return entry.get("sha256") or f"revision:{entry.get('revision_id')}"


def _journal_key(item: dict) -> str:
    """A journal entry counts as the same while what it proves is: the same
    entry with the same title, sessions, participants and attachment bytes.
    A changed one shows as removed in its old and added in its new form."""
    attachment = item.get("attachment") or {}
    return canonical_json(
        {
            "entry_id": item.get("entry_id"),
            "title": item.get("title"),
            "dates": item.get("dates"),
            "participants": item.get("participants"),
            "attachment": attachment.get("sha256") or attachment.get("revision_id"),
        }
    ).decode()


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

    old_journal = {_journal_key(item): item for item in before.get("journal", []) or []}
    new_journal = {_journal_key(item): item for item in after.get("journal", []) or []}
    result.journal_added = [journal_shown(item) for key, item in new_journal.items() if key not in old_journal]
    result.journal_removed = [journal_shown(item) for key, item in old_journal.items() if key not in new_journal]
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
