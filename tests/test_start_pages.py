"""The start page shows each persona its own section and nobody else's data,
built by the start-page selectors (assessments.selectors); no list is cut off
silently, and the number of queries does not grow with the number of rows."""

from __future__ import annotations

from datetime import date
from itertools import count

import pytest
from django.urls import reverse

from assessments.models import Assessment, AssessmentKind, AssessmentState
from assessments.selectors import (
    START_PAGE_LIMIT,
    CentreCard,
    centre_assessments,
    leitung_centre_cards,
    office_centres,
    partner_organisations,
    review_assignments,
    traeger_overview,
)
from certification.models import CatalogueVersion, Guetesiegel, MembershipRole
from tests.factories import (
    EinrichtungFactory,
    FamilienzentrumFactory,
    MembershipFactory,
    PartnerFactory,
    ReviewerFactory,
    TraegerFactory,
    UserFactory,
)

HOME = reverse("home")
# Session, user, 2FA device and the roles (up to five), plus each section's
# fixed few reads; measured: 6 (partner, reviewer) to 10 (Leitung, Träger).
MAX_START_PAGE_QUERIES = 12

SECTIONS = {
    "leitung": "Ihr Familienzentrum",
    "traeger": "Ihre Einrichtungen",
    "partner": "Ihre Organisation",
    "reviewer": "Ihre Begutachtungen",
    "office": "Alle Familienzentren",
    "none": "Ihrem Konto ist noch keine Rolle zugeordnet",
}


def start_page(client, user) -> str:
    client.force_login(user)
    response = client.get(HOME)
    assert response.status_code == 200
    return response.content.decode()


def assert_sections(body: str, *expected: str) -> None:
    for key, heading in SECTIONS.items():
        if key in expected:
            assert heading in body, f"section {key!r} missing"
        else:
            assert heading not in body, f"section {key!r} shown but must not be"


def test_anonymous_is_redirected_to_login(client, db):
    response = client.get(HOME)
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


def test_leitung_sees_own_centre_only(client, alice, centre, other_centre, partner_org):
    body = start_page(client, alice)
    assert_sections(body, "leitung")
    assert centre.name in body
    assert str(centre.site_links.get().site.name) in body
    assert other_centre.name not in body
    assert other_centre.traeger.name not in body
    assert partner_org.name not in body
    assert reverse("certification:catalogue_list") in body


def test_traeger_sees_its_sites_and_not_other_traeger(client, tina, centre, other_centre):
    spare_site = EinrichtungFactory(traeger=centre.traeger, name="Kita ohne Familienzentrum")
    body = start_page(client, tina)
    assert_sections(body, "traeger")
    assert centre.traeger.name in body
    assert centre.site_links.get().site.name in body
    assert centre.name in body
    assert spare_site.name in body
    assert other_centre.name not in body
    assert other_centre.site_links.get().site.name not in body
    assert other_centre.traeger.name not in body


def test_traeger_acting_as_leitung_also_gets_the_leitung_section(client, centre, other_centre):
    user = UserFactory()
    MembershipFactory(user=user, role=MembershipRole.TRAEGER, traeger=centre.traeger, can_act_as_leitung=True)
    body = start_page(client, user)
    assert_sections(body, "traeger", "leitung")
    assert other_centre.name not in body


def test_partner_sees_only_its_organisation(client, paula, partner_org, centre, other_centre):
    body = start_page(client, paula)
    assert_sections(body, "partner")
    assert partner_org.name in body
    assert centre.name not in body
    assert other_centre.name not in body


def test_reviewer_without_assignment_sees_no_centres(client, rita, centre, other_centre):
    body = start_page(client, rita)
    assert_sections(body, "reviewer")
    assert centre.name not in body
    assert other_centre.name not in body


def test_office_sees_all_familienzentren(client, olga, centre, other_centre):
    body = start_page(client, olga)
    assert_sections(body, "office")
    assert centre.name in body
    assert other_centre.name in body
    assert reverse("admin:index") in body


def test_user_without_role_sees_hint_and_no_data(client, centre, other_centre):
    body = start_page(client, UserFactory(full_name="Nora Niemand"))
    assert_sections(body, "none")
    assert "Willkommen, Nora Niemand" in body
    assert centre.name not in body
    assert other_centre.name not in body


@pytest.mark.parametrize("persona", ["alice", "tina", "paula", "rita", "olga"])
def test_start_page_query_count_is_bounded(
    client, persona, request, centre, other_centre, django_assert_max_num_queries
):
    user = request.getfixturevalue(persona)
    client.force_login(user)
    client.get(HOME)  # the first request starts the idle clock of reviewers and office staff (a session write)
    with django_assert_max_num_queries(MAX_START_PAGE_QUERIES):
        assert client.get(HOME).status_code == 200


# ---------------------------------------------------------------- helpers

_seal_numbers = count(1)


@pytest.fixture
def catalogue_version(db):
    """A bare catalogue version: the start page reads no criteria."""
    return CatalogueVersion.objects.create(
        code="startseite",
        version="1",
        title="Katalog für die Startseite",
        valid_from=date(2020, 8, 1),
        source_name="startseite.yaml",
        source_sha256="0" * 64,
    )


def make_assessment(centre, catalogue, *, state=AssessmentState.IN_REVIEW, reviewer=None, second_reviewer=None):
    """An assessment in `state`, written directly: the start page only reads it."""
    return Assessment.objects.create(
        familienzentrum=centre,
        catalogue=catalogue,
        kind=AssessmentKind.FIRST,
        state=state,
        reviewer=reviewer,
        second_reviewer=second_reviewer,
        review_period_start=date(2026, 8, 1),
        review_period_end=date(2027, 1, 31),
        created_by=reviewer or UserFactory(),
    )


def make_seal(centre):
    return Guetesiegel.objects.create(
        familienzentrum=centre,
        number=f"FZ-TEST-{next(_seal_numbers):05d}",
        valid_from=date(2025, 8, 1),
        valid_until=date(2029, 7, 31),
        snapshot_sha256="0" * 64,
    )


def assigned_to(user, catalogue, how_many: int, *, traeger=None) -> list[Assessment]:
    """`how_many` assessments, each of its own centre, with `user` as reviewer
    (even ones) or second reviewer (odd ones)."""
    traeger = traeger or TraegerFactory()
    first = UserFactory()
    assessments = []
    for number in range(how_many):
        centre = FamilienzentrumFactory(traeger=traeger)
        if number % 2:
            assessments.append(
                make_assessment(
                    centre, catalogue, state=AssessmentState.RECOMMENDED, reviewer=first, second_reviewer=user
                )
            )
        else:
            assessments.append(make_assessment(centre, catalogue, reviewer=user))
    return assessments


# ---------------------------------------------------------------- selectors per role


def test_leitung_cards_hold_open_latest_seal_and_recertify(alice, centre, other_centre, catalogue_version):
    make_assessment(other_centre, catalogue_version, state=AssessmentState.DRAFT)
    [card] = leitung_centre_cards(alice)
    assert card == CentreCard(
        centre=centre, open_assessment=None, latest_assessment=None, seal=None, can_recertify=False
    )

    certified = make_assessment(centre, catalogue_version, state=AssessmentState.CERTIFIED)
    seal = make_seal(centre)
    [card] = leitung_centre_cards(alice)
    assert (card.open_assessment, card.latest_assessment, card.seal, card.can_recertify) == (
        None,
        certified,
        seal,
        True,
    )

    recertification = make_assessment(centre, catalogue_version, state=AssessmentState.DRAFT)
    [card] = leitung_centre_cards(alice)
    assert card.open_assessment == recertification == card.latest_assessment
    assert card.seal == seal and not card.can_recertify


def test_leitung_card_after_a_withdrawn_cycle_offers_no_recertification(alice, centre, catalogue_version):
    make_assessment(centre, catalogue_version, state=AssessmentState.CERTIFIED)
    withdrawn = make_assessment(centre, catalogue_version, state=AssessmentState.WITHDRAWN)
    [card] = leitung_centre_cards(alice)
    assert card.latest_assessment == withdrawn and card.open_assessment is None
    assert not card.can_recertify


def test_traeger_acting_as_leitung_finds_every_open_assessment_beyond_fifty(
    centre, catalogue_version, django_assert_max_num_queries
):
    """The old page looked for open assessments among the 50 latest only."""
    user = UserFactory()
    MembershipFactory(user=user, role=MembershipRole.TRAEGER, traeger=centre.traeger, can_act_as_leitung=True)
    centres = [centre] + [FamilienzentrumFactory(traeger=centre.traeger) for _ in range(59)]
    opened = {c.pk: make_assessment(c, catalogue_version, state=AssessmentState.DRAFT) for c in centres}
    # Sixty newer, closed assessments of sixty more centres push the drafts out of any "latest 50".
    for _ in centres:
        make_assessment(
            FamilienzentrumFactory(traeger=centre.traeger), catalogue_version, state=AssessmentState.WITHDRAWN
        )
    with django_assert_max_num_queries(7):  # the roles (2), then centres, sites, assessments, seals, last states
        cards = leitung_centre_cards(user)
    assert len(cards) == 120
    by_centre = {card.centre.pk: card for card in cards}
    assert all(by_centre[pk].open_assessment == assessment for pk, assessment in opened.items())


def test_traeger_overview_lists_own_sites_centres_and_seals_only(tina, centre, other_centre):
    spare_site = EinrichtungFactory(traeger=centre.traeger, name="Kita ohne Familienzentrum")
    seal = make_seal(centre)
    make_seal(other_centre)
    overview = traeger_overview(tina)
    assert overview.traeger == (centre.traeger,)
    assert set(overview.sites) == {centre.site_links.get().site, spare_site}
    assert [(row.centre, row.seal) for row in overview.centres] == [(centre, seal)]


def test_review_assignments_are_each_listed_once_with_the_role(rita, catalogue_version, other_centre):
    mine = assigned_to(rita, catalogue_version, 4)
    make_assessment(other_centre, catalogue_version, reviewer=UserFactory())  # someone else's
    listing = review_assignments(rita)
    assert listing.total == 4 and listing.is_complete
    assert sorted(row.assessment.pk for row in listing.rows) == sorted(a.pk for a in mine)
    for row in listing.rows:
        as_second = row.assessment.second_reviewer_id == rita.pk
        assert row.as_second_reviewer is as_second
        assert row.awaits_decision is as_second  # the odd ones are recommended, rita confirms


def test_review_assignments_beyond_the_limit_keep_their_total(rita, catalogue_version):
    assigned_to(rita, catalogue_version, START_PAGE_LIMIT + 10)
    first = review_assignments(rita)
    assert (len(first.rows), first.total, first.is_complete) == (START_PAGE_LIMIT, START_PAGE_LIMIT + 10, False)
    everything = review_assignments(rita, limit=None)
    assert (len(everything.rows), everything.total, everything.is_complete) == (60, 60, True)
    assert len({row.assessment.pk for row in everything.rows}) == 60


def test_partner_organisations_are_the_users_own(paula, partner_org):
    PartnerFactory(name="Andere Beratungsstelle")
    assert partner_organisations(paula) == (partner_org,)


def test_office_centres_are_all_with_their_seals(olga, centre, other_centre):
    seal = make_seal(other_centre)
    listing = office_centres(olga)
    assert listing.total == 2 and listing.is_complete
    assert {row.centre: row.seal for row in listing.rows} == {centre: None, other_centre: seal}


def test_centre_assessments_are_scoped_and_leave_out_own_assignments(
    tina, olga, centre, other_centre, catalogue_version
):
    own = make_assessment(centre, catalogue_version)
    foreign = make_assessment(other_centre, catalogue_version)
    assert centre_assessments(tina).rows == (own,)
    assert set(centre_assessments(olga).rows) == {own, foreign}
    # Office staff who also review: their assignments are in the reviewer's list, not here again.
    ReviewerFactory(user=olga)
    Assessment.objects.filter(pk=foreign.pk).update(reviewer=olga)
    olga = type(olga).objects.get(pk=olga.pk)  # roles are cached per user object
    assert centre_assessments(olga).rows == (own,)
    assert [row.assessment for row in review_assignments(olga).rows] == [foreign]


# ---------------------------------------------------------------- the page


def rows_linking(body: str, url: str) -> int:
    return body.count(f'href="{url}"')


def assignment_url(assessment, reviewer) -> str:
    """Where the reviewer's list links an assignment: the decision when it awaits the reviewer's confirmation."""
    view = "assessments:decision" if assessment.second_reviewer_id == reviewer.pk else "assessments:review"
    return reverse(view, args=[assessment.pk])


def test_reviewer_with_sixty_assignments_reaches_all_of_them_each_once(rita, client, catalogue_version):
    assessments = assigned_to(rita, catalogue_version, 60)
    body = start_page(client, rita)
    assert "Angezeigt werden die 50 zuletzt geänderten von 60." in body
    # "All" leads to the reviewer's paginated queue (issue 12); ?alle=1 still lists every row here.
    assert f'href="{reverse("assessments:my_reviews")}"' in body and "Alle 60 Begutachtungen anzeigen" in body
    assert sum(rows_linking(body, assignment_url(a, rita)) for a in assessments) == START_PAGE_LIMIT
    assert 'aria-labelledby="assessments-heading"' not in body  # no second table with the same rows

    full = client.get(HOME, {"alle": "1"}).content.decode()
    assert all(rows_linking(full, assignment_url(a, rita)) == 1 for a in assessments)
    assert all(rows_linking(full, reverse("assessments:detail", args=[a.pk])) == 0 for a in assessments)
    assert "Alle 60 Begutachtungen anzeigen" not in full


def test_reviewer_page_never_shows_foreign_assignments(rita, client, catalogue_version, centre, other_centre):
    assigned_to(rita, catalogue_version, 2)
    make_assessment(centre, catalogue_version, reviewer=UserFactory())
    make_assessment(other_centre, catalogue_version, reviewer=UserFactory(), second_reviewer=UserFactory())
    body = start_page(client, rita)
    assert centre.name not in body and other_centre.name not in body
    assert "Angezeigt werden" not in body


@pytest.mark.parametrize("persona", ["alice", "tina", "olga"])
def test_foreign_centres_never_appear(client, persona, request, centre, other_centre, catalogue_version):
    """alice and tina see their centre's assessment and never the other one's;
    the office sees both."""
    user = request.getfixturevalue(persona)
    make_assessment(centre, catalogue_version, state=AssessmentState.DRAFT)
    foreign = make_assessment(other_centre, catalogue_version, state=AssessmentState.DRAFT)
    make_seal(other_centre)
    body = start_page(client, user)
    assert centre.name in body
    if persona == "olga":
        assert other_centre.name in body and reverse("assessments:detail", args=[foreign.pk]) in body
    else:
        assert other_centre.name not in body
        assert reverse("assessments:detail", args=[foreign.pk]) not in body
        assert other_centre.traeger.name not in body


def test_office_with_many_centres_sees_the_total_and_the_link(client, olga, catalogue_version):
    traeger = TraegerFactory()
    for _ in range(START_PAGE_LIMIT + 5):
        make_assessment(FamilienzentrumFactory(traeger=traeger), catalogue_version)
    body = start_page(client, olga)
    assert "Angezeigt werden die ersten 50 von 55, nach Name." in body
    assert "Alle 55 Familienzentren anzeigen" in body and "Alle 55 Selbstbewertungen anzeigen" in body
    full = client.get(HOME, {"alle": "1"}).content.decode()
    assert all(
        reverse("assessments:detail", args=[pk]) in full for pk in Assessment.objects.values_list("pk", flat=True)
    )
    assert "Angezeigt werden" not in full


def grow_visible_assessments(persona: str, user, centre, catalogue, to: int) -> None:
    """Give `user` `to` assessments that its start page shows, for its role."""
    if persona == "alice":  # one open cycle, a seal, and closed cycles
        if not Assessment.objects.filter(familienzentrum=centre).exists():
            make_seal(centre)
            make_assessment(centre, catalogue, state=AssessmentState.DRAFT)
        for _ in range(Assessment.objects.filter(familienzentrum=centre).count(), to):
            make_assessment(centre, catalogue, state=AssessmentState.WITHDRAWN)
        return
    if persona == "rita":
        assigned_to(user, catalogue, to - Assessment.objects.count())
        return
    # Träger staff see their Träger's centres; the office (and, invisibly, the partner) sees everyone's.
    for _ in range(Assessment.objects.count(), to):
        grown = FamilienzentrumFactory(traeger=centre.traeger)
        make_seal(grown)
        make_assessment(grown, catalogue)


@pytest.mark.parametrize("persona", ["alice", "tina", "paula", "rita", "olga"])
def test_start_page_queries_do_not_grow_from_3_to_30_assessments(
    client, persona, request, centre, other_centre, catalogue_version, django_assert_max_num_queries
):
    user = request.getfixturevalue(persona)
    client.force_login(user)
    client.get(HOME)  # the first request starts the idle clock of reviewers and office staff (a session write)
    counts = []
    for how_many in (3, 30):
        grow_visible_assessments(persona, user, centre, catalogue_version, how_many)
        with django_assert_max_num_queries(MAX_START_PAGE_QUERIES) as captured:
            body = client.get(HOME).content.decode()
        counts.append(len(captured))
    assert counts[0] == counts[1], counts
    assert Assessment.objects.count() >= 30
    if persona in {"tina", "olga"}:  # and all 30 are on it
        assert all(
            reverse("assessments:detail", args=[pk]) in body for pk in Assessment.objects.values_list("pk", flat=True)
        )
    if persona == "rita":
        assert all(rows_linking(body, assignment_url(a, user)) == 1 for a in Assessment.objects.all())
