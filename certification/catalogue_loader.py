"""Reads a criteria catalogue from a YAML file, validates all of it and writes
it as one immutable CatalogueVersion with its areas, criteria, items and
threshold rules.

Validation runs completely before anything is written and collects every
problem it finds, each naming the file, the line and the key path, so that a
catalogue editor can fix a file in one pass. The schema is documented in
certification/catalogues/README.md.
"""

from __future__ import annotations

import datetime
import difflib
import hashlib
import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from certification.models import (
    Area,
    AreaKind,
    CatalogueVersion,
    Criterion,
    CriterionItem,
    CriterionLevel,
    ItemLogic,
    ThresholdRule,
)

CATALOGUE_DIR = Path(__file__).resolve().parent / "catalogues"
SHIPPED_CATALOGUE = CATALOGUE_DIR / "gfz-2020-arbeitsfassung.yaml"

# The C parser is much faster and keeps the same line marks; fall back to the
# pure-Python one where libyaml is missing.
_YamlLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_STR_TAG = "tag:yaml.org,2002:str"
_SLUG = re.compile(r"^[-a-zA-Z0-9_]+$")
# PositiveSmallIntegerField's upper bound on every backend Django supports.
_SMALL_INT_MAX = 32767


class CatalogueError(Exception):
    """A catalogue file was refused; `messages` lists every reason."""

    def __init__(self, messages: Iterable[str]):
        self.messages = list(messages)
        super().__init__("\n".join(self.messages))


# --------------------------------------------------------------------------
# The parsed catalogue: plain data, no database.
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class ParsedItem:
    code: str
    text: str
    text_en: str


@dataclass(frozen=True)
class ParsedCriterion:
    code: str
    title: str
    title_en: str
    level: str
    points: int
    logic: str
    guidance: str
    typical_evidence: str
    qualification_min_hours: int | None
    per_site: bool
    items: list[ParsedItem]


@dataclass(frozen=True)
class ParsedArea:
    code: str
    kind: str
    title: str
    title_en: str
    description: str
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
    area_codes: list[str]
    applies_to_chosen_profiles_only: bool
    min_basis: int | None
    min_aufbau: int | None
    min_points: int | None


@dataclass(frozen=True)
class ParsedCatalogue:
    code: str
    version: str
    title: str
    valid_from: datetime.date
    is_working_version: bool
    description: str
    min_profile_areas: int
    max_profile_areas: int
    areas: list[ParsedArea]
    rules: list[ParsedRule]
    source_name: str
    source_sha256: str

    @property
    def criteria_count(self) -> int:
        return sum(len(area.criteria) for area in self.areas)


@dataclass(frozen=True)
class LoadResult:
    catalogue: CatalogueVersion
    created: bool
    summary: str


# --------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------


def load_catalogue_file(path: str | Path) -> LoadResult:
    """Validate the file and write it in one transaction. Loading the same
    content again is a no-op; a changed file under a loaded version is refused."""
    return write_catalogue(read_catalogue_file(path))


def read_catalogue_file(path: str | Path) -> ParsedCatalogue:
    """Read and validate a file without touching the database."""
    path = Path(path)
    source_name = path.name
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise CatalogueError(
            [_("%(file)s: Die Datei kann nicht gelesen werden (%(reason)s).") % {"file": path, "reason": exc.strerror}]
        ) from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise CatalogueError(
            [_("%(file)s, Zeile %(line)d: Die Datei ist nicht in UTF-8 kodiert.") % {"file": source_name, "line": line}]
        ) from exc
    return parse_catalogue(text, source_name)


def parse_catalogue(text: str, source_name: str) -> ParsedCatalogue:
    """Validate catalogue YAML completely; pure, no database. Raises
    CatalogueError with every problem found."""
    source_sha256 = hashlib.sha256(text.encode("utf-8")).hexdigest()
    try:
        root = yaml.compose(text, Loader=_YamlLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or str(exc)
        raise CatalogueError(
            [
                _("%(file)s, Zeile %(line)d: kein gültiges YAML (%(problem)s).")
                % {"file": source_name, "line": mark.line + 1 if mark else 1, "problem": problem}
            ]
        ) from exc
    except yaml.reader.ReaderError as exc:
        # A forbidden character carries a character position, not a mark.
        raise CatalogueError(
            [
                _("%(file)s, Zeile %(line)d: Die Datei enthält das unzulässige Steuerzeichen %(character)s.")
                % {
                    "file": source_name,
                    "line": text[: exc.position].count("\n") + 1,
                    "character": f"#x{exc.character:04x}" if isinstance(exc.character, int) else exc.character,
                }
            ]
        ) from exc
    if root is None:
        raise CatalogueError([_("%(file)s: Die Datei ist leer.") % {"file": source_name}])
    reader = _CatalogueReader(source_name)
    parsed = reader.read(root, source_sha256)
    if reader.errors:
        raise CatalogueError(reader.sorted_messages())
    assert parsed is not None  # no errors means every part was read
    return parsed


def write_catalogue(parsed: ParsedCatalogue) -> LoadResult:
    """Write a validated catalogue, or confirm it is already loaded unchanged."""
    existing = _loaded_version(parsed)
    if existing is not None:
        return _unchanged_or_refused(existing, parsed)
    try:
        with transaction.atomic():
            catalogue = _insert(parsed)
    except IntegrityError:
        # Another process loaded the same version between our check and insert.
        existing = _loaded_version(parsed)
        if existing is None:
            raise
        return _unchanged_or_refused(existing, parsed)
    summary = _(
        "%(file)s: %(title)s, Version %(version)s geladen – %(areas)d Bereiche, "
        "%(criteria)d Kriterien, %(rules)d Schwellenregeln."
    ) % {
        "file": parsed.source_name,
        "title": parsed.title,
        "version": parsed.version,
        "areas": len(parsed.areas),
        "criteria": parsed.criteria_count,
        "rules": len(parsed.rules),
    }
    return LoadResult(catalogue=catalogue, created=True, summary=summary)


# --------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------


def _loaded_version(parsed: ParsedCatalogue) -> CatalogueVersion | None:
    return CatalogueVersion.objects.filter(code=parsed.code, version=parsed.version).first()


def _unchanged_or_refused(existing: CatalogueVersion, parsed: ParsedCatalogue) -> LoadResult:
    if existing.source_sha256 == parsed.source_sha256:
        summary = _("%(file)s: %(title)s, Version %(version)s ist bereits geladen; nichts geändert.") % {
            "file": parsed.source_name,
            "title": existing.title,
            "version": existing.version,
        }
        return LoadResult(catalogue=existing, created=False, summary=summary)
    raise CatalogueError(
        [
            _(
                "%(file)s: Version %(version)s des Katalogs %(code)s ist bereits geladen und unveränderlich "
                "(aus %(loaded_from)s, mit anderem Inhalt); geben Sie dem geänderten Katalog eine neue "
                "Versionsnummer."
            )
            % {
                "file": parsed.source_name,
                "version": parsed.version,
                "code": parsed.code,
                "loaded_from": existing.source_name,
            }
        ]
    )


def _insert(parsed: ParsedCatalogue) -> CatalogueVersion:
    """One bulk insert per table, so the query count does not grow with the
    catalogue (beyond the database's own batching of very large inserts)."""
    catalogue = CatalogueVersion.objects.create(
        code=parsed.code,
        version=parsed.version,
        title=parsed.title,
        valid_from=parsed.valid_from,
        is_working_version=parsed.is_working_version,
        description=parsed.description,
        min_profile_areas=parsed.min_profile_areas,
        max_profile_areas=parsed.max_profile_areas,
        source_name=parsed.source_name,
        source_sha256=parsed.source_sha256,
    )
    areas = Area.objects.bulk_create(
        [
            Area(
                catalogue=catalogue,
                code=area.code,
                kind=area.kind,
                title=area.title,
                title_en=area.title_en,
                description=area.description,
                always_required=area.always_required,
                order=order,
            )
            for order, area in enumerate(parsed.areas, start=1)
        ]
    )
    criterion_pairs = [
        (
            parsed_criterion,
            Criterion(
                catalogue=catalogue,
                area=area,
                code=parsed_criterion.code,
                title=parsed_criterion.title,
                title_en=parsed_criterion.title_en,
                guidance=parsed_criterion.guidance,
                level=parsed_criterion.level,
                points=parsed_criterion.points,
                typical_evidence=parsed_criterion.typical_evidence,
                qualification_min_hours=parsed_criterion.qualification_min_hours,
                logic=parsed_criterion.logic,
                per_site=parsed_criterion.per_site,
                order=order,
            ),
        )
        for parsed_area, area in zip(parsed.areas, areas, strict=True)
        for order, parsed_criterion in enumerate(parsed_area.criteria, start=1)
    ]
    Criterion.objects.bulk_create([criterion for _parsed, criterion in criterion_pairs])
    CriterionItem.objects.bulk_create(
        [
            CriterionItem(criterion=criterion, code=item.code, text=item.text, text_en=item.text_en, order=order)
            for parsed_criterion, criterion in criterion_pairs
            for order, item in enumerate(parsed_criterion.items, start=1)
        ]
    )
    rules = ThresholdRule.objects.bulk_create(
        [
            ThresholdRule(
                catalogue=catalogue,
                code=rule.code,
                title=rule.title,
                applies_to_chosen_profiles_only=rule.applies_to_chosen_profiles_only,
                min_basis=rule.min_basis,
                min_aufbau=rule.min_aufbau,
                min_points=rule.min_points,
                order=order,
            )
            for order, rule in enumerate(parsed.rules, start=1)
        ]
    )
    area_by_code = {area.code: area for area in areas}
    rule_area_link = ThresholdRule.areas.through
    rule_area_link.objects.bulk_create(
        [
            rule_area_link(thresholdrule=rule, area=area_by_code[area_code])
            for parsed_rule, rule in zip(parsed.rules, rules, strict=True)
            for area_code in parsed_rule.area_codes
        ]
    )
    return catalogue


# --------------------------------------------------------------------------
# Reading and validating
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Keys:
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()

    @property
    def allowed(self) -> tuple[str, ...]:
        return self.required + self.optional


_CATALOGUE_KEYS = _Keys(
    required=("code", "version", "title", "valid_from", "areas", "rules"),
    optional=("is_working_version", "description", "min_profile_areas", "max_profile_areas"),
)
_AREA_KEYS = _Keys(
    required=("code", "kind", "title", "criteria"),
    optional=("title_en", "description", "always_required"),
)
_PROFILE_ONLY_AREA_KEYS = ("always_required",)
_CRITERION_KEYS = _Keys(
    required=("code", "title", "level", "points", "items"),
    optional=("title_en", "guidance", "typical_evidence", "qualification_min_hours", "logic", "per_site"),
)
_ITEM_KEYS = _Keys(required=("code", "text"), optional=("text_en",))
_RULE_KEYS = _Keys(
    required=("code", "title", "areas"),
    optional=("applies_to_chosen_profiles_only", "min_basis", "min_aufbau", "min_points"),
)
_RULE_MINIMUM_KEYS = ("min_basis", "min_aufbau", "min_points")


def _max_length(model, field_name: str) -> int:
    return model._meta.get_field(field_name).max_length


def _line(node: Node) -> int:
    return node.start_mark.line + 1


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _list_entry_path(path: str, index: int, node: Node) -> str:
    """Name a list entry by its code where it has one, else by its position
    (1-based, as a person counts), e.g. areas[4B].criteria[4B1] or areas[#3]."""
    if isinstance(node, MappingNode):
        for key_node, value_node in node.value:
            if (
                isinstance(key_node, ScalarNode)
                and key_node.value == "code"
                and isinstance(value_node, ScalarNode)
                and value_node.tag == _STR_TAG
                and value_node.value.strip()
            ):
                return f"{path}[{value_node.value.strip()}]"
    return f"{path}[#{index}]"


def _criterion_belongs_to_area(criterion_code: str, area_code: str) -> bool:
    """Numbered areas use "<area>.<n>" ("1.3" in "1"); lettered profile areas
    append the number directly ("4B1" in "4B"). A bare prefix test would
    wrongly accept "10.1" in area "1"."""
    if not criterion_code.startswith(area_code) or criterion_code == area_code:
        return False
    rest = criterion_code[len(area_code) :]
    return rest.startswith(".") or (area_code[-1].isalpha() and rest[0].isdigit())


class _CatalogueReader:
    """Walks the composed YAML node tree, converts values and collects every
    problem with its line and key path."""

    def __init__(self, source_name: str):
        self.source_name = source_name
        self.errors: list[tuple[int, int, str]] = []
        self._constructor = SafeConstructor()

    # -- errors ------------------------------------------------------------

    def first_use(self, fields: dict[str, Node], path: str, code: str, seen: dict[str, int], repeated: str) -> bool:
        """Remember the line where `code` first appears; report a repeat with
        `repeated` (naming %(code)s and %(line)d). True on the first use."""
        if code in seen:
            self.error(fields["code"], _join(path, "code"), repeated % {"code": code, "line": seen[code]})
            return False
        seen[code] = _line(fields["code"])
        return True

    def error(self, node: Node, path: str, problem: str) -> None:
        message = _("%(file)s, Zeile %(line)d, %(path)s: %(problem)s") % {
            "file": self.source_name,
            "line": _line(node),
            "path": path or _("Katalog"),
            "problem": problem,
        }
        # The sequence number keeps messages of one line in the order found.
        self.errors.append((_line(node), len(self.errors), message))

    def sorted_messages(self) -> list[str]:
        return [message for _line_number, _sequence, message in sorted(self.errors)]

    # -- generic readers ---------------------------------------------------

    def _describe(self, node: Node) -> str:
        if isinstance(node, MappingNode):
            return _("eine Zuordnung (Schlüssel: Wert)")
        if isinstance(node, SequenceNode):
            return _("eine Liste")
        value = self._construct(node)
        if value is None:
            return _("ein leerer Wert")
        if isinstance(value, _InvalidScalar):
            return _("der ungültige Wert „%(value)s“") % {"value": node.value}
        if isinstance(value, bool):
            return _("der Wahrheitswert %(value)s") % {"value": node.value}
        if isinstance(value, int):
            return _("die ganze Zahl %(value)s") % {"value": node.value}
        if isinstance(value, float):
            return _("die Kommazahl %(value)s") % {"value": node.value}
        if isinstance(value, datetime.date):
            return _("das Datum %(value)s") % {"value": node.value}
        return _("der Text „%(value)s“") % {"value": node.value}

    def _construct(self, node: ScalarNode):
        try:
            return self._constructor.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError):
            return _InvalidScalar(node.value)

    def _wrong_type(self, node: Node, path: str, expected: str, hint: str = "") -> None:
        problem = _("erwartet %(expected)s, gefunden %(found)s.") % {
            "expected": expected,
            "found": self._describe(node),
        }
        self.error(node, path, f"{problem} {hint}".strip())

    def mapping(self, node: Node, path: str, keys: _Keys) -> dict[str, Node] | None:
        if not isinstance(node, MappingNode):
            self._wrong_type(node, path, _("eine Zuordnung (Schlüssel: Wert)"))
            return None
        fields: dict[str, Node] = {}
        for key_node, value_node in node.value:
            if not (isinstance(key_node, ScalarNode) and key_node.tag == _STR_TAG):
                self.error(key_node, path, _("Ein Schlüssel muss ein einfacher Name sein."))
                continue
            key = key_node.value
            if key in fields:
                self.error(key_node, _join(path, key), _("Der Schlüssel ist doppelt angegeben."))
            elif key not in keys.allowed:
                self.error(key_node, _join(path, key), self._unknown_key_problem(key, keys))
            else:
                fields[key] = value_node
        for key in keys.required:
            if key not in fields:
                self.error(node, path, _("Der Pflichtschlüssel „%(key)s“ fehlt.") % {"key": key})
        return fields

    def _unknown_key_problem(self, key: str, keys: _Keys) -> str:
        suggestions = difflib.get_close_matches(key, keys.allowed, n=1)
        if suggestions:
            return _("unbekannter Schlüssel „%(key)s“ – meinten Sie „%(suggestion)s“?") % {
                "key": key,
                "suggestion": suggestions[0],
            }
        return _("unbekannter Schlüssel „%(key)s“; erlaubt sind: %(allowed)s.") % {
            "key": key,
            "allowed": ", ".join(keys.allowed),
        }

    def sequence(self, fields: dict[str, Node], key: str, path: str) -> list[Node] | None:
        """A required, non-empty list; None when absent (already reported) or invalid."""
        node = fields.get(key)
        if node is None:
            return None
        if not isinstance(node, SequenceNode):
            self._wrong_type(node, _join(path, key), _("eine Liste"))
            return None
        if not node.value:
            self.error(node, _join(path, key), _("Die Liste darf nicht leer sein."))
            return None
        return node.value

    def text(
        self,
        fields: dict[str, Node],
        key: str,
        path: str,
        *,
        max_length: int | None = None,
        required: bool = False,
    ) -> str | None:
        """Returns "" for an absent optional text, None when invalid or missing."""
        node = fields.get(key)
        if node is None:
            return None if required else ""
        key_path = _join(path, key)
        if isinstance(node, ScalarNode) and node.tag == _STR_TAG:
            value = node.value.strip()
        elif not required and isinstance(node, ScalarNode) and self._construct(node) is None:
            return ""
        else:
            hint = ""
            if isinstance(node, ScalarNode) and key == "code":
                hint = _('Kennungen in Anführungszeichen setzen, z. B. "%(value)s".') % {"value": node.value}
            elif isinstance(node, ScalarNode):
                hint = _("Text in Anführungszeichen setzen.")
            self._wrong_type(node, key_path, _("einen Text"), hint)
            return None
        if required and not value:
            self.error(node, key_path, _("Der Wert darf nicht leer sein."))
            return None
        if max_length is not None and len(value) > max_length:
            self.error(
                node,
                key_path,
                _("Der Text ist %(length)d Zeichen lang, erlaubt sind höchstens %(max)d.")
                % {"length": len(value), "max": max_length},
            )
            return None
        return value

    def boolean(self, fields: dict[str, Node], key: str, path: str) -> bool | None:
        node = fields.get(key)
        if node is None:
            return False
        value = self._construct(node) if isinstance(node, ScalarNode) else None
        if not isinstance(value, bool):
            self._wrong_type(node, _join(path, key), _("true oder false"))
            return None
        return value

    def integer(
        self, fields: dict[str, Node], key: str, path: str, *, minimum: int, default: int | None = None
    ) -> int | None:
        node = fields.get(key)
        if node is None:
            return default
        value = self._construct(node) if isinstance(node, ScalarNode) else None
        # bool is a subclass of int in Python; "points: true" is a mistake, not 1.
        if not isinstance(value, int) or isinstance(value, bool):
            self._wrong_type(node, _join(path, key), _("eine ganze Zahl"))
            return None
        if value < minimum or value > _SMALL_INT_MAX:
            self.error(
                node,
                _join(path, key),
                _("erwartet eine ganze Zahl von %(min)d bis %(max)d, gefunden %(value)d.")
                % {"min": minimum, "max": _SMALL_INT_MAX, "value": value},
            )
            return None
        return value

    def choice(self, fields: dict[str, Node], key: str, path: str, choices) -> str | None:
        # An absent key is reported by mapping() where it is required; a
        # present but empty one must not slip through as "no choice".
        value = self.text(fields, key, path, required=True)
        if value is None:
            return None
        if value not in choices.values:
            self.error(
                fields[key],
                _join(path, key),
                _("„%(value)s“ ist nicht erlaubt; erlaubt sind: %(allowed)s.")
                % {
                    "value": value,
                    "allowed": ", ".join(f"{choice.value} ({choice.label})" for choice in choices),
                },
            )
            return None
        return value

    def date(self, fields: dict[str, Node], key: str, path: str) -> datetime.date | None:
        node = fields.get(key)
        if node is None:
            return None
        value = self._construct(node) if isinstance(node, ScalarNode) else None
        if isinstance(value, str):
            try:
                value = datetime.date.fromisoformat(value)
            except ValueError:
                value = _InvalidScalar(node.value)
        if isinstance(value, datetime.datetime) or not isinstance(value, datetime.date):
            if isinstance(node, ScalarNode):
                problem = _("„%(value)s“ ist kein gültiges Datum; erwartet JJJJ-MM-TT, z. B. 2020-08-01.") % {
                    "value": node.value
                }
                self.error(node, _join(path, key), problem)
            else:
                self._wrong_type(node, _join(path, key), _("ein Datum (JJJJ-MM-TT)"))
            return None
        return value

    # -- the catalogue -----------------------------------------------------

    def read(self, root: Node, source_sha256: str) -> ParsedCatalogue | None:
        fields = self.mapping(root, "", _CATALOGUE_KEYS)
        if fields is None:
            return None
        code = self.text(fields, "code", "", max_length=_max_length(CatalogueVersion, "code"), required=True)
        if code and not _SLUG.match(code):
            self.error(
                fields["code"],
                "code",
                _("Die Kennung darf nur Buchstaben ohne Umlaute, Ziffern, Binde- und Unterstriche enthalten."),
            )
        version = self.text(fields, "version", "", max_length=_max_length(CatalogueVersion, "version"), required=True)
        title = self.text(fields, "title", "", max_length=_max_length(CatalogueVersion, "title"), required=True)
        valid_from = self.date(fields, "valid_from", "")
        is_working_version = self.boolean(fields, "is_working_version", "")
        description = self.text(fields, "description", "")
        min_profile_areas = self.integer(fields, "min_profile_areas", "", minimum=0, default=1)
        max_profile_areas = self.integer(fields, "max_profile_areas", "", minimum=0, default=1)

        areas = self._read_areas(fields)
        self._check_profile_counts(root, fields, areas, min_profile_areas, max_profile_areas)
        rules = self._read_rules(fields, areas, min_profile_areas, max_profile_areas)

        if self.errors:
            return None
        return ParsedCatalogue(
            code=code,
            version=version,
            title=title,
            valid_from=valid_from,
            is_working_version=is_working_version,
            description=description,
            min_profile_areas=min_profile_areas,
            max_profile_areas=max_profile_areas,
            areas=areas,
            rules=rules,
            source_name=self.source_name,
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
            self.error(
                where,
                "min_profile_areas",
                _("min_profile_areas (%(min)d) ist größer als max_profile_areas (%(max)d).")
                % {"min": min_profile_areas, "max": max_profile_areas},
            )
        selectable = [area.code for area in areas if area.is_selectable_profile]
        if max_profile_areas > len(selectable):
            self.error(
                fields.get("max_profile_areas") or root,
                "max_profile_areas",
                _(
                    "Es sollen bis zu %(max)d Profilbereiche gewählt werden, der Katalog hat aber nur %(count)d "
                    "wählbare (Profilbereiche ohne always_required): %(areas)s."
                )
                % {"max": max_profile_areas, "count": len(selectable), "areas": ", ".join(selectable) or "–"},
            )

    # -- areas, criteria, items --------------------------------------------

    def _read_areas(self, catalogue_fields: dict[str, Node]) -> list[ParsedArea]:
        area_nodes = self.sequence(catalogue_fields, "areas", "")
        if area_nodes is None:
            return []
        areas: list[ParsedArea] = []
        area_lines: dict[str, int] = {}
        criterion_lines: dict[str, int] = {}
        for index, area_node in enumerate(area_nodes, start=1):
            path = _list_entry_path("areas", index, area_node)
            fields = self.mapping(area_node, path, _AREA_KEYS)
            if fields is None:
                continue
            code = self.text(fields, "code", path, max_length=_max_length(Area, "code"), required=True)
            if code:
                self.first_use(
                    fields, path, code, area_lines, _("Der Bereich „%(code)s“ ist bereits in Zeile %(line)d angelegt.")
                )
            kind = self.choice(fields, "kind", path, AreaKind)
            if kind and kind != AreaKind.PROFILE:
                for key in _PROFILE_ONLY_AREA_KEYS:
                    if key in fields:
                        self.error(
                            fields[key],
                            _join(path, key),
                            _(
                                "„%(key)s“ ist nur bei Profilbereichen (kind: profile) erlaubt, "
                                "dieser Bereich ist %(kind)s."
                            )
                            % {"key": key, "kind": kind},
                        )
            area = ParsedArea(
                code=code or "",
                kind=kind or "",
                title=self.text(fields, "title", path, max_length=_max_length(Area, "title"), required=True) or "",
                title_en=self.text(fields, "title_en", path, max_length=_max_length(Area, "title_en")) or "",
                description=self.text(fields, "description", path) or "",
                always_required=bool(self.boolean(fields, "always_required", path)),
                criteria=[],
            )
            for criterion_index, criterion_node in enumerate(self.sequence(fields, "criteria", path) or [], start=1):
                criterion = self._read_criterion(
                    criterion_node, f"{path}.criteria", criterion_index, code, criterion_lines
                )
                if criterion is not None:
                    area.criteria.append(criterion)
            areas.append(area)
        return areas

    def _read_criterion(
        self,
        node: Node,
        list_path: str,
        index: int,
        area_code: str | None,
        criterion_lines: dict[str, int],
    ) -> ParsedCriterion | None:
        path = _list_entry_path(list_path, index, node)
        fields = self.mapping(node, path, _CRITERION_KEYS)
        if fields is None:
            return None
        code = self.text(fields, "code", path, max_length=_max_length(Criterion, "code"), required=True)
        if code:
            self.first_use(
                fields,
                path,
                code,
                criterion_lines,
                _(
                    "Das Kriterium „%(code)s“ ist bereits in Zeile %(line)d angelegt; "
                    "Kennungen gelten im ganzen Katalog."
                ),
            )
            if area_code and not _criterion_belongs_to_area(code, area_code):
                self.error(
                    fields["code"],
                    _join(path, "code"),
                    _("Die Kennung „%(code)s“ gehört nicht zum Bereich „%(area)s“ (erwartet z. B. „%(example)s“).")
                    % {
                        "code": code,
                        "area": area_code,
                        "example": f"{area_code}1" if area_code[-1].isalpha() else f"{area_code}.1",
                    },
                )
        title = self.text(fields, "title", path, max_length=_max_length(Criterion, "title"), required=True)
        level = self.choice(fields, "level", path, CriterionLevel)
        points = self.integer(fields, "points", path, minimum=0)
        qualification_min_hours = self.integer(fields, "qualification_min_hours", path, minimum=1)
        logic = self.choice(fields, "logic", path, ItemLogic) if "logic" in fields else ""
        items = self._read_items(fields, path, code)
        if items and len(items) > 1 and "logic" not in fields:
            self.error(
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
            title_en=self.text(fields, "title_en", path, max_length=_max_length(Criterion, "title_en")) or "",
            level=level or "",
            points=points if points is not None else 0,
            # A single statement needs no combination; "all" states that it must hold.
            logic=logic or ItemLogic.ALL,
            guidance=self.text(fields, "guidance", path) or "",
            typical_evidence=self.text(fields, "typical_evidence", path) or "",
            qualification_min_hours=qualification_min_hours,
            per_site=bool(self.boolean(fields, "per_site", path)),
            items=items,
        )

    def _read_items(self, criterion_fields: dict[str, Node], path: str, criterion_code: str | None) -> list[ParsedItem]:
        items: list[ParsedItem] = []
        item_lines: dict[str, int] = {}
        for index, item_node in enumerate(self.sequence(criterion_fields, "items", path) or [], start=1):
            item_path = _list_entry_path(f"{path}.items", index, item_node)
            fields = self.mapping(item_node, item_path, _ITEM_KEYS)
            if fields is None:
                continue
            code = self.text(fields, "code", item_path, max_length=_max_length(CriterionItem, "code"), required=True)
            if code and self.first_use(
                fields,
                item_path,
                code,
                item_lines,
                _("Der Punkt „%(code)s“ ist in diesem Kriterium bereits in Zeile %(line)d angelegt."),
            ):
                if criterion_code:
                    self._check_item_code(fields["code"], item_path, code, criterion_code, is_main=index == 1)
            items.append(
                ParsedItem(
                    code=code or "",
                    text=self.text(fields, "text", item_path, required=True) or "",
                    text_en=self.text(fields, "text_en", item_path) or "",
                )
            )
        return items

    def _check_item_code(self, node: Node, path: str, code: str, criterion_code: str, *, is_main: bool) -> None:
        if is_main and code != criterion_code:
            self.error(
                node,
                _join(path, "code"),
                _(
                    "Der erste Punkt ist die Hauptaussage und trägt die Kennung des Kriteriums „%(criterion)s“, "
                    "nicht „%(code)s“."
                )
                % {"criterion": criterion_code, "code": code},
            )
        elif not is_main and not (code.startswith(f"{criterion_code}.") and len(code) > len(criterion_code) + 1):
            self.error(
                node,
                _join(path, "code"),
                _(
                    "Die Kennung „%(code)s“ passt nicht zum Kriterium „%(criterion)s“; "
                    "Unterpunkte heißen „%(criterion)s.1“ usw."
                )
                % {"code": code, "criterion": criterion_code},
            )

    # -- rules ---------------------------------------------------------------

    def _read_rules(
        self,
        catalogue_fields: dict[str, Node],
        areas: list[ParsedArea],
        min_profile_areas: int | None,
        max_profile_areas: int | None,
    ) -> list[ParsedRule]:
        rule_nodes = self.sequence(catalogue_fields, "rules", "")
        if rule_nodes is None:
            return []
        area_by_code = {area.code: area for area in areas if area.code}
        rules: list[ParsedRule] = []
        rule_lines: dict[str, int] = {}
        for index, rule_node in enumerate(rule_nodes, start=1):
            path = _list_entry_path("rules", index, rule_node)
            fields = self.mapping(rule_node, path, _RULE_KEYS)
            if fields is None:
                continue
            code = self.text(fields, "code", path, max_length=_max_length(ThresholdRule, "code"), required=True)
            if code:
                self.first_use(
                    fields, path, code, rule_lines, _("Die Regel „%(code)s“ ist bereits in Zeile %(line)d angelegt.")
                )
            area_codes = self._read_rule_areas(fields, path, area_by_code)
            chosen_only = self.boolean(fields, "applies_to_chosen_profiles_only", path)
            minimums = {key: self.integer(fields, key, path, minimum=1) for key in _RULE_MINIMUM_KEYS}
            if not any(key in fields for key in _RULE_MINIMUM_KEYS):
                self.error(
                    rule_node,
                    path,
                    _("Die Regel hat kein Minimum; mindestens eines von min_basis, min_aufbau, min_points angeben."),
                )
            rule = ParsedRule(
                code=code or "",
                title=self.text(fields, "title", path, max_length=_max_length(ThresholdRule, "title"), required=True)
                or "",
                area_codes=area_codes or [],
                applies_to_chosen_profiles_only=bool(chosen_only),
                min_basis=minimums["min_basis"],
                min_aufbau=minimums["min_aufbau"],
                min_points=minimums["min_points"],
            )
            rules.append(rule)
            if area_codes is None:
                continue
            rule_areas = [area_by_code[area_code] for area_code in area_codes]
            if chosen_only and not any(area.is_selectable_profile for area in rule_areas):
                self.error(
                    fields["applies_to_chosen_profiles_only"],
                    _join(path, "applies_to_chosen_profiles_only"),
                    _(
                        "Die Regel nennt keinen wählbaren Profilbereich; "
                        "„nur gewählte Profilbereiche“ ist hier sinnlos."
                    ),
                )
            elif min_profile_areas is not None and max_profile_areas is not None:
                self._check_satisfiable(rule_node, path, rule, rule_areas, areas, min_profile_areas, max_profile_areas)
        return rules

    def _read_rule_areas(
        self, fields: dict[str, Node], path: str, area_by_code: dict[str, ParsedArea]
    ) -> list[str] | None:
        """The rule's area codes, or None if any of them is invalid (so the
        satisfiability check does not run on a wrong set)."""
        nodes = self.sequence(fields, "areas", path)
        if nodes is None:
            return None
        codes: list[str] = []
        valid = True
        for node in nodes:
            entry_path = _join(path, "areas")
            if not (isinstance(node, ScalarNode) and node.tag == _STR_TAG):
                hint = (
                    _('Kennungen in Anführungszeichen setzen, z. B. "%(value)s".') % {"value": node.value}
                    if isinstance(node, ScalarNode)
                    else ""
                )
                self._wrong_type(node, entry_path, _("eine Bereichskennung als Text"), hint)
                valid = False
                continue
            area_code = node.value.strip()
            if area_code not in area_by_code:
                self.error(
                    node,
                    entry_path,
                    _("Die Regel nennt den unbekannten Bereich „%(code)s“; vorhanden sind: %(known)s.")
                    % {"code": area_code, "known": ", ".join(area_by_code) or "–"},
                )
                valid = False
            elif area_code in codes:
                self.error(node, entry_path, _("Der Bereich „%(code)s“ ist doppelt genannt.") % {"code": area_code})
                valid = False
            else:
                codes.append(area_code)
        return codes if valid else None

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
        if rule.applies_to_chosen_profiles_only:
            selectable = [area.code for area in areas if area.is_selectable_profile]
            choices = [
                frozenset(choice)
                for size in range(min_profile_areas, min(max_profile_areas, len(selectable)) + 1)
                for choice in itertools.combinations(selectable, size)
            ]
        else:
            choices = [None]
        for key, label in (
            ("min_basis", _("erfüllte Basiskriterien")),
            ("min_aufbau", _("erfüllte Aufbaukriterien")),
            ("min_points", _("Punkte")),
        ):
            minimum = getattr(rule, key)
            if minimum is None:
                continue
            worst: tuple[int, frozenset[str] | None] | None = None
            for choice in choices:
                counting = [
                    area
                    for area in rule_areas
                    if choice is None or not area.is_selectable_profile or area.code in choice
                ]
                available = _available(counting, key)
                if worst is None or available < worst[0]:
                    worst = (available, choice)
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
            self.error(
                rule_node,
                _join(path, key),
                problem
                % {
                    "minimum": minimum,
                    "what": label,
                    "areas": ", ".join(rule.area_codes),
                    "available": available,
                    "choice": ", ".join(sorted(choice or ())) or "–",
                },
            )


def _available(areas: list[ParsedArea], minimum_key: str) -> int:
    criteria = [criterion for area in areas for criterion in area.criteria]
    if minimum_key == "min_basis":
        return sum(1 for criterion in criteria if criterion.level == CriterionLevel.BASIS)
    if minimum_key == "min_aufbau":
        return sum(1 for criterion in criteria if criterion.level == CriterionLevel.AUFBAU)
    return sum(criterion.points for criterion in criteria)


@dataclass(frozen=True)
class _InvalidScalar:
    """A scalar YAML resolved to a type but could not build (e.g. 2020-13-01)."""

    raw: str
