"""The reviewer's screens: the assignment (the queues are views/queues.py), the workspace
over the frozen submission, verdicts and queries, and the site visit."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from accounts.decorators import landing_at, post_only
from assessments import services
from assessments.assignment_selectors import reviewers_for_assessment
from assessments.calendars import build_ics, visited_sites
from assessments.evaluation import review_problems
from assessments.forms import (
    AssignReviewersForm,
    NoteForm,
    SiteVisitForm,
    VerdictForm,
)
from assessments.frozen_display import localized_payload
from assessments.models import AssessmentEvent, AssessmentState, CriterionVerdict, EventAction, SiteVisit, Verdict
from assessments.rules import get_assessment_for_user
from assessments.selectors import (
    area_titles,
    latest_submissions,
    review_progress,
    verdicts_by_code,
)
from assessments.snapshots import CriterionDiff, diff_submissions


def anchor_for(code: str) -> str:
    return f"pruefung-{slugify(code.replace('.', '-'))}"


def _download_url(revision_id) -> str:
    # Files are served by the evidence views; link only when that URL exists.
    if not revision_id:
        return ""
    try:
        return reverse("assessments:evidence_download", args=[revision_id])
    except NoReverseMatch:
        return ""


# What a card offers to open in the browser (issue 12): a PDF in the browser's
# viewer, an image on a page of its own. The preview view checks the file's
# first bytes itself and sends anything else as a download.
_PREVIEW_ROUTES = {
    "application/pdf": "assessments:evidence_preview",
    "image/png": "assessments:evidence_preview_page",
    "image/jpeg": "assessments:evidence_preview_page",
    "image/gif": "assessments:evidence_preview_page",
    "image/webp": "assessments:evidence_preview_page",
}


def _preview_url(item: dict) -> str:
    route = _PREVIEW_ROUTES.get((item.get("content_type") or "").lower())
    return reverse(route, args=[item["revision_id"]]) if route and item.get("revision_id") else ""


def open_send_back(assessment) -> AssessmentEvent | None:
    """The latest send-back of a recommendation, until the reviewer has
    recommended again: its reason stays on top of the workspace until then."""
    if assessment.state not in (AssessmentState.IN_REVIEW, AssessmentState.CHANGES_REQUESTED):
        return None
    latest = (
        assessment.events.filter(action__in=[EventAction.SEND_BACK, EventAction.RECOMMEND])
        .select_related("actor")
        .order_by("-created_at", "-pk")
        .first()
    )
    return latest if latest is not None and latest.action == EventAction.SEND_BACK else None


@dataclass
class ReviewCard:
    entry: dict
    anchor: str
    verdict: CriterionVerdict | None = None
    previous_query: CriterionVerdict | None = None
    diff: CriterionDiff | None = None
    sites: list[str] = field(default_factory=list)
    evidence: list[dict] = field(default_factory=list)
    form: VerdictForm | None = None

    @property
    def is_open(self) -> bool:
        return self.verdict is None or self.verdict.verdict != Verdict.ACCEPTED


@dataclass
class ReviewData:
    """Everything the workspace shows, read in a fixed number of queries."""

    latest: object
    previous: object
    payload: dict
    verdicts: dict
    previous_verdicts: dict
    diffs: dict
    site_names: dict
    progress: object


def _review_data(assessment) -> ReviewData | None:
    latest, previous = latest_submissions(assessment)
    if latest is None:
        return None
    payload = latest.payload
    verdicts = verdicts_by_code(latest)
    previous_verdicts = verdicts_by_code(previous)
    diffs = diff_submissions(previous.payload if previous else None, payload)
    titles = area_titles(assessment, {entry["area"] for entry in payload.get("criteria", [])})
    return ReviewData(
        latest=latest,
        previous=previous,
        # Compared in German above; shown in the reader's language.
        payload=localized_payload(payload, assessment.catalogue),
        verdicts=verdicts,
        previous_verdicts=previous_verdicts,
        diffs=diffs,
        site_names={site["id"]: site["name"] for site in payload.get("familienzentrum", {}).get("sites", [])},
        progress=review_progress(payload, verdicts, titles, changed=diffs),
    )


def _card(data: ReviewData, entry: dict, *, form: VerdictForm | None = None, judging: bool = False) -> ReviewCard:
    code = entry["code"]
    verdict = data.verdicts.get(code)
    previous_query = data.previous_verdicts.get(code)
    if previous_query is not None and previous_query.verdict != Verdict.QUERIED:
        previous_query = None
    evidence = [
        {
            **item,
            "download_url": item.get("download_url") or _download_url(item.get("revision_id")),
            "preview_url": _preview_url(item),
        }
        for item in entry.get("evidence", []) or []
    ]
    if judging and form is None:
        form = VerdictForm(
            initial={"verdict": verdict.verdict if verdict else "", "comment": verdict.comment if verdict else ""}
        )
    return ReviewCard(
        entry=entry,
        anchor=anchor_for(code),
        verdict=verdict,
        previous_query=previous_query,
        diff=data.diffs.get(code),
        sites=[data.site_names.get(pk, str(pk)) for pk in entry.get("delivering_sites", [])],
        evidence=evidence,
        form=form if judging else None,
    )


def _can_judge(user, assessment) -> bool:
    return user.has_perm("assessments.review_assessment", assessment) and assessment.state == AssessmentState.IN_REVIEW


def _review_base_context(request, assessment, data: ReviewData) -> dict:
    return {
        "assessment": assessment,
        "data": data,
        "submission": data.latest,
        "progress": data.progress,
        "judging": _can_judge(request.user, assessment),
        "is_reviewer": request.user.has_perm("assessments.review_assessment", assessment),
        "only_open": request.GET.get("offen") == "1" or request.POST.get("offen") == "1",
    }


def _site_visit(assessment) -> SiteVisit | None:
    return SiteVisit.objects.filter(assessment=assessment).prefetch_related("sites").first()


@login_required
def assign(request, pk: int):
    assessment = get_assessment_for_user(request.user, pk, "assessments.assign_reviewers")
    # Workload and conflicts of every pool member, read once for the table and the form.
    reviewers = reviewers_for_assessment(assessment)
    form = AssignReviewersForm(request.POST or None, reviewers=reviewers)
    if request.method == "POST" and form.is_valid():
        try:
            services.assign_reviewers(
                user=request.user,
                assessment_id=assessment.pk,
                reviewer=form.cleaned_data["reviewer"],
                second_reviewer=form.cleaned_data["second_reviewer"],
            )
        except services.TransitionRefused as refused:
            form.add_error(None, refused.message)
        else:
            messages.success(request, _("Die Begutachtung ist vergeben."))
            return redirect("assessments:review_overview")
    return render(
        request, "assessments/review/assign.html", {"assessment": assessment, "form": form, "reviewers": reviewers}
    )


@login_required
def workspace(request, pk: int):
    assessment = get_assessment_for_user(request.user, pk, "assessments.read_review")
    data = _review_data(assessment)
    if data is None:
        messages.info(request, _("Die Selbstbewertung ist noch nicht eingereicht."))
        return redirect("assessments:detail", assessment.pk)
    context = _review_base_context(request, assessment, data)
    context.update(
        {
            "visit": _site_visit(assessment),
            "problems": review_problems(assessment) if assessment.state == AssessmentState.IN_REVIEW else [],
            "changed": [
                (entry["code"], anchor_for(entry["code"]), entry["area"])
                for entry in data.payload.get("criteria", [])
                if entry["code"] in data.diffs
            ],
            "note_form": NoteForm(),
            "can_confirm": assessment.state == AssessmentState.RECOMMENDED
            and request.user.has_perm("assessments.confirm_assessment", assessment),
            "can_decline": assessment.state in (AssessmentState.IN_REVIEW, AssessmentState.RECOMMENDED)
            and request.user.has_perm("assessments.decline_assessment", assessment),
            "send_back": open_send_back(assessment),
        }
    )
    return render(request, "assessments/review/workspace.html", context)


@login_required
def review_area(request, pk: int, area_code: str):
    assessment = get_assessment_for_user(request.user, pk, "assessments.read_review")
    data = _review_data(assessment)
    area = data.progress.area(area_code) if data else None
    if area is None:
        raise Http404
    context = _review_base_context(request, assessment, data)
    cards = [
        _card(data, entry, judging=context["judging"])
        for entry in data.payload["criteria"]
        if entry["area"] == area_code
    ]
    if context["only_open"]:
        cards = [card for card in cards if card.is_open]
    context.update({"area": area, "cards": cards, "send_back": open_send_back(assessment)})
    return render(request, "assessments/review/area.html", context)


@login_required
@post_only(landing_at("assessments:review", "pk"))
def set_verdict(request, pk: int, criterion_code: str):
    assessment = get_assessment_for_user(request.user, pk, "assessments.review_assessment")
    form = VerdictForm(request.POST)
    error = ""
    if form.is_valid():
        try:
            services.set_verdict(
                user=request.user,
                assessment_id=assessment.pk,
                criterion_code=criterion_code,
                verdict=form.cleaned_data["verdict"],
                comment=form.cleaned_data["comment"],
            )
        except services.CriterionNotInCatalogue:
            raise Http404 from None
        except services.TransitionRefused as refused:
            error = refused.message
        except ValidationError as invalid:
            error = " ".join(invalid.messages)
    else:
        error = " ".join(message for messages_ in form.errors.values() for message in messages_)
    data = _review_data(assessment)
    entry = next((entry for entry in data.payload["criteria"] if entry["code"] == criterion_code), None)
    if entry is None:
        raise Http404
    if request.htmx:
        context = _review_base_context(request, assessment, data)
        card = _card(data, entry, form=form if error else None, judging=context["judging"])
        context.update({"card": card, "error": error, "area": data.progress.area(entry["area"]), "oob": True})
        return render(request, "assessments/review/_verdict_saved.html", context)
    if error:
        messages.error(request, f"{criterion_code}: {error}")
    else:
        messages.success(request, _("Urteil zu %(code)s gespeichert.") % {"code": criterion_code})
    url = reverse("assessments:review_area", args=[assessment.pk, entry["area"]])
    query = "?offen=1" if request.POST.get("offen") == "1" else ""
    return redirect(f"{url}{query}#{anchor_for(criterion_code)}")


@login_required
@post_only(landing_at("assessments:review", "pk"))
def request_changes(request, pk: int):
    assessment = get_assessment_for_user(request.user, pk, "assessments.review_assessment")
    form = NoteForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        services.request_changes(user=request.user, assessment_id=assessment.pk, note=note)
    except services.TransitionRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, _("Die Rückfragen sind an das Familienzentrum gegangen."))
    return redirect("assessments:review", assessment.pk)


@login_required
def site_visit(request, pk: int):
    assessment = get_assessment_for_user(request.user, pk, "assessments.review_assessment")
    visit = _site_visit(assessment)
    initial = {}
    if visit is not None:
        local = timezone.localtime(visit.scheduled_for)
        initial = {
            "date": local.date(),
            "time": local.time().replace(second=0, microsecond=0),
            "sites": [str(site.pk) for site in visit.sites.all()],
            "notes": visit.notes,
        }
    elif not assessment.familienzentrum.is_verbund:
        initial = {"sites": [str(link.site_id) for link in assessment.familienzentrum.site_links.all()]}
    form = SiteVisitForm(request.POST or None, familienzentrum=assessment.familienzentrum, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.schedule_site_visit(
                user=request.user,
                assessment_id=assessment.pk,
                scheduled_for=form.scheduled_for(),
                site_ids=form.site_ids(),
                notes=form.cleaned_data["notes"],
            )
        except ValidationError as error:
            # A time no longer ahead names its field; the site rules speak of the sites.
            form.add_error(None if hasattr(error, "error_dict") else "sites", error)
        except services.TransitionRefused as refused:
            form.add_error(None, refused.message)
        else:
            messages.success(
                request, _("Die Begehung ist geplant. Die Leitung erhält in Kürze eine Einladung mit Kalenderdatei.")
            )
            return redirect("assessments:review", assessment.pk)
    context = {
        "assessment": assessment,
        "visit": visit,
        "visit_sites": visited_sites(visit) if visit else [],
        "form": form,
        "done_form": NoteForm(),
        "can_mark_done": visit is not None and services.visit_day_reached(visit),
    }
    return render(request, "assessments/review/site_visit.html", context)


@login_required
@post_only(landing_at("assessments:site_visit", "pk"))
def site_visit_done(request, pk: int):
    assessment = get_assessment_for_user(request.user, pk, "assessments.review_assessment")
    form = NoteForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        services.record_site_visit_done(user=request.user, assessment_id=assessment.pk, notes=note)
    except services.TransitionRefused as refused:
        messages.error(request, refused.message)
        return redirect("assessments:site_visit", assessment.pk)
    messages.success(request, _("Die Begehung ist als durchgeführt vermerkt."))
    return redirect("assessments:review", assessment.pk)


@login_required
def site_visit_ics(request, pk: int):
    """The visit as a calendar file, for everyone who may see the assessment."""
    assessment = get_assessment_for_user(request.user, pk)
    visit = _site_visit(assessment)
    if visit is None:
        raise Http404
    response = HttpResponse(
        build_ics(visit, attendees=[], method="PUBLISH"), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="begehung.ics"'
    return response
