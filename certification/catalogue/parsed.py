"""A catalogue as read from its file: plain data, no database.

The reader produces these, the checks fill them in and the writer turns them
into rows. Keeping them free of the ORM lets a file be validated completely
(and the bench scale it) without touching the database.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from certification.models import AreaKind


@dataclass(frozen=True)
class ParsedItem:
    code: str
    text: str
    text_en: str
    # Frequency.to_data(), as CriterionItem.frequency stores it; None without one.
    frequency: dict | None = None


@dataclass(frozen=True)
class ParsedCriterion:
    code: str
    title: str
    title_en: str
    level: str
    points: int
    logic: str
    guidance: str
    guidance_en: str
    typical_evidence: str
    typical_evidence_en: str
    # Whether a criterion claimed as fulfilled needs at least one document
    # linked before the self-assessment can be submitted.
    evidence_required: bool
    qualification_min_hours: int | None
    per_site: bool
    items: list[ParsedItem]
    # The minimum hours have no public source (shared/DOMAIN.md).
    qualification_min_hours_is_assumption: bool = False


@dataclass(frozen=True)
class ParsedArea:
    code: str
    kind: str
    title: str
    title_en: str
    description: str
    description_en: str
    always_required: bool
    criteria: list[ParsedCriterion]

    @property
    def is_selectable_profile(self) -> bool:
        """A profile area the centre may choose (as opposed to one every
        centre works on)."""
        return self.kind == AreaKind.PROFILE and not self.always_required


@dataclass(frozen=True)
class ParsedRule:
    code: str
    title: str
    title_en: str
    area_codes: list[str]
    applies_to_chosen_profiles_only: bool
    min_basis: int | None
    min_aufbau: int | None
    min_points: int | None
    # The minimums have no public source: the UI marks them as an assumption.
    is_assumption: bool = False


@dataclass(frozen=True)
class ParsedCatalogue:
    code: str
    version: str
    title: str
    title_en: str
    valid_from: datetime.date
    is_working_version: bool
    description: str
    description_en: str
    min_profile_areas: int
    max_profile_areas: int
    areas: list[ParsedArea]
    rules: list[ParsedRule]
    source_name: str
    source_sha256: str

    @property
    def criteria_count(self) -> int:
        return sum(len(area.criteria) for area in self.areas)
