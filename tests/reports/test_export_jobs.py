"""Export jobs: the export of every assessment built by the worker (eager
here, as the SQLite suite runs), with its progress, its failures, a broker
that is down, the sweep, the download's headers and who may do what."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from unittest import mock

import openpyxl
import pytest
from django.core.files.storage import storages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assessments.models import Assessment, AssessmentKind, AssessmentState
from certification.models import CatalogueVersion
from config.celery import forget_broker_down
from notifications.models import Notification, NotificationKind
from reports import export_jobs, exports, tasks
from reports.models import ExportFormat, ExportJob, ExportStatus
from tests.factories import FamilienzentrumFactory, UserFactory
from tests.notifications.support import drop_broker_connections, point_app_at
from tests.unchanged import everything


@pytest.fixture
def catalogue_version(db):
    return CatalogueVersion.objects.create(
        code="exporte",
        version="1",
        title="Katalog für Exporte",
        valid_from=date(2020, 8, 1),
        source_name="exporte.yaml",
        source_sha256="0" * 64,
    )


def populate(catalogue, count: int, *, reviewer=None) -> list[Assessment]:
    creator = UserFactory()
    return [
        Assessment.objects.create(
            familienzentrum=FamilienzentrumFactory(name=f"Familienzentrum {index:03d}"),
            catalogue=catalogue,
            kind=AssessmentKind.FIRST,
            state=AssessmentState.IN_REVIEW if index % 2 else AssessmentState.DRAFT,
            reviewer=reviewer,
            review_period_start=date(2026, 8, 1),
            review_period_end=date(2027, 1, 31),
            created_by=creator,
        )
        for index in range(count)
    ]


@pytest.fixture
def assessments(catalogue_version, rita):
    return populate(catalogue_version, 5, reviewer=rita)


def stored(job: ExportJob) -> bytes:
    with storages["private"].open(job.file_name, "rb") as handle:
        return handle.read()


# ---------------------------------------------------------------- the life of a job


def test_xlsx_job_is_built_stored_and_announced(olga, assessments, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = export_jobs.request_export(olga, "xlsx")
    job.refresh_from_db()
    assert job.status == ExportStatus.DONE
    assert (job.rows_done, job.rows_total) == (5, 5)
    assert job.percent == 100
    assert job.attempts == 1 and job.started_at and job.finished_at and job.enqueued_at
    assert job.download_name.startswith("selbstbewertungen_") and job.download_name.endswith(".xlsx")
    content = stored(job)
    assert job.size == len(content)

    sheet = openpyxl.load_workbook(io.BytesIO(content))["Selbstbewertungen"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:2] == ("Familienzentrum", "Träger")
    assert [row[0] for row in rows[1:]] == [f"Familienzentrum {index:03d}" for index in range(5)]
    assert rows[2][5] == "in Begutachtung" and rows[2][11] == "Rita Gutachterin"

    note = Notification.objects.get(recipient=olga)
    assert note.kind == NotificationKind.REPORT_READY
    assert note.link == reverse("reports:exports")
    assert "Export fertig" in note.subject and "5 Zeilen" in note.body


def test_csv_job_has_the_rows_of_the_synchronous_csv(olga, assessments, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = export_jobs.request_export(olga, ExportFormat.CSV)
    job.refresh_from_db()
    assert job.status == ExportStatus.DONE and job.download_name.endswith(".csv")
    # The same row builder: the job's file and the synchronous bytes agree
    # (up to the export time on the info sheet, which CSV does not carry).
    assert stored(job) == exports.all_assessments_export("csv")
    rows = list(csv.reader(io.StringIO(stored(job).decode("utf-8-sig")), delimiter=";"))
    assert len(rows) == 1 + 5


def test_asking_again_while_it_is_built_gives_the_same_job(olga, assessments):
    # Nothing patched: the hand-over waits for the commit, which the test's
    # transaction never makes, so the first job is still pending when asked again.
    first = export_jobs.request_export(olga, "xlsx")
    again = export_jobs.request_export(olga, "xlsx")
    other_format = export_jobs.request_export(olga, "csv")
    assert first.status == ExportStatus.PENDING and first.enqueued_at is None
    assert again.pk == first.pk and not getattr(again, "just_created", False)
    assert other_format.pk != first.pk
    assert ExportJob.objects.count() == 2


def test_progress_is_written_every_n_rows(olga, catalogue_version, monkeypatch, django_capture_on_commit_callbacks):
    populate(catalogue_version, 7)
    monkeypatch.setattr(export_jobs, "PROGRESS_EVERY", 3)
    seen: list[int] = []
    real_writer = exports.write_csv

    def watching_writer(table, stream):
        # Read the job's progress from the database while the rows stream.
        def rows(source):
            for row in source:
                seen.append(ExportJob.objects.values_list("rows_done", flat=True).get())
                yield row

        table.rows = rows(table.rows)
        real_writer(table, stream)

    monkeypatch.setattr(exports, "write_csv", watching_writer)
    with django_capture_on_commit_callbacks(execute=True):
        job = export_jobs.request_export(olga, "csv")
    job.refresh_from_db()
    assert job.status == ExportStatus.DONE
    # Before each row is read: nothing yet, then 3 after three rows, 6 after six.
    assert seen == [0, 0, 0, 3, 3, 3, 6]
    assert (job.rows_done, job.rows_total) == (7, 7)


def test_progress_counter_counts_and_writes_only_for_a_running_job(olga):
    job = ExportJob.objects.create(requested_by=olga, format="csv", status=ExportStatus.RUNNING, rows_total=5)
    counter = export_jobs.ProgressCounter(job.pk, every=2)
    rows = counter(iter([[1], [2], [3], [4], [5]]))
    assert next(rows) == [1] and next(rows) == [2] and next(rows) == [3]
    job.refresh_from_db()
    assert job.rows_done == 2 and job.percent == 40
    ExportJob.objects.filter(pk=job.pk).update(status=ExportStatus.FAILED)
    assert list(rows) == [[4], [5]]
    assert counter.done == 5
    job.refresh_from_db()
    assert job.rows_done == 2  # a failed job's count is left alone


def test_a_failed_build_is_recorded_shown_and_announced(
    client, olga, assessments, monkeypatch, django_capture_on_commit_callbacks
):
    def broken(table, target):
        raise ValueError("Zelle kaputt")

    monkeypatch.setattr(exports, "write_xlsx", broken)
    with django_capture_on_commit_callbacks(execute=True):
        job = export_jobs.request_export(olga, "xlsx")
    job.refresh_from_db()
    assert job.status == ExportStatus.FAILED
    assert job.error == "ValueError: Zelle kaputt"
    assert job.file_name == "" and job.finished_at is not None
    note = Notification.objects.get(recipient=olga)
    assert note.kind == NotificationKind.REPORT_FAILED and "fehlgeschlagen" in note.subject

    client.force_login(olga)
    page = client.get(reverse("reports:exports")).content.decode()
    assert "Ursache: ValueError: Zelle kaputt" in page
    assert reverse("reports:export_download", args=[job.pk]) not in page
    # A failed job is asked for anew: a new job.
    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        again = export_jobs.request_export(olga, "xlsx")
    assert again.pk != job.pk
    again.refresh_from_db()
    assert again.status == ExportStatus.DONE


def test_a_transient_error_puts_the_job_back_for_a_retry(olga, assessments):
    # Nothing patched: the hand-over waits for a commit the test never makes;
    # the build is called here, as the worker would call it.
    job = export_jobs.request_export(olga, "xlsx")
    with mock.patch.object(storages["private"], "save", side_effect=OSError("Datenträger voll")):
        with pytest.raises(OSError):
            export_jobs.build_export(job.pk, task_id="t-1")
    job.refresh_from_db()
    assert job.status == ExportStatus.PENDING
    assert job.error == "OSError: Datenträger voll"
    assert job.attempts == 1
    # The retry (same task id) finishes it.
    done = export_jobs.build_export(job.pk, task_id="t-1")
    assert done.status == ExportStatus.DONE and done.attempts == 2


def test_a_duplicate_message_for_a_done_job_does_nothing(olga, assessments, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = export_jobs.request_export(olga, "csv")
    assert export_jobs.build_export(job.pk, task_id="duplicate") is None
    job.refresh_from_db()
    assert job.attempts == 1


# ---------------------------------------------------------------- broker down, the sweep


def test_broker_down_keeps_the_job_pending_and_the_sweep_sends_it(
    client, olga, assessments, settings, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    client.force_login(olga)
    # A real broker that refuses (nothing listens on port 1), nothing patched.
    point_app_at("redis://127.0.0.1:1/0", settings, monkeypatch)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("reports:export_request"), {"format": "xlsx"}, follow=True)
    finally:
        drop_broker_connections()
    job = ExportJob.objects.get()
    assert job.status == ExportStatus.PENDING and job.enqueued_at is None and job.waits_for_broker
    assert "Could not hand reports.build_export" in caplog.text
    page = response.content.decode()
    assert "Der Export wird erstellt, sobald der Hintergrunddienst wieder erreichbar ist." in page
    assert "wird erstellt, sobald der Hintergrunddienst wieder erreichbar ist" in page
    # The panel polls while the job waits.
    panel = client.get(reverse("reports:export_panel")).content.decode()
    assert 'hx-trigger="every 2s"' in panel and 'data-testid="job-waits"' in panel

    # The broker is back (here: tasks run in this process); beat runs the sweep.
    settings.CELERY_TASK_ALWAYS_EAGER = True
    forget_broker_down()
    with django_capture_on_commit_callbacks(execute=True):
        counts = tasks.sweep_exports.delay().get()
    assert counts == {"requeued": 0, "failed": 0, "resent": 1}
    job.refresh_from_db()
    assert job.status == ExportStatus.DONE
    panel = client.get(reverse("reports:export_panel")).content.decode()
    assert "hx-trigger" not in panel
    assert reverse("reports:export_download", args=[job.pk]) in panel


def test_sweep_leaves_recently_sent_jobs_alone(olga, assessments):
    job = export_jobs.request_export(olga, "csv")
    # Handed over a moment ago (and not built yet).
    ExportJob.objects.filter(pk=job.pk).update(enqueued_at=timezone.now())
    # Nothing patched: tasks run in this process, so a job the sweep sent
    # again would be built right here and be done.
    assert export_jobs.sweep_exports() == {"requeued": 0, "failed": 0, "resent": 0}
    job.refresh_from_db()
    assert job.status == ExportStatus.PENDING and job.attempts == 0


def _stuck(job: ExportJob, *, attempts: int, settings) -> None:
    long_ago = timezone.now() - timedelta(seconds=settings.REPORTS_HARD_TIME_LIMIT + 60)
    ExportJob.objects.filter(pk=job.pk).update(
        status=ExportStatus.RUNNING, started_at=long_ago, attempts=attempts, task_id="dead", enqueued_at=long_ago
    )


def test_sweep_queues_a_stuck_first_attempt_again_then_fails_it(
    olga, assessments, settings, django_capture_on_commit_callbacks
):
    # Nothing patched: the hand-over waits for a commit the test never makes.
    job = export_jobs.request_export(olga, "csv")
    _stuck(job, attempts=1, settings=settings)
    with django_capture_on_commit_callbacks(execute=True):
        assert export_jobs.sweep_exports() == {"requeued": 1, "failed": 0, "resent": 0}
    job.refresh_from_db()
    assert job.status == ExportStatus.DONE and job.attempts == 2

    second = ExportJob.objects.create(requested_by=olga, format="xlsx")
    _stuck(second, attempts=2, settings=settings)
    assert export_jobs.sweep_exports() == {"requeued": 0, "failed": 1, "resent": 0}
    second.refresh_from_db()
    assert second.status == ExportStatus.FAILED and "länger als" in second.error


# ---------------------------------------------------------------- the pages


PERSONAS = ["alice", "bob", "tina", "tom", "paula", "rita", "olga", "anonymous"]
OFFICE = {"alice": 404, "bob": 404, "tina": 404, "tom": 404, "paula": 404, "rita": 404, "olga": 200, "anonymous": 302}
TABLE = [
    ("exports", "get", OFFICE),
    ("export_panel", "get", OFFICE),
    ("export_request", "post", {**OFFICE, "olga": 302}),
    ("export_download", "get", OFFICE),
]


@pytest.fixture
def people(alice, bob, tina, tom, paula, rita, olga):
    return {"alice": alice, "bob": bob, "tina": tina, "tom": tom, "paula": paula, "rita": rita, "olga": olga}


@pytest.fixture
def done_job(olga, assessments, django_capture_on_commit_callbacks) -> ExportJob:
    with django_capture_on_commit_callbacks(execute=True):
        job = export_jobs.request_export(olga, "xlsx")
    job.refresh_from_db()
    assert job.is_done
    return job


@pytest.mark.parametrize("name,method,expected", TABLE, ids=[f"{n}-{m}" for n, m, _ in TABLE])
@pytest.mark.parametrize("who", PERSONAS)
def test_permission_table(client, done_job, people, who, name, method, expected):
    if who != "anonymous":
        client.force_login(people[who])
    url = reverse(f"reports:{name}", args=[done_job.pk] if name == "export_download" else [])
    before = ExportJob.objects.count()
    response = client.post(url, {"format": "csv"}) if method == "post" else client.get(url)
    assert response.status_code == expected[who], f"{who} {method.upper()} {name}"
    if who == "anonymous":
        assert response.url.startswith(reverse("accounts:login"))
    if method == "post":
        assert ExportJob.objects.count() == before + (1 if expected[who] == 302 and who != "anonymous" else 0)


def test_another_office_member_may_download_the_job(client, done_job):
    colleague = UserFactory(is_staff=True)
    client.force_login(colleague)
    assert client.get(reverse("reports:export_download", args=[done_job.pk])).status_code == 200


def test_download_headers(client, olga, done_job):
    client.force_login(olga)
    response = client.get(reverse("reports:export_download", args=[done_job.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == exports.XLSX_CONTENT_TYPE
    assert response["Content-Disposition"] == f'attachment; filename="{done_job.download_name}"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"
    assert "sandbox" in response["Content-Security-Policy"]
    assert b"".join(response.streaming_content) == stored(done_job)


def test_a_job_not_done_has_no_file(client, olga):
    job = ExportJob.objects.create(requested_by=olga, format="csv", status=ExportStatus.RUNNING, rows_total=10)
    client.force_login(olga)
    before = everything()
    assert client.get(reverse("reports:export_download", args=[job.pk])).status_code == 404
    assert client.get(reverse("reports:export_download", args=[job.pk + 99])).status_code == 404
    assert everything() == before  # the running job is left to its worker


def test_running_job_shows_its_progress(client, olga):
    job = ExportJob.objects.create(
        requested_by=olga, format="xlsx", status=ExportStatus.RUNNING, rows_total=4000, rows_done=1000
    )
    client.force_login(olga)
    page = client.get(reverse("reports:exports")).content.decode()
    assert f'data-job="{job.pk}" data-status="running"' in page
    assert 'aria-valuenow="25"' in page and "progress-w-25" in page
    assert "1000 von 4000 Zeilen geschrieben" in page
    assert 'hx-get="' + reverse("reports:export_panel") + '" hx-trigger="every 2s"' in page
    # Without JavaScript: the reload link.
    assert 'data-testid="reload"' in page


def test_request_with_an_unknown_format_says_so(client, olga, assessments):
    client.force_login(olga)
    before = everything()
    response = client.post(reverse("reports:export_request"), {"format": "pdf"}, follow=True)
    assert response.status_code == 200
    assert "Dieses Format gibt es nicht." in response.content.decode()
    assert not ExportJob.objects.exists()
    assert everything() == before


def test_service_refuses_someone_not_in_the_office(alice, assessments):
    before = everything()
    with pytest.raises(export_jobs.ExportRefused):
        export_jobs.request_export(alice, "csv")
    assert not ExportJob.objects.exists()
    assert everything() == before  # no job, no file in private storage


def test_large_export_is_sent_to_the_background(client, olga, assessments, settings):
    settings.EXPORT_SYNC_MAX_ROWS = 4
    client.force_login(olga)
    response = client.get(reverse("reports:export_all", args=["xlsx"]))
    assert response.status_code == 302 and response.url == reverse("reports:exports")
    page = client.get(response.url).content.decode()
    assert "Der Export umfasst 5 Zeilen und wird deshalb im Hintergrund erstellt." in page
    assert 'data-testid="sync-too-large"' in page and 'data-testid="sync-xlsx"' not in page
    assert not ExportJob.objects.exists()

    settings.EXPORT_SYNC_MAX_ROWS = 5
    response = client.get(reverse("reports:export_all", args=["xlsx"]))
    assert response.status_code == 200 and response["Content-Type"] == exports.XLSX_CONTENT_TYPE


def test_exports_page_query_count_does_not_grow(client, olga, catalogue_version, django_assert_max_num_queries):
    client.force_login(olga)
    for _ in range(2):
        ExportJob.objects.create(requested_by=UserFactory(is_staff=True), format="csv", status=ExportStatus.DONE)
    populate(catalogue_version, 2)
    with CaptureQueriesContext(connection) as small:
        client.get(reverse("reports:exports"))
    for _ in range(8):
        ExportJob.objects.create(requested_by=UserFactory(is_staff=True), format="xlsx", status=ExportStatus.FAILED)
    populate(catalogue_version, 6)
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(reverse("reports:exports"))
