"""The cards of the checklist page (one per criterion of an area) and what
makes the page cheap to serve.

A card shows a criterion (never changing for a loaded catalogue version,
rendered once per language: see the "card-head" fragment) and what the
centre made of it: the answer, the evidence, the history, an open query.
Each card carries a fingerprint of everything it shows; the rendered card
is kept under that fingerprint (the "fragments" cache) and reused until
one of those things changes: the answer's version moves with every save, a
new document or revision changes the evidence, a log entry the history's
size. The history's entries and the documents to link are loaded only when
the user opens them.
A card showing a conflict or a message meant for it is never kept."""

from __future__ import annotations

import hashlib
from functools import partial

from django.contrib import messages
from django.utils import timezone, translation

from assessments.evaluation import Evaluation, load_answers
from assessments.forms import AnswerForm, EvidenceUploadForm
from assessments.journal_evidence import journal_cards
from assessments.selectors import evidence_by_criterion, open_queries_by_criterion, warnings_by_criterion
from certification.selectors import history_sizes
from evidence.selectors import documents_available_to


def build_cards(request, assessment, area, evaluation: Evaluation, *, editable: bool, conflicts: dict) -> list[dict]:
    criteria = list(area.criteria.all())
    criterion_ids = [criterion.pk for criterion in criteria]
    centre = assessment.familienzentrum
    sites = sites_for_answers(assessment)
    # A single site names no delivering sites: nothing to read there.
    answers = load_answers(assessment, criterion_ids, with_sites=centre.is_verbund)
    linked = evidence_by_criterion(assessment, criterion_ids)
    warnings = warnings_by_criterion(assessment, criteria, linked)
    # Only how many could be linked: the list itself is loaded when asked for.
    available = set(documents_available_to(centre).values_list("pk", flat=True)) if editable else set()
    # The entries themselves are loaded when the user opens a card's history.
    history = history_sizes(assessment, criterion_ids)
    queries = open_queries_by_criterion(assessment)
    # Changes with the journal, not with the answers: kept under its own
    # fingerprint, which the card's includes.
    journal = journal_cards(assessment, criteria, timezone.localdate())
    page = _page_fingerprint(request, assessment, sites, editable)
    for_regions = _regions_with_messages(request)

    cards = []
    for criterion in criteria:
        answer = answers.get(criterion.pk)
        conflict = conflicts.get(criterion.code)
        entries = linked.get(criterion.pk, [])
        linked_ids = {entry.evidence.pk for entry in entries}
        card = {
            "criterion": criterion,
            "answer": answer,
            # Built only when the card is rendered, not when it is reused.
            "form": conflict["form"] if conflict else partial(_answer_form, criterion, sites, answer),
            "conflict": conflict,
            "evidence": entries,
            "warnings": warnings.get(criterion.pk, []),
            "upload_form": partial(EvidenceUploadForm, prefix=f"e{criterion.pk}") if editable else None,
            "linkable_count": len(available - linked_ids),
            "history_size": history.get(criterion.pk, (0, None))[0],
            "history_newest": history.get(criterion.pk, (0, None))[1],
            "query": queries.get(criterion.pk),
            "journal": journal.get(criterion.pk),
        }
        region = f"journal-{criterion.pk}"
        card["journal_fingerprint"] = (
            _journal_fingerprint(page, card) if card["journal"] and region not in for_regions else ""
        )
        evidence_kept = not conflict and f"nachweise-{criterion.pk}" not in for_regions
        # The evidence section is kept on its own too: an autosave changes the
        # answer, and the card is rendered again around a kept evidence section.
        card["evidence_fingerprint"] = _evidence_fingerprint(page, card) if evidence_kept else ""
        keep = evidence_kept and f"antwort-{criterion.pk}" not in for_regions and region not in for_regions
        card["fingerprint"] = _card_fingerprint(page, card) if keep else ""
        cards.append(card)
    return cards


def sites_for_answers(assessment) -> list:
    """The sites an answer names from: a Verbund's; none for a single site."""
    centre = assessment.familienzentrum
    return [link.site for link in centre.site_links.all()] if centre.is_verbund else []


def _answer_form(criterion, sites, answer) -> AnswerForm:
    return AnswerForm(criterion=criterion, sites=sites, initial=AnswerForm.initial_for(answer, with_sites=bool(sites)))


def _regions_with_messages(request) -> set[str]:
    """The regions (see assessments.views.evidence.region_tag) that have a
    message waiting: their card is rendered afresh to show it."""
    regions = set()
    for message in messages.get_messages(request):
        tags = message.extra_tags or ""
        if tags.startswith("in-card "):
            regions.add(tags.removeprefix("in-card "))
    return regions


def _page_fingerprint(request, assessment, sites, editable: bool) -> list:
    return [
        "checklist-card-2",
        assessment.pk,
        assessment.catalogue.source_sha256,
        translation.get_language(),
        editable,
        request.user.has_perm("assessments.see_fingerprints", assessment),
        [(site.pk, site.name) for site in sites],
        # Validity warnings depend on the day.
        timezone.localdate().isoformat(),
    ]


def _evidence_fingerprint(page: list, card: dict) -> str:
    parts = [
        page,
        card["criterion"].pk,
        [
            (
                entry.evidence.pk,
                entry.evidence.title,
                entry.evidence.kind,
                str(entry.evidence.effective_date),
                str(entry.evidence.valid_until),
                entry.evidence.owner_partner_id,
                str(entry.evidence.owner_partner or ""),
                [(site.pk, site.name) for site in entry.sites],
                entry.revision.pk,
            )
            for entry in card["evidence"]
        ],
        card["warnings"],
        card["linkable_count"],
    ]
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def _journal_fingerprint(page: list, card: dict) -> str:
    parts = [page, card["criterion"].pk, card["journal"].fingerprint()]
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def _card_fingerprint(page: list, card: dict) -> str:
    answer = card["answer"]
    query = card["query"]
    parts = [
        page,
        card["criterion"].pk,
        (answer.pk, answer.version, answer.to_confirm) if answer else None,
        card["evidence_fingerprint"],
        card["journal_fingerprint"] or bool(card["journal"]),
        (card["history_size"], card["history_newest"]),
        (query.verdict.pk, query.verdict.comment, query.verdict.reply, query.anchor) if query else None,
    ]
    return hashlib.sha256(repr(parts).encode()).hexdigest()
