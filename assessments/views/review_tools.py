"""The reviewer's tools for work at volume (issue 12): the open criteria of an
area accepted at once after a confirmation, evidence previewed in the
browser, the confirmation before a seal is issued, and the personal
calendar feed of site visits (its token page and the feed itself)."""

from __future__ import annotations

from csp.decorators import csp
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET

from accounts.decorators import require_recent_second_factor
from assessments import services
from assessments.calendars import build_feed, feed_visits, reviewer_for_calendar_token
from assessments.models import AssessmentState
from assessments.rules import get_assessment_for_user, get_revision_for_user
from assessments.views import evidence as evidence_views
from assessments.views.common import is_id
from assessments.views.review import _review_data, anchor_for
from certification.models import Reviewer
from evidence.files import inline_kind

# ---------------------------------------------------------------- a whole area at once


@login_required
def accept_area(request, pk: int, area_code: str):
    """GET: the confirmation, naming every criterion that will be accepted;
    POST: accepts exactly those still without a verdict (services.accept_area)."""
    assessment = get_assessment_for_user(request.user, pk, "assessments.review_assessment")
    area_url = reverse("assessments:review_area", args=[assessment.pk, area_code])
    if request.method == "POST":
        number = request.POST.get("submission", "")
        if not is_id(number):
            messages.error(request, _("Die Bestätigung ist unvollständig. Bitte versuchen Sie es erneut."))
            return redirect(area_url)
        try:
            result = services.accept_area(
                user=request.user,
                assessment_id=assessment.pk,
                area_code=area_code,
                submission_number=int(number),
                criterion_codes=request.POST.getlist("criteria"),
            )
        except services.CriterionNotInCatalogue:
            raise Http404 from None
        except services.TransitionRefused as refused:
            messages.error(request, refused.message)
            return redirect(area_url)
        count = len(result.accepted)
        messages.success(
            request,
            ngettext("%(count)d Kriterium akzeptiert: %(codes)s.", "%(count)d Kriterien akzeptiert: %(codes)s.", count)
            % {"count": count, "codes": ", ".join(result.accepted)},
        )
        if result.skipped:
            messages.info(
                request,
                _("Inzwischen beurteilt und unverändert geblieben: %(codes)s.") % {"codes": ", ".join(result.skipped)},
            )
        return redirect(area_url)

    data = _review_data(assessment)
    area = data.progress.area(area_code) if data else None
    if area is None:
        raise Http404
    if assessment.state != AssessmentState.IN_REVIEW:
        messages.error(request, _("Urteile sind nur während der Begutachtung möglich."))
        return redirect(area_url)
    entries = [
        {
            "code": entry["code"],
            "title": entry["title"],
            "anchor": anchor_for(entry["code"]),
            "changed": entry["code"] in data.diffs,
        }
        for entry in data.payload["criteria"]
        if entry["area"] == area_code and entry["code"] not in data.verdicts
    ]
    context = {
        "assessment": assessment,
        "area": area,
        "submission": data.latest,
        "previous": data.previous,
        "entries": entries,
        "queried": area.queried,
        "area_url": area_url,
    }
    return render(request, "assessments/review/accept_area.html", context)


# ---------------------------------------------------------------- evidence in the browser

# The inline file's own policy: nothing may load, run or be submitted, the
# document gets an opaque origin (sandbox without any allow-* token) and no
# page may frame it. Chromium 156 shows a PDF in its built-in viewer under
# exactly this policy, opened as a page of its own (the viewer runs in the
# browser, not in the sandboxed document); images are shown in an <img> of
# the preview page, whose policy (img-src 'self') loads them.
PREVIEW_POLICY = {
    "default-src": ["'none'"],
    "base-uri": ["'none'"],
    "form-action": ["'none'"],
    "frame-ancestors": ["'none'"],
    "sandbox": True,
}


@csp(PREVIEW_POLICY)
def _inline(revision) -> FileResponse:
    response = FileResponse(
        revision.file.open("rb"),
        as_attachment=False,
        filename=revision.original_name,
        content_type=revision.content_type.split(";")[0].strip().lower(),
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


@login_required
@require_GET
def evidence_preview(request, revision_pk: int):
    """The file itself, inline, for exactly those who may download it; a file
    that may not be rendered goes the download's way."""
    revision = get_revision_for_user(request.user, revision_pk)
    if not inline_kind(revision):
        return evidence_views.download(request, revision_pk)
    return _inline(revision)


@login_required
@require_GET
def evidence_preview_page(request, revision_pk: int):
    """An image on a page of its own (a PDF opens in the browser's viewer)."""
    revision = get_revision_for_user(request.user, revision_pk)
    kind = inline_kind(revision)
    if kind == "pdf":
        return redirect("assessments:evidence_preview", revision.pk)
    if kind != "image":
        return redirect("assessments:evidence_download", revision.pk)
    return render(request, "assessments/review/preview.html", {"revision": revision, "evidence": revision.evidence})


# ---------------------------------------------------------------- the seal, confirmed first


@login_required
@require_recent_second_factor()
def confirm_approval(request, pk: int):
    """The confirmation step before the seal: for whom, on which submission,
    valid from and until when. Its form posts to assessments:approve."""
    assessment = get_assessment_for_user(request.user, pk, "assessments.read_review")
    decision_url = reverse("assessments:decision", args=[assessment.pk])
    if assessment.state != AssessmentState.RECOMMENDED or not request.user.has_perm(
        "assessments.confirm_assessment", assessment
    ):
        messages.error(request, _("Eine Bestätigung ist hier nicht möglich."))
        return redirect(decision_url)
    valid_from, valid_until = services.seal_terms()
    context = {
        "assessment": assessment,
        "submission": assessment.latest_submission,
        "valid_from": valid_from,
        "valid_until": valid_until,
        "note": request.GET.get("note", "")[:4000],
        "decision_url": decision_url,
    }
    return render(request, "assessments/review/approve_confirm.html", context)


# ---------------------------------------------------------------- the calendar feed


def _feed_url(token: str) -> str:
    # The public address (SITE_URL): calendar apps fetch it from outside.
    return settings.SITE_URL.rstrip("/") + reverse("assessments:calendar_feed", args=[token])


@login_required
def calendar(request):
    """The reviewer's feed: create (or replace) the secret address, or revoke it.
    A new address is shown once, right after it was made; only its hash is kept."""
    if not request.user.has_perm("assessments.keep_calendar_feed"):
        raise Http404
    if request.method == "POST":
        if request.POST.get("action") == "revoke":
            if services.revoke_calendar_token(user=request.user):
                messages.success(
                    request, _("Das Kalender-Abo ist beendet. Die bisherige Adresse funktioniert nicht mehr.")
                )
            else:
                messages.info(request, _("Es gab kein Kalender-Abo."))
        else:
            try:
                token = services.create_calendar_token(user=request.user)
            except services.TransitionRefused as refused:
                messages.error(request, refused.message)
            else:
                # Shown once on the next page, then gone: the server keeps only the hash.
                request.session["calendar_feed_url"] = _feed_url(token)
                messages.success(request, _("Die neue Kalender-Adresse ist eingerichtet."))
        return redirect("assessments:calendar")
    reviewer = Reviewer.objects.get(user=request.user)
    feed_url = request.session.pop("calendar_feed_url", "")
    context = {
        "reviewer": reviewer,
        "has_feed": bool(reviewer.calendar_token_hash),
        "feed_url": feed_url,
        "webcal_url": "webcal://" + feed_url.split("://", 1)[1] if feed_url else "",
        "visits": feed_visits(request.user),
    }
    return render(request, "assessments/review/calendar.html", context)


@require_GET
def calendar_feed(request, token: str):
    """No sign-in (calendar apps cannot); the secret in the address is the key.
    An unknown, revoked or replaced token is a page that does not exist."""
    reviewer = reviewer_for_calendar_token(token)
    if reviewer is None:
        raise Http404
    response = HttpResponse(build_feed(feed_visits(reviewer.user)), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="begehungen.ics"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    # The address is the secret: it must not leave in a Referer.
    response["Referrer-Policy"] = "no-referrer"
    return response
