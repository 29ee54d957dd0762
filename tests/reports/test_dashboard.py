"""The office dashboard: its figures against counts made by hand on a small
population, the query count at two population sizes, the SVG charts (parsed
as XML) and who may see the page."""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assessments.models import Assessment, AssessmentEvent, AssessmentKind, AssessmentState, EventAction
from certification.models import CatalogueVersion, Guetesiegel
from reports import charts, dashboard
from tests.factories import FamilienzentrumFactory, UserFactory

BERLIN = ZoneInfo("Europe/Berlin")
SVG = "{http://www.w3.org/2000/svg}"
TODAY = date(2026, 6, 15)
_numbers = itertools.count(1)


@pytest.fixture
def catalogue_version(db):
    return CatalogueVersion.objects.create(
        code="dashboard",
        version="1",
        title="Katalog für die Übersicht",
        valid_from=date(2020, 8, 1),
        source_name="dashboard.yaml",
        source_sha256="0" * 64,
    )


@pytest.fixture
def creator(db):
    return UserFactory()


def at(year, month, day, hour=12, minute=0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BERLIN)


def make_assessment(catalogue, creator, state, *, centre=None, submitted_at=None) -> Assessment:
    return Assessment.objects.create(
        familienzentrum=centre or FamilienzentrumFactory(),
        catalogue=catalogue,
        kind=AssessmentKind.FIRST,
        state=state,
        submitted_at=submitted_at,
        review_period_start=date(2025, 8, 1),
        review_period_end=date(2026, 1, 31),
        created_by=creator,
    )


def decide(catalogue, creator, state, *, submitted_at, decided_at, centre=None) -> Assessment:
    """An assessment decided at `decided_at`, with the event a decision writes."""
    assessment = make_assessment(catalogue, creator, state, centre=centre, submitted_at=submitted_at)
    action = EventAction.APPROVE if state == AssessmentState.CERTIFIED else EventAction.DECLINE
    event = AssessmentEvent.objects.create(
        assessment=assessment,
        actor=creator,
        action=action,
        from_state=AssessmentState.RECOMMENDED,
        to_state=state,
    )
    # created_at is auto_now_add: set the decision's time afterwards.
    AssessmentEvent.objects.filter(pk=event.pk).update(created_at=decided_at)
    return assessment


def seal(centre, valid_until: date) -> Guetesiegel:
    return Guetesiegel.objects.create(
        familienzentrum=centre,
        number=f"FZ-DASH-{next(_numbers):05d}",
        valid_from=valid_until - timedelta(days=4 * 365),
        valid_until=valid_until,
        snapshot_sha256="0" * 64,
    )


@pytest.fixture
def population(catalogue_version, creator):
    """A small population, every figure of which is counted by hand below."""
    c, u = catalogue_version, creator
    # Open and closed states without a decision event.
    for state, count in [
        (AssessmentState.DRAFT, 2),
        (AssessmentState.SUBMITTED, 1),
        (AssessmentState.IN_REVIEW, 3),
        (AssessmentState.CHANGES_REQUESTED, 1),
        (AssessmentState.WITHDRAWN, 1),
    ]:
        for _ in range(count):
            make_assessment(c, u, state)
    certified, refused = AssessmentState.CERTIFIED, AssessmentState.NOT_CERTIFIED
    # Decisions, with their days from submission (local calendar days):
    decide(c, u, certified, submitted_at=at(2026, 5, 1), decided_at=at(2026, 6, 10))  # June: 40
    decide(c, u, certified, submitted_at=at(2026, 5, 20), decided_at=at(2026, 6, 1, 9))  # June: 12
    decide(c, u, refused, submitted_at=at(2026, 4, 1), decided_at=at(2026, 6, 2))  # June: 62
    # 23:30 in Berlin on 31 January is still January (22:30 UTC).
    decide(c, u, certified, submitted_at=at(2025, 12, 1), decided_at=at(2026, 1, 31, 23, 30))  # January: 61
    decide(c, u, refused, submitted_at=None, decided_at=at(2026, 1, 5))  # January, no submission time
    decide(c, u, certified, submitted_at=at(2025, 6, 1), decided_at=at(2025, 7, 3))  # July 2025 (first month): 32
    # Before the twelve months (June 2025): not counted anywhere.
    decide(c, u, certified, submitted_at=at(2025, 5, 1), decided_at=at(2025, 6, 30, 12))
    # Seals: the current quarter is Q2 2026 (April-June); two years = Q2 2026 .. Q1 2028.
    centres = [FamilienzentrumFactory() for _ in range(6)]
    seal(centres[0], date(2026, 4, 1))  # Q2 2026 (already past today, still this quarter)
    seal(centres[1], date(2026, 7, 31))  # Q3 2026, renewed below
    seal(centres[1], date(2030, 7, 31))  # beyond two years: not counted
    seal(centres[2], date(2026, 7, 31))  # Q3 2026
    seal(centres[3], date(2027, 12, 31))  # Q4 2027
    seal(centres[4], date(2028, 3, 31))  # Q1 2028, the last quarter
    seal(centres[5], date(2026, 3, 31))  # Q1 2026: before the current quarter
    seal(centres[5], date(2028, 4, 1))  # Q2 2028: after the two years


def test_assessments_by_state_counted_by_hand(population):
    figure = dashboard.assessments_by_state()
    counts = {bar.key: bar.values[0] for bar in figure.bars}
    assert counts == {
        "draft": 2,
        "submitted": 1,
        "in_review": 3,
        "changes_requested": 1,
        "recommended": 0,
        "certified": 5,
        "not_certified": 2,
        "withdrawn": 1,
    }
    assert [bar.label for bar in figure.bars][:2] == ["Entwurf", "eingereicht"]


def test_decisions_per_month_counted_by_hand(population):
    figure = dashboard.decisions_per_month(TODAY)
    assert [bar.key for bar in figure.bars] == [
        "2025-07-01",
        "2025-08-01",
        "2025-09-01",
        "2025-10-01",
        "2025-11-01",
        "2025-12-01",
        "2026-01-01",
        "2026-02-01",
        "2026-03-01",
        "2026-04-01",
        "2026-05-01",
        "2026-06-01",
    ]
    by_month = {bar.key: bar.values for bar in figure.bars if bar.total}
    assert by_month == {"2025-07-01": [1, 0], "2026-01-01": [1, 1], "2026-06-01": [2, 1]}
    assert figure.series == ["zertifiziert", "nicht zertifiziert"]
    assert figure.total == 6
    assert figure.bars[-1].label == "Jun 2026"
    assert figure.bars[-1].table_label == "Juni 2026"


def test_seals_ending_per_quarter_counted_by_hand(population):
    figure = dashboard.seals_ending_per_quarter(TODAY)
    assert [bar.label for bar in figure.bars] == [
        "2. Quartal 2026",
        "3. Quartal 2026",
        "4. Quartal 2026",
        "1. Quartal 2027",
        "2. Quartal 2027",
        "3. Quartal 2027",
        "4. Quartal 2027",
        "1. Quartal 2028",
    ]
    values = {bar.label: bar.values for bar in figure.bars if bar.total}
    # [not yet renewed, already renewed]
    assert values == {
        "2. Quartal 2026": [1, 0],
        "3. Quartal 2026": [1, 1],
        "4. Quartal 2027": [1, 0],
        "1. Quartal 2028": [1, 0],
    }


def test_median_days_from_submission_to_decision_by_hand(population):
    figure, overall = dashboard.decision_days(TODAY)
    by_month = {bar.key: (bar.values[0], bar.extra[0]) for bar in figure.bars if not bar.empty}
    # June: 12, 40, 62 -> 40; January: 61 (the other has no submission time); July 2025: 32.
    assert by_month == {"2026-06-01": (40, 3), "2026-01-01": (61, 1), "2025-07-01": (32, 1)}
    # All five: 12, 32, 40, 61, 62.
    assert overall == 40
    empty = next(bar for bar in figure.bars if bar.empty)
    assert empty.shown_values == ["–"] and empty.shown_total == "–"


def test_median_of_an_even_count_keeps_its_half(catalogue_version, creator):
    for day in (11, 12):
        decide(
            catalogue_version,
            creator,
            AssessmentState.CERTIFIED,
            submitted_at=at(2026, 6, 1),
            decided_at=at(2026, 6, day),
        )
    figure, overall = dashboard.decision_days(TODAY)
    assert overall == 10.5
    assert figure.bars[-1].shown_values == ["10,5"]


def test_office_dashboard_totals(population):
    board = dashboard.office_dashboard(TODAY)
    assert board.open_assessments == 2 + 1 + 3 + 1
    assert board.decisions_total == 6
    assert board.median_days == 40
    assert board.seals_due == 4


def _grow(catalogue, creator, size: int) -> None:
    """`size` more of everything the figures count."""
    for index in range(size):
        make_assessment(catalogue, creator, AssessmentState.IN_REVIEW)
        centre = FamilienzentrumFactory()
        decide(
            catalogue,
            creator,
            AssessmentState.CERTIFIED,
            centre=centre,
            submitted_at=at(2026, 1, 1),
            decided_at=at(2026, 1 + index % 5, 10),
        )
        seal(centre, date(2026, 9, 30) + timedelta(days=90 * (index % 6)))


def test_query_count_does_not_grow_with_the_population(catalogue_version, creator):
    _grow(catalogue_version, creator, 3)
    with CaptureQueriesContext(connection) as small:
        dashboard.office_dashboard(TODAY)
    _grow(catalogue_version, creator, 9)
    with CaptureQueriesContext(connection) as large:
        board = dashboard.office_dashboard(TODAY)
    assert board.decisions_total == 12
    assert len(small.captured_queries) == len(large.captured_queries) == 4


# ---------------------------------------------------------------- the charts


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def test_every_chart_is_well_formed_svg_with_its_title(population):
    board = dashboard.office_dashboard(TODAY)
    for figure in (board.states, board.decisions, board.seals, board.durations):
        root = parse(charts.bar_chart(figure))
        assert root.tag == f"{SVG}svg"
        assert root.get("role") == "img"
        assert root.get("width") == "100%"
        assert root.get("viewBox").startswith(f"0 0 {charts.WIDTH} ")
        title = root.find(f"{SVG}title")
        assert title is not None and title.text == figure.title
        assert root.get("aria-labelledby") == f"{title.get('id')} {root.find(f'{SVG}desc').get('id')}"
        groups = root.findall(f"{SVG}g")
        assert len(groups) == len(figure.bars)
        # Each bar's group names its category and ends with its value.
        for group, bar in zip(groups, figure.bars, strict=True):
            assert group.find(f"{SVG}title").text.startswith(bar.table_label)
            assert group.findall(f"{SVG}text")[-1].text == bar.shown_total


def test_stacked_chart_draws_one_rect_per_nonzero_value_and_a_legend(population):
    figure = dashboard.decisions_per_month(TODAY)
    root = parse(charts.bar_chart(figure))
    bar_rects = [rect for group in root.findall(f"{SVG}g") for rect in group.findall(f"{SVG}rect")]
    assert len(bar_rects) == sum(1 for bar in figure.bars for value in bar.values if value)
    legend = [text.text for text in root.findall(f"{SVG}text")]
    assert legend == ["zertifiziert", "nicht zertifiziert"]
    # The longest bar is the month with three decisions; widths follow the values.
    june = root.findall(f"{SVG}g")[-1].findall(f"{SVG}rect")
    assert float(june[0].get("width")) == pytest.approx(2 * float(june[1].get("width")))


def test_labels_are_escaped_and_wrapped():
    figure = dashboard.Figure(
        key="test",
        title='Zahlen <script>alert("x")</script> & mehr',
        description="Beschreibung",
        series=["Anzahl"],
        bars=[dashboard.Bar(key="a", label="Eltern & Kinder <Verbund> mit sehr langem Namen", values=[3])],
        category="Zeile",
    )
    svg = charts.bar_chart(figure)
    root = parse(svg)  # parses: nothing unescaped
    assert "<script>" not in svg
    assert root.find(f"{SVG}title").text == figure.title
    lines = [span.text for span in root.iter(f"{SVG}tspan")]
    assert lines == ["Eltern & Kinder", "<Verbund> mit seh…"]


def test_wrap_label():
    assert charts.wrap_label("Entwurf") == ["Entwurf"]
    assert charts.wrap_label("zur Zertifizierung empfohlen") == ["zur Zertifizierung", "empfohlen"]
    assert charts.wrap_label("Donaudampfschifffahrtsgesellschaft") == ["Donaudampfschifff…"]


def test_all_zero_chart_still_draws():
    figure = dashboard.Figure(
        key="zero", title="Leer", description="", series=["Anzahl"], bars=[dashboard.Bar("a", "A", [0])], category=""
    )
    root = parse(charts.bar_chart(figure))
    assert root.findall(f"{SVG}g")[0].findall(f"{SVG}rect") == []
    assert root.findall(f"{SVG}g")[0].findall(f"{SVG}text")[-1].text == "0"


# ---------------------------------------------------------------- the page


PERSONAS = ["alice", "bob", "tina", "tom", "paula", "rita", "olga", "anonymous"]
OFFICE = {"alice": 404, "bob": 404, "tina": 404, "tom": 404, "paula": 404, "rita": 404, "olga": 200, "anonymous": 302}


@pytest.mark.parametrize("who", PERSONAS)
def test_permission_table(client, who, alice, bob, tina, tom, paula, rita, olga):
    people = {"alice": alice, "bob": bob, "tina": tina, "tom": tom, "paula": paula, "rita": rita, "olga": olga}
    if who != "anonymous":
        client.force_login(people[who])
    response = client.get(reverse("reports:dashboard"))
    assert response.status_code == OFFICE[who], who
    if who == "anonymous":
        assert response.url.startswith(reverse("accounts:login"))


def test_page_shows_charts_and_tables(client, olga, catalogue_version, creator):
    today = timezone.localdate()
    decide(
        catalogue_version,
        creator,
        AssessmentState.CERTIFIED,
        submitted_at=timezone.now() - timedelta(days=20),
        decided_at=timezone.now(),
    )
    make_assessment(catalogue_version, creator, AssessmentState.SUBMITTED)
    client.force_login(olga)
    response = client.get(reverse("reports:dashboard"))
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count('<svg xmlns="http://www.w3.org/2000/svg" class="chart"') == 4
    assert 'data-kpi="open">1<' in page
    assert 'data-kpi="decisions">1<' in page
    assert 'data-kpi="median">20 Tage<' in page
    month = today.replace(day=1).isoformat()
    assert response.context["board"].decisions.bars[-1].key == month
    # The tables carry the same figures.
    assert '<tr data-key="submitted">' in page
    assert response.context["board"].states.bars[1].values == [1]


def test_page_query_count_does_not_grow(client, olga, catalogue_version, creator, django_assert_max_num_queries):
    client.force_login(olga)
    _grow(catalogue_version, creator, 2)
    with CaptureQueriesContext(connection) as small:
        assert client.get(reverse("reports:dashboard")).status_code == 200
    _grow(catalogue_version, creator, 8)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(reverse("reports:dashboard")).status_code == 200


def test_office_start_page_links_to_dashboard_and_exports(client, olga):
    client.force_login(olga)
    page = client.get(reverse("home")).content.decode()
    assert reverse("reports:dashboard") in page
    assert reverse("reports:exports") in page
