"""The parties of the population seed_scale writes, planned without the
database: Träger, their centres and sites, the reviewer pool. Pure and
deterministic: centre i is planned from its own random generator (seed and
i), so a run for N centres plans exactly the first N of the run for a
larger N, and a second run adds only what is missing. Their cycles are
planned by reports.scale.cycles, from the same generator."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING

from reports.scale import names
from reports.scale.names import TOWNS, Town

if TYPE_CHECKING:
    from reports.scale.cycles import CyclePlan

NUMBER_PREFIX = "FZ-NRW-"
EMAIL_DOMAIN = "scale.example.org"
REVIEWERS = 40
OFFICE_STAFF = 3
VERBUND_SHARE = 0.10
VERBUND_SIZES = ((2, 55), (3, 28), (4, 12), (5, 5))  # sites, weight
FIRST_SMALL_TRAEGER = 6


def weighted(rng: random.Random, pairs):
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights=weights)[0]


# ---------------------------------------------------------------- parties


@dataclass(frozen=True)
class TraegerPlan:
    index: int
    name: str
    kind: names.TraegerKind
    town: Town
    size: int
    staff_email: str
    staff_name: str
    staff_acts_as_leitung: bool


@dataclass(frozen=True)
class SitePlan:
    name: str
    kind: str  # SiteKind value
    town: Town
    street: str
    latitude: Decimal
    longitude: Decimal
    is_grant_recipient: bool
    is_contact_site: bool
    leitung_email: str
    leitung_name: str


@dataclass
class CentrePlan:
    index: int
    traeger: TraegerPlan
    name: str
    town: Town
    form: str  # FamilienzentrumForm value
    sites: list[SitePlan]
    founded: date
    cycles: list[CyclePlan] = field(default_factory=list)

    @property
    def number(self) -> str:
        return f"{NUMBER_PREFIX}{self.index:05d}"


def person(rng: random.Random) -> str:
    return f"{rng.choice(names.FIRST_NAMES)} {rng.choice(names.SURNAMES)}"


def traeger_sequence(seed: int):
    """Every Träger in order, endless: the sizes of the first ones decide
    which centres they run, whatever N is."""
    rng = random.Random(f"scale:{seed}:traeger")
    kinds = [(kind, kind.weight) for kind in names.TRAEGER_KINDS]
    towns = [(town, town.weight) for town in TOWNS]
    used: set[str] = set()
    index = 0
    while True:
        index += 1
        town = weighted(rng, towns)
        for _attempt in range(12):
            kind = weighted(rng, kinds)
            name = names.traeger_name(kind.code, town.name, rng.choice)
            if name not in used:
                break
        else:
            name = f"{name} ({index})"
        used.add(name)
        low, high = kind.size
        size = low + int((high - low + 1) * rng.random() ** 2)  # most Träger are small
        if index <= FIRST_SMALL_TRAEGER:
            size = min(size, 3)  # so that a small population has several Träger
        yield TraegerPlan(
            index=index,
            name=name,
            kind=kind,
            town=town,
            size=max(1, min(size, high)),
            staff_email=f"traeger.{index:04d}@{EMAIL_DOMAIN}",
            staff_name=person(rng),
            staff_acts_as_leitung=rng.random() < 0.2,
        )


@cache
def nearby_towns(town: Town) -> tuple[Town, ...]:
    def km(other: Town) -> float:
        return math.hypot(
            (other.latitude - town.latitude) * 111.2,
            (other.longitude - town.longitude) * 111.2 * math.cos(math.radians(town.latitude)),
        )

    return tuple(sorted((other for other in TOWNS if other != town), key=km)[:4])


def _point(rng: random.Random, latitude: float, longitude: float, radius_km: float) -> tuple[float, float]:
    angle = rng.random() * 2 * math.pi
    distance = radius_km * math.sqrt(rng.random())
    d_lat = distance * math.cos(angle) / 111.2
    d_lon = distance * math.sin(angle) / (111.2 * math.cos(math.radians(latitude)))
    return latitude + d_lat, longitude + d_lon


def _decimal(value: float) -> Decimal:
    return Decimal(f"{value:.6f}")


def plan_centre(seed: int, index: int, traeger: TraegerPlan) -> tuple[CentrePlan, random.Random]:
    """Centre `index` and the generator its cycles continue from."""
    rng = random.Random(f"scale:{seed}:centre:{index}")
    town = traeger.town
    if traeger.kind.code != "stadt" and rng.random() < 0.3:
        town = rng.choice(nearby_towns(traeger.town))
    verbund = rng.random() < VERBUND_SHARE
    count = weighted(rng, VERBUND_SIZES) if verbund else 1
    radius = 1.0 + 0.45 * math.sqrt(town.weight)
    anchor = _point(rng, town.latitude, town.longitude, radius)
    words = rng.sample(names.SITE_NAMES, count)
    words[0] = names.site_word(traeger.kind.code, rng.choice)
    sites = []
    for number in range(1, count + 1):
        # A Verbund's sites lie within 1.2 km of one point: at most 2.4 km apart (the rule says 3).
        latitude, longitude = _point(rng, *anchor, 1.2) if verbund else anchor
        site_kind, name = "kita", f"{traeger.kind.site_prefix} „{words[number - 1]}“"
        if verbund and number == count and count > 2 and rng.random() < 0.3:
            site_kind, name = "family_education", f"Familienbildungsstätte {town.name} – Standort {words[-1]}"
        sites.append(
            SitePlan(
                name=name,
                kind=site_kind,
                town=town,
                street=f"{rng.choice(names.STREETS)} {rng.randint(1, 120)}",
                latitude=_decimal(latitude),
                longitude=_decimal(longitude),
                is_grant_recipient=number == 1,
                is_contact_site=number == 1,
                leitung_email=f"leitung.{index:05d}.{number}@{EMAIL_DOMAIN}",
                leitung_name=person(rng),
            )
        )
    centre = CentrePlan(
        index=index,
        traeger=traeger,
        name=f"Familienzentrum im Verbund {words[0]}" if verbund else f"Familienzentrum {words[0]}",
        town=town,
        form="verbund" if verbund else "single",
        sites=sites,
        founded=date(2007 + rng.randrange(13), rng.randint(1, 12), 1),
    )
    return centre, rng


def centre_plans(seed: int, count: int, wanted=None) -> list[tuple[CentrePlan, random.Random]]:
    """The first `count` centres (only those in `wanted` if given), with
    their generators, without their cycles."""
    plans = []
    index = 0
    for traeger in traeger_sequence(seed):
        for _ in range(traeger.size):
            index += 1
            if index > count:
                return plans
            if wanted is None or index in wanted:
                plans.append(plan_centre(seed, index, traeger))


def is_confirmer(number: int) -> bool:
    """Every third reviewer of the pool may confirm as second reviewer."""
    return number % 3 == 0


def reviewer_email(number: int) -> str:
    return f"gutachter.{number:02d}@{EMAIL_DOMAIN}"


def office_email(number: int) -> str:
    return f"buero.{number}@{EMAIL_DOMAIN}"
