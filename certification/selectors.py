"""Reads of the certification app, scoped to the user who asks."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Exists, Max, OuterRef, Prefetch, Q, QuerySet, Sum

from certification.models import (
    Area,
    CatalogueVersion,
    Criterion,
    CriterionItem,
    CriterionLevel,
    Einrichtung,
    Familienzentrum,
    FamilienzentrumSite,
    Guetesiegel,
    Kooperationspartner,
    LogEntry,
    Membership,
    MembershipRole,
    Reviewer,
    ThresholdRule,
    Traeger,
)


@dataclass
class UserRoles:
    """What a signed-in user is, read once per request."""

    is_office: bool = False
    reviewer: Reviewer | None = None
    leitung_site_ids: set[int] = field(default_factory=set)
    traeger_ids: set[int] = field(default_factory=set)
    acting_traeger_ids: set[int] = field(default_factory=set)
    partner_ids: set[int] = field(default_factory=set)

    @property
    def is_reviewer(self) -> bool:
        return self.reviewer is not None and self.reviewer.is_active

    @property
    def is_leitung(self) -> bool:
        return bool(self.leitung_site_ids)

    @property
    def is_traeger(self) -> bool:
        return bool(self.traeger_ids)

    @property
    def is_partner(self) -> bool:
        return bool(self.partner_ids)


def _reviewer_of(user) -> Reviewer | None:
    # Read with the user by the sign-in backend (certification.backends);
    # a user object from elsewhere reads it here (and keeps it).
    try:
        return user.reviewer
    except Reviewer.DoesNotExist:
        return None


def roles_for(user) -> UserRoles:
    if not user.is_authenticated:
        return UserRoles()
    cached = getattr(user, "_certification_roles", None)
    if cached is not None:
        return cached
    roles = UserRoles(is_office=user.is_staff)
    roles.reviewer = _reviewer_of(user)
    for membership in Membership.objects.filter(user=user):
        if membership.role == MembershipRole.LEITUNG:
            roles.leitung_site_ids.add(membership.site_id)
        elif membership.role == MembershipRole.TRAEGER:
            roles.traeger_ids.add(membership.traeger_id)
            if membership.can_act_as_leitung:
                roles.acting_traeger_ids.add(membership.traeger_id)
        elif membership.role == MembershipRole.PARTNER:
            roles.partner_ids.add(membership.partner_id)
    user._certification_roles = roles
    return roles


def _with_sites(queryset: QuerySet[Familienzentrum]) -> QuerySet[Familienzentrum]:
    return queryset.select_related("traeger").prefetch_related(
        Prefetch("site_links", queryset=FamilienzentrumSite.objects.select_related("site"))
    )


def familienzentren_for_user(user) -> QuerySet[Familienzentrum]:
    """Familienzentren the user may see: the office all, a Leitung those
    containing its site, Träger staff those of its Träger."""
    roles = roles_for(user)
    queryset = Familienzentrum.objects.all()
    if not roles.is_office:
        queryset = queryset.filter(
            Q(site_links__site_id__in=roles.leitung_site_ids) | Q(traeger_id__in=roles.traeger_ids)
        ).distinct()
    return _with_sites(queryset).order_by("name")


def familienzentren_led_by(user) -> QuerySet[Familienzentrum]:
    """Familienzentren the user may act for as Leitung (its own sites, or a
    Träger's sites where the Träger membership grants that)."""
    roles = roles_for(user)
    queryset = Familienzentrum.objects.filter(
        Q(site_links__site_id__in=roles.leitung_site_ids) | Q(traeger_id__in=roles.acting_traeger_ids)
    ).distinct()
    return _with_sites(queryset).order_by("name")


def sites_of_traeger_for_user(user) -> QuerySet[Einrichtung]:
    roles = roles_for(user)
    return (
        Einrichtung.objects.filter(traeger_id__in=roles.traeger_ids)
        .select_related("traeger", "familienzentrum_link__familienzentrum")
        .order_by("traeger__name", "name")
    )


def traeger_for_user(user) -> QuerySet[Traeger]:
    return Traeger.objects.filter(pk__in=roles_for(user).traeger_ids).order_by("name")


def partners_for_user(user) -> QuerySet[Kooperationspartner]:
    return Kooperationspartner.objects.filter(pk__in=roles_for(user).partner_ids).order_by("name")


def catalogue_versions() -> QuerySet[CatalogueVersion]:
    return CatalogueVersion.objects.annotate(criteria_count=Count("criteria")).order_by("-valid_from", "code")


def _with_area_totals(areas: QuerySet[Area]) -> QuerySet[Area]:
    """Each area with its number of criteria (all, Basis, Aufbau) and points."""
    return areas.annotate(
        criteria_count=Count("criteria"),
        basis_count=Count("criteria", filter=Q(criteria__level=CriterionLevel.BASIS)),
        aufbau_count=Count("criteria", filter=Q(criteria__level=CriterionLevel.AUFBAU)),
        points_total=Sum("criteria__points"),
    ).order_by("order")


def catalogue_areas(catalogue: CatalogueVersion) -> list[Area]:
    """The catalogue's areas with their totals, without criteria, in one query."""
    return list(_with_area_totals(Area.objects.filter(catalogue=catalogue)))


def catalogue_areas_with_criteria(catalogue: CatalogueVersion, area_code: str | None = None) -> list[Area]:
    """The catalogue's areas (or only the one with `area_code`) with their
    totals, criteria and items, in three queries whatever the catalogue's size."""
    criteria = Criterion.objects.order_by("order").prefetch_related(
        Prefetch("items", queryset=CriterionItem.objects.order_by("order"))
    )
    areas = Area.objects.filter(catalogue=catalogue)
    if area_code is not None:
        areas = areas.filter(code=area_code)
    return list(_with_area_totals(areas).prefetch_related(Prefetch("criteria", queryset=criteria)))


def catalogue_rules(catalogue: CatalogueVersion, area: Area | None = None) -> list[ThresholdRule]:
    """The catalogue's threshold rules with their areas (two queries); with
    `area`, only the rules that count that area."""
    rules = ThresholdRule.objects.filter(catalogue=catalogue)
    if area is not None:
        rules = rules.filter(areas=area)
    return list(rules.order_by("order").prefetch_related(Prefetch("areas", queryset=Area.objects.order_by("order"))))


@dataclass(frozen=True)
class CatalogueStructure:
    """A loaded catalogue version's areas (with totals, criteria and items)
    and threshold rules (with their areas): everything an evaluation reads
    of the catalogue."""

    areas: list[Area]
    rules: list[ThresholdRule]
    criteria_by_code: dict[str, Criterion] = field(default_factory=dict)

    @classmethod
    def read(cls, catalogue: CatalogueVersion) -> CatalogueStructure:
        areas = catalogue_areas_with_criteria(catalogue)
        by_code = {criterion.code: criterion for area in areas for criterion in area.criteria.all()}
        return cls(areas=areas, rules=catalogue_rules(catalogue), criteria_by_code=by_code)


# A loaded catalogue version never changes (a changed file is a new
# version), so each process reads its structure once and keeps it. The key
# also carries the load time and the file's fingerprint: a version deleted
# and loaded again (a test database reusing a primary key, an operator
# re-loading a file) is read afresh. A handful of versions are in use at any
# time; the oldest entry gives way to a new one.
_STRUCTURES: dict[tuple, CatalogueStructure] = {}
_STRUCTURES_KEPT = 8


def _structure_key(catalogue: CatalogueVersion) -> tuple:
    return (catalogue.pk, catalogue.loaded_at, catalogue.source_sha256)


def catalogue_structure(catalogue: CatalogueVersion) -> CatalogueStructure:
    """The catalogue's structure, read from the database once per process.
    Callers must treat the objects as read-only: they are shared between requests."""
    key = _structure_key(catalogue)
    structure = _STRUCTURES.get(key)
    if structure is None:
        structure = CatalogueStructure.read(catalogue)
        while len(_STRUCTURES) >= _STRUCTURES_KEPT:
            _STRUCTURES.pop(next(iter(_STRUCTURES)))
        _STRUCTURES[key] = structure
    return structure


def forget_catalogue_structures() -> None:
    """For tests that change a loaded catalogue's rows in place."""
    _STRUCTURES.clear()


def requires_two_factor(user) -> bool:
    """Reviewers (anyone in the pool, active or not) and office staff see data
    of every centre they review or manage: they sign in with a second factor.
    Named by settings.ACCOUNTS_2FA_REQUIRED_CHECK, so accounts stays below us.
    Runs on every request and reads the user's roles, which nearly every
    page needs next anyway (roles_for keeps them on the user)."""
    if user.is_staff:
        return True
    return roles_for(user).reviewer is not None


# -------------------------------------------------------------- the seal


def current_seals() -> QuerySet[Guetesiegel]:
    """Seals not superseded by a later seal of the same Familienzentrum."""
    later = Guetesiegel.objects.filter(familienzentrum_id=OuterRef("familienzentrum_id")).filter(
        Q(valid_from__gt=OuterRef("valid_from")) | Q(valid_from=OuterRef("valid_from"), pk__gt=OuterRef("pk"))
    )
    return Guetesiegel.objects.filter(~Exists(later))


def current_seal_by_centre(centre_ids) -> dict[int, Guetesiegel]:
    """The latest seal of each of the given Familienzentren, in one query."""
    seals = Guetesiegel.objects.filter(familienzentrum_id__in=list(centre_ids)).order_by(
        "familienzentrum_id", "-valid_from", "-pk"
    )
    result: dict[int, Guetesiegel] = {}
    for seal in seals:
        result.setdefault(seal.familienzentrum_id, seal)
    return result


def leader_emails(familienzentrum: Familienzentrum) -> list[str]:
    site_ids = [link.site_id for link in familienzentrum.site_links.all()]
    return sorted(
        set(
            Membership.objects.filter(
                role=MembershipRole.LEITUNG, site_id__in=site_ids, user__is_active=True
            ).values_list("user__email", flat=True)
        )
    )


def traeger_emails(familienzentrum: Familienzentrum) -> list[str]:
    """The Träger's own address and its staff's."""
    emails = set(
        Membership.objects.filter(
            role=MembershipRole.TRAEGER, traeger_id=familienzentrum.traeger_id, user__is_active=True
        ).values_list("user__email", flat=True)
    )
    if familienzentrum.traeger.email:
        emails.add(familienzentrum.traeger.email)
    return sorted(emails)


# -------------------------------------------------------------- the reviewer pool


def users_tied_to_traeger(traeger_id: int) -> QuerySet[Membership]:
    """Memberships that tie a person to a Träger: its staff and the Leitung of any of its sites."""
    return Membership.objects.filter(Q(traeger_id=traeger_id) | Q(site__traeger_id=traeger_id))


def reviewer_pool(*, confirmers: bool = False, traeger_id: int | None = None):
    """Users in the active reviewer pool (with `confirmers`, only those who may
    confirm as second reviewer); with `traeger_id`, without those tied to it."""
    queryset = get_user_model().objects.filter(is_active=True, reviewer__is_active=True)
    if confirmers:
        queryset = queryset.filter(reviewer__may_confirm=True)
    if traeger_id is not None:
        queryset = queryset.exclude(pk__in=users_tied_to_traeger(traeger_id).values("user_id"))
    return queryset.order_by("full_name", "email")


# ---------------------------------------------------------------- the log


def history_of(obj, criterion: Criterion | int | None = None) -> QuerySet[LogEntry]:
    """The log entries about `obj` (optionally about one of its criteria),
    with their actor, newest first."""
    entries = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk
    ).select_related("actor")
    if criterion is not None:
        entries = entries.filter(criterion=criterion)
    return entries.order_by("-created_at", "-pk")


def history_sizes(obj, criterion_ids) -> dict[int, tuple[int, int]]:
    """For each of `criterion_ids` with entries about `obj`: how many, and the
    newest entry's id (what a card shows before the entries are asked for)."""
    rows = (
        LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk, criterion_id__in=list(criterion_ids)
        )
        .values("criterion_id")
        .annotate(count=Count("pk"), newest=Max("pk"))
        .order_by()
    )
    return {row["criterion_id"]: (row["count"], row["newest"]) for row in rows}


def history_by_criterion(obj, criterion_ids) -> dict[int, list[LogEntry]]:
    """The entries about `obj` for each of `criterion_ids`, newest first, in
    one query (a checklist page shows many criteria at once)."""
    grouped: dict[int, list[LogEntry]] = {}
    for entry in history_of(obj).filter(criterion_id__in=list(criterion_ids)):
        grouped.setdefault(entry.criterion_id, []).append(entry)
    return grouped
