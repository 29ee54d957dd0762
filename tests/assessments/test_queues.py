"""The work queues and centre lists of issue 12 over HTTP: who may open
which list (a permission table), which rows each holds (a reviewer only its
own, Träger staff only their centres), every filter, the search on each of
its four fields, every sort key in both directions, pagination with bad
pages, unknown filter values (a message and the first page, never a 500),
the bulk form around the office's rows, and a query count that stays the
same at 100 and at 300 assessments."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assessments.models import (
    Assessment,
    AssessmentKind,
    AssessmentState,
    CriterionVerdict,
    Submission,
    Verdict,
)
from assessments.views.queues import PAGE_SIZE
from certification.models import (
    Criterion,
    Einrichtung,
    Familienzentrum,
    FamilienzentrumForm,
    FamilienzentrumSite,
    Guetesiegel,
    Traeger,
)
from certification.services import add_months
from tests.factories import EinrichtungFactory, FamilienzentrumFactory, TraegerFactory, UserFactory

OFFICE_QUEUE = reverse("assessments:review_overview")
MY_REVIEWS = reverse("assessments:my_reviews")
CENTRES = reverse("assessments:centre_list")

PERSONAS = ["alice", "bob", "tina", "tom", "paula", "rita", "olga", "gabi", "zeno", "anonymous"]
REFUSED = {name: 404 for name in PERSONAS} | {"anonymous": 302}
EXPECTED = {
    OFFICE_QUEUE: REFUSED | {"olga": 200},
    MY_REVIEWS: REFUSED | {"rita": 200, "gabi": 200, "zeno": 200},
    CENTRES: REFUSED | {"olga": 200, "tina": 200, "tom": 200},
}


def today() -> date:
    return timezone.localdate()


def rows_of(response) -> list[int]:
    """The primary keys of the rows shown, in their order (assessments, or centres on the centre list)."""
    assert response.status_code == 200
    return [int(pk) for pk in re.findall(r'<tr data-(?:assessment|centre)="(\d+)"', response.content.decode())]


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


# ---------------------------------------------------------------- building rows without the services


def make_centre(name: str, *, traeger=None, city: str = "Jülich", number: str = "", verbund: bool = False):
    traeger = traeger or TraegerFactory()
    sites = [EinrichtungFactory(traeger=traeger, city=city) for _ in range(2 if verbund else 1)]
    return FamilienzentrumFactory(
        name=name,
        traeger=traeger,
        certification_number=number,
        form=FamilienzentrumForm.VERBUND if verbund else FamilienzentrumForm.SINGLE,
        sites=sites,
    )


DUE_FIELD = {
    AssessmentState.DRAFT: "submission_due",
    AssessmentState.SUBMITTED: "review_due",
    AssessmentState.IN_REVIEW: "review_due",
    AssessmentState.RECOMMENDED: "review_due",
    AssessmentState.CHANGES_REQUESTED: "queries_due",
}


def make_assessment(
    centre,
    catalogue,
    *,
    state=AssessmentState.IN_REVIEW,
    kind=AssessmentKind.FIRST,
    waiting: int | None = 10,
    due: date | None = None,
    reviewer=None,
    second_reviewer=None,
    criteria: int = 0,
    verdicts: int = 0,
) -> Assessment:
    """An assessment in `state`, submitted `waiting` days ago, with the date
    due in its state, and (with `criteria`) a submission of that many
    criteria of which `verdicts` are judged."""
    fields = {}
    if due is not None:
        fields[DUE_FIELD[state]] = due
    creator = UserFactory()
    assessment = Assessment.objects.create(
        familienzentrum=centre,
        catalogue=catalogue,
        kind=kind,
        state=state,
        review_period_start=date(2025, 1, 1),
        review_period_end=date(2025, 7, 31),
        created_by=creator,
        reviewer=reviewer,
        second_reviewer=second_reviewer,
        submitted_at=None if waiting is None else timezone.now() - timedelta(days=waiting),
        **fields,
    )
    if criteria:
        chosen = list(Criterion.objects.filter(catalogue=catalogue).select_related("area").order_by("order"))
        submission = Submission.objects.create(
            assessment=assessment,
            number=1,
            payload={"criteria": [{"code": c.code, "area": c.area.code} for c in chosen[:criteria]]},
            sha256="0" * 64,
            submitted_by=creator,
        )
        for criterion in chosen[:verdicts]:
            CriterionVerdict.objects.create(
                submission=submission, criterion=criterion, verdict=Verdict.ACCEPTED, reviewer=reviewer or creator
            )
    return assessment


def make_seal(centre, valid_until: date, number: str | None = None) -> Guetesiegel:
    return Guetesiegel.objects.create(
        familienzentrum=centre,
        number=number or f"GS-{centre.pk}-{valid_until:%Y%m%d}",
        valid_from=valid_until - timedelta(days=4 * 365),
        valid_until=valid_until,
        snapshot_sha256="0" * 64,
    )


def populate(count: int, catalogue, *, reviewer, second_reviewer, start: int = 0) -> None:
    """`count` centres (with a site and a seal), each with an assessment in
    review by `reviewer` and a judged submission: bulk rows, so hundreds are quick."""
    creator = UserFactory()
    traeger = Traeger.objects.create(name=f"Massenträger {start}")
    sites = Einrichtung.objects.bulk_create(
        [Einrichtung(traeger=traeger, name=f"Kita {start + i}", city="Düren") for i in range(count)]
    )
    centres = Familienzentrum.objects.bulk_create(
        [
            Familienzentrum(name=f"FZ Masse {start + i:04d}", traeger=traeger, form=FamilienzentrumForm.SINGLE)
            for i in range(count)
        ]
    )
    FamilienzentrumSite.objects.bulk_create(
        [
            FamilienzentrumSite(familienzentrum=c, site=s, is_grant_recipient=True)
            for c, s in zip(centres, sites, strict=True)
        ]
    )
    now = timezone.now()
    assessments = Assessment.objects.bulk_create(
        [
            Assessment(
                familienzentrum=centre,
                catalogue=catalogue,
                kind=AssessmentKind.RECERTIFICATION,
                state=AssessmentState.IN_REVIEW,
                review_period_start=date(2025, 1, 1),
                review_period_end=date(2025, 7, 31),
                created_by=creator,
                reviewer=reviewer,
                second_reviewer=second_reviewer,
                submitted_at=now - timedelta(days=i % 90),
                review_due=today() + timedelta(days=i % 40 - 20),
            )
            for i, centre in enumerate(centres)
        ]
    )
    criteria = list(Criterion.objects.filter(catalogue=catalogue).select_related("area").order_by("order"))
    payload = {"criteria": [{"code": c.code, "area": c.area.code} for c in criteria]}
    submissions = Submission.objects.bulk_create(
        [
            Submission(
                assessment=a,
                number=1,
                payload=payload,
                sha256="0" * 64,
                submitted_by=creator,
                criteria_count=Submission.criteria_in(payload),
            )
            for a in assessments
        ]
    )
    CriterionVerdict.objects.bulk_create(
        [
            CriterionVerdict(submission=s, criterion=c, verdict=Verdict.ACCEPTED, reviewer=reviewer)
            for s in submissions
            for c in criteria[:3]
        ]
    )
    Guetesiegel.objects.bulk_create(
        [
            Guetesiegel(
                familienzentrum=c,
                number=f"MS-{c.pk}",
                valid_from=date(2022, 8, 1),
                valid_until=add_months(today(), 8),
                snapshot_sha256="0" * 64,
            )
            for c in centres
        ]
    )


# ---------------------------------------------------------------- who may open which list


@pytest.fixture
def people(alice, bob, tina, tom, paula, rita, olga, gabi, zeno):
    return {
        "alice": alice,
        "bob": bob,
        "tina": tina,
        "tom": tom,
        "paula": paula,
        "rita": rita,
        "olga": olga,
        "gabi": gabi,
        "zeno": zeno,
    }


@pytest.mark.parametrize("url", list(EXPECTED), ids=["office_queue", "my_reviews", "centre_list"])
@pytest.mark.parametrize("who", PERSONAS)
def test_permission_table(client, people, other_centre, who, url):
    if who != "anonymous":
        client.force_login(people[who])
    response = client.get(url)
    assert response.status_code == EXPECTED[url][who], f"{who} GET {url}"
    if who == "anonymous":
        assert response.url.startswith(reverse("accounts:login"))


def test_a_reviewer_sees_only_its_own_reviews_as_reviewer_and_as_second_reviewer(
    client, mini_catalogue, gabi, zeno, rita
):
    own = make_assessment(make_centre("FZ Eigen"), mini_catalogue, reviewer=gabi, second_reviewer=zeno)
    confirming = make_assessment(make_centre("FZ Bestätigen"), mini_catalogue, reviewer=zeno, second_reviewer=gabi)
    foreign = make_assessment(make_centre("FZ Fremd"), mini_catalogue, reviewer=rita, second_reviewer=zeno)
    unassigned = make_assessment(make_centre("FZ Offen"), mini_catalogue, state=AssessmentState.SUBMITTED)

    client.force_login(gabi)
    assert set(rows_of(client.get(MY_REVIEWS))) == {own.pk, confirming.pk}
    assert rows_of(client.get(MY_REVIEWS, {"role": "reviewer"})) == [own.pk]
    assert rows_of(client.get(MY_REVIEWS, {"role": "second"})) == [confirming.pk]
    client.force_login(zeno)
    assert set(rows_of(client.get(MY_REVIEWS))) == {own.pk, confirming.pk, foreign.pk}
    client.force_login(rita)
    assert rows_of(client.get(MY_REVIEWS)) == [foreign.pk]
    assert unassigned.pk not in rows_of(client.get(MY_REVIEWS, {"state": "all"}))


def test_the_reviewers_queue_shows_open_reviews_unless_asked_for_all(client, mini_catalogue, gabi, zeno):
    open_one = make_assessment(make_centre("FZ Offen"), mini_catalogue, reviewer=gabi, second_reviewer=zeno)
    done = make_assessment(
        make_centre("FZ Fertig"), mini_catalogue, state=AssessmentState.CERTIFIED, reviewer=gabi, second_reviewer=zeno
    )
    client.force_login(gabi)
    assert rows_of(client.get(MY_REVIEWS)) == [open_one.pk]
    assert set(rows_of(client.get(MY_REVIEWS, {"state": "all"}))) == {open_one.pk, done.pk}
    assert rows_of(client.get(MY_REVIEWS, {"state": AssessmentState.CERTIFIED})) == [done.pk]


def test_traeger_staff_see_only_their_own_centres(client, tina, tom, centre, other_centre, mini_catalogue):
    client.force_login(tina)
    assert rows_of(client.get(CENTRES)) == [centre.pk]
    client.force_login(tom)
    assert rows_of(client.get(CENTRES)) == [other_centre.pk]


def test_traeger_staff_get_no_reviewer_filter_nor_column(client, tina, centre, mini_catalogue, gabi, zeno):
    make_assessment(centre, mini_catalogue, reviewer=gabi, second_reviewer=zeno)
    client.force_login(tina)
    body = client.get(CENTRES).content.decode()
    assert 'name="reviewer"' not in body
    assert gabi.full_name not in body
    # A crafted reviewer filter does not narrow (nor reveal) anything.
    assert rows_of(client.get(CENTRES, {"reviewer": gabi.pk})) == [centre.pk]


def test_the_office_sees_every_centre_on_the_centre_list(client, olga, centre, other_centre):
    client.force_login(olga)
    assert set(rows_of(client.get(CENTRES))) == {centre.pk, other_centre.pk}


def test_names_typed_by_people_are_escaped_in_the_rows(client, olga, mini_catalogue, gabi):
    """The rows are written in Python (assessments.queue_html), not by the
    template engine: every value still reaches the page escaped."""
    hostile = 'Kita <script>alert("x")</script> & "Söhne"'
    traeger = TraegerFactory(name="Träger <b>fett</b>")
    centre = make_centre(hostile, traeger=traeger, city="<i>Jülich</i>", number="NR-'1'")
    make_assessment(centre, mini_catalogue, state=AssessmentState.SUBMITTED, reviewer=gabi)
    client.force_login(olga)
    for url in (OFFICE_QUEUE, CENTRES):
        page = client.get(url).content.decode()
        assert "<script>alert" not in page and "<b>fett</b>" not in page and "<i>Jülich</i>" not in page
        assert "Kita &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &quot;Söhne&quot;" in page
        assert "Träger &lt;b&gt;fett&lt;/b&gt;" in page and "NR-&#x27;1&#x27;" in page


# ---------------------------------------------------------------- the office's queue and its columns


def test_the_office_queue_holds_what_lies_between_submission_and_decision(client, olga, mini_catalogue):
    shown = {
        state: make_assessment(make_centre(f"FZ {state}"), mini_catalogue, state=state)
        for state in [
            AssessmentState.SUBMITTED,
            AssessmentState.IN_REVIEW,
            AssessmentState.CHANGES_REQUESTED,
            AssessmentState.RECOMMENDED,
        ]
    }
    hidden = [
        make_assessment(make_centre(f"FZ {state}"), mini_catalogue, state=state)
        for state in [AssessmentState.CERTIFIED, AssessmentState.NOT_CERTIFIED, AssessmentState.WITHDRAWN]
    ]
    hidden.append(make_assessment(make_centre("FZ Entwurf"), mini_catalogue, state=AssessmentState.DRAFT, waiting=None))
    client.force_login(olga)
    rows = rows_of(client.get(OFFICE_QUEUE))
    assert set(rows) == {a.pk for a in shown.values()}
    for state, assessment in shown.items():
        assert rows_of(client.get(OFFICE_QUEUE, {"state": state})) == [assessment.pk]


def test_drafts_appear_when_near_or_over_their_submission_date(client, olga, mini_catalogue):
    late = make_assessment(
        make_centre("FZ Spät"), mini_catalogue, state=AssessmentState.DRAFT, waiting=None, due=today() - timedelta(1)
    )
    near = make_assessment(
        make_centre("FZ Bald"), mini_catalogue, state=AssessmentState.DRAFT, waiting=None, due=today() + timedelta(14)
    )
    make_assessment(
        make_centre("FZ Fern"), mini_catalogue, state=AssessmentState.DRAFT, waiting=None, due=today() + timedelta(15)
    )
    make_assessment(make_centre("FZ Ohne"), mini_catalogue, state=AssessmentState.DRAFT, waiting=None)
    client.force_login(olga)
    assert rows_of(client.get(OFFICE_QUEUE, {"state": "draft", "o": "deadline"})) == [late.pk, near.pk]


def test_a_row_shows_submission_deadline_waiting_progress_and_reviewers(client, olga, mini_catalogue, gabi, zeno):
    centre = make_centre("FZ Spalten", number="GFZ-0815", city="Linnich")
    make_seal(centre, add_months(today(), 3))
    assessment = make_assessment(
        centre,
        mini_catalogue,
        waiting=12,
        due=today() - timedelta(days=2),
        reviewer=gabi,
        second_reviewer=zeno,
        criteria=8,
        verdicts=3,
    )
    client.force_login(olga)
    body = client.get(OFFICE_QUEUE).content.decode()
    row = body[body.index(f'data-assessment="{assessment.pk}"') :].split("</tr>")[0]
    assert "FZ Spalten" in row and "GFZ-0815" in row and "Linnich" in row and centre.traeger.name in row
    assert assessment.submitted_at.astimezone(timezone.get_current_timezone()).strftime("%d.%m.%Y") in row
    assert (today() - timedelta(days=2)).strftime("%d.%m.%Y") in row and "überfällig" in row
    assert "12 Tage" in row
    assert "3 von 8 beurteilt" in row
    assert gabi.full_name in row and zeno.full_name in row
    assert reverse("assessments:detail", args=[assessment.pk]) in row


def test_progress_counts_the_latest_submission_only(client, olga, mini_catalogue, gabi, zeno):
    assessment = make_assessment(
        make_centre("FZ Runde"), mini_catalogue, reviewer=gabi, second_reviewer=zeno, criteria=6, verdicts=6
    )
    criteria = list(Criterion.objects.filter(catalogue=mini_catalogue).select_related("area").order_by("order"))
    second = Submission.objects.create(
        assessment=assessment,
        number=2,
        payload={"criteria": [{"code": c.code, "area": c.area.code} for c in criteria[:10]]},
        sha256="1" * 64,
        submitted_by=gabi,
    )
    CriterionVerdict.objects.create(submission=second, criterion=criteria[0], verdict=Verdict.ACCEPTED, reviewer=gabi)
    client.force_login(olga)
    assert "1 von 10 beurteilt" in client.get(OFFICE_QUEUE).content.decode()


def test_the_office_rows_sit_in_the_bulk_assignment_form(client, olga, mini_catalogue):
    first = make_assessment(make_centre("FZ Eins"), mini_catalogue, state=AssessmentState.SUBMITTED, due=today())
    second = make_assessment(make_centre("FZ Zwei"), mini_catalogue, state=AssessmentState.SUBMITTED)
    client.force_login(olga)
    body = client.get(OFFICE_QUEUE, {"deadline": "approaching", "o": "-submitted"}).content.decode()
    form = body[body.index('data-testid="bulk-form"') :].split("</form>")[0]
    assert f'action="{reverse("assessments:bulk_assign")}"' in body
    assert f'name="assessment" value="{first.pk}"' in form
    assert f'value="{second.pk}"' not in form
    assert f'name="next" value="{OFFICE_QUEUE}?deadline=approaching&amp;o=-submitted"' in form
    assert 'name="reviewer"' in form  # helper C's reviewer choice
    assert " checked" not in form.split("<tbody>")[1]
    # Without JavaScript, "select all on this page" shows the page with every box ticked.
    ticked = client.get(OFFICE_QUEUE, {"auswahl": "alle"}).content.decode()
    assert f'name="assessment" value="{first.pk}" checked' in ticked
    assert f'name="assessment" value="{second.pk}" checked' in ticked


# ---------------------------------------------------------------- the filters


@pytest.fixture
def mixed(mini_catalogue, gabi, zeno, rita):
    """Five assessments, each standing out by one property."""
    t = today()
    return {
        "overdue": make_assessment(
            make_centre("FZ Überfällig"), mini_catalogue, due=t - timedelta(days=1), reviewer=gabi, second_reviewer=zeno
        ),
        "approaching": make_assessment(
            make_centre("FZ Bald"), mini_catalogue, due=t + timedelta(days=14), reviewer=rita, second_reviewer=zeno
        ),
        "verbund": make_assessment(
            make_centre("FZ Verbund", verbund=True),
            mini_catalogue,
            state=AssessmentState.CHANGES_REQUESTED,
            due=t + timedelta(days=30),
            reviewer=gabi,
            second_reviewer=zeno,
        ),
        "recert": make_assessment(
            make_centre("FZ Re"),
            mini_catalogue,
            kind=AssessmentKind.RECERTIFICATION,
            reviewer=rita,
            second_reviewer=zeno,
        ),
        "unassigned": make_assessment(
            make_centre("FZ Neu"), mini_catalogue, state=AssessmentState.SUBMITTED, due=t + timedelta(days=15)
        ),
    }


@pytest.mark.parametrize(
    "params,expected",
    [
        ({"deadline": "overdue"}, ["overdue"]),
        ({"deadline": "approaching"}, ["approaching"]),
        ({"verbund": "yes"}, ["verbund"]),
        ({"verbund": "no"}, ["overdue", "approaching", "recert", "unassigned"]),
        ({"kind": AssessmentKind.RECERTIFICATION}, ["recert"]),
        ({"kind": AssessmentKind.FIRST}, ["overdue", "approaching", "verbund", "unassigned"]),
        ({"state": AssessmentState.CHANGES_REQUESTED}, ["verbund"]),
        ({"state": AssessmentState.SUBMITTED}, ["unassigned"]),
        ({"reviewer": "null"}, ["unassigned"]),
        ({"deadline": "overdue", "verbund": "yes"}, []),
    ],
    ids=lambda value: str(value),
)
def test_each_filter_of_the_office_queue(client, olga, mixed, params, expected):
    client.force_login(olga)
    assert set(rows_of(client.get(OFFICE_QUEUE, params))) == {mixed[name].pk for name in expected}


def test_the_reviewer_filter_matches_reviewer_and_second_reviewer(client, olga, mixed, gabi, zeno, rita):
    client.force_login(olga)
    assert set(rows_of(client.get(OFFICE_QUEUE, {"reviewer": gabi.pk}))) == {
        mixed["overdue"].pk,
        mixed["verbund"].pk,
    }
    assert set(rows_of(client.get(OFFICE_QUEUE, {"reviewer": zeno.pk}))) == {
        mixed[name].pk for name in ["overdue", "approaching", "verbund", "recert"]
    }


def test_overdue_follows_the_date_due_in_each_state(client, olga, mini_catalogue):
    yesterday = today() - timedelta(days=1)
    # A review due yesterday does not make a centre's open queries overdue, and the reverse.
    queried = make_assessment(make_centre("FZ Rückfrage"), mini_catalogue, state=AssessmentState.CHANGES_REQUESTED)
    Assessment.objects.filter(pk=queried.pk).update(review_due=yesterday, queries_due=today() + timedelta(days=30))
    reviewing = make_assessment(make_centre("FZ Prüfung"), mini_catalogue)
    Assessment.objects.filter(pk=reviewing.pk).update(review_due=yesterday, queries_due=today() + timedelta(days=30))
    client.force_login(olga)
    assert rows_of(client.get(OFFICE_QUEUE, {"deadline": "overdue"})) == [reviewing.pk]


@pytest.mark.parametrize("months", [6, 12])
def test_the_seal_filter_finds_seals_ending_within_the_months(client, olga, mini_catalogue, months):
    t = today()
    inside = {}
    for label, until in [
        ("now", t),
        ("5m", add_months(t, 5)),
        ("6m", add_months(t, 6)),
        ("11m", add_months(t, 11)),
        ("12m", add_months(t, 12)),
        ("13m", add_months(t, 13)),
        ("past", t - timedelta(days=1)),
    ]:
        centre = make_centre(f"FZ Siegel {label}")
        make_seal(centre, until)
        inside[label] = make_assessment(centre, mini_catalogue, kind=AssessmentKind.RECERTIFICATION)
    # A superseded seal does not count: only the centre's latest one.
    renewed = make_centre("FZ Siegel erneuert")
    make_seal(renewed, add_months(t, 2), number="ALT-1")
    Guetesiegel.objects.create(
        familienzentrum=renewed,
        number="NEU-1",
        valid_from=add_months(t, 2),
        valid_until=add_months(t, 50),
        snapshot_sha256="0" * 64,
    )
    make_assessment(renewed, mini_catalogue, kind=AssessmentKind.RECERTIFICATION)
    expected = {"now", "5m", "6m"} if months == 6 else {"now", "5m", "6m", "11m", "12m"}
    client.force_login(olga)
    assert set(rows_of(client.get(OFFICE_QUEUE, {"seal": str(months)}))) == {inside[k].pk for k in expected}
    centres = set(rows_of(client.get(CENTRES, {"seal": str(months)})))
    assert centres == {inside[k].familienzentrum_id for k in expected}


def test_the_centre_list_filters_by_its_current_assessment(client, olga, mini_catalogue, gabi, zeno):
    reviewed = make_centre("FZ In Prüfung")
    old = make_assessment(reviewed, mini_catalogue, state=AssessmentState.CERTIFIED, kind=AssessmentKind.FIRST)
    Assessment.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=1500))
    current = make_assessment(
        reviewed,
        mini_catalogue,
        kind=AssessmentKind.RECERTIFICATION,
        reviewer=gabi,
        second_reviewer=zeno,
        due=today() - timedelta(days=3),
    )
    certified = make_centre("FZ Zertifiziert")
    make_assessment(certified, mini_catalogue, state=AssessmentState.CERTIFIED)
    without = make_centre("FZ Ohne Selbstbewertung", verbund=True)
    client.force_login(olga)
    assert rows_of(client.get(CENTRES, {"state": AssessmentState.IN_REVIEW})) == [reviewed.pk]
    assert rows_of(client.get(CENTRES, {"state": AssessmentState.CERTIFIED})) == [certified.pk]
    assert rows_of(client.get(CENTRES, {"kind": AssessmentKind.RECERTIFICATION})) == [reviewed.pk]
    assert rows_of(client.get(CENTRES, {"reviewer": gabi.pk})) == [reviewed.pk]
    assert rows_of(client.get(CENTRES, {"deadline": "overdue"})) == [reviewed.pk]
    assert rows_of(client.get(CENTRES, {"verbund": "yes"})) == [without.pk]
    body = client.get(CENTRES, {"state": AssessmentState.IN_REVIEW}).content.decode()
    assert reverse("assessments:detail", args=[current.pk]) in body
    assert reverse("assessments:detail", args=[old.pk]) not in body


def test_the_reviewers_queue_filters_like_the_office_queue(client, gabi, mixed):
    client.force_login(gabi)
    assert rows_of(client.get(MY_REVIEWS, {"deadline": "overdue"})) == [mixed["overdue"].pk]
    assert rows_of(client.get(MY_REVIEWS, {"verbund": "yes"})) == [mixed["verbund"].pk]
    assert rows_of(client.get(MY_REVIEWS, {"state": AssessmentState.CHANGES_REQUESTED})) == [mixed["verbund"].pk]
    assert 'name="reviewer"' not in client.get(MY_REVIEWS).content.decode()


# ---------------------------------------------------------------- the search


@pytest.fixture
def searchable(mini_catalogue):
    purzel = make_centre(
        "Familienzentrum Purzelbaum",
        traeger=TraegerFactory(name="Kreismäuse AöR"),
        city="Jülich-Broich",
        number="NRW-4711",
    )
    eifel = make_centre(
        "Familienzentrum Eifelzwerge", traeger=TraegerFactory(name="Stadt Gey"), city="Hürtgenwald", number="NRW-0815"
    )
    return {
        "purzel": make_assessment(purzel, mini_catalogue),
        "eifel": make_assessment(eifel, mini_catalogue),
    }


@pytest.mark.parametrize(
    "term,expected",
    [
        ("purzel", "purzel"),  # the centre's name, any case
        ("kreismäuse", "purzel"),  # the Träger's name
        ("NRW-0815", "eifel"),  # the certification number
        ("hürtgen", "eifel"),  # the town of a site
        ("Familienzentrum Broich", "purzel"),  # every word must match somewhere
    ],
)
@pytest.mark.parametrize("url", [OFFICE_QUEUE, CENTRES], ids=["office_queue", "centre_list"])
def test_the_search_looks_at_centre_traeger_number_and_town(client, olga, searchable, term, expected, url):
    client.force_login(olga)
    target = searchable[expected]
    wanted = target.pk if url == OFFICE_QUEUE else target.familienzentrum_id
    assert rows_of(client.get(url, {"q": term})) == [wanted]


def test_a_search_without_a_match_says_so(client, olga, searchable):
    client.force_login(olga)
    response = client.get(OFFICE_QUEUE, {"q": "Nirgendwo"})
    assert rows_of(response) == []
    assert "Keine Selbstbewertung passt zu Suche und Filtern." in response.content.decode()


# ---------------------------------------------------------------- the sort keys


@pytest.fixture
def sortable(mini_catalogue):
    t = today()
    return [
        make_assessment(
            make_centre("FZ C"), mini_catalogue, state=AssessmentState.RECOMMENDED, waiting=5, due=t + timedelta(9)
        ),
        make_assessment(
            make_centre("FZ A"), mini_catalogue, state=AssessmentState.SUBMITTED, waiting=30, due=t + timedelta(3)
        ),
        make_assessment(make_centre("FZ B"), mini_catalogue, state=AssessmentState.IN_REVIEW, waiting=12, due=None),
    ]


SORTS = {
    # key: the order of `sortable` (indexes) ascending
    "centre": [1, 2, 0],
    "submitted": [1, 2, 0],
    "waiting": [0, 2, 1],
    "state": [1, 2, 0],
}


@pytest.mark.parametrize("key", list(SORTS))
@pytest.mark.parametrize("descending", [False, True], ids=["ascending", "descending"])
def test_each_sort_key_in_both_directions(client, olga, sortable, key, descending):
    client.force_login(olga)
    expected = [sortable[i].pk for i in SORTS[key]]
    if descending:
        expected.reverse()
    assert rows_of(client.get(OFFICE_QUEUE, {"o": f"-{key}" if descending else key})) == expected


@pytest.mark.parametrize("descending", [False, True], ids=["ascending", "descending"])
def test_the_deadline_sort_puts_rows_without_a_deadline_last_both_ways(client, olga, sortable, descending):
    client.force_login(olga)
    dated = [sortable[1].pk, sortable[0].pk]
    expected = (list(reversed(dated)) if descending else dated) + [sortable[2].pk]
    assert rows_of(client.get(OFFICE_QUEUE, {"o": "-deadline" if descending else "deadline"})) == expected


def test_the_default_order_is_the_oldest_submission_first(client, olga, gabi, sortable):
    client.force_login(olga)
    assert rows_of(client.get(OFFICE_QUEUE)) == [sortable[1].pk, sortable[2].pk, sortable[0].pk]


@pytest.mark.parametrize("descending", [False, True], ids=["ascending", "descending"])
def test_the_centre_list_sorts_by_name_by_default_and_by_the_seal(client, olga, mini_catalogue, descending):
    late, early, none = make_centre("FZ A"), make_centre("FZ B"), make_centre("FZ C")
    make_seal(late, date(2029, 7, 31))
    make_seal(early, date(2026, 7, 31))
    client.force_login(olga)
    assert rows_of(client.get(CENTRES)) == [late.pk, early.pk, none.pk]
    expected = [late.pk, early.pk] if descending else [early.pk, late.pk]
    assert rows_of(client.get(CENTRES, {"o": "-seal" if descending else "seal"})) == expected + [none.pk]
    by_name = [late.pk, early.pk, none.pk]
    assert rows_of(client.get(CENTRES, {"o": "-centre" if descending else "centre"})) == (
        list(reversed(by_name)) if descending else by_name
    )


# ---------------------------------------------------------------- pagination and bad input


@pytest.fixture
def many(mini_catalogue, gabi, zeno):
    populate(PAGE_SIZE + 20, mini_catalogue, reviewer=gabi, second_reviewer=zeno)
    return Assessment.objects.order_by("submitted_at", "pk")


def test_fifty_rows_a_page_and_the_page_links_keep_the_filters(client, olga, many):
    client.force_login(olga)
    first = client.get(OFFICE_QUEUE, {"kind": AssessmentKind.RECERTIFICATION, "o": "centre"})
    assert len(rows_of(first)) == PAGE_SIZE
    body = first.content.decode()
    assert f"1–{PAGE_SIZE} von {PAGE_SIZE + 20}" in body
    assert "?kind=recertification&amp;o=centre&amp;page=2" in body
    second = client.get(OFFICE_QUEUE, {"kind": AssessmentKind.RECERTIFICATION, "o": "centre", "page": "2"})
    names = [f"FZ Masse {i:04d}" for i in range(PAGE_SIZE + 20)]
    assert len(rows_of(second)) == 20
    assert names[PAGE_SIZE] in second.content.decode() and names[PAGE_SIZE - 1] not in second.content.decode()
    assert not messages_of(second)


@pytest.mark.parametrize("page", ["x", "0", "-1", "3", "99999", "1.5"])
@pytest.mark.parametrize("url", [OFFICE_QUEUE, MY_REVIEWS, CENTRES], ids=["office_queue", "my_reviews", "centre_list"])
def test_a_page_not_a_number_or_beyond_the_end_shows_the_first_page_with_a_message(client, olga, gabi, many, page, url):
    client.force_login(gabi if url == MY_REVIEWS else olga)
    response = client.get(url, {"page": page, "o": "centre"})
    assert response.status_code == 200
    first = client.get(url, {"o": "centre"})
    assert rows_of(response) == rows_of(first)
    assert messages_of(response) == [f"Die Seite „{page}“ wurde nicht erkannt; gezeigt wird die erste Seite."]
    assert "?o=centre&amp;page=2" in response.content.decode()  # the bad page is not carried on


@pytest.mark.parametrize(
    "params,label",
    [
        ({"state": "bogus"}, "Status"),
        ({"state": AssessmentState.CERTIFIED}, "Status"),  # a state, but not one of this queue
        ({"reviewer": "999999"}, "Gutachter:in"),
        ({"reviewer": "abc"}, "Gutachter:in"),
        ({"kind": "third"}, "Verfahren"),
        ({"verbund": "maybe"}, "Form"),
        ({"deadline": "yesterday"}, "Frist"),
        ({"seal": "7"}, "Gütesiegel"),
        ({"o": "price"}, "Sortierung"),
        ({"q": "x" * 101}, "Suche"),
    ],
    ids=lambda value: str(value)[:30],
)
def test_an_unknown_filter_value_is_named_and_left_out(client, olga, mixed, params, label):
    client.force_login(olga)
    response = client.get(OFFICE_QUEUE, {**params, "kind": params.get("kind", AssessmentKind.FIRST), "page": "2"})
    assert response.status_code == 200
    (message,) = messages_of(response)
    assert f"wurde als {label} nicht erkannt" in message
    # The other filters still apply, on the first page; the bad value travels no further.
    expected = {mixed[n].pk for n in ["overdue", "approaching", "verbund", "unassigned"]}
    if "kind" in params:
        expected = {assessment.pk for assessment in mixed.values()}
    assert set(rows_of(response)) == expected
    next_value = re.search(r'name="next" value="([^"]*)"', response.content.decode()).group(1)
    assert next_value == (OFFICE_QUEUE if "kind" in params else f"{OFFICE_QUEUE}?kind=first")


def test_unknown_parameters_are_ignored_and_not_carried_on(client, olga, mixed):
    client.force_login(olga)
    response = client.get(OFFICE_QUEUE, {"foo": "bar", "deadline": "overdue"})
    assert rows_of(response) == [mixed["overdue"].pk]
    assert not messages_of(response)
    # Not into the bulk form's way back (the language switch keeps the whole address, as everywhere).
    assert re.search(r'name="next" value="([^"]*)"', response.content.decode()).group(1) == (
        f"{OFFICE_QUEUE}?deadline=overdue"
    )


def test_a_valid_filter_gives_no_message(client, olga, mixed):
    client.force_login(olga)
    response = client.get(OFFICE_QUEUE, {"deadline": "overdue", "o": "-waiting", "page": "1"})
    assert rows_of(response) == [mixed["overdue"].pk]
    assert not messages_of(response)


# ---------------------------------------------------------------- queries do not grow with the population


def _queries(client, url, params=None) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url, params or {})
    assert response.status_code == 200
    assert len(rows_of(response)) == PAGE_SIZE
    return len(context.captured_queries)


@pytest.mark.parametrize(
    "url,who,params",
    [
        (OFFICE_QUEUE, "olga", {}),
        (OFFICE_QUEUE, "olga", {"q": "Masse", "deadline": "approaching", "o": "-state", "seal": "12"}),
        (MY_REVIEWS, "gabi", {}),
        (MY_REVIEWS, "gabi", {"o": "deadline", "role": "reviewer"}),
        (CENTRES, "olga", {}),
        (CENTRES, "olga", {"state": AssessmentState.IN_REVIEW, "o": "-submitted"}),
    ],
    ids=["office", "office-filtered", "reviewer", "reviewer-filtered", "centres", "centres-filtered"],
)
def test_one_page_costs_the_same_queries_at_100_and_at_300_assessments(
    client, request, mini_catalogue, gabi, zeno, olga, url, who, params
):
    populate(100, mini_catalogue, reviewer=gabi, second_reviewer=zeno)
    client.force_login(request.getfixturevalue(who))
    if params.get("deadline") == "approaching":
        # Enough approaching rows for a full page at both sizes.
        Assessment.objects.update(review_due=today() + timedelta(days=3))
    _queries(client, url, params)  # warm the per-process caches (content types, sessions)
    at_100 = _queries(client, url, params)
    populate(200, mini_catalogue, reviewer=gabi, second_reviewer=zeno, start=100)
    if params.get("deadline") == "approaching":
        Assessment.objects.update(review_due=today() + timedelta(days=3))
    at_300 = _queries(client, url, params)
    assert at_300 == at_100
    assert at_100 <= 15, at_100  # the bulk controls count workloads in three grouped queries


def test_the_filter_forms_empty_fields_are_not_carried_on(client, olga, mixed):
    client.force_login(olga)
    response = client.get(
        OFFICE_QUEUE, {"q": "", "state": "", "reviewer": "", "deadline": "overdue", "seal": "", "o": "submitted"}
    )
    assert rows_of(response) == [mixed["overdue"].pk]
    assert not messages_of(response)
    assert re.search(r'name="next" value="([^"]*)"', response.content.decode()).group(1) == (
        f"{OFFICE_QUEUE}?deadline=overdue&amp;o=submitted"
    )
