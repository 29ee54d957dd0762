"""The certificate beside the seal on the start page: `{% with_certificates cards as rows %}`."""

from __future__ import annotations

from django import template

from reports.models import Report, ReportKind, ReportStatus

register = template.Library()


@register.simple_tag
def with_certificates(cards) -> list[tuple]:
    """Each start-page card with the newest finished certificate of its
    current seal (None: none built yet), in one query however many cards.
    The certificate belongs to the assessment that issued the seal."""
    cards = list(cards)
    seal_ids = [card.seal.pk for card in cards if card.seal is not None]
    by_seal: dict[int, Report] = {}
    if seal_ids:
        reports = (
            Report.objects.filter(
                kind=ReportKind.CERTIFICATE,
                status=ReportStatus.DONE,
                submission__assessment__seal_id__in=seal_ids,
            )
            .select_related("submission__assessment")
            .defer("inputs", "submission__payload")
            .order_by("-finished_at", "-pk")
        )
        for report in reports:
            by_seal.setdefault(report.submission.assessment.seal_id, report)
    return [(card, by_seal.get(card.seal.pk) if card.seal is not None else None) for card in cards]
