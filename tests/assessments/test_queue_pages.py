"""How the work queues and the centre list are read and written cheaply
(issue 12: each at most 3x the login page at 3,300 centres), and that the
shortcuts show what the plain way showed: a page of primary keys counted in
the same query, the criteria of a frozen submission counted once per
process, the filter form written in Python as Django's widgets write it,
and one read of the reviewer pool for the filter and the bulk assignment."""

from __future__ import annotations

import re

import pytest
from django.core.paginator import EmptyPage, PageNotAnInteger
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assessments import queue_selectors
from assessments.assignment_selectors import reviewers_for_queue, reviewers_with_workload
from assessments.filters import CentreListFilter, OfficeQueueFilter, reviewers
from assessments.models import Assessment, AssessmentState, CriterionVerdict, Submission, Verdict
from assessments.queue_html import filter_fields_html
from assessments.views.queues import PAGE_SIZE, KeyPaginator
from certification.models import Criterion
from tests.assessments.test_queues import (
    CENTRES,
    OFFICE_QUEUE,
    make_assessment,
    make_centre,
    populate,
    rows_of,
)
from tests.factories import ReviewerFactory, UserFactory

WORKLOADS = "/selbstbewertung/begutachtungen/auslastung/"


def _reads_payload(captured) -> bool:
    return any('"payload"' in query["sql"] for query in captured.captured_queries)


# ---------------------------------------------------------------- the progress column


def test_the_progress_reads_the_count_frozen_with_the_submission_and_its_verdicts_on_every_visit(
    client, olga, mini_catalogue, gabi
):
    assessment = make_assessment(make_centre("FZ Zählen"), mini_catalogue, reviewer=gabi, criteria=8, verdicts=3)
    client.force_login(olga)
    with CaptureQueriesContext(connection) as first:
        assert "3 von 8 beurteilt" in client.get(OFFICE_QUEUE).content.decode()
    assert not _reads_payload(first)
    submission = assessment.submissions.get()
    assert submission.criteria_count == len(submission.payload["criteria"]) == 8
    criterion = Criterion.objects.filter(catalogue=mini_catalogue).order_by("order")[5]
    CriterionVerdict.objects.create(submission=submission, criterion=criterion, verdict=Verdict.ACCEPTED, reviewer=gabi)
    assert "4 von 8 beurteilt" in client.get(OFFICE_QUEUE).content.decode()


def test_a_new_submission_counts_its_own_criteria(client, olga, mini_catalogue, gabi):
    assessment = make_assessment(make_centre("FZ Neu"), mini_catalogue, reviewer=gabi, criteria=4, verdicts=1)
    client.force_login(olga)
    assert "1 von 4 beurteilt" in client.get(OFFICE_QUEUE).content.decode()
    criteria = list(Criterion.objects.filter(catalogue=mini_catalogue).select_related("area").order_by("order"))
    Submission.objects.create(
        assessment=assessment,
        number=2,
        payload={"criteria": [{"code": c.code, "area": c.area.code} for c in criteria[:9]]},
        sha256="2" * 64,
        submitted_by=gabi,
    )
    assert "0 von 9 beurteilt" in client.get(OFFICE_QUEUE).content.decode()


def test_a_submission_written_without_its_count_is_refused(db, mini_catalogue, gabi):
    """Bulk writers bypass save(): the database refuses a row without the count, rather than show "0 von 0"."""
    from django.db import IntegrityError, transaction

    assessment = make_assessment(make_centre("FZ Ohne"), mini_catalogue, reviewer=gabi, criteria=2)
    with pytest.raises(IntegrityError), transaction.atomic():
        Submission.objects.bulk_create(
            [Submission(assessment=assessment, number=2, payload={"criteria": []}, sha256="3" * 64, submitted_by=gabi)]
        )


def test_the_centre_list_shows_the_progress_of_each_current_assessment(client, olga, mini_catalogue, gabi):
    judged = make_centre("FZ A-Beurteilt")
    make_assessment(judged, mini_catalogue, reviewer=gabi, criteria=5, verdicts=2)
    unsubmitted = make_centre("FZ B-Ohne")
    make_assessment(unsubmitted, mini_catalogue, state=AssessmentState.DRAFT, waiting=None)
    client.force_login(olga)
    body = client.get(CENTRES).content.decode()
    rows = dict(re.findall(r'<tr data-centre="(\d+)">(.*?)</tr>', body))
    assert "2 von 5 beurteilt" in rows[str(judged.pk)]
    assert "beurteilt" not in rows[str(unsubmitted.pk)]


# ---------------------------------------------------------------- a page of primary keys


@pytest.fixture
def seventy(mini_catalogue, gabi, zeno):
    populate(PAGE_SIZE + 20, mini_catalogue, reviewer=gabi, second_reviewer=zeno)
    return queue_selectors.office_queue(columns=False).filter(state__in=[AssessmentState.IN_REVIEW])


def test_a_page_of_keys_and_the_count_cost_one_query(seventy):
    expected = list(seventy.values_list("pk", flat=True))
    assert len(expected) == PAGE_SIZE + 20
    paginator = KeyPaginator(seventy, PAGE_SIZE)
    with CaptureQueriesContext(connection) as captured:
        page = paginator.page("2")
        assert paginator.count == PAGE_SIZE + 20 and paginator.num_pages == 2
    assert len(captured) == 1
    assert page.object_list == expected[PAGE_SIZE:]
    assert page.start_index() == PAGE_SIZE + 1 and not page.has_next()
    assert KeyPaginator(seventy, PAGE_SIZE).page(1).object_list == expected[:PAGE_SIZE]


@pytest.mark.parametrize(
    "number,error", [("3", EmptyPage), ("0", EmptyPage), ("x", PageNotAnInteger), ("1.5", PageNotAnInteger)]
)
def test_a_page_of_keys_beyond_the_end_or_not_a_number_is_refused_as_django_refuses_it(seventy, number, error):
    with pytest.raises(error):
        KeyPaginator(seventy, PAGE_SIZE).page(number)


def test_an_empty_list_has_an_empty_first_page(db):
    paginator = KeyPaginator(Assessment.objects.none().order_by("pk"), PAGE_SIZE)
    page = paginator.page(1)
    assert list(page.object_list) == [] and paginator.count == 0


# ---------------------------------------------------------------- the filter form


def _controls(html: str) -> dict[str, list[tuple]]:
    """Each control of a form: a select's options (value, label, selected),
    a text field's value."""
    found = {}
    for name, body in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', html, re.S):
        found[name] = re.findall(r'<option value="([^"]*)"( selected)?>([^<]*)</option>', body)
    for tag in re.findall(r"<input[^>]*>", html):
        name = re.search(r'name="([^"]+)"', tag).group(1)
        value = re.search(r'value="([^"]*)"', tag)
        found[name] = [(value.group(1) if value else None, re.search(r'maxlength="(\d+)"', tag).group(1))]
    return found


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"q": 'Kita "<Sonne>" & Co', "state": "in_review", "o": "-waiting", "deadline": "overdue", "seal": "6"},
        {"reviewer": "null", "kind": "first", "verbund": "yes", "o": "centre"},
    ],
    ids=["empty", "filled", "no-reviewer"],
)
def test_the_filter_fields_are_written_as_djangos_widgets_write_them(db, gabi, zeno, data):
    retired = ReviewerFactory(user=UserFactory(full_name="Ruth Ruhestand"), is_active=False).user
    if data.get("reviewer") is None and data:
        data = {**data, "reviewer": str(retired.pk)}
    filterset = OfficeQueueFilter(data, queue_selectors.office_queue(columns=False))
    assert filterset.is_valid()
    form = filterset.form
    ours = _controls(filter_fields_html(form))
    django = _controls("".join(str(form[name]) for name in form.fields))
    assert ours == django
    # The reviewers the view read for the bulk assignment serve the filter alike.
    everyone, _bulk = reviewers_for_queue()
    assert _controls(filter_fields_html(form, people=everyone)) == django
    assert retired.full_name in {label for _value, _selected, label in ours["reviewer"]}
    for name, field in form.fields.items():
        assert f'<label class="form-label mb-1" for="id_{name}">{field.label}</label>' in filter_fields_html(form)


def test_the_centre_lists_filter_fields_match_too(db, gabi):
    filterset = CentreListFilter(
        {"state": "certified", "o": "-seal"}, queue_selectors.centres_for_list(UserFactory(is_staff=True))
    )
    assert filterset.is_valid()
    form = filterset.form
    assert _controls(filter_fields_html(form)) == _controls("".join(str(form[name]) for name in form.fields))


# ---------------------------------------------------------------- the reviewer pool, read once


def test_the_queue_reads_the_pool_once_for_its_filter_and_its_bulk_assignment(db, make_load):
    everyone, pool = reviewers_for_queue()
    assert [person.pk for person in everyone] == list(reviewers().values_list("pk", flat=True))
    plain = reviewers_with_workload()
    assert [(person.pk, person.may_confirm) for person in pool] == [(person.pk, person.may_confirm) for person in plain]
    with CaptureQueriesContext(connection) as captured:
        reviewers_for_queue()
    assert len(captured) == 1


@pytest.fixture
def make_load(mini_catalogue, gabi, zeno):
    rita = ReviewerFactory(user=UserFactory(full_name="Rita Ruhend"), is_active=False).user
    for number, (state, reviewer, second) in enumerate(
        [
            (AssessmentState.IN_REVIEW, gabi, zeno),
            (AssessmentState.RECOMMENDED, gabi, zeno),
            (AssessmentState.CHANGES_REQUESTED, zeno, gabi),
            (AssessmentState.CERTIFIED, gabi, zeno),
            (AssessmentState.IN_REVIEW, rita, zeno),
        ]
    ):
        make_assessment(
            make_centre(f"FZ Last {number}"), mini_catalogue, state=state, reviewer=reviewer, second_reviewer=second
        )
    return rita


def _choices(body: str) -> tuple[str, str]:
    """The options of the bulk assignment's reviewer and second reviewer choice."""
    first = body.split('id="bulk-reviewer"')[1].split("</select>")[0]
    second = body.split('id="bulk-second-reviewer"')[1].split("</select>")[0]
    return first, second


def test_the_office_queue_offers_the_active_pool_by_name_and_its_workload_right_after(
    client, olga, make_load, gabi, zeno
):
    client.force_login(olga)
    body = client.get(OFFICE_QUEUE).content.decode()
    first, second = _choices(body)
    # The page itself names the people; its htmx request for the workloads follows it.
    assert f'<option value="{gabi.pk}">Gabi Gutachterin</option>' in first
    assert f'hx-get="{WORKLOADS}" hx-trigger="load"' in body
    assert f'<a class="link-target" href="{WORKLOADS}">' in body  # without JavaScript
    # Only confirmers as second reviewer; nobody who left the pool in either.
    assert f'value="{zeno.pk}"' in second and f'value="{gabi.pk}"' not in second
    assert "Rita Ruhend" not in first and "Rita Ruhend" not in second
    # The filter still offers whoever left the pool (their reviews stand in the queue).
    reviewer_filter = body.split('id="id_reviewer" name="reviewer">')[1].split("</select>")[0]
    assert f'value="{make_load.pk}"' in reviewer_filter
    assert len(rows_of(client.get(OFFICE_QUEUE, {"reviewer": make_load.pk}))) == 1

    # What htmx asks right after the page: both choices again, with the workloads, swapped out of band.
    fragment = client.get(WORKLOADS, {"reviewer": "", "second_reviewer": ""}, HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200
    html = fragment.content.decode()
    assert html.count('hx-swap-oob="true"') == 2
    first, second = _choices(html)
    assert f'<option value="{gabi.pk}">Gabi Gutachterin – 2 offen, 0 Begehungen, 1 Bestätigung</option>' in first
    assert f'<option value="{zeno.pk}">Zeno Zweit – 1 offen, 0 Begehungen, 3 Bestätigungen</option>' in first
    assert "automatisch: geringste Auslastung" in second and f'value="{gabi.pk}"' not in second
    assert "Rita Ruhend" not in html


def test_the_workloads_keep_what_the_office_already_picked(client, olga, make_load, gabi, zeno):
    client.force_login(olga)
    html = client.get(
        WORKLOADS, {"reviewer": str(gabi.pk), "second_reviewer": str(zeno.pk)}, HTTP_HX_REQUEST="true"
    ).content.decode()
    first, second = _choices(html)
    assert f'<option value="{gabi.pk}" selected>' in first and f'<option value="{zeno.pk}">' in first
    assert f'<option value="{zeno.pk}" selected>' in second


def test_the_workloads_page_without_javascript_shows_the_figures(client, olga, make_load, gabi, zeno):
    client.force_login(olga)
    response = client.get(WORKLOADS)
    assert response.status_code == 200
    table = response.content.decode().split('data-testid="workloads"')[1].split("</table>")[0]
    rows = re.findall(r"<tr>(.*?)</tr>", table, flags=re.S)[1:]
    cells = [
        [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        for row in rows
    ]
    assert cells == [
        ["Gabi Gutachterin", "2", "1", "0", "nein"],
        ["Zeno Zweit", "1", "3", "0", "darf bestätigen"],
    ]


@pytest.mark.parametrize("who", ["gabi", "alice", "anonymous"])
def test_only_the_office_sees_the_workloads(client, request, who, make_load):
    if who == "anonymous":
        response = client.get(WORKLOADS, HTTP_HX_REQUEST="true")
        assert response.status_code == 302 and response["Location"].startswith("/konto/anmelden/")
        return
    user = request.getfixturevalue(who)
    client.force_login(user)
    assert client.get(WORKLOADS).status_code == 404
    assert client.get(WORKLOADS, HTTP_HX_REQUEST="true").status_code == 404
