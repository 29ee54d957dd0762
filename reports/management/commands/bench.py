"""`python manage.py bench` (`make bench`): what a report and the checklist cost.

Everything happens in a throwaway database (a test database with its own
name, created here and dropped at the end) and a temporary storage folder,
so the development database and var/ are never touched. Prints one
`key value` line per figure:

  report.seconds_median                the self-assessment report built by the service
  report.plain_weasyprint_seconds_median  the same HTML printed by WeasyPrint alone
  report.ratio                         the two divided (goal: <= 1.15)
  report.queries.1x / .3x              queries of one build, catalogue at 1x and 3x criteria
  checklist.queries.1x / .3x           queries of GET assessments:area for the largest area
  checklist.ratio_to_login             median server time of that page / of the login page (goal: <= 3)
  autosave.ratio_to_login              median server time of an htmx autosave / of the login page (goal: <= 3)
  leitung.empty_page.ratio_to_login    the Leitung's empty signed-in page (a 404) / the login page: what
                                       signing in costs every page before it does anything of its own
  report.peak_rss_mb                   peak resident memory of this process

The lists group (`--only lists`) seeds the scheme's population with
seed_scale's code (reports.scale): first a third of `--centres`, then all
of them (default 3,300). It prints, measured at the full size:

  office.queue.ratio_to_login          the office's work queue (first page) / the login page (goal: <= 3)
  office.centres.ratio_to_login        the office's centre list / the login page (goal: <= 3)
  reviewer.queue.ratio_to_login        the queue of the reviewer with the most assignments / login (goal: <= 3)
  office.empty_page.ratio_to_login     the office's empty signed-in page (a 404, second factor included) / login
  export.xlsx.seconds / .csv.seconds   the export of every assessment, built synchronously
  export.xlsx.ratio_to_csv             the two divided (goal: <= 2)
  office.queue.queries.1x / .3x        queries of the office queue at a third and at all of the centres
  reviewer.queue.queries.1x / .3x      the same for that reviewer's queue (its assignments grow with them)
  office.centres.queries.1x / .3x      the same for the centre list
A page that is missing or answers with an error prints "n/a" and the reason.
"""

from __future__ import annotations

import dataclasses
import os
import resource
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand
from django.db import connection
from django.test import Client
from django.test.utils import (
    CaptureQueriesContext,
    override_settings,
    setup_test_environment,
    teardown_test_environment,
)
from django.urls import reverse
from django.utils import timezone

EVIDENCE_PER_CRITERION = 3


class Command(BaseCommand):
    help = "Measure report builds and checklist pages in a throwaway database; prints `key value` lines."

    def add_arguments(self, parser):
        parser.add_argument("--runs", type=int, default=5, help="timed runs per figure (median is printed)")
        parser.add_argument(
            "--only",
            choices=["report", "checklist", "lists"],
            help="measure one group only (for a quick look while working)",
        )
        parser.add_argument(
            "--centres",
            type=int,
            default=3300,
            help="population of the lists group; its query counts are taken at a third of it (1x) and at it (3x)",
        )

    def handle(self, *args, runs: int, only: str | None, centres: int, **options):
        setup_test_environment()
        test_settings = connection.settings_dict.setdefault("TEST", {})
        if connection.vendor != "sqlite":
            # A name of our own: never the dev database, never a test
            # database that a test run on the same server is using.
            test_settings["NAME"] = f"test_bench_{os.getpid()}"
        old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
        try:
            with tempfile.TemporaryDirectory(prefix="bench-private-") as folder:
                private = {
                    "BACKEND": "django.core.files.storage.FileSystemStorage",
                    "OPTIONS": {"location": folder, "base_url": None},
                }
                with override_settings(STORAGES={**_storages(), "default": private, "private": private}):
                    figures = Bench(runs=max(1, runs), log=self.stderr, only=only, centres=centres).run()
        finally:
            connection.creation.destroy_test_db(old_name, verbosity=0)
            teardown_test_environment()
        for key, value in figures.items():
            self.stdout.write(f"{key} {value}")


def _storages() -> dict:
    from django.conf import settings

    return dict(settings.STORAGES)


class Bench:
    def __init__(self, *, runs: int, log, only: str | None = None, centres: int = 3300):
        self.runs = runs
        self.only = only
        self.centres = max(3, centres)
        self.log = log
        self.sequence = 0

    def note(self, message: str) -> None:
        self.log.write(f"# {message}")

    def run(self) -> dict[str, str]:
        from certification.catalogue import SHIPPED_CATALOGUE, read_catalogue_file, write_catalogue

        parsed = read_catalogue_file(SHIPPED_CATALOGUE)
        setups = {}
        scales = () if self.only == "lists" else (1,) if self.only else (1, 3)
        for scale in scales:
            catalogue = write_catalogue(scaled(parsed, scale)).catalogue
            setups[scale] = self.submitted_assessment(catalogue)
            leitung, assessment, submission = setups[scale]
            self.note(
                f"{scale}x: {len(submission.payload['criteria'])} criteria answered, "
                f"{sum(len(c['evidence']) for c in submission.payload['criteria'])} evidence entries"
            )

        figures: dict[str, str] = {}
        if self.only in (None, "report"):
            seconds, plain = self.time_report(setups[1][2])
            figures["report.seconds_median"] = f"{seconds:.3f}"
            figures["report.plain_weasyprint_seconds_median"] = f"{plain:.3f}"
            figures["report.ratio"] = f"{seconds / plain:.3f}"
            for scale in setups:
                figures[f"report.queries.{scale}x"] = str(self.report_queries(setups[scale][2]))
        if self.only in (None, "checklist"):
            for scale in setups:
                figures[f"checklist.queries.{scale}x"] = str(self.checklist_queries(*setups[scale][:2]))
            figures.update(self.checklist_ratios(*setups[1][:2]))
        if self.only in (None, "lists"):
            from reports.scale.bench import ListsBench

            figures.update(ListsBench(runs=self.runs, note=self.note, centres=self.centres).run())
        peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kilobytes on Linux
        figures["report.peak_rss_mb"] = f"{peak_kb / (1024 * 1024) if sys.platform == 'darwin' else peak_kb / 1024:.1f}"
        return figures

    # ------------------------------------------------------------ data

    def submitted_assessment(self, catalogue):
        """A Familienzentrum with every in-scope criterion answered, three
        evidence documents on each, and its frozen submission."""
        from accounts.models import User
        from assessments import services as assessment_services
        from assessments.models import Answer, AssessmentKind, ItemStatus
        from assessments.snapshots import freeze_submission
        from certification.models import (
            AreaKind,
            Einrichtung,
            Familienzentrum,
            FamilienzentrumForm,
            FamilienzentrumSite,
            Membership,
            MembershipRole,
            Traeger,
        )
        from certification.selectors import catalogue_areas_with_criteria

        self.sequence += 1
        number = self.sequence
        traeger = Traeger.objects.create(name=f"Bench-Träger {number}")
        site = Einrichtung.objects.create(traeger=traeger, name=f"Kita Bench {number}", city="Jülich")
        centre = Familienzentrum.objects.create(
            name=f"Familienzentrum Bench {number}", traeger=traeger, form=FamilienzentrumForm.SINGLE
        )
        FamilienzentrumSite.objects.create(familienzentrum=centre, site=site, is_grant_recipient=True)
        leitung = User.objects.create_user(email=f"leitung.bench{number}@example.org", password=None)
        Membership.objects.create(user=leitung, role=MembershipRole.LEITUNG, site=site)

        areas = catalogue_areas_with_criteria(catalogue)
        profiles = [area for area in areas if area.kind == AreaKind.PROFILE and not area.always_required]
        start = timezone.localdate()
        assessment = assessment_services.start_assessment(
            user=leitung,
            familienzentrum=centre,
            catalogue=catalogue,
            kind=AssessmentKind.FIRST,
            profile_areas=profiles[: catalogue.max_profile_areas],
            review_period_start=start,
            review_period_end=start + timedelta(days=180),
        )
        from assessments.evaluation import areas_with_scope

        criteria = [criterion for area in areas_with_scope(assessment) for criterion in area.criteria.all()]
        Answer.objects.bulk_create(
            Answer(
                assessment=assessment,
                criterion=criterion,
                item_statuses={item.code: ItemStatus.FULFILLED for item in criterion.items.all()},
                narrative=(
                    f"So erfüllen wir {criterion.code}: regelmäßige Angebote, feste Ansprechpersonen, "
                    "eine jährliche Auswertung mit dem Team und den Kooperationspartnern."
                ),
                version=1,
                updated_by=leitung,
            )
            for criterion in criteria
        )
        real_evidence = self.attach_evidence(leitung, assessment, criteria)
        submission = freeze_submission(assessment, leitung)
        if not real_evidence:
            submission = with_fake_evidence(submission)
        return leitung, assessment, submission

    def attach_evidence(self, leitung, assessment, criteria) -> bool:
        """Three documents uploaded through the evidence service and linked
        to every criterion. Without the evidence app the payload gets three
        fake entries per criterion instead (see with_fake_evidence)."""
        try:
            from assessments.services import link_evidence, upload_for_criterion
            from evidence.services import EvidenceDetails
        except ImportError:
            self.note("assessments.evidence not available: three fake evidence entries per criterion in the payload")
            return False
        files = [
            SimpleUploadedFile(f"nachweis-{index}.pdf", minimal_pdf(index), content_type="application/pdf")
            for index in range(1, EVIDENCE_PER_CRITERION + 1)
        ]
        documents = upload_for_criterion(
            user=leitung,
            assessment_id=assessment.pk,
            criterion_code=criteria[0].code,
            files=files,
            details=EvidenceDetails(kind="other", effective_date=timezone.localdate() - timedelta(days=30)),
        )
        for criterion in criteria[1:]:
            for document in documents:
                link_evidence(
                    user=leitung, assessment_id=assessment.pk, criterion_code=criterion.code, evidence_id=document.pk
                )
        return True

    # ------------------------------------------------------------ measurements

    def new_report(self, submission):
        from reports.models import Report, ReportKind
        from reports.services import frozen_inputs

        # Created directly, not through request_report(): nothing may go to a broker.
        return Report.objects.create(
            submission=submission,
            kind=ReportKind.SELF_ASSESSMENT,
            inputs=frozen_inputs(submission, ReportKind.SELF_ASSESSMENT),
        )

    def build(self, report) -> None:
        from reports.models import ReportStatus
        from reports.services import build_report

        built = build_report(report.pk)
        if built is None or built.status != ReportStatus.DONE:
            raise RuntimeError(f"bench report {report.pk} not built: {built and built.error}")

    def time_report(self, submission) -> tuple[float, float]:
        from weasyprint import HTML

        from reports.renderers import BASE_URL, AssetFetcher, pdf_options, render_html
        from reports.services import source_for

        first = self.new_report(submission)
        html = render_html(source_for(first))

        def plain() -> None:
            HTML(string=html, base_url=BASE_URL, url_fetcher=AssetFetcher()).write_pdf(**pdf_options())

        # Warm-up: template compilation, font loading, imports.
        self.build(first)
        plain()
        built, printed = [], []
        # Interleaved, so that drift of the machine hits both alike. One
        # pending report per submission and kind: each is created when the
        # one before is done.
        for _ in range(self.runs):
            report = self.new_report(submission)
            started = time.perf_counter()
            self.build(report)
            built.append(time.perf_counter() - started)
            started = time.perf_counter()
            plain()
            printed.append(time.perf_counter() - started)
        self.note(f"report builds: {', '.join(f'{s:.3f}' for s in built)}")
        self.note(f"plain WeasyPrint: {', '.join(f'{s:.3f}' for s in printed)}")
        return statistics.median(built), statistics.median(printed)

    def report_queries(self, submission) -> int:
        report = self.new_report(submission)
        with CaptureQueriesContext(connection) as queries:
            self.build(report)
        return len(queries)

    def checklist_queries(self, leitung, assessment) -> int:
        from assessments.evaluation import areas_with_scope

        largest = max(areas_with_scope(assessment), key=lambda area: len(area.criteria.all()))
        client = Client()
        client.force_login(leitung)
        url = reverse("assessments:area", args=[assessment.pk, largest.code])
        client.get(url)  # warm-up: session, caches
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"GET {url} answered {response.status_code}")
        return len(queries)

    def checklist_ratios(self, leitung, assessment) -> dict[str, str]:
        """The checklist page, an autosave and an empty signed-in page against
        the login page, all through the full middleware stack, interleaved so
        that the machine's drift hits them alike; medians of many requests, as ratios."""
        from assessments.evaluation import areas_with_scope
        from reports.scale.bench import empty_page, empty_page_quietly

        largest = max(areas_with_scope(assessment), key=lambda area: len(area.criteria.all()))
        criterion = largest.criteria.all()[len(largest.criteria.all()) // 2]
        anonymous = Client()
        leitung_client = Client()
        leitung_client.force_login(leitung)
        login_url = reverse("accounts:login")
        area_url = reverse("assessments:area", args=[assessment.pk, largest.code])
        save_url = reverse("assessments:save_answer", args=[assessment.pk, criterion.code])
        prefix = f"c{criterion.pk}"
        statuses = {f"{prefix}-item_{item.code}": "fulfilled" for item in criterion.items.all()}

        def autosave_data(round_number: int) -> dict:
            # Read before the clock starts: the browser knows its version.
            from assessments.models import Answer

            version = Answer.objects.get(assessment=assessment, criterion=criterion).version
            return {
                **statuses,
                f"{prefix}-narrative": f"Stand {round_number}: so erfüllen wir es.",
                f"{prefix}-version": version,
            }

        def autosave(data: dict) -> None:
            response = leitung_client.post(save_url, data, HTTP_HX_REQUEST="true")
            if response.status_code != 200:
                raise RuntimeError(f"autosave answered {response.status_code}: {response.content[:200]!r}")

        def timed(action) -> float:
            started = time.perf_counter()
            action()
            return time.perf_counter() - started

        login_times, empty_times, page_times, save_times = [], [], [], []
        rounds = max(20, self.runs * 8)
        with empty_page_quietly():
            for round_number in range(rounds + 3):
                login = timed(lambda: anonymous.get(login_url))
                empty = timed(lambda: empty_page(leitung_client))
                page = timed(lambda: leitung_client.get(area_url))
                data = autosave_data(round_number)
                save = timed(lambda data=data: autosave(data))
                if round_number >= 3:  # warm-up: template loading, caches, sessions
                    login_times.append(login)
                    empty_times.append(empty)
                    page_times.append(page)
                    save_times.append(save)
        login_median = statistics.median(login_times)
        self.note(
            f"medians over {rounds} rounds: login {login_median * 1000:.1f} ms, "
            f"empty signed-in page {statistics.median(empty_times) * 1000:.1f} ms, "
            f"checklist ({largest.code}, {len(largest.criteria.all())} criteria) "
            f"{statistics.median(page_times) * 1000:.1f} ms, autosave {statistics.median(save_times) * 1000:.1f} ms"
        )
        return {
            "checklist.ratio_to_login": f"{statistics.median(page_times) / login_median:.2f}",
            "autosave.ratio_to_login": f"{statistics.median(save_times) / login_median:.2f}",
            "leitung.empty_page.ratio_to_login": f"{statistics.median(empty_times) / login_median:.2f}",
        }


def scaled(parsed, scale: int):
    """The shipped catalogue with every criterion `scale` times (copies get
    the suffix -2, -3, ...), as a version of its own."""
    if scale == 1:
        return dataclasses.replace(parsed, code="bench", version=f"{parsed.version}-x1")
    areas = []
    for area in parsed.areas:
        criteria = []
        for criterion in area.criteria:
            criteria.append(criterion)
            for copy in range(2, scale + 1):
                code = f"{criterion.code}-{copy}"
                items = [
                    dataclasses.replace(item, code=code + item.code[len(criterion.code) :]) for item in criterion.items
                ]
                criteria.append(dataclasses.replace(criterion, code=code, items=items))
        areas.append(dataclasses.replace(area, criteria=criteria))
    return dataclasses.replace(parsed, code="bench", version=f"{parsed.version}-x{scale}", areas=areas)


def minimal_pdf(index: int) -> bytes:
    return (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
        + f"% Nachweis {index}\n".encode()
        + b"trailer<</Root 1 0 R>>\n%%EOF\n"
    )


def with_fake_evidence(submission):
    """Three evidence entries per criterion in the payload, in the shape the
    assessments app freezes them (criteria[].evidence)."""
    import hashlib

    from assessments.models import Submission

    payload = submission.payload
    for criterion in payload["criteria"]:
        criterion["evidence"] = [
            {
                "title": f"Nachweis {index} zu {criterion['code']}",
                "filename": f"nachweis-{criterion['code']}-{index}.pdf",
                "sha256": hashlib.sha256(f"{criterion['code']}-{index}".encode()).hexdigest(),
                "effective_date": date(2026, 1, index).isoformat(),
                "valid_until": None,
                "owner": submission.assessment.familienzentrum.name,
            }
            for index in range(1, EVIDENCE_PER_CRITERION + 1)
        ]
    Submission.objects.filter(pk=submission.pk).update(payload=payload)
    submission.refresh_from_db()
    return submission
