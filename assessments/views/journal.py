"""The offer journal on a criterion's card: take over the journal's entries
of the review period, remove one again."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.decorators import post_only
from assessments import services
from assessments.rules import get_assessment_for_user
from assessments.views.common import card_url, criterion_or_404
from assessments.views.evidence import _criterion_card_url, region_tag
from certification.exceptions import ActionRefused


def journal_region(criterion) -> str:
    return f"journal-{criterion.pk}"


@login_required
@post_only(_criterion_card_url)
def take_over(request, pk: int, criterion_code: str):
    assessment = get_assessment_for_user(request.user, pk, "assessments.edit_assessment")
    criterion = criterion_or_404(assessment, criterion_code)
    tags = region_tag(journal_region(criterion))
    try:
        taken = services.take_over_journal(
            user=request.user, assessment_id=assessment.pk, criterion_code=criterion.code
        )
    except ActionRefused as refused:
        messages.error(request, refused.message, extra_tags=tags)
    else:
        if taken.entries:
            text = ngettext(
                "%(count)d Journaleintrag als Nachweis übernommen.",
                "%(count)d Journaleinträge als Nachweis übernommen.",
                taken.entries,
            ) % {"count": taken.entries}
            if taken.attachments:
                text += " " + ngettext(
                    "%(count)d Anhang ist als Nachweis verknüpft.",
                    "%(count)d Anhänge sind als Nachweise verknüpft.",
                    taken.attachments,
                ) % {"count": taken.attachments}
            messages.success(request, text, extra_tags=tags)
        else:
            messages.info(request, _("Alle Einträge des Prüfzeitraums sind bereits übernommen."), extra_tags=tags)
    return redirect(card_url(assessment, criterion))


@login_required
@post_only(_criterion_card_url)
def unlink(request, pk: int, criterion_code: str, entry_pk: int):
    assessment = get_assessment_for_user(request.user, pk, "assessments.edit_assessment")
    criterion = criterion_or_404(assessment, criterion_code)
    tags = region_tag(journal_region(criterion))
    try:
        removed = services.unlink_journal_entry(
            user=request.user, assessment_id=assessment.pk, criterion_code=criterion.code, entry_id=entry_pk
        )
    except ActionRefused as refused:
        messages.error(request, refused.message, extra_tags=tags)
    else:
        if removed:
            messages.success(
                request, _("Der Eintrag ist aus diesem Entwurf entfernt; im Journal bleibt er."), extra_tags=tags
            )
        else:
            messages.info(request, _("Dieser Eintrag war nicht übernommen."), extra_tags=tags)
    return redirect(card_url(assessment, criterion))
