"""The reports pages: a panel per assessment (also loaded into the
assessment's page by htmx), requesting a report, downloading it, the
CSV/XLSX exports (built by the worker as an export job when they are large)
and the office's dashboard."""

from __future__ import annotations

from csp.decorators import csp_update
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.decorators import landing_at, post_only
from assessments.rules import get_assessment_for_user
from certification.rules import is_office
from reports import charts, dashboard, export_jobs, exports, selectors, services
from reports.forms import ReportRequestForm
from reports.models import PUBLIC_FAILURE_MESSAGE, ExportFormat
from reports.rules import get_export_job_for_user, get_report_for_user


def _panel_context(request, assessment, *, notice: str = "") -> dict:
    return {
        "assessment": assessment,
        "overview": selectors.reports_overview(assessment),
        "is_office": is_office(request.user),
        # Checksums are the review's working tool; the centre sees titles, dates and versions.
        "see_fingerprints": request.user.has_perm("assessments.see_fingerprints", assessment),
        "public_failure": PUBLIC_FAILURE_MESSAGE,
        "notice": notice,
    }


@login_required
@require_GET
def assessment_reports(request, pk: int):
    assessment = get_assessment_for_user(request.user, pk)
    return render(request, "reports/assessment_reports.html", _panel_context(request, assessment))


@login_required
@require_GET
def assessment_panel(request, pk: int):
    """The panel alone, for htmx: loaded into the assessment page and polled
    while a report is being built."""
    assessment = get_assessment_for_user(request.user, pk)
    return render(request, "reports/_panel.html", _panel_context(request, assessment))


@login_required
@post_only(landing_at("reports:assessment_reports", "pk"))
def request_report(request, pk: int):
    assessment = get_assessment_for_user(request.user, pk)
    form = ReportRequestForm(request.POST)
    submission = assessment.latest_submission
    if not form.is_valid() or submission is None:
        notice = _("Dieser Bericht kann nicht angefordert werden.")
    else:
        try:
            report = services.request_report(
                request.user, submission, form.cleaned_data["kind"], rebuild=form.cleaned_data["rebuild"]
            )
        except services.ReportNotAvailable as refused:
            notice = refused.message
        else:
            created = getattr(report, "just_created", False)
            # After the commit the report was handed over (or, without a
            # broker, built); read back how that went.
            report.refresh_from_db()
            if report.is_done:
                notice = (_("%(kind)s ist fertig.") if created else _("%(kind)s liegt bereits vor.")) % {
                    "kind": report.get_kind_display()
                }
            elif report.is_failed:
                notice = _("%(kind)s konnte nicht erstellt werden.") % {"kind": report.get_kind_display()}
            elif report.waits_for_broker:
                notice = _("%(kind)s wird erstellt, sobald der Dienst wieder erreichbar ist.") % {
                    "kind": report.get_kind_display()
                }
            else:
                notice = _("%(kind)s wird erstellt.") % {"kind": report.get_kind_display()}
    if request.htmx:
        return render(request, "reports/_panel.html", _panel_context(request, assessment, notice=notice))
    messages.info(request, notice)
    return redirect("reports:assessment_reports", assessment.pk)


@login_required
@require_GET
@csp_update({"sandbox": True})  # a file, never a page: no script, no same origin
def download(request, pk: int, report_pk: int):
    report = get_report_for_user(request.user, pk, report_pk)
    if not report.is_done:
        raise Http404
    response = FileResponse(
        selectors.open_report_file(report),
        as_attachment=True,
        filename=report.download_name,
        content_type=report.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def _table_response(table: exports.Table, fmt: str, basename: str) -> HttpResponse:
    stamp = timezone.localdate().isoformat()
    if fmt == "csv":
        response = HttpResponse(exports.to_csv(table), content_type=exports.CSV_CONTENT_TYPE)
    else:
        response = HttpResponse(exports.to_xlsx(table), content_type=exports.XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{basename}_{stamp}.{fmt}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def export_assessment(request, pk: int, fmt: str):
    assessment = get_assessment_for_user(request.user, pk)
    return _table_response(exports.assessment_table(assessment, request.user), fmt, f"selbstbewertung-{assessment.pk}")


@login_required
@require_GET
def export_all(request, fmt: str):
    # For everyone but the office this export does not exist.
    if not request.user.has_perm("reports.export_all_assessments"):
        raise Http404
    rows = exports.count_all_assessments()
    if rows > settings.EXPORT_SYNC_MAX_ROWS:
        # Too many rows to build while the page waits: the worker builds it.
        messages.info(
            request,
            _(
                "Der Export umfasst %(rows)s Zeilen und wird deshalb im Hintergrund erstellt. "
                "Fordern Sie ihn hier an; er steht bereit, sobald er fertig ist."
            )
            % {"rows": rows},
        )
        return redirect("reports:exports")
    return _table_response(exports.all_assessments_table(), fmt, "selbstbewertungen")


# ---------------------------------------------------------------- export jobs (office)


def _office_or_404(user, perm: str) -> None:
    # For everyone but the office these pages do not exist.
    if not user.has_perm(perm):
        raise Http404


def _exports_context() -> dict:
    jobs = export_jobs.recent_export_jobs()
    rows = exports.count_all_assessments()
    return {
        "jobs": jobs,
        "pending": any(job.is_pending for job in jobs),
        "rows": rows,
        "sync_max": settings.EXPORT_SYNC_MAX_ROWS,
        "sync_allowed": rows <= settings.EXPORT_SYNC_MAX_ROWS,
        "formats": ExportFormat,
    }


@login_required
@require_GET
def exports_page(request):
    _office_or_404(request.user, "reports.request_export")
    return render(request, "reports/exports.html", _exports_context())


@login_required
@require_GET
def export_panel(request):
    """The jobs panel alone, for htmx: polled while a job is under way."""
    _office_or_404(request.user, "reports.request_export")
    return render(request, "reports/_export_panel.html", _exports_context())


@login_required
@post_only("reports:exports")
def request_export(request):
    _office_or_404(request.user, "reports.request_export")
    try:
        job = export_jobs.request_export(request.user, request.POST.get("format", ""))
    except export_jobs.ExportRefused as refused:
        notice = refused.message
    else:
        created = getattr(job, "just_created", False)
        # After the commit the job was handed over (or, without a broker, built).
        job.refresh_from_db()
        if job.is_done:
            notice = _("Der Export ist fertig.")
        elif job.is_failed:
            notice = _("Der Export konnte nicht erstellt werden.")
        elif job.waits_for_broker:
            notice = _("Der Export wird erstellt, sobald der Hintergrunddienst wieder erreichbar ist.")
        elif created:
            notice = _("Der Export wird erstellt.")
        else:
            notice = _("Dieser Export wird bereits erstellt.")
    # A plain form: the page comes back with the message and the job,
    # whose panel then polls while it is built.
    messages.info(request, notice)
    return redirect("reports:exports")


@login_required
@require_GET
@csp_update({"sandbox": True})  # a file, never a page
def export_download(request, job_pk: int):
    job = get_export_job_for_user(request.user, job_pk)
    if not job.is_done:
        raise Http404
    response = FileResponse(
        export_jobs.open_export_file(job),
        as_attachment=True,
        filename=job.download_name,
        content_type=export_jobs.content_type_of(job),
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


# ---------------------------------------------------------------- the dashboard (office)


@login_required
@require_GET
def office_dashboard(request):
    _office_or_404(request.user, "reports.view_dashboard")
    board = dashboard.office_dashboard()
    figures = [board.states, board.decisions, board.seals, board.durations]
    return render(
        request,
        "reports/dashboard.html",
        {"board": board, "charts": [(figure, charts.bar_chart(figure)) for figure in figures]},
    )
