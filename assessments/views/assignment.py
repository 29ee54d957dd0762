"""The office's bulk assignment: a selection of the work queue to one
reviewer (and a second reviewer) at once. The single assignment's page is
assessments.views.review.assign; both call the same service checks."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.decorators import post_only
from assessments import services
from assessments.assignment_selectors import reviewers_with_workload
from assessments.forms import BulkAssignForm
from assessments.queue_html import bulk_options_html
from certification.rules import is_office


def _back_to(request) -> str:
    """`next` when it is a path on this site, else the office queue: the
    form's hidden field must not turn the view into an open redirect."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts=set()) and target.startswith("/"):
        return target
    return reverse("assessments:review_overview")


@login_required
@post_only("assessments:review_overview")
def bulk_assign(request):
    if not is_office(request.user):
        raise Http404
    back = _back_to(request)
    form = BulkAssignForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(back)
    ids = form.cleaned_data["assessment"]
    if not ids:
        messages.warning(request, _("Es ist keine Selbstbewertung ausgewählt: Bitte markieren Sie die Zeilen zuerst."))
        return redirect(back)
    reviewer = form.cleaned_data["reviewer"]
    try:
        result = services.bulk_assign(
            user=request.user,
            assessment_ids=ids,
            reviewer=reviewer,
            second_reviewer=form.cleaned_data["second_reviewer"],
        )
    except services.TransitionRefused as refused:
        messages.error(request, refused.message)
        return redirect(back)
    if result.assigned:
        count = len(result.assigned)
        messages.success(
            request,
            ngettext(
                "%(count)d Selbstbewertung ist %(reviewer)s zugewiesen.",
                "%(count)d Selbstbewertungen sind %(reviewer)s zugewiesen.",
                count,
            )
            % {"count": count, "reviewer": reviewer.get_full_name()},
        )
    if result.refused:
        count = len(result.refused)
        intro = ngettext(
            "%(count)d Selbstbewertung wurde nicht zugewiesen und bleibt unverändert:",
            "%(count)d Selbstbewertungen wurden nicht zugewiesen und bleiben unverändert:",
            count,
        ) % {"count": count}
        items = format_html_join("", "<li>{}: {}</li>", ((item.name, item.reason) for item in result.refused))
        messages.error(request, format_html('{}<ul class="mb-0">{}</ul>', intro, items))
    return redirect(back)


@login_required
def reviewer_workloads(request):
    """Each pool member's workload. For the queue's htmx request, right
    after its page: the bulk assignment's two choices again, labelled with
    the workloads, keeping what is already picked. Without JavaScript the
    queue links here: a table of the same figures."""
    if not is_office(request.user):
        raise Http404
    people = reviewers_with_workload()
    if request.htmx:
        chosen = {"reviewer": request.GET.get("reviewer", ""), "second": request.GET.get("second_reviewer", "")}
        context = {"bulk_options": bulk_options_html(people, chosen=chosen)}
        return render(request, "assessments/queues/_bulk_reviewer_options.html", context)
    return render(request, "assessments/queues/reviewer_workloads.html", {"reviewers": people})
