"""The shape of a catalogue file: which keys each mapping must and may have,
and the text lengths the database columns allow."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Keys:
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()

    @property
    def allowed(self) -> tuple[str, ...]:
        return self.required + self.optional


CATALOGUE_KEYS = Keys(
    required=("code", "version", "title", "valid_from", "areas", "rules"),
    optional=("is_working_version", "description", "min_profile_areas", "max_profile_areas"),
)
AREA_KEYS = Keys(
    required=("code", "kind", "title", "criteria"),
    optional=("title_en", "description", "always_required"),
)
PROFILE_ONLY_AREA_KEYS = ("always_required",)
CRITERION_KEYS = Keys(
    required=("code", "title", "level", "points", "items"),
    optional=("title_en", "guidance", "typical_evidence", "qualification_min_hours", "logic", "per_site"),
)
ITEM_KEYS = Keys(required=("code", "text"), optional=("text_en",))
RULE_KEYS = Keys(
    required=("code", "title", "areas"),
    optional=("applies_to_chosen_profiles_only", "min_basis", "min_aufbau", "min_points"),
)
RULE_MINIMUM_KEYS = ("min_basis", "min_aufbau", "min_points")


def max_length(model, field_name: str) -> int:
    """Taken from the model so a file cannot pass here and fail on insert."""
    return model._meta.get_field(field_name).max_length
