"""The review screens: the office's queue and assignment, the reviewer's
workspace over the frozen submission, queries and replies, the site visit,
the recommendation and the four-eyes decision, and starting the
re-certification. Views stay thin: permission helper, service, message,
redirect."""

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
from django.views.decorators.http import require_POST

from assessments import rules, services
from assessments.evaluation import review_problems
from assessments.forms import ReasonForm, default_review_period
from assessments.models import AssessmentState, CriterionVerdict, EventAction, SiteVisit, Verdict
from assessments.permissions import get_assessment_for_editor, get_assessment_for_user, get_familienzentrum_for_leitung
from assessments.review_diff import CriterionDiff, diff_submissions
from assessments.review_forms import (
    AssignReviewersForm,
    NoteForm,
    RecertificationForm,
    ReplyForm,
    SiteVisitForm,
    VerdictForm,
)
from assessments.review_permissions import (
    get_assessment_for_decision,
    get_assessment_for_decline,
    get_assessment_for_office,
    get_assessment_for_review_reader,
    get_assessment_for_reviewer,
    require_office,
)
from assessments.review_selectors import (
    area_titles,
    latest_submissions,
    queried_verdicts,
    review_progress,
    review_queue,
    verdicts_by_code,
)
from assessments.site_visits import build_ics, visited_sites

# ---------------------------------------------------------------- helpers


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
        payload=payload,
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
        {**item, "download_url": item.get("download_url") or _download_url(item.get("revision_id"))}
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
    return rules.can_review(user, assessment) and assessment.state == AssessmentState.IN_REVIEW


def _review_base_context(request, assessment, data: ReviewData) -> dict:
    return {
        "assessment": assessment,
        "data": data,
        "submission": data.latest,
        "progress": data.progress,
        "judging": _can_judge(request.user, assessment),
        "is_reviewer": rules.can_review(request.user, assessment),
        "only_open": request.GET.get("offen") == "1" or request.POST.get("offen") == "1",
    }


def _site_visit(assessment) -> SiteVisit | None:
    return SiteVisit.objects.filter(assessment=assessment).prefetch_related("sites").first()


# ---------------------------------------------------------------- office


@login_required
def overview(request):
    require_office(request.user)
    return render(request, "assessments/review/overview.html", {"assessments": list(review_queue())})


@login_required
def assign(request, pk: int):
    assessment = get_assessment_for_office(request.user, pk)
    form = AssignReviewersForm(request.POST or None, traeger_id=assessment.familienzentrum.traeger_id)
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
    return render(request, "assessments/review/assign.html", {"assessment": assessment, "form": form})


# ---------------------------------------------------------------- the workspace


@login_required
def workspace(request, pk: int):
    assessment = get_assessment_for_review_reader(request.user, pk)
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
            and rules.can_confirm(request.user, assessment),
            "can_decline": assessment.state in (AssessmentState.IN_REVIEW, AssessmentState.RECOMMENDED)
            and rules.can_decline(request.user, assessment),
        }
    )
    return render(request, "assessments/review/workspace.html", context)


@login_required
def review_area(request, pk: int, area_code: str):
    assessment = get_assessment_for_review_reader(request.user, pk)
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
    context.update({"area": area, "cards": cards})
    return render(request, "assessments/review/area.html", context)


@login_required
@require_POST
def set_verdict(request, pk: int, criterion_code: str):
    assessment = get_assessment_for_reviewer(request.user, pk)
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
@require_POST
def request_changes(request, pk: int):
    assessment = get_assessment_for_reviewer(request.user, pk)
    form = NoteForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        services.request_changes(user=request.user, assessment_id=assessment.pk, note=note)
    except services.TransitionRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, _("Die Rückfragen sind an das Familienzentrum gegangen."))
    return redirect("assessments:review", assessment.pk)


# ---------------------------------------------------------------- queries and replies (Leitung)


def _queries_context(request, assessment, *, problems=None, forms=None) -> dict:
    verdicts = queried_verdicts(assessment)
    latest = assessment.latest_submission
    open_round = assessment.state == AssessmentState.CHANGES_REQUESTED
    can_reply = open_round and rules.can_edit(request.user, assessment)
    forms = forms or {}
    current, earlier = [], []
    for verdict in verdicts:
        is_current = open_round and latest is not None and verdict.submission_id == latest.pk
        form = None
        if is_current and can_reply:
            form = forms.get(verdict.criterion.code) or ReplyForm(initial={"reply": verdict.reply})
        anchor = anchor_for(verdict.criterion.code)
        if not is_current:  # the same criterion may be queried in several rounds
            anchor = f"{anchor}-einreichung-{verdict.submission.number}"
        item = {"verdict": verdict, "anchor": anchor, "form": form}
        (current if is_current else earlier).append(item)
    return {
        "assessment": assessment,
        "current": current,
        "earlier": earlier,
        "can_reply": can_reply,
        "unanswered": sum(1 for item in current if not item["verdict"].reply),
        "problems": problems or [],
    }


@login_required
def queries(request, pk: int):
    assessment = get_assessment_for_user(request.user, pk)
    return render(request, "assessments/review/queries.html", _queries_context(request, assessment))


@login_required
@require_POST
def reply(request, pk: int, criterion_code: str):
    assessment = get_assessment_for_editor(request.user, pk)
    form = ReplyForm(request.POST)
    if form.is_valid():
        try:
            services.reply_to_query(
                user=request.user,
                assessment_id=assessment.pk,
                criterion_code=criterion_code,
                reply=form.cleaned_data["reply"],
            )
        except services.CriterionNotInCatalogue:
            raise Http404 from None
        except services.TransitionRefused as refused:
            form.add_error("reply", refused.message)
    if request.htmx:
        context = _queries_context(request, assessment, forms={criterion_code: form} if form.errors else None)
        item = next((item for item in context["current"] if item["verdict"].criterion.code == criterion_code), None)
        if item is None:
            # A stale tab: the query round is over. Say so instead of a bare 404.
            messages.error(
                request, " ".join(form.errors.get("reply", [])) or _("Diese Rückfrage ist nicht mehr offen.")
            )
            return HttpResponse(
                status=204, headers={"HX-Redirect": reverse("assessments:detail", args=[assessment.pk])}
            )
        context.update({"item": item, "saved": not form.errors, "oob": True})
        return render(request, "assessments/review/_reply_saved.html", context)
    if form.errors:
        context = _queries_context(request, assessment, forms={criterion_code: form})
        return render(request, "assessments/review/queries.html", context, status=400)
    messages.success(request, _("Antwort zu %(code)s gespeichert.") % {"code": criterion_code})
    return redirect(f"{reverse('assessments:queries', args=[assessment.pk])}#{anchor_for(criterion_code)}")


@login_required
@require_POST
def resubmit(request, pk: int):
    assessment = get_assessment_for_editor(request.user, pk)
    try:
        submission = services.resubmit(user=request.user, assessment_id=assessment.pk)
    except services.TransitionRefused as refused:
        assessment.refresh_from_db()
        if assessment.state != AssessmentState.CHANGES_REQUESTED:
            messages.info(request, _("Die Selbstbewertung ist bereits erneut eingereicht."))
            return redirect("assessments:detail", assessment.pk)
        messages.error(request, refused.message)
        context = _queries_context(request, assessment, problems=refused.problems)
        return render(request, "assessments/review/queries.html", context, status=200)
    messages.success(
        request,
        _("Die Selbstbewertung ist erneut eingereicht. Prüfsumme: %(sha)s") % {"sha": submission.sha256[:16]},
    )
    return redirect("assessments:detail", assessment.pk)


# ---------------------------------------------------------------- site visit


@login_required
def site_visit(request, pk: int):
    assessment = get_assessment_for_reviewer(request.user, pk)
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
            form.add_error("sites", error)
        except services.TransitionRefused as refused:
            form.add_error(None, refused.message)
        else:
            messages.success(
                request, _("Die Begehung ist geplant. Die Leitung erhält eine Einladung mit Kalenderdatei.")
            )
            return redirect("assessments:review", assessment.pk)
    context = {
        "assessment": assessment,
        "visit": visit,
        "visit_sites": visited_sites(visit) if visit else [],
        "form": form,
        "done_form": NoteForm(),
    }
    return render(request, "assessments/review/site_visit.html", context)


@login_required
@require_POST
def site_visit_done(request, pk: int):
    assessment = get_assessment_for_reviewer(request.user, pk)
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


# ---------------------------------------------------------------- recommendation and decision


@login_required
def recommend(request, pk: int):
    assessment = get_assessment_for_reviewer(request.user, pk)
    form = NoteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.recommend(user=request.user, assessment_id=assessment.pk, note=form.cleaned_data["note"])
        except services.TransitionRefused as refused:
            messages.error(request, refused.message)
        else:
            messages.success(
                request, _("Zur Zertifizierung empfohlen. Die zweite Person entscheidet nun (Vier-Augen-Prinzip).")
            )
            return redirect("assessments:review", assessment.pk)
    problems = review_problems(assessment) if assessment.state == AssessmentState.IN_REVIEW else []
    for problem in problems:
        problem.anchor = anchor_for(problem.criterion_code) if problem.criterion_code else ""
    context = {
        "assessment": assessment,
        "form": form,
        "problems": problems,
        "submission": assessment.latest_submission,
        "can_recommend": assessment.state == AssessmentState.IN_REVIEW and not problems,
    }
    return render(request, "assessments/review/recommend.html", context)


def _decision_context(request, assessment) -> dict:
    data = _review_data(assessment)
    events = {
        event.action: event
        for event in assessment.events.filter(
            action__in=[EventAction.RECOMMEND, EventAction.APPROVE, EventAction.DECLINE, EventAction.SEND_BACK]
        )
        .select_related("actor", "submission")
        .order_by("created_at", "pk")
    }
    is_recommender = assessment.recommended_by_id == request.user.pk
    return {
        "assessment": assessment,
        "data": data,
        "submission": data.latest if data else None,
        "progress": data.progress if data else None,
        "visit": _site_visit(assessment),
        "recommend_event": events.get(EventAction.RECOMMEND),
        "decision_event": events.get(EventAction.APPROVE) or events.get(EventAction.DECLINE),
        "is_recommender": is_recommender,
        "can_decide": assessment.state == AssessmentState.RECOMMENDED and rules.can_confirm(request.user, assessment),
        "approve_form": NoteForm(),
        "send_back_form": ReasonForm(),
    }


@login_required
def decision(request, pk: int):
    assessment = get_assessment_for_decision(request.user, pk)
    return render(request, "assessments/review/decision.html", _decision_context(request, assessment))


@login_required
@require_POST
def approve(request, pk: int):
    assessment = get_assessment_for_decision(request.user, pk)
    form = NoteForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        approved = services.approve(user=request.user, assessment_id=assessment.pk, note=note)
    except services.TransitionRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(
            request,
            _("Bestätigt: das Familienzentrum ist zertifiziert. Gütesiegel %(number)s.")
            % {"number": approved.seal.number},
        )
    return redirect("assessments:decision", assessment.pk)


@login_required
@require_POST
def send_back(request, pk: int):
    assessment = get_assessment_for_decision(request.user, pk)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Bitte geben Sie eine Begründung an."))
        return redirect("assessments:decision", assessment.pk)
    try:
        services.send_back(user=request.user, assessment_id=assessment.pk, reason=form.cleaned_data["reason"])
    except services.TransitionRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, _("Die Empfehlung ist an die Gutachter:in zurückgegeben."))
    return redirect("assessments:decision", assessment.pk)


@login_required
def decline(request, pk: int):
    assessment = get_assessment_for_decline(request.user, pk)
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.decline(user=request.user, assessment_id=assessment.pk, reason=form.cleaned_data["reason"])
        except services.TransitionRefused as refused:
            messages.error(request, refused.message)
        else:
            messages.success(request, _("Die Zertifizierung ist abgelehnt."))
            return redirect("assessments:decision", assessment.pk)
    return render(
        request,
        "assessments/review/decline.html",
        {"assessment": assessment, "form": form, "submission": assessment.latest_submission},
    )


# ---------------------------------------------------------------- re-certification


@login_required
def recertify(request, familienzentrum_pk: int):
    familienzentrum = get_familienzentrum_for_leitung(request.user, familienzentrum_pk)
    previous = services.last_certified_assessment(familienzentrum)
    start, end = default_review_period(timezone.localdate())
    form = RecertificationForm(request.POST or None, initial={"review_period_start": start, "review_period_end": end})
    if request.method == "POST" and form.is_valid():
        try:
            assessment = services.start_recertification(
                user=request.user,
                familienzentrum=familienzentrum,
                review_period_start=form.cleaned_data["review_period_start"],
                review_period_end=form.cleaned_data["review_period_end"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _(
                    "Die Re-Zertifizierung ist angelegt. Die Antworten der letzten Zertifizierung sind übernommen: "
                    "bitte bestätigen oder ändern Sie jede einzelne."
                ),
            )
            return redirect("assessments:detail", assessment.pk)
    context = {"familienzentrum": familienzentrum, "previous": previous, "form": form}
    return render(request, "assessments/review/recertify.html", context)
