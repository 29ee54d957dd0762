"""The validation of a catalogue's threshold rules: their own keys, the areas
they name, and whether a centre can reach them at all."""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _
from yaml.nodes import ScalarNode

from certification.catalogue.nodes import is_text, join, list_entry_path, quoted
from certification.catalogue.parsed import ParsedArea, ParsedRule
from certification.catalogue.schema import (
    MAX_PROFILE_CHOICES,
    MAX_RULE_AREAS,
    MAX_RULES,
    RULE_KEYS,
    RULE_MINIMUM_KEYS,
    max_length,
    profile_choice_count,
)
from certification.models import CriterionLevel, ThresholdRule

if TYPE_CHECKING:
    from yaml.nodes import Node

    from certification.catalogue.reader import FieldReader

# A profile choice: the codes of the chosen profile areas, or None where the
# choice does not matter (a rule over all areas).
_Choice = frozenset[str] | None


class RuleChecks:
    def __init__(self, reader: FieldReader):
        self.reader = reader
        self.problems = reader.problems
        self._rule_lines: dict[str, int] = {}

    def read_rules(
        self,
        catalogue_fields: dict[str, Node],
        areas: list[ParsedArea],
        min_profile_areas: int | None,
        max_profile_areas: int | None,
    ) -> list[ParsedRule]:
        rule_nodes = self.reader.sequence(catalogue_fields, "rules", "", max_items=MAX_RULES)
        if rule_nodes is None:
            return []
        area_by_code = {area.code: area for area in areas if area.code}
        rules: list[ParsedRule] = []
        for index, rule_node in enumerate(rule_nodes, start=1):
            rule = self._read_rule(rule_node, index, areas, area_by_code, min_profile_areas, max_profile_areas)
            if rule is not None:
                rules.append(rule)
        return rules

    def _read_rule(
        self,
        node: Node,
        index: int,
        areas: list[ParsedArea],
        area_by_code: dict[str, ParsedArea],
        min_profile_areas: int | None,
        max_profile_areas: int | None,
    ) -> ParsedRule | None:
        reader = self.reader
        path = list_entry_path("rules", index, node)
        fields = reader.mapping(node, path, RULE_KEYS)
        if fields is None:
            return None
        code = reader.text(fields, "code", path, max_length=max_length(ThresholdRule, "code"), required=True)
        if code:
            self.problems.first_use(
                fields,
                path,
                code,
                self._rule_lines,
                _("Die Regel „%(code)s“ ist bereits in Zeile %(line)d angelegt."),
            )
        area_codes = self._read_rule_areas(fields, path, area_by_code)
        chosen_only = reader.boolean(fields, "applies_to_chosen_profiles_only", path)
        minimums = {key: reader.integer(fields, key, path, minimum=1) for key in RULE_MINIMUM_KEYS}
        if not any(key in fields for key in RULE_MINIMUM_KEYS):
            self.problems.error(
                node,
                path,
                _("Die Regel hat kein Minimum; mindestens eines von min_basis, min_aufbau, min_points angeben."),
            )
        rule = ParsedRule(
            code=code or "",
            title=reader.text(fields, "title", path, max_length=max_length(ThresholdRule, "title"), required=True)
            or "",
            title_en=reader.text(fields, "title_en", path, max_length=max_length(ThresholdRule, "title_en")) or "",
            area_codes=area_codes or [],
            applies_to_chosen_profiles_only=bool(chosen_only),
            min_basis=minimums["min_basis"],
            min_aufbau=minimums["min_aufbau"],
            min_points=minimums["min_points"],
            is_assumption=bool(reader.boolean(fields, "assumption", path)),
        )
        # Reachability is only meaningful over a valid set of areas.
        if area_codes is None:
            return rule
        rule_areas = [area_by_code[area_code] for area_code in area_codes]
        if chosen_only and not any(area.is_selectable_profile for area in rule_areas):
            self.problems.error(
                fields["applies_to_chosen_profiles_only"],
                join(path, "applies_to_chosen_profiles_only"),
                _("Die Regel nennt keinen wählbaren Profilbereich; „nur gewählte Profilbereiche“ ist hier sinnlos."),
            )
        elif (
            min_profile_areas is not None
            and max_profile_areas is not None
            # Too many choices are refused at max_profile_areas, not tried here.
            and profile_choice_count(
                sum(1 for area in areas if area.is_selectable_profile), min_profile_areas, max_profile_areas
            )
            <= MAX_PROFILE_CHOICES
        ):
            self._check_satisfiable(node, path, rule, rule_areas, areas, min_profile_areas, max_profile_areas)
        return rule

    def _read_rule_areas(
        self, fields: dict[str, Node], path: str, area_by_code: dict[str, ParsedArea]
    ) -> list[str] | None:
        """The rule's area codes, or None if any of them is invalid (so the
        satisfiability check does not run on a wrong set)."""
        nodes = self.reader.sequence(fields, "areas", path, max_items=MAX_RULE_AREAS)
        if nodes is None:
            return None
        codes: list[str] = []
        valid = True
        entry_path = join(path, "areas")
        for node in nodes:
            if not is_text(node):
                self._wrong_area_type(node, entry_path)
                valid = False
                continue
            area_code = node.value.strip()
            if area_code not in area_by_code:
                self.problems.error(
                    node,
                    entry_path,
                    _("Die Regel nennt den unbekannten Bereich „%(code)s“; vorhanden sind: %(known)s.")
                    % {"code": quoted(area_code), "known": ", ".join(area_by_code) or "–"},
                )
                valid = False
            elif area_code in codes:
                self.problems.error(
                    node, entry_path, _("Der Bereich „%(code)s“ ist doppelt genannt.") % {"code": area_code}
                )
                valid = False
            else:
                codes.append(area_code)
        return codes if valid else None

    def _wrong_area_type(self, node: Node, entry_path: str) -> None:
        # An unquoted 1 or 4.1 reads as a number; say how to make it a code.
        hint = (
            _('Kennungen in Anführungszeichen setzen, z. B. "%(value)s".') % {"value": quoted(node.value)}
            if isinstance(node, ScalarNode)
            else ""
        )
        self.reader.wrong_type(node, entry_path, _("eine Bereichskennung als Text"), hint)

    def _check_satisfiable(
        self,
        rule_node: Node,
        path: str,
        rule: ParsedRule,
        rule_areas: list[ParsedArea],
        areas: list[ParsedArea],
        min_profile_areas: int,
        max_profile_areas: int,
    ) -> None:
        """A rule must be reachable by a centre that fulfils every criterion,
        whatever profile it is allowed to choose; otherwise no centre with
        that choice could ever pass. Unchosen profile areas do not count for
        a chosen-only rule (as in assessments.evaluation, which also checks a
        rule none of whose areas counts, so such a choice has 0 available)."""
        choices = _profile_choices(rule, areas, min_profile_areas, max_profile_areas)
        for key, label in (
            ("min_basis", _("erfüllte Basiskriterien")),
            ("min_aufbau", _("erfüllte Aufbaukriterien")),
            ("min_points", _("Punkte")),
        ):
            minimum = getattr(rule, key)
            if minimum is None:
                continue
            worst = _worst_choice(rule_areas, choices, key)
            if worst is None or worst[0] >= minimum:
                continue
            available, choice = worst
            if choice is None:
                problem = _(
                    "Die Regel verlangt mindestens %(minimum)d %(what)s, in den Bereichen %(areas)s sind aber "
                    "nur %(available)d möglich."
                )
            else:
                problem = _(
                    "Die Regel verlangt mindestens %(minimum)d %(what)s, bei der Profilwahl %(choice)s sind in "
                    "den Bereichen der Regel aber nur %(available)d möglich."
                )
            self.problems.error(
                rule_node,
                join(path, key),
                problem
                % {
                    "minimum": minimum,
                    "what": label,
                    "areas": ", ".join(rule.area_codes),
                    "available": available,
                    "choice": ", ".join(sorted(choice or ())) or "–",
                },
            )


def _profile_choices(
    rule: ParsedRule, areas: list[ParsedArea], min_profile_areas: int, max_profile_areas: int
) -> list[_Choice]:
    """Every profile choice the catalogue allows, where the rule depends on it."""
    if not rule.applies_to_chosen_profiles_only:
        return [None]
    selectable = [area.code for area in areas if area.is_selectable_profile]
    return [
        frozenset(choice)
        for size in range(min_profile_areas, min(max_profile_areas, len(selectable)) + 1)
        for choice in itertools.combinations(selectable, size)
    ]


def _worst_choice(rule_areas: list[ParsedArea], choices: list[_Choice], minimum_key: str) -> tuple[int, _Choice] | None:
    """The choice leaving the least to reach (the first of equals, so the
    message is stable), with that amount; None when there is no choice."""
    worst: tuple[int, _Choice] | None = None
    # Each area's amount once, not once per choice: choices times criteria could be millions.
    by_area = [(area, _available([area], minimum_key)) for area in rule_areas]
    for choice in choices:
        available = sum(
            amount
            for area, amount in by_area
            if choice is None or not area.is_selectable_profile or area.code in choice
        )
        if worst is None or available < worst[0]:
            worst = (available, choice)
    return worst


def _available(areas: list[ParsedArea], minimum_key: str) -> int:
    criteria = [criterion for area in areas for criterion in area.criteria]
    if minimum_key == "min_basis":
        return sum(1 for criterion in criteria if criterion.level == CriterionLevel.BASIS)
    if minimum_key == "min_aufbau":
        return sum(1 for criterion in criteria if criterion.level == CriterionLevel.AUFBAU)
    return sum(criterion.points for criterion in criteria)
