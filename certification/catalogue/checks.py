"""The validation of a catalogue: its header, areas, criteria and items
(the threshold rules are in rule_checks.py).

Each check reads its part of the node tree through a FieldReader, reports
every problem it finds and goes on, so one run lists all of a file's
problems. Problems are sorted by line at the end but keep the order they were
found in within one line; the checks therefore run in a fixed order.
"""

from __future__ import annotations

import dataclasses
import re
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from certification.catalogue.frequency_checks import FrequencyChecks
from certification.catalogue.nodes import join, list_entry_path
from certification.catalogue.parsed import ParsedArea, ParsedCatalogue, ParsedCriterion, ParsedItem
from certification.catalogue.rule_checks import RuleChecks
from certification.catalogue.schema import (
    AREA_KEYS,
    CATALOGUE_KEYS,
    CRITERION_KEYS,
    ITEM_KEYS,
    MAX_AREAS,
    MAX_CRITERIA_PER_AREA,
    MAX_ITEMS_PER_CRITERION,
    MAX_PROFILE_CHOICES,
    PROFILE_ONLY_AREA_KEYS,
    max_length,
    profile_choice_count,
)
from certification.models import (
    Area,
    AreaKind,
    CatalogueVersion,
    Criterion,
    CriterionItem,
    CriterionLevel,
    ItemLogic,
)

if TYPE_CHECKING:
    from yaml.nodes import Node

    from certification.catalogue.reader import FieldReader

_SLUG = re.compile(r"^[-a-zA-Z0-9_]+$")


class CatalogueChecks:
    """The whole file: the catalogue's own keys, then its areas and rules."""

    def __init__(self, reader: FieldReader):
        self.reader = reader
        self.problems = reader.problems

    def read(self, root: Node, source_name: str, source_sha256: str) -> ParsedCatalogue | None:
        reader = self.reader
        fields = reader.mapping(root, "", CATALOGUE_KEYS)
        if fields is None:
            return None
        code = reader.text(fields, "code", "", max_length=max_length(CatalogueVersion, "code"), required=True)
        if code and not _SLUG.match(code):
            self.problems.error(
                fields["code"],
                "code",
                _("Die Kennung darf nur Buchstaben ohne Umlaute, Ziffern, Binde- und Unterstriche enthalten."),
            )
        version = reader.text(fields, "version", "", max_length=max_length(CatalogueVersion, "version"), required=True)
        title = reader.text(fields, "title", "", max_length=max_length(CatalogueVersion, "title"), required=True)
        valid_from = reader.date(fields, "valid_from", "")
        is_working_version = reader.boolean(fields, "is_working_version", "")
        title_en = reader.text(fields, "title_en", "", max_length=max_length(CatalogueVersion, "title_en")) or ""
        description = reader.text(fields, "description", "")
        description_en = reader.text(fields, "description_en", "") or ""
        min_profile_areas = reader.integer(fields, "min_profile_areas", "", minimum=0, default=1)
        max_profile_areas = reader.integer(fields, "max_profile_areas", "", minimum=0, default=1)

        areas = AreaChecks(reader).read_areas(fields)
        self._check_profile_counts(root, fields, areas, min_profile_areas, max_profile_areas)
        rules = RuleChecks(reader).read_rules(fields, areas, min_profile_areas, max_profile_areas)

        if self.problems.errors:
            return None
        return ParsedCatalogue(
            code=code,
            version=version,
            title=title,
            title_en=title_en,
            valid_from=valid_from,
            is_working_version=is_working_version,
            description=description,
            description_en=description_en,
            min_profile_areas=min_profile_areas,
            max_profile_areas=max_profile_areas,
            areas=areas,
            rules=rules,
            source_name=source_name,
            source_sha256=source_sha256,
        )

    def _check_profile_counts(
        self,
        root: Node,
        fields: dict[str, Node],
        areas: list[ParsedArea],
        min_profile_areas: int | None,
        max_profile_areas: int | None,
    ) -> None:
        if min_profile_areas is None or max_profile_areas is None:
            return
        where = fields.get("min_profile_areas") or fields.get("max_profile_areas") or root
        if min_profile_areas > max_profile_areas:
            self.problems.error(
                where,
                "min_profile_areas",
                _("min_profile_areas (%(min)d) ist größer als max_profile_areas (%(max)d).")
                % {"min": min_profile_areas, "max": max_profile_areas},
            )
        selectable = [area.code for area in areas if area.is_selectable_profile]
        choices = profile_choice_count(len(selectable), min_profile_areas, max_profile_areas)
        if choices > MAX_PROFILE_CHOICES:
            self.problems.error(
                fields.get("max_profile_areas") or root,
                "max_profile_areas",
                _(
                    "Bei %(count)d wählbaren Profilbereichen und %(min)d bis %(max)d zu wählenden gibt es "
                    "%(choices)d mögliche Profilwahlen; erlaubt sind höchstens %(limit)d."
                )
                % {
                    "count": len(selectable),
                    "min": min_profile_areas,
                    "max": max_profile_areas,
                    "choices": choices,
                    "limit": MAX_PROFILE_CHOICES,
                },
            )
        if max_profile_areas > len(selectable):
            self.problems.error(
                fields.get("max_profile_areas") or root,
                "max_profile_areas",
                _(
                    "Es sollen bis zu %(max)d Profilbereiche gewählt werden, der Katalog hat aber nur %(count)d "
                    "wählbare (Profilbereiche ohne always_required): %(areas)s."
                )
                % {"max": max_profile_areas, "count": len(selectable), "areas": ", ".join(selectable) or "–"},
            )


class AreaChecks:
    """The list of areas, each with its criteria."""

    def __init__(self, reader: FieldReader):
        self.reader = reader
        self.problems = reader.problems
        self._area_lines: dict[str, int] = {}
        # One instance for all areas: criterion codes are unique catalogue-wide.
        self._criteria = CriterionChecks(reader)

    def read_areas(self, catalogue_fields: dict[str, Node]) -> list[ParsedArea]:
        area_nodes = self.reader.sequence(catalogue_fields, "areas", "", max_items=MAX_AREAS)
        if area_nodes is None:
            return []
        areas: list[ParsedArea] = []
        for index, area_node in enumerate(area_nodes, start=1):
            area = self._read_area(area_node, index)
            if area is not None:
                areas.append(area)
        return areas

    def _read_area(self, node: Node, index: int) -> ParsedArea | None:
        reader = self.reader
        path = list_entry_path("areas", index, node)
        fields = reader.mapping(node, path, AREA_KEYS)
        if fields is None:
            return None
        code = reader.text(fields, "code", path, max_length=max_length(Area, "code"), required=True)
        if code:
            self.problems.first_use(
                fields,
                path,
                code,
                self._area_lines,
                _("Der Bereich „%(code)s“ ist bereits in Zeile %(line)d angelegt."),
            )
        kind = reader.choice(fields, "kind", path, AreaKind)
        if kind and kind != AreaKind.PROFILE:
            self._check_profile_only_keys(fields, path, kind)
        area = ParsedArea(
            code=code or "",
            kind=kind or "",
            title=reader.text(fields, "title", path, max_length=max_length(Area, "title"), required=True) or "",
            title_en=reader.text(fields, "title_en", path, max_length=max_length(Area, "title_en")) or "",
            description=reader.text(fields, "description", path) or "",
            description_en=reader.text(fields, "description_en", path) or "",
            always_required=bool(reader.boolean(fields, "always_required", path)),
            criteria=[],
        )
        for criterion_index, criterion_node in enumerate(
            reader.sequence(fields, "criteria", path, max_items=MAX_CRITERIA_PER_AREA) or [], start=1
        ):
            criterion = self._criteria.read(criterion_node, f"{path}.criteria", criterion_index, code)
            if criterion is not None:
                area.criteria.append(criterion)
        return area

    def _check_profile_only_keys(self, fields: dict[str, Node], path: str, kind: str) -> None:
        for key in PROFILE_ONLY_AREA_KEYS:
            if key in fields:
                self.problems.error(
                    fields[key],
                    join(path, key),
                    _("„%(key)s“ ist nur bei Profilbereichen (kind: profile) erlaubt, dieser Bereich ist %(kind)s.")
                    % {"key": key, "kind": kind},
                )


class CriterionChecks:
    """One criterion and its items (main statement and sub-items)."""

    def __init__(self, reader: FieldReader):
        self.reader = reader
        self.problems = reader.problems
        self._criterion_lines: dict[str, int] = {}
        self._frequencies = FrequencyChecks(reader)

    def read(self, node: Node, list_path: str, index: int, area_code: str | None) -> ParsedCriterion | None:
        reader = self.reader
        path = list_entry_path(list_path, index, node)
        fields = reader.mapping(node, path, CRITERION_KEYS)
        if fields is None:
            return None
        code = reader.text(fields, "code", path, max_length=max_length(Criterion, "code"), required=True)
        if code:
            self._check_code(fields, path, code, area_code)
        title = reader.text(fields, "title", path, max_length=max_length(Criterion, "title"), required=True)
        level = reader.choice(fields, "level", path, CriterionLevel)
        points = reader.integer(fields, "points", path, minimum=0)
        qualification_min_hours = reader.integer(fields, "qualification_min_hours", path, minimum=1)
        hours_are_assumption = reader.boolean(fields, "qualification_min_hours_assumption", path)
        if hours_are_assumption and "qualification_min_hours" not in fields:
            self.problems.error(
                fields["qualification_min_hours_assumption"],
                join(path, "qualification_min_hours_assumption"),
                _("Ohne qualification_min_hours gibt es keinen Mindestumfang, der eine Annahme sein könnte."),
            )
        logic = reader.choice(fields, "logic", path, ItemLogic) if "logic" in fields else ""
        typical_evidence = reader.text(fields, "typical_evidence", path) or ""
        # Absent, the criterion expects evidence when the file names what
        # typically proves it: the certifier checks answers against uploaded
        # documents, and a file that names typical evidence means exactly that.
        evidence_required = (
            reader.boolean(fields, "evidence_required", path)
            if "evidence_required" in fields
            else bool(typical_evidence)
        )
        items = self._read_items(fields, path, code)
        if "frequency" in fields:
            items = self._with_main_frequency(fields, path, items)
        if items and len(items) > 1 and "logic" not in fields:
            self.problems.error(
                node,
                path,
                _(
                    "Das Kriterium hat %(count)d Punkte, aber keine Verknüpfung: logic: all (UND) oder "
                    "logic: any (ODER) angeben."
                )
                % {"count": len(items)},
            )
        return ParsedCriterion(
            code=code or "",
            title=title or "",
            title_en=reader.text(fields, "title_en", path, max_length=max_length(Criterion, "title_en")) or "",
            level=level or "",
            points=points if points is not None else 0,
            # A single statement needs no combination; "all" states that it must hold.
            logic=logic or ItemLogic.ALL,
            guidance=reader.text(fields, "guidance", path) or "",
            guidance_en=reader.text(fields, "guidance_en", path) or "",
            typical_evidence=typical_evidence,
            typical_evidence_en=reader.text(fields, "typical_evidence_en", path) or "",
            evidence_required=bool(evidence_required),
            qualification_min_hours=qualification_min_hours,
            per_site=bool(reader.boolean(fields, "per_site", path)),
            items=items,
            qualification_min_hours_is_assumption=bool(hours_are_assumption),
        )

    def _with_main_frequency(self, fields: dict[str, Node], path: str, items: list[ParsedItem]) -> list[ParsedItem]:
        """The criterion's `frequency` is its main item's: written once, on
        either, so two places cannot disagree."""
        key_path = join(path, "frequency")
        frequency = self._frequencies.read(fields["frequency"], key_path)
        main_node = _main_item_node(fields)
        if main_node is not None and _has_key(main_node, "frequency"):
            self.problems.error(
                fields["frequency"],
                key_path,
                _(
                    "Die Häufigkeit steht schon beim ersten Punkt (der Hauptaussage); geben Sie sie nur an "
                    "einer Stelle an."
                ),
            )
            return items
        if frequency is None or not items:
            return items
        return [dataclasses.replace(items[0], frequency=frequency), *items[1:]]

    def _check_code(self, fields: dict[str, Node], path: str, code: str, area_code: str | None) -> None:
        self.problems.first_use(
            fields,
            path,
            code,
            self._criterion_lines,
            _("Das Kriterium „%(code)s“ ist bereits in Zeile %(line)d angelegt; Kennungen gelten im ganzen Katalog."),
        )
        if area_code and not _criterion_belongs_to_area(code, area_code):
            self.problems.error(
                fields["code"],
                join(path, "code"),
                _("Die Kennung „%(code)s“ gehört nicht zum Bereich „%(area)s“ (erwartet z. B. „%(example)s“).")
                % {
                    "code": code,
                    "area": area_code,
                    "example": f"{area_code}1" if area_code[-1].isalpha() else f"{area_code}.1",
                },
            )

    def _read_items(self, criterion_fields: dict[str, Node], path: str, criterion_code: str | None) -> list[ParsedItem]:
        items: list[ParsedItem] = []
        # Item codes need only be unique within their criterion.
        item_lines: dict[str, int] = {}
        for index, item_node in enumerate(
            self.reader.sequence(criterion_fields, "items", path, max_items=MAX_ITEMS_PER_CRITERION) or [], start=1
        ):
            item = self._read_item(
                item_node, list_entry_path(f"{path}.items", index, item_node), index, criterion_code, item_lines
            )
            if item is not None:
                items.append(item)
        return items

    def _read_item(
        self, node: Node, path: str, index: int, criterion_code: str | None, item_lines: dict[str, int]
    ) -> ParsedItem | None:
        reader = self.reader
        fields = reader.mapping(node, path, ITEM_KEYS)
        if fields is None:
            return None
        code = reader.text(fields, "code", path, max_length=max_length(CriterionItem, "code"), required=True)
        if code and self.problems.first_use(
            fields,
            path,
            code,
            item_lines,
            _("Der Punkt „%(code)s“ ist in diesem Kriterium bereits in Zeile %(line)d angelegt."),
        ):
            if criterion_code:
                self._check_item_code(fields["code"], path, code, criterion_code, is_main=index == 1)
        return ParsedItem(
            code=code or "",
            text=reader.text(fields, "text", path, required=True) or "",
            text_en=reader.text(fields, "text_en", path) or "",
            frequency=(
                self._frequencies.read(fields["frequency"], join(path, "frequency")) if "frequency" in fields else None
            ),
        )

    def _check_item_code(self, node: Node, path: str, code: str, criterion_code: str, *, is_main: bool) -> None:
        if is_main and code != criterion_code:
            self.problems.error(
                node,
                join(path, "code"),
                _(
                    "Der erste Punkt ist die Hauptaussage und trägt die Kennung des Kriteriums „%(criterion)s“, "
                    "nicht „%(code)s“."
                )
                % {"criterion": criterion_code, "code": code},
            )
        elif not is_main and not (code.startswith(f"{criterion_code}.") and len(code) > len(criterion_code) + 1):
            self.problems.error(
                node,
                join(path, "code"),
                _(
                    "Die Kennung „%(code)s“ passt nicht zum Kriterium „%(criterion)s“; "
                    "Unterpunkte heißen „%(criterion)s.1“ usw."
                )
                % {"code": code, "criterion": criterion_code},
            )


def _main_item_node(criterion_fields: dict[str, Node]) -> Node | None:
    items = criterion_fields.get("items")
    if isinstance(items, SequenceNode) and items.value:
        return items.value[0]
    return None


def _has_key(node: Node, key: str) -> bool:
    return isinstance(node, MappingNode) and any(
        isinstance(key_node, ScalarNode) and key_node.value == key for key_node, _value in node.value
    )


def _criterion_belongs_to_area(criterion_code: str, area_code: str) -> bool:
    """Numbered areas use "<area>.<n>" ("1.3" in "1"); lettered profile areas
    append the number directly ("4B1" in "4B"). A bare prefix test would
    wrongly accept "10.1" in area "1"."""
    if not criterion_code.startswith(area_code) or criterion_code == area_code:
        return False
    rest = criterion_code[len(area_code) :]
    return rest.startswith(".") or (area_code[-1].isalpha() and rest[0].isdigit())
