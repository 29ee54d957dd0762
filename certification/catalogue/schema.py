"""The shape of a catalogue file: which keys each mapping must and may have,
and the text lengths the database columns allow."""

from __future__ import annotations

import math
from dataclasses import dataclass

from certification.frequency import Per


@dataclass(frozen=True)
class Keys:
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()

    @property
    def allowed(self) -> tuple[str, ...]:
        return self.required + self.optional


CATALOGUE_KEYS = Keys(
    required=("code", "version", "title", "valid_from", "areas", "rules"),
    optional=(
        "title_en",
        "is_working_version",
        "description",
        "description_en",
        "min_profile_areas",
        "max_profile_areas",
    ),
)
AREA_KEYS = Keys(
    required=("code", "kind", "title", "criteria"),
    optional=("title_en", "description", "description_en", "always_required"),
)
PROFILE_ONLY_AREA_KEYS = ("always_required",)
CRITERION_KEYS = Keys(
    required=("code", "title", "level", "points", "items"),
    optional=(
        "title_en",
        "guidance",
        "guidance_en",
        "typical_evidence",
        "typical_evidence_en",
        "evidence_required",
        "qualification_min_hours",
        "qualification_min_hours_assumption",
        "logic",
        "per_site",
        # Shorthand for the frequency of the criterion's first (main) item.
        "frequency",
    ),
)
ITEM_KEYS = Keys(required=("code", "text"), optional=("text_en", "frequency"))
FREQUENCY_KEYS = Keys(required=("per",), optional=("times", "min_sessions", "allowed_gaps", "assumption"))
RULE_KEYS = Keys(
    required=("code", "title", "areas"),
    optional=(
        "title_en",
        "applies_to_chosen_profiles_only",
        "min_basis",
        "min_aufbau",
        "min_points",
        "assumption",
    ),
)
RULE_MINIMUM_KEYS = ("min_basis", "min_aufbau", "min_points")


def max_length(model, field_name: str) -> int:
    """Taken from the model so a file cannot pass here and fail on insert."""
    return model._meta.get_field(field_name).max_length


# Bounds checked before anything large is built, so that no file, however
# made, costs more than a few seconds and megabytes or fails on insert. The
# shipped catalogue has 45 KB, 14 areas, at most 10 criteria per area, at most
# 2 items per criterion, 9 rules and texts under 300 characters.
MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_AREAS = 50
MAX_CRITERIA_PER_AREA = 200
MAX_ITEMS_PER_CRITERION = 20
MAX_RULES = 100
# A rule names each area at most once, so never more than there are areas.
MAX_RULE_AREAS = MAX_AREAS
# Descriptions, guidance, typical evidence and item texts (TextFields, which
# have no length of their own); short texts take the column's max_length.
MAX_LONG_TEXT_LENGTH = 5000
# PositiveSmallIntegerField's upper bound on every backend Django supports:
# points, hours, minimums and the order of every row.
SMALL_INT_MAX = 32767
# The profile choices a rule is checked against (all combinations of
# min_profile_areas to max_profile_areas selectable profile areas).
MAX_PROFILE_CHOICES = 500
# The shorter half-year of a review year (1 August - 31 January) has 26 full
# weeks and 6 months; at least one period of each must keep a session, or a
# "weekly" requirement would be met without any.
HALF_YEAR_PERIODS = {Per.WEEK: 26, Per.MONTH: 6}
# Mappings and lists inside each other; the schema itself needs 7 levels.
MAX_NESTING_DEPTH = 20
# Reading stops after this many problems: enough to fix a file in one pass,
# and a file of a million mistakes does not build a million messages.
MAX_PROBLEMS = 200
# A value quoted in a message is cut to this many characters.
MAX_QUOTED_LENGTH = 80


def profile_choice_count(selectable: int, min_profile_areas: int, max_profile_areas: int) -> int:
    """How many profile choices the catalogue allows: every combination of
    min_profile_areas to max_profile_areas of the selectable profile areas."""
    return sum(math.comb(selectable, size) for size in range(min_profile_areas, min(max_profile_areas, selectable) + 1))
