"""Assigning reviewers at volume (issue 12, item 4): each reviewer's workload
against counts made by hand, conflicts shown before choosing, the bulk
assignment with its refusals (decided meanwhile, assigned meanwhile, a
conflict, a foreign id), nothing half-done per item, a double submit, the
permission table of the bulk view and its `next` kept on this site."""

from __future__ import annotations

import re
from datetime import date, timedelta
from itertools import count

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.template import engines
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assessments import handoffs, services
from assessments.assignment_selectors import reviewers_for_assessment, reviewers_with_workload
from assessments.models import Assessment, AssessmentEvent, AssessmentKind, AssessmentState, SiteVisit
from certification.models import CatalogueVersion, Membership, MembershipRole
from notifications.models import Notification, NotificationKind
from tests.assessments.test_concurrency import run_together, services_up  # noqa: F401 - a fixture
from tests.factories import EinrichtungFactory, FamilienzentrumFactory, ReviewerFactory, TraegerFactory, UserFactory

_names = count(1)


@pytest.fixture
def bare_catalogue(db):
    """A catalogue version without criteria: assignment reads none."""
    return CatalogueVersion.objects.create(
        code="zuweisung",
        version="1",
        title="Katalog für die Zuweisung",
        valid_from=date(2020, 8, 1),
        source_name="zuweisung.yaml",
        source_sha256="0" * 64,
    )


@pytest.fixture
def make(bare_catalogue):
    """An assessment of its own new centre in `state`, written directly (the
    cycle before it is not what these tests are about)."""

    def build(state=AssessmentState.SUBMITTED, *, reviewer=None, second=None, traeger=None, centre=None, name=None):
        centre = centre or FamilienzentrumFactory(
            traeger=traeger or TraegerFactory(), name=name or f"Familienzentrum Nr. {next(_names)}"
        )
        return Assessment.objects.create(
            familienzentrum=centre,
            catalogue=bare_catalogue,
            kind=AssessmentKind.RECERTIFICATION,
            state=state,
            reviewer=reviewer,
            second_reviewer=second,
            review_period_start=date(2026, 1, 1),
            review_period_end=date(2027, 1, 31),
            created_by=reviewer or UserFactory(),
        )

    return build


@pytest.fixture
def zora(db):
    """A second confirmer beside zeno."""
    return ReviewerFactory(user=UserFactory(email="zora@example.org", full_name="Zora Zweit"), may_confirm=True).user


def visit(assessment, *, days: int, done: bool = False) -> SiteVisit:
    now = timezone.now()
    return SiteVisit.objects.create(
        assessment=assessment, scheduled_for=now + timedelta(days=days), done_at=now if done else None
    )


def state_of(assessment) -> tuple:
    row = Assessment.objects.get(pk=assessment.pk)
    return row.state, row.reviewer_id, row.second_reviewer_id


def assigned_rows(assessment) -> list[Notification]:
    return list(
        Notification.objects.filter(kind=NotificationKind.REVIEWERS_ASSIGNED, link__contains=f"/{assessment.pk}/")
    )


def by_pk(users) -> dict:
    return {user.pk: user for user in users}


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


# ------------------------------------------------------------------ workload


@pytest.fixture
def gabis_load(make, gabi, zeno, rita):
    """By hand: gabi reviews 3 open assessments (in review, queries open,
    recommended) and 2 closed ones; she is second reviewer of 2 open ones and
    1 certified. Of the visits only one is planned: ahead, not done, of an
    open review."""
    in_review = make(AssessmentState.IN_REVIEW, reviewer=gabi, second=zeno)
    queried = make(AssessmentState.CHANGES_REQUESTED, reviewer=gabi, second=zeno)
    make(AssessmentState.RECOMMENDED, reviewer=gabi, second=zeno)
    certified = make(AssessmentState.CERTIFIED, reviewer=gabi, second=zeno)
    withdrawn = make(AssessmentState.WITHDRAWN, reviewer=gabi, second=zeno)
    make(AssessmentState.IN_REVIEW, reviewer=rita, second=gabi)
    make(AssessmentState.RECOMMENDED, reviewer=zeno, second=gabi)
    make(AssessmentState.CERTIFIED, reviewer=zeno, second=gabi)
    visit(in_review, days=5)  # planned
    visit(queried, days=-2)  # its date passed, not recorded as done: not planned any more
    visit(withdrawn, days=5)  # of a review that ended
    visit(certified, days=3, done=True)
    return in_review


def test_workload_matches_the_hand_count(gabis_load, gabi, zeno, rita):
    people = by_pk(reviewers_with_workload())

    def load(user) -> tuple[int, int, int]:
        person = people[user.pk]
        return person.open_reviews, person.open_confirmations, person.planned_visits

    assert (load(gabi), load(zeno), load(rita)) == ((3, 2, 1), (1, 3, 0), (1, 0, 0))
    assert people[gabi.pk].workload_label == "Gabi Gutachterin – 3 offen, 1 Begehung, 2 Bestätigungen"
    assert people[rita.pk].workload_label == "Rita Gutachterin – 1 offen, 0 Begehungen"
    # Only confirmers with `confirmers`, and nobody outside the active pool.
    assert set(by_pk(reviewers_with_workload(confirmers=True))) == {zeno.pk}
    ReviewerFactory(user=UserFactory(email="ruhend@example.org"), is_active=False)
    assert "ruhend@example.org" not in {user.email for user in reviewers_with_workload()}


def test_workload_is_three_queries_whatever_the_pool_and_the_population(make, gabi, zeno, rita):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            reviewers_with_workload()
        return len(captured)

    small = queries()
    for _number in range(4):
        extra = ReviewerFactory(may_confirm=True).user
        for state in (AssessmentState.IN_REVIEW, AssessmentState.RECOMMENDED):
            visit(make(state, reviewer=extra, second=zeno), days=4)
    assert small == queries() == 3  # the pool, then the reviews per pair of reviewers and the visits


# ------------------------------------------------------------------ the assign page


def cells(row: str) -> list[str]:
    """The texts of a workload row's first four data cells."""
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)][:4]


def test_the_assign_page_shows_workload_and_conflicts_before_choosing(
    client, olga, make, gabi, zeno, rita, tina, centre, bare_catalogue
):
    ReviewerFactory(user=tina, may_confirm=True)  # staff of the centre's Träger
    ReviewerFactory(user=UserFactory(email="ruhend@example.org", full_name="Ruth Ruhend"), is_active=False)
    make(AssessmentState.IN_REVIEW, reviewer=gabi, second=zeno)
    make(AssessmentState.CERTIFIED, reviewer=rita, second=zeno, centre=centre)  # the previous cycle
    assessment = make(centre=FamilienzentrumFactory(traeger=centre.traeger))
    previous_cycle = make(centre=centre)
    client.force_login(olga)

    body = client.get(reverse("assessments:assign", args=[previous_cycle.pk])).content.decode()
    # Each person's row: open reviews, open confirmations, visits planned.
    rows = {row.split("</th>")[0]: row for row in body.split('<th scope="row"')[1:]}
    (gabis,) = [row for head, row in rows.items() if "Gabi Gutachterin" in head]
    (zenos,) = [row for head, row in rows.items() if "Zeno Zweit" in head]
    assert cells(gabis) == ["1", "0", "0", "nein"] and cells(zenos) == ["0", "1", "0", "darf bestätigen"]
    assert f'<option value="{gabi.pk}">Gabi Gutachterin (gabi@example.org)</option>' in body
    # The tied person is listed with the conflict, never offered.
    assert "Tina Träger" in body and "mit dem Träger verbunden" in body and "nicht wählbar" in body
    assert f'<option value="{tina.pk}"' not in body
    # rita reviewed this centre's earlier cycle: a hint, still offered.
    assert "hat einen früheren Zyklus begutachtet" in body
    assert f'<option value="{rita.pk}">' in body
    assert "Ruth Ruhend" not in body  # inactive: not offered, not listed

    # Another centre of the same Träger: the tie holds, the hint does not.
    body = client.get(reverse("assessments:assign", args=[assessment.pk])).content.decode()
    assert "mit dem Träger verbunden" in body and "hat einen früheren Zyklus begutachtet" not in body


def test_the_assign_page_costs_the_same_queries_for_a_bigger_pool(client, olga, make, gabi, zeno):
    assessment = make()
    client.force_login(olga)
    url = reverse("assessments:assign", args=[assessment.pk])

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    queries()  # the session's first request reads more (the user's roles, the bell)
    small = queries()
    for _number in range(5):
        extra = ReviewerFactory(may_confirm=True).user
        make(AssessmentState.IN_REVIEW, reviewer=extra, second=zeno)
    assert queries() == small


def test_a_tied_reviewer_flag_comes_from_the_centres_sites_too(make, gabi, zeno):
    traeger = TraegerFactory()
    assessment = make(traeger=traeger)
    Membership.objects.create(user=gabi, role=MembershipRole.LEITUNG, site=EinrichtungFactory(traeger=traeger))
    people = by_pk(reviewers_for_assessment(assessment))
    assert people[gabi.pk].tied and not people[zeno.pk].tied


def test_the_single_assignment_names_a_decided_state(client, olga, make, gabi, zeno):
    assessment = make(AssessmentState.CERTIFIED)
    client.force_login(olga)
    response = client.post(
        reverse("assessments:assign", args=[assessment.pk]), {"reviewer": gabi.pk, "second_reviewer": zeno.pk}
    )
    assert "bereits abgeschlossen (zertifiziert)" in response.content.decode()
    assert state_of(assessment) == (AssessmentState.CERTIFIED, None, None)


# ------------------------------------------------------------------ bulk assignment (service)


def test_bulk_assign_assigns_each_and_tells_each_reviewer(make, olga, gabi, zeno, django_capture_on_commit_callbacks):
    items = [make() for _number in range(3)]
    with django_capture_on_commit_callbacks(execute=True):
        result = services.bulk_assign(
            user=olga, assessment_ids=[item.pk for item in items], reviewer=gabi, second_reviewer=zeno
        )
    assert [item.pk for item in result.assigned] == [item.pk for item in items] and result.refused == []
    for item in items:
        assert state_of(item) == (AssessmentState.IN_REVIEW, gabi.pk, zeno.pk)
        assert {row.recipient for row in assigned_rows(item)} == {gabi, zeno}
        assert AssessmentEvent.objects.filter(assessment=item, action="assign", actor=olga).count() == 1
    assert Notification.objects.filter(recipient=gabi, kind=NotificationKind.REVIEWERS_ASSIGNED).count() == 3


def test_bulk_assign_does_what_it_can_and_names_each_refusal(make, olga, gabi, zeno, rita):
    fine = make(name="Familienzentrum Sonnenschein")
    decided = make(AssessmentState.CERTIFIED, name="Familienzentrum Entschieden")
    taken = make(AssessmentState.IN_REVIEW, reviewer=rita, second=zeno, name="Familienzentrum Vergeben")
    tied_traeger = TraegerFactory()
    Membership.objects.create(user=gabi, role=MembershipRole.LEITUNG, site=EinrichtungFactory(traeger=tied_traeger))
    conflicted = make(traeger=tied_traeger, name="Familienzentrum Verbunden")
    draft = make(AssessmentState.DRAFT, name="Familienzentrum Entwurf")
    before = {item.pk: state_of(item) for item in (decided, taken, conflicted, draft)}

    result = services.bulk_assign(
        user=olga,
        assessment_ids=[fine.pk, decided.pk, taken.pk, conflicted.pk, draft.pk, 987654],
        reviewer=gabi,
        second_reviewer=zeno,
    )

    assert [item.pk for item in result.assigned] == [fine.pk]
    reasons = {refusal.name: refusal.reason for refusal in result.refused}
    assert reasons == {
        "Familienzentrum Entschieden": "Die Selbstbewertung ist bereits abgeschlossen (zertifiziert).",
        "Familienzentrum Vergeben": "Die Begutachtung ist inzwischen vergeben an Rita Gutachterin (in Begutachtung).",
        "Familienzentrum Verbunden": "Gabi Gutachterin ist mit dem Träger dieses Familienzentrums verbunden "
        "und darf nicht begutachten.",
        "Familienzentrum Entwurf": "Der Status hat sich inzwischen geändert (Entwurf); zuweisen lässt sich nur "
        "eine eingereichte.",
        "Nr. 987654": "nicht gefunden oder nicht sichtbar",
    }
    # Each refused row exactly as it was, without an event or a message.
    for item in (decided, taken, conflicted, draft):
        assert state_of(item) == before[item.pk]
        assert not AssessmentEvent.objects.filter(assessment=item, action="assign").exists()
        assert assigned_rows(item) == []


def test_an_item_refused_late_leaves_nothing_half_done(make, olga, gabi, zeno, monkeypatch):
    """A refusal after the state was saved and the event written (here: in the
    hand-off) rolls back that item's whole transaction, and only that one."""
    first, second, third = make(), make(), make()
    real = handoffs.after_transition

    def fail_for_second(event):
        if event.assessment_id == second.pk:
            raise services.TransitionRefused("Die Selbstbewertung wurde gerade von jemand anderem geändert.")
        real(event)

    monkeypatch.setattr(handoffs, "after_transition", fail_for_second)
    result = services.bulk_assign(
        user=olga, assessment_ids=[first.pk, second.pk, third.pk], reviewer=gabi, second_reviewer=zeno
    )
    assert [item.pk for item in result.assigned] == [first.pk, third.pk]
    assert state_of(second) == (AssessmentState.SUBMITTED, None, None)
    assert not AssessmentEvent.objects.filter(assessment=second).exists()
    assert assigned_rows(second) == []
    assert {row.recipient for row in assigned_rows(third)} == {gabi, zeno}


def test_a_second_identical_bulk_assignment_assigns_nothing_twice(make, olga, gabi, zeno):
    items = [make(), make()]
    ids = [item.pk for item in items]
    services.bulk_assign(user=olga, assessment_ids=ids, reviewer=gabi, second_reviewer=zeno)
    messages_before = Notification.objects.count()
    events_before = AssessmentEvent.objects.count()

    again = services.bulk_assign(user=olga, assessment_ids=ids + ids, reviewer=gabi, second_reviewer=zeno)

    assert again.assigned == [] and len(again.refused) == 2  # duplicates counted once
    assert all("inzwischen vergeben an Gabi Gutachterin" in refusal.reason for refusal in again.refused)
    assert (Notification.objects.count(), AssessmentEvent.objects.count()) == (messages_before, events_before)


def test_without_a_second_reviewer_the_least_loaded_independent_confirmer_confirms(make, olga, gabi, zeno, zora, rita):
    make(AssessmentState.IN_REVIEW, reviewer=rita, second=zeno)  # zeno has one confirmation open
    tied_traeger = TraegerFactory()
    Membership.objects.create(user=zora, role=MembershipRole.TRAEGER, traeger=tied_traeger)
    free, tied, other = make(), make(traeger=tied_traeger), make()

    result = services.bulk_assign(user=olga, assessment_ids=[free.pk, tied.pk, other.pk], reviewer=gabi)

    assert result.refused == []
    assert state_of(free)[2] == zora.pk  # 0 open before
    assert state_of(tied)[2] == zeno.pk  # zora is tied to this Träger
    # zora now has 1 open, zeno 2: zora again.
    assert state_of(other)[2] == zora.pk


def test_without_any_independent_confirmer_the_item_is_refused(make, olga, zeno):
    """zeno, the only confirmer, is the chosen reviewer: nobody may confirm."""
    item = make(name="Familienzentrum Allein")
    result = services.bulk_assign(user=olga, assessment_ids=[item.pk], reviewer=zeno)
    assert [(refusal.name, refusal.reason) for refusal in result.refused] == [
        ("Familienzentrum Allein", "Keine unabhängige Zweitgutachter:in verfügbar.")
    ]
    assert state_of(item) == (AssessmentState.SUBMITTED, None, None)


def test_someone_outside_the_office_assigns_nothing(make, alice, centre, gabi, zeno):
    own = make(centre=centre)
    result = services.bulk_assign(user=alice, assessment_ids=[own.pk], reviewer=gabi, second_reviewer=zeno)
    assert result.assigned == [] and "nicht berechtigt" in result.refused[0].reason
    assert state_of(own) == (AssessmentState.SUBMITTED, None, None)


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("services_up")
def test_two_simultaneous_bulk_assignments_assign_each_item_once(settings, make, olga, gabi, rita, zeno):
    """On PostgreSQL, where the row locks are real: two offices' clicks at the
    same moment, over the same items in opposite order, assign each item once."""
    settings.CELERY_TASK_ALWAYS_EAGER = True  # the messages' rows are what counts, not the worker
    items = [make() for _number in range(3)]
    ids = [item.pk for item in items]
    results = run_together(
        lambda: services.bulk_assign(user=olga, assessment_ids=ids, reviewer=gabi, second_reviewer=zeno),
        lambda: services.bulk_assign(user=olga, assessment_ids=ids[::-1], reviewer=rita, second_reviewer=zeno),
    )
    assert all(isinstance(result, services.BulkAssignment) for result in results), results
    assert sum(len(result.assigned) for result in results) == 3
    assert sum(len(result.refused) for result in results) == 3
    for item in items:
        assert AssessmentEvent.objects.filter(assessment=item, action="assign").count() == 1
        assert len(assigned_rows(item)) == 2


# ------------------------------------------------------------------ bulk assignment (view)


BULK = "assessments:bulk_assign"
PERSONAS = ["alice", "tina", "paula", "rita", "gabi", "zeno", "olga", "anonymous"]


@pytest.mark.parametrize("who", PERSONAS)
def test_only_the_office_may_bulk_assign(client, request, who, make, gabi, zeno, centre):
    item = make(centre=centre)
    if who != "anonymous":
        client.force_login(request.getfixturevalue(who))
    response = client.post(
        reverse(BULK), {"assessment": [item.pk], "reviewer": gabi.pk, "second_reviewer": zeno.pk, "next": "/"}
    )
    if who == "olga":
        assert response.status_code == 302 and response.url == "/"
        assert state_of(item) == (AssessmentState.IN_REVIEW, gabi.pk, zeno.pk)
        return
    expected = 302 if who == "anonymous" else 404
    assert response.status_code == expected
    if who == "anonymous":
        assert response.url.startswith(reverse("accounts:login"))
    assert state_of(item) == (AssessmentState.SUBMITTED, None, None)
    assert not Notification.objects.filter(kind=NotificationKind.REVIEWERS_ASSIGNED).exists()


def test_the_view_answers_with_one_success_and_one_list_of_refusals(client, olga, make, gabi, zeno):
    fine = [make(), make()]
    decided = make(AssessmentState.WITHDRAWN, name="Familienzentrum Zurückgezogen")
    queue = reverse("assessments:review_overview") + "?state=submitted&page=2"
    client.force_login(olga)
    response = client.post(
        reverse(BULK),
        {
            "assessment": [fine[0].pk, decided.pk, fine[1].pk, 424242],
            "reviewer": gabi.pk,
            "second_reviewer": zeno.pk,
            "next": queue,
        },
    )
    assert response.status_code == 302 and response.url == queue
    success, refusals = messages_of(response)
    assert success == "2 Selbstbewertungen sind Gabi Gutachterin zugewiesen."
    assert refusals.startswith("2 Selbstbewertungen wurden nicht zugewiesen und bleiben unverändert:")
    assert "<li>Familienzentrum Zurückgezogen: Die Selbstbewertung ist bereits abgeschlossen" in refusals
    assert "<li>Nr. 424242: nicht gefunden oder nicht sichtbar</li>" in refusals


def test_a_centre_name_in_a_refusal_is_escaped(client, olga, make, gabi, zeno):
    item = make(AssessmentState.CERTIFIED, name="Kita <b>Fett</b>")
    client.force_login(olga)
    response = client.post(reverse(BULK), {"assessment": [item.pk], "reviewer": gabi.pk, "second_reviewer": zeno.pk})
    (message,) = messages_of(response)
    assert "Kita &lt;b&gt;Fett&lt;/b&gt;" in message and "<b>" not in message


def test_a_double_submit_through_the_view_assigns_and_tells_once(
    client, olga, make, gabi, zeno, django_capture_on_commit_callbacks
):
    item = make()
    data = {"assessment": [item.pk], "reviewer": gabi.pk, "second_reviewer": zeno.pk}
    client.force_login(olga)
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(reverse(BULK), data)
        assert messages_of(first) == ["1 Selbstbewertung ist Gabi Gutachterin zugewiesen."]
        client.get(first.url)  # the queue shows (and so uses up) the message
        second = client.post(reverse(BULK), data)
    (refusal,) = messages_of(second)
    assert "inzwischen vergeben an Gabi Gutachterin" in refusal
    assert len(assigned_rows(item)) == 2  # gabi and zeno, once each
    assert AssessmentEvent.objects.filter(assessment=item, action="assign").count() == 1


@pytest.mark.parametrize(
    "data,message",
    [
        ({}, "Es ist keine Selbstbewertung ausgewählt"),
        ({"assessment": ["7", "sieben"]}, "Die Auswahl enthält einen ungültigen Eintrag."),
        ({"reviewer": ""}, "Bitte wählen Sie eine Gutachter:in."),
        ({"reviewer": "999999"}, "gehört nicht (mehr) zum aktiven Gutachter:innen-Pool"),
        ({"second_reviewer": "gabi"}, "darf nicht (mehr) als Zweitgutachter:in bestätigen"),
    ],
    ids=["nothing-selected", "not-a-number", "no-reviewer", "unknown-reviewer", "not-a-confirmer"],
)
def test_bad_input_gets_a_message_and_changes_nothing(client, olga, make, gabi, zeno, data, message):
    item = make()
    fields = {"assessment": [item.pk], "reviewer": gabi.pk, "second_reviewer": zeno.pk}
    if "assessment" in data or not data:
        fields["assessment"] = data.get("assessment", [])
    if data.get("second_reviewer") == "gabi":
        data = {"second_reviewer": gabi.pk}  # in the pool, but may not confirm
    fields.update({key: value for key, value in data.items() if key != "assessment"})
    client.force_login(olga)
    response = client.post(reverse(BULK), fields)
    assert response.status_code == 302 and response.url == reverse("assessments:review_overview")
    assert any(message in text for text in messages_of(response))
    assert state_of(item) == (AssessmentState.SUBMITTED, None, None)


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/begutachtungen/", "/\\evil.example", "javascript:alert(1)", "http:/x"],
)
def test_next_never_leads_off_the_site(client, olga, target):
    client.force_login(olga)
    response = client.post(reverse(BULK), {"next": target})
    assert response.status_code == 302 and response.url == reverse("assessments:review_overview")


def test_a_get_lands_on_the_queue(client, olga):
    client.force_login(olga)
    response = client.get(reverse(BULK))
    assert response.status_code == 302 and response.url == reverse("assessments:review_overview")


# ------------------------------------------------------------------ the controls the queue includes


def test_the_bulk_controls_offer_each_reviewer_with_its_workload(rf: RequestFactory, make, gabi, zeno, olga):
    make(AssessmentState.IN_REVIEW, reviewer=gabi, second=zeno)
    request = rf.get("/")
    request.user = olga
    template = engines["django"].from_string('{% include "assessments/queues/_bulk_assign_controls.html" %}')
    with CaptureQueriesContext(connection) as captured:
        html = template.render({}, request)
    assert len(captured) == 3  # the pool, the reviews per pair of reviewers, the visits
    assert f'<option value="{gabi.pk}">Gabi Gutachterin – 1 offen, 0 Begehungen</option>' in html
    # The second reviewer's choice holds confirmers only, and "automatic" first.
    second = html.split('name="second_reviewer"')[1]
    assert "automatisch: geringste Auslastung" in second
    assert f'value="{zeno.pk}"' in second and f'value="{gabi.pk}"' not in second
    assert f'formaction="{reverse(BULK)}"' in html and "Ausgewählte zuweisen" in html
