"""Reads of the assessments app: scoped to the user who asks, and the reads
of the review screens."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Case, DateField, F, OuterRef, Prefetch, Q, QuerySet, Subquery, When
from django.utils import timezone
from django.utils.text import slugify

from assessments.models import (
    OPEN_STATES,
    Assessment,
    AssessmentEvent,
    AssessmentState,
    CriterionVerdict,
    EventAction,
    EvidenceLink,
    Submission,
    Verdict,
)
from certification.models import (
    Area,
    Criterion,
    Einrichtung,
    Familienzentrum,
    FamilienzentrumSite,
    Guetesiegel,
    Kooperationspartner,
    Traeger,
)
from certification.selectors import (
    current_seal_by_centre,
    familienzentren_for_user,
    familienzentren_led_by,
    partners_for_user,
    roles_for,
    sites_of_traeger_for_user,
    traeger_for_user,
)
from evidence.models import Evidence, EvidenceGrant, EvidenceRevision
from evidence.selectors import documents_available_to
from evidence.validity import criterion_warnings, evidence_warnings


def _with_centre(queryset: QuerySet[Assessment]) -> QuerySet[Assessment]:
    """What every assessment page reads: the centre with its sites, the
    catalogue and the chosen profiles."""
    return queryset.select_related("familienzentrum__traeger", "catalogue").prefetch_related(
        Prefetch("familienzentrum__site_links", queryset=FamilienzentrumSite.objects.select_related("site")),
        # All of one catalogue: its own order, without the default ordering's
        # join to the catalogue (every assessment page pays for this query).
        Prefetch("profile_areas", queryset=Area.objects.order_by("order")),
    )


def assessment_with_centre(pk: int) -> Assessment | None:
    """One assessment by its key, whoever asks: the caller decides who may
    see it (assessments.rules.get_assessment_for_user)."""
    return _with_centre(Assessment.objects.filter(pk=pk)).first()


def assessments_for_user(user) -> QuerySet[Assessment]:
    roles = roles_for(user)
    queryset = _with_centre(Assessment.objects.all())
    if roles.is_office:
        return queryset
    if not user.is_authenticated:
        return queryset.none()
    return queryset.filter(
        Q(familienzentrum__site_links__site_id__in=roles.leitung_site_ids)
        | Q(familienzentrum__traeger_id__in=roles.traeger_ids)
        | Q(reviewer=user)
        | Q(second_reviewer=user)
    ).distinct()


def with_deadline(queryset: QuerySet[Assessment]) -> QuerySet[Assessment]:
    """Annotates `deadline`: the date due in the assessment's state (the
    submission while a draft, the review while submitted or recommended,
    the answers while queries are open); none once decided."""
    return queryset.annotate(
        deadline=Case(
            When(state=AssessmentState.DRAFT, then=F("submission_due")),
            When(
                state__in=[AssessmentState.SUBMITTED, AssessmentState.IN_REVIEW, AssessmentState.RECOMMENDED],
                then=F("review_due"),
            ),
            When(state=AssessmentState.CHANGES_REQUESTED, then=F("queries_due")),
            default=None,
            output_field=DateField(),
        )
    )


def open_assessment_of(familienzentrum) -> Assessment | None:
    return Assessment.objects.filter(familienzentrum=familienzentrum, state__in=OPEN_STATES).first()


def timeline(assessment: Assessment) -> QuerySet[AssessmentEvent]:
    return assessment.events.select_related("actor", "submission").order_by("created_at", "pk")


# ---------------------------------------------------------------- linked evidence


@dataclass
class LinkedEvidence:
    evidence: Evidence
    revision: EvidenceRevision
    warnings: list[str]
    # The sites the document is about (a Verbund's documents name them).
    sites: list[Einrichtung] = field(default_factory=list)


def evidence_by_criterion(assessment: Assessment, criterion_ids=None) -> dict[int, list[LinkedEvidence]]:
    """Every linked document per criterion id (all criteria, or those in
    `criterion_ids`: one area's page needs only its own) with its latest
    revision, its sites and warnings, in a fixed number of queries. A
    document linked to many criteria (a Konzeption, say) is read and judged
    once."""
    links = EvidenceLink.objects.filter(assessment=assessment)
    if criterion_ids is not None:
        links = links.filter(criterion_id__in=list(criterion_ids))
    pairs = list(links.order_by("evidence__title", "pk").values_list("criterion_id", "evidence_id"))
    if not pairs:
        return {}
    document_ids = {evidence_id for _, evidence_id in pairs}
    # The documents with their revisions in one read, the latest first: a
    # document without a file has none and is left out.
    revisions = EvidenceRevision.objects.filter(evidence_id__in=document_ids).select_related("evidence__owner_partner")
    latest: dict[int, EvidenceRevision] = {}
    for revision in revisions.order_by("evidence_id", "-number"):
        latest.setdefault(revision.evidence_id, revision)
    documents = [revision.evidence for revision in latest.values()]
    centre = assessment.familienzentrum
    for document in documents:
        if document.owner_familienzentrum_id == centre.pk:
            document.owner_familienzentrum = centre  # the centre's own: already loaded
    sites = _document_sites(assessment, document_ids)
    # A partner's document counts only while its grant to the centre stands.
    granted = set()
    if any(document.owner_partner_id for document in documents):
        granted = set(
            EvidenceGrant.objects.filter(
                familienzentrum_id=assessment.familienzentrum_id, revoked_at__isnull=True
            ).values_list("evidence_id", flat=True)
        )
    period = (assessment.review_period_start, assessment.review_period_end)
    usable: dict[int, LinkedEvidence] = {}
    for document in documents:
        if not document.owner_partner_id or document.pk in granted:
            usable[document.pk] = LinkedEvidence(
                document, latest[document.pk], evidence_warnings(document, period), sites.get(document.pk, [])
            )
    result: dict[int, list[LinkedEvidence]] = {}
    for criterion_id, evidence_id in pairs:
        if evidence_id in usable:
            result.setdefault(criterion_id, []).append(usable[evidence_id])
    return result


def _document_sites(assessment: Assessment, document_ids) -> dict[int, list[Einrichtung]]:
    """Each document's sites, by name, from the centre's own (loaded with the
    assessment); a site the centre does not have is read (a partner's document).
    A single site's documents name none: its one site is the centre."""
    if not assessment.familienzentrum.is_verbund:
        return {}
    known = {link.site_id: link.site for link in assessment.familienzentrum.site_links.all()}
    rows = list(
        Evidence.sites.through.objects.filter(evidence_id__in=document_ids).values_list("evidence_id", "einrichtung_id")
    )
    unknown = {site_id for _, site_id in rows if site_id not in known}
    if unknown:
        known.update((site.pk, site) for site in Einrichtung.objects.filter(pk__in=unknown))
    result: dict[int, list[Einrichtung]] = {}
    for evidence_id, site_id in rows:
        result.setdefault(evidence_id, []).append(known[site_id])
    for document_sites in result.values():
        document_sites.sort(key=lambda site: (site.name, site.pk))
    return result


def linkable_documents(assessment: Assessment, criterion) -> QuerySet[Evidence]:
    """The documents the centre may link to `criterion` and has not yet:
    the list the checklist loads only when the user asks for it."""
    linked = EvidenceLink.objects.filter(assessment=assessment, criterion=criterion).values("evidence_id")
    return documents_available_to(assessment.familienzentrum).exclude(pk__in=linked).order_by("title", "pk")


def warnings_by_criterion(
    assessment: Assessment, criteria, linked: dict[int, list[LinkedEvidence]]
) -> dict[int, list[str]]:
    result = {}
    for criterion in criteria:
        entries = linked.get(criterion.pk, [])
        warnings = [f"{entry.evidence.title}: {warning}" for entry in entries for warning in entry.warnings]
        warnings += criterion_warnings(criterion, [entry.evidence for entry in entries])
        if warnings:
            result[criterion.pk] = warnings
    return result


# ---------------------------------------------------------------- the review


def last_closed_state_by_centre(centre_ids) -> dict[int, str]:
    """Per Familienzentrum, the state its last closed assessment ended in (one query)."""
    rows = (
        Assessment.objects.filter(familienzentrum_id__in=list(centre_ids))
        .exclude(state__in=OPEN_STATES)
        .order_by("familienzentrum_id", "-created_at", "-pk")
        .values_list("familienzentrum_id", "state")
    )
    result: dict[int, str] = {}
    for centre_id, state in rows:
        result.setdefault(centre_id, state)
    return result


def latest_submissions(assessment: Assessment) -> tuple[Submission | None, Submission | None]:
    """The latest submission and the one before it (for the diff)."""
    submissions = list(assessment.submissions.order_by("-number")[:2])
    latest = submissions[0] if submissions else None
    previous = submissions[1] if len(submissions) > 1 else None
    return latest, previous


def verdicts_by_code(submission: Submission | None) -> dict[str, CriterionVerdict]:
    if submission is None:
        return {}
    return {
        verdict.criterion.code: verdict
        for verdict in submission.verdicts.select_related("criterion", "reviewer").order_by("criterion__order")
    }


def area_titles(assessment: Assessment, codes) -> dict[str, str]:
    """Area titles in the reader's language."""
    from certification.templatetags.catalogue_tags import localized

    areas = Area.objects.filter(catalogue_id=assessment.catalogue_id, code__in=list(codes))
    return {area.code: localized(area, "title") for area in areas.only("code", "title", "title_en")}


@dataclass
class AreaCount:
    code: str
    title: str
    total: int = 0
    accepted: int = 0
    queried: int = 0
    changed: int = 0

    @property
    def judged(self) -> int:
        return self.accepted + self.queried

    @property
    def open(self) -> int:
        return self.total - self.accepted

    @property
    def percent(self) -> int:
        return round(100 * self.judged / self.total) if self.total else 0


@dataclass
class ReviewProgress:
    areas: list[AreaCount] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(area.total for area in self.areas)

    @property
    def accepted(self) -> int:
        return sum(area.accepted for area in self.areas)

    @property
    def queried(self) -> int:
        return sum(area.queried for area in self.areas)

    @property
    def judged(self) -> int:
        return self.accepted + self.queried

    @property
    def percent(self) -> int:
        return round(100 * self.judged / self.total) if self.total else 0

    def area(self, code: str) -> AreaCount | None:
        return next((area for area in self.areas if area.code == code), None)


def review_progress(
    payload: dict, verdicts: dict[str, CriterionVerdict], titles: dict[str, str], changed=()
) -> ReviewProgress:
    """Judged, accepted and queried criteria per area of a frozen submission."""
    progress = ReviewProgress()
    by_code: dict[str, AreaCount] = {}
    for entry in payload.get("criteria", []):
        area = by_code.get(entry["area"])
        if area is None:
            area = by_code[entry["area"]] = AreaCount(code=entry["area"], title=titles.get(entry["area"], ""))
            progress.areas.append(area)
        area.total += 1
        verdict = verdicts.get(entry["code"])
        if verdict is not None and verdict.verdict == Verdict.ACCEPTED:
            area.accepted += 1
        elif verdict is not None and verdict.verdict == Verdict.QUERIED:
            area.queried += 1
        if entry["code"] in changed:
            area.changed += 1
    return progress


def queried_verdicts(assessment: Assessment) -> list[CriterionVerdict]:
    """Every query of every submission, the latest submission first."""
    return list(
        CriterionVerdict.objects.filter(submission__assessment=assessment, verdict=Verdict.QUERIED)
        .select_related("criterion__area", "submission", "reviewer")
        .order_by("-submission__number", "criterion__order")
    )


# ---------------------------------------------------------------- start pages
# Each role's part of the start page, as small frozen records instead of
# attributes patched onto model instances. Every function issues a fixed number
# of queries however many rows it returns. A list that can grow long comes as a
# Listing that knows its total, so the page says what it leaves out and links
# to all of it: nothing is cut off silently.

START_PAGE_LIMIT = 50  # rows of a long list on the start page; the page links to all of them


@dataclass(frozen=True)
class Listing:
    """The first rows of a list (all of them without a limit) and how many there are."""

    rows: tuple
    total: int

    @property
    def is_complete(self) -> bool:
        return len(self.rows) >= self.total


def _first_rows(queryset: QuerySet, limit: int | None) -> tuple[list, int]:
    """The first `limit` rows (all for None) and the total, in one query or,
    when the limit is reached, two."""
    if limit is None:
        rows = list(queryset)
        return rows, len(rows)
    rows = list(queryset[:limit])
    # Fewer rows than the limit are all there is; only a full page needs the count.
    return rows, len(rows) if len(rows) < limit else queryset.count()


@dataclass(frozen=True)
class RecertificationWindow:
    """When a seal's re-certification is due. The seal ends on 31 July; the
    re-certification reviews the year before, 1 January to 31 January of the
    year the seal ends, and the centre receives its documents in October or
    November before that year starts (DOMAIN.md). So it is due from 1 October
    of the year before the review year."""

    opens: date
    review_start: date
    review_end: date

    @classmethod
    def for_seal(cls, seal: Guetesiegel) -> RecertificationWindow:
        end = seal.valid_until
        # The last review year that ends (31 January) before the seal does.
        review_end_year = end.year if end > date(end.year, 1, 31) else end.year - 1
        return cls(
            opens=date(review_end_year - 2, 10, 1),
            review_start=date(review_end_year - 1, 1, 1),
            review_end=date(review_end_year, 1, 31),
        )

    def is_open(self, today: date) -> bool:
        return today >= self.opens


@dataclass(frozen=True)
class CentreCard:
    """A Familienzentrum the user leads, with what its card on the start page shows."""

    centre: Familienzentrum
    open_assessment: Assessment | None
    latest_assessment: Assessment | None
    seal: Guetesiegel | None
    can_recertify: bool
    # For a seal: when its re-certification is due, and whether that is now
    # (the start page offers it as the main step only then).
    recertification: RecertificationWindow | None = None
    recertification_due: bool = False


def _open_and_latest_by_centre(centre_ids: list[int]) -> tuple[dict[int, Assessment], dict[int, Assessment]]:
    """Per Familienzentrum its open assessment (at most one: a database
    constraint says so) and its newest one, in one query."""
    newest = (
        Assessment.objects.filter(familienzentrum_id=OuterRef("familienzentrum_id"))
        .order_by("-created_at", "-pk")
        .values("pk")[:1]
    )
    rows = Assessment.objects.filter(familienzentrum_id__in=centre_ids).filter(
        Q(state__in=OPEN_STATES) | Q(pk=Subquery(newest))
    )
    open_by_centre: dict[int, Assessment] = {}
    latest_by_centre: dict[int, Assessment] = {}
    for assessment in rows:
        centre_id = assessment.familienzentrum_id
        if assessment.state in OPEN_STATES:
            open_by_centre[centre_id] = assessment
        latest = latest_by_centre.get(centre_id)
        if latest is None or (assessment.created_at, assessment.pk) > (latest.created_at, latest.pk):
            latest_by_centre[centre_id] = assessment
    return open_by_centre, latest_by_centre


def leitung_centre_cards(user) -> list[CentreCard]:
    """The Familienzentren the user leads (or acts for as Träger staff), each
    with its open and its newest assessment, its seal, and whether a
    re-certification may start: no open cycle, and the last closed one ended
    certified. Five queries, however many centres and assessments."""
    centres = list(familienzentren_led_by(user))
    centre_ids = [centre.pk for centre in centres]
    open_by_centre, latest_by_centre = _open_and_latest_by_centre(centre_ids)
    seals = current_seal_by_centre(centre_ids)
    last_states = last_closed_state_by_centre(centre_ids)
    today = timezone.localdate()
    cards = []
    for centre in centres:
        seal = seals.get(centre.pk)
        window = RecertificationWindow.for_seal(seal) if seal is not None else None
        cards.append(
            CentreCard(
                centre=centre,
                open_assessment=open_by_centre.get(centre.pk),
                latest_assessment=latest_by_centre.get(centre.pk),
                seal=seal,
                can_recertify=centre.pk not in open_by_centre
                and last_states.get(centre.pk) == AssessmentState.CERTIFIED,
                recertification=window,
                recertification_due=window is not None and window.is_open(today),
            )
        )
    return cards


@dataclass(frozen=True)
class CentreSeal:
    """A Familienzentrum and its current seal (None: it holds none)."""

    centre: Familienzentrum
    seal: Guetesiegel | None


def _with_seals(centres: list[Familienzentrum]) -> tuple[CentreSeal, ...]:
    seals = current_seal_by_centre(centre.pk for centre in centres)
    return tuple(CentreSeal(centre=centre, seal=seals.get(centre.pk)) for centre in centres)


@dataclass(frozen=True)
class TraegerOverview:
    """What a Träger's staff sees: its Träger, their sites, and the seal of each of their Familienzentren."""

    traeger: tuple[Traeger, ...]
    sites: tuple[Einrichtung, ...]
    centres: tuple[CentreSeal, ...]


def traeger_overview(user) -> TraegerOverview:
    """Four queries. A Träger has tens of sites, not thousands: listed in full."""
    centres = Familienzentrum.objects.filter(traeger_id__in=roles_for(user).traeger_ids).order_by("name")
    return TraegerOverview(
        traeger=tuple(traeger_for_user(user)),
        sites=tuple(sites_of_traeger_for_user(user)),
        centres=_with_seals(list(centres)),
    )


@dataclass(frozen=True)
class ReviewAssignment:
    """An assessment the user reviews, as reviewer or as second reviewer."""

    assessment: Assessment
    as_second_reviewer: bool
    awaits_decision: bool  # recommended, and this user is the one to confirm or send back


def review_assignments(user, limit: int | None = START_PAGE_LIMIT) -> Listing:
    """The user's assignments as reviewer or second reviewer, each once, the
    latest change first; at most two queries."""
    queryset = (
        Assessment.objects.filter(Q(reviewer=user) | Q(second_reviewer=user))
        .select_related("familienzentrum")
        .order_by("-updated_at", "-pk")
    )
    rows, total = _first_rows(queryset, limit)
    return Listing(
        rows=tuple(
            ReviewAssignment(
                assessment=assessment,
                as_second_reviewer=assessment.reviewer_id != user.pk,
                awaits_decision=assessment.state == AssessmentState.RECOMMENDED
                and assessment.second_reviewer_id == user.pk,
            )
            for assessment in rows
        ),
        total=total,
    )


def partner_organisations(user) -> tuple[Kooperationspartner, ...]:
    """The partner organisations the user works for; one query."""
    return tuple(partners_for_user(user))


def office_centres(user, limit: int | None = START_PAGE_LIMIT) -> Listing:
    """Every Familienzentrum the user may see (the office: all) with its seal,
    by name; at most four queries (centres, their sites, the total, the seals)."""
    rows, total = _first_rows(familienzentren_for_user(user), limit)
    return Listing(rows=_with_seals(rows), total=total)


def centre_assessments(user, limit: int | None = START_PAGE_LIMIT) -> Listing:
    """The assessments the user sees as Träger staff or office, the latest
    change first, without its own review assignments (the reviewer's list shows
    those, so no assessment appears twice); at most two queries."""
    queryset = assessments_for_user(user).prefetch_related(None).order_by("-updated_at", "-pk")
    if roles_for(user).is_reviewer:
        queryset = queryset.exclude(Q(reviewer=user) | Q(second_reviewer=user))
    rows, total = _first_rows(queryset, limit)
    return Listing(rows=tuple(rows), total=total)


def partners_working_with(
    familienzentrum: Familienzentrum, *, include_unattached: bool = False
) -> QuerySet[Kooperationspartner]:
    """The partner organisations that already work with this centre or another
    centre of its Träger: with access to one of their assessments, or having
    shared a document with one of them. Invitations offer only these (and a
    new organisation by name), never the partners of other Träger.

    include_unattached adds the organisations that work with nobody yet (e.g.
    registered by the Zertifizierungsstelle): they reveal no other Träger's
    partners, and without them such an organisation could never be invited,
    as its name is taken for a new one."""
    from assessments.models import PartnerAccess

    centre_ids = Familienzentrum.objects.filter(traeger_id=familienzentrum.traeger_id).values("pk")
    with_access = PartnerAccess.objects.values("partner_id")
    with_grant = EvidenceGrant.objects.filter(evidence__owner_partner__isnull=False).values(
        "evidence__owner_partner_id"
    )
    working = Q(pk__in=with_access.filter(assessment__familienzentrum_id__in=centre_ids)) | Q(
        pk__in=with_grant.filter(familienzentrum_id__in=centre_ids)
    )
    if include_unattached:
        working |= ~Q(pk__in=with_access) & ~Q(pk__in=with_grant)
    return Kooperationspartner.objects.filter(working).order_by("name")


# ---------------------------------------------------------------- invitations


def invitations_of(assessment: Assessment) -> QuerySet:
    """Whom the centre invited to this assessment, newest first, with the
    criteria of each: a fixed number of queries however many there are."""
    from assessments.models import PartnerInvitation

    return (
        PartnerInvitation.objects.filter(assessment=assessment)
        .select_related("partner", "created_by", "accepted_by", "revoked_by")
        .prefetch_related(Prefetch("criteria", queryset=Criterion.objects.order_by("area__order", "order")))
        .order_by("-sent_at", "-pk")
    )


# ---------------------------------------------------------------- queries where the centre answers


@dataclass(frozen=True)
class OpenQuery:
    """A reviewer's query on one criterion of the current round, as the
    criterion card shows it."""

    verdict: CriterionVerdict

    @property
    def anchor(self) -> str:
        # The query's place on the queries page; the same id as
        # assessments.views.review.anchor_for gives it (a test holds the two together).
        return f"pruefung-{slugify(self.verdict.criterion.code.replace('.', '-'))}"


def open_queries_by_criterion(assessment: Assessment) -> dict[int, OpenQuery]:
    """While the centre answers queries (changes requested), the queries of the
    latest submission by criterion id; otherwise none. One query."""
    if assessment.state != AssessmentState.CHANGES_REQUESTED:
        return {}
    latest = Submission.objects.filter(assessment_id=assessment.pk).order_by("-number").values("pk")[:1]
    verdicts = CriterionVerdict.objects.filter(submission_id=Subquery(latest), verdict=Verdict.QUERIED).select_related(
        "criterion", "reviewer"
    )
    return {verdict.criterion_id: OpenQuery(verdict) for verdict in verdicts}


def cover_notes(assessment: Assessment) -> dict[int, AssessmentEvent]:
    """The note the reviewer sent with each round of queries, by the id of the
    submission the round queried (the latest one submitted before it was sent)."""
    events = list(
        assessment.events.filter(action=EventAction.REQUEST_CHANGES)
        .exclude(note="")
        .select_related("actor")
        .order_by("created_at")
    )
    if not events:
        return {}
    submissions = list(assessment.submissions.order_by("submitted_at").values_list("pk", "submitted_at"))
    notes: dict[int, AssessmentEvent] = {}
    for event in events:
        earlier = [pk for pk, submitted_at in submissions if submitted_at <= event.created_at]
        if earlier:
            notes[earlier[-1]] = event
    return notes
