"""Reading a catalogue file: bytes to UTF-8 text, text to a YAML node tree
that keeps every line, and node values to plain Python values.

Validation runs completely before anything is written and collects every
problem it finds, each naming the file, the line and the key path, so that a
catalogue editor can fix a file in one pass. The schema is documented in
certification/catalogues/README.md; its rules live in checks.py.
"""

from __future__ import annotations

import datetime
import difflib
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import yaml
from django.utils.translation import gettext as _
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from certification.catalogue.checks import CatalogueChecks
from certification.catalogue.nodes import is_text, join, line, quoted
from certification.catalogue.schema import (
    MAX_FILE_BYTES,
    MAX_LONG_TEXT_LENGTH,
    MAX_NESTING_DEPTH,
    MAX_PROBLEMS,
    SMALL_INT_MAX,
)

if TYPE_CHECKING:
    from certification.catalogue.parsed import ParsedCatalogue
    from certification.catalogue.schema import Keys

CATALOGUE_DIR = Path(__file__).resolve().parent.parent / "catalogues"
# The first working version: the test fixtures and the bench are built on it,
# and assessments begun on it stay on it.
SHIPPED_CATALOGUE = CATALOGUE_DIR / "gfz-2020-arbeitsfassung.yaml"
# Its corrected successor (2020-AF2: 4H with one criterion, frequencies,
# assumption marks), the version new assessments get from its valid_from on.
CORRECTED_CATALOGUE = CATALOGUE_DIR / "gfz-2020-arbeitsfassung-af2.yaml"

# The C parser is much faster and keeps the same line marks; fall back to the
# pure-Python one where libyaml is missing.
_YamlLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class CatalogueError(Exception):
    """A catalogue file was refused; `messages` lists every reason."""

    def __init__(self, messages: Iterable[str]):
        self.messages = list(messages)
        super().__init__("\n".join(self.messages))


def read_catalogue_file(path: str | Path) -> ParsedCatalogue:
    """Read and validate a file without touching the database."""
    path = Path(path)
    source_name = path.name
    try:
        # One byte more than allowed tells a too large file without reading it all.
        with path.open("rb") as file:
            raw = file.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise CatalogueError(
            [_("%(file)s: Die Datei kann nicht gelesen werden (%(reason)s).") % {"file": path, "reason": exc.strerror}]
        ) from exc
    if len(raw) > MAX_FILE_BYTES:
        raise CatalogueError([_too_large(source_name)])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line_number = raw[: exc.start].count(b"\n") + 1
        raise CatalogueError(
            [
                _("%(file)s, Zeile %(line)d: Die Datei ist nicht in UTF-8 kodiert.")
                % {"file": source_name, "line": line_number}
            ]
        ) from exc
    return parse_catalogue(text, source_name)


def parse_catalogue(text: str, source_name: str) -> ParsedCatalogue:
    """Validate catalogue YAML completely; pure, no database. Raises
    CatalogueError with every problem found."""
    # Characters take at least one byte: a text that long is too large unencoded.
    if len(text) > MAX_FILE_BYTES:
        raise CatalogueError([_too_large(source_name)])
    encoded = text.encode("utf-8", errors="surrogatepass")
    if len(encoded) > MAX_FILE_BYTES:
        raise CatalogueError([_too_large(source_name)])
    source_sha256 = hashlib.sha256(encoded).hexdigest()
    root = _compose(text, source_name)
    _check_structure(root, source_name)
    problems = Problems(source_name)
    try:
        parsed = CatalogueChecks(FieldReader(problems)).read(root, source_name, source_sha256)
    except _TooManyProblems:
        raise CatalogueError(
            [
                *problems.sorted_messages(),
                _("%(file)s: Die Prüfung wurde nach %(count)d Problemen abgebrochen; es kann weitere geben.")
                % {"file": source_name, "count": MAX_PROBLEMS},
            ]
        ) from None
    if problems.errors:
        raise CatalogueError(problems.sorted_messages())
    assert parsed is not None  # no errors means every part was read
    return parsed


def _compose(text: str, source_name: str) -> Node:
    """The node tree rather than constructed values, because only nodes
    remember the line each value stands on."""
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
    except RecursionError as exc:
        # The pure-Python parser recurses once per level of nesting.
        raise CatalogueError([_too_deep(source_name, None, "")]) from exc
    except yaml.YAMLError as exc:
        raise CatalogueError(
            [_("%(file)s: kein gültiges YAML (%(problem)s).") % {"file": source_name, "problem": quoted(str(exc))}]
        ) from exc
    if root is None:
        raise CatalogueError([_("%(file)s: Die Datei ist leer.") % {"file": source_name}])
    return root


def _too_large(source_name: str) -> str:
    return _("%(file)s: Die Datei ist größer als %(max)d MB; so groß ist kein Kriterienkatalog.") % {
        "file": source_name,
        "max": MAX_FILE_BYTES // (1024 * 1024),
    }


def _too_deep(source_name: str, node: Node | None, path: str) -> str:
    return _(
        "%(file)s, Zeile %(line)d, %(path)s: Die Werte sind tiefer als %(max)d Ebenen verschachtelt; "
        "so tief ist kein Kriterienkatalog."
    ) % {"file": source_name, "line": line(node) if node else 1, "path": path or _("Katalog"), "max": MAX_NESTING_DEPTH}


def _check_structure(root: Node, source_name: str) -> None:
    """Refuse what YAML allows but a catalogue never needs, before any check
    walks the tree: reused values (anchors and aliases, with which a small
    file can stand for a huge tree, "billion laughs") and deep nesting. The
    composer keeps an alias as the very node it names, so a node met twice
    is one. Iterative, so no nesting depth can exhaust the stack."""
    seen: set[int] = set()
    stack: list[tuple[Node, str, int]] = [(root, "", 1)]
    while stack:
        node, path, depth = stack.pop()
        if id(node) in seen:
            raise CatalogueError(
                [
                    _(
                        "%(file)s, %(path)s: Anker und Verweise (&name, *name) sind in Katalogdateien nicht "
                        "erlaubt; hier wird der Wert aus Zeile %(line)d wiederverwendet. Schreiben Sie jeden "
                        "Wert aus."
                    )
                    % {"file": source_name, "line": line(node), "path": path or _("Katalog")}
                ]
            )
        seen.add(id(node))
        if depth > MAX_NESTING_DEPTH:
            raise CatalogueError([_too_deep(source_name, node, path)])
        children: list[tuple[Node, str, int]] = []
        if isinstance(node, MappingNode):
            for key_node, value_node in node.value:
                key = quoted(key_node.value) if is_text(key_node) else "?"
                children.append((key_node, path, depth + 1))
                children.append((value_node, join(path, key), depth + 1))
        elif isinstance(node, SequenceNode):
            for index, item_node in enumerate(node.value, start=1):
                children.append((item_node, f"{path}[#{index}]", depth + 1))
        # Reversed onto the stack, so the walk goes in file order and the
        # original value is met before its reuse.
        stack.extend(reversed(children))


class _TooManyProblems(Exception):
    """Raised by Problems after MAX_PROBLEMS; ends the checks."""


class Problems:
    """Every problem found in one file, each with its line and key path."""

    def __init__(self, source_name: str):
        self.source_name = source_name
        self.errors: list[tuple[int, int, str]] = []

    def error(self, node: Node, path: str, problem: str) -> None:
        message = _("%(file)s, Zeile %(line)d, %(path)s: %(problem)s") % {
            "file": self.source_name,
            "line": line(node),
            "path": path or _("Katalog"),
            "problem": problem,
        }
        # The sequence number keeps messages of one line in the order found.
        self.errors.append((line(node), len(self.errors), message))
        if len(self.errors) >= MAX_PROBLEMS:
            raise _TooManyProblems

    def first_use(self, fields: dict[str, Node], path: str, code: str, seen: dict[str, int], repeated: str) -> bool:
        """Remember the line where `code` first appears; report a repeat with
        `repeated` (naming %(code)s and %(line)d). True on the first use."""
        if code in seen:
            self.error(fields["code"], join(path, "code"), repeated % {"code": code, "line": seen[code]})
            return False
        seen[code] = line(fields["code"])
        return True

    def sorted_messages(self) -> list[str]:
        return [message for _line_number, _sequence, message in sorted(self.errors)]


@dataclass(frozen=True)
class _InvalidScalar:
    """A scalar YAML resolved to a type but could not build (e.g. 2020-13-01)."""

    raw: str


class _Scalars:
    """Builds a scalar node's value with YAML's safe constructor, so that
    no tag can create arbitrary objects, and names it for an error message."""

    def __init__(self):
        self._constructor = SafeConstructor()

    def construct(self, node: ScalarNode):
        try:
            return self._constructor.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError):
            return _InvalidScalar(node.value)

    def describe(self, node: Node) -> str:
        if isinstance(node, MappingNode):
            return _("eine Zuordnung (Schlüssel: Wert)")
        if isinstance(node, SequenceNode):
            return _("eine Liste")
        value = self.construct(node)
        if value is None:
            return _("ein leerer Wert")
        shown = quoted(node.value)
        if isinstance(value, _InvalidScalar):
            return _("der ungültige Wert „%(value)s“") % {"value": shown}
        if isinstance(value, bool):
            return _("der Wahrheitswert %(value)s") % {"value": shown}
        if isinstance(value, int):
            return _("die ganze Zahl %(value)s") % {"value": shown}
        if isinstance(value, float):
            return _("die Kommazahl %(value)s") % {"value": shown}
        if isinstance(value, datetime.date):
            return _("das Datum %(value)s") % {"value": shown}
        return _("der Text „%(value)s“") % {"value": shown}


class FieldReader:
    """Reads the keys of mapping nodes as typed values. A value that is
    absent, of the wrong type or out of range is reported to `problems` and
    read as None, so reading goes on and finds every other problem too."""

    def __init__(self, problems: Problems):
        self.problems = problems
        self._scalars = _Scalars()

    def wrong_type(self, node: Node, path: str, expected: str, hint: str = "") -> None:
        problem = _("erwartet %(expected)s, gefunden %(found)s.") % {
            "expected": expected,
            "found": self._scalars.describe(node),
        }
        self.problems.error(node, path, f"{problem} {hint}".strip())

    def mapping(self, node: Node, path: str, keys: Keys) -> dict[str, Node] | None:
        if not isinstance(node, MappingNode):
            self.wrong_type(node, path, _("eine Zuordnung (Schlüssel: Wert)"))
            return None
        fields: dict[str, Node] = {}
        for key_node, value_node in node.value:
            if not is_text(key_node):
                self.problems.error(key_node, path, _("Ein Schlüssel muss ein einfacher Name sein."))
                continue
            key = key_node.value
            if key in fields:
                self.problems.error(key_node, join(path, key), _("Der Schlüssel ist doppelt angegeben."))
            elif key not in keys.allowed:
                self.problems.error(key_node, join(path, quoted(key)), _unknown_key_problem(key, keys))
            else:
                fields[key] = value_node
        for key in keys.required:
            if key not in fields:
                self.problems.error(node, path, _("Der Pflichtschlüssel „%(key)s“ fehlt.") % {"key": key})
        return fields

    def sequence(self, fields: dict[str, Node], key: str, path: str, *, max_items: int) -> list[Node] | None:
        """A required, non-empty list of at most max_items entries; None when
        absent (already reported) or invalid."""
        node = fields.get(key)
        if node is None:
            return None
        if not isinstance(node, SequenceNode):
            self.wrong_type(node, join(path, key), _("eine Liste"))
            return None
        if not node.value:
            self.problems.error(node, join(path, key), _("Die Liste darf nicht leer sein."))
            return None
        if len(node.value) > max_items:
            self.problems.error(
                node,
                join(path, key),
                _("Die Liste hat %(count)d Einträge, erlaubt sind höchstens %(max)d.")
                % {"count": len(node.value), "max": max_items},
            )
            return None
        return node.value

    def text(
        self,
        fields: dict[str, Node],
        key: str,
        path: str,
        *,
        max_length: int = MAX_LONG_TEXT_LENGTH,
        required: bool = False,
    ) -> str | None:
        """Returns "" for an absent optional text, None when invalid or missing.
        Without a column's max_length, a text is a long one (MAX_LONG_TEXT_LENGTH)."""
        node = fields.get(key)
        if node is None:
            return None if required else ""
        key_path = join(path, key)
        if is_text(node):
            value = node.value.strip()
        elif not required and isinstance(node, ScalarNode) and self._scalars.construct(node) is None:
            return ""
        else:
            hint = ""
            if isinstance(node, ScalarNode) and key == "code":
                hint = _('Kennungen in Anführungszeichen setzen, z. B. "%(value)s".') % {"value": quoted(node.value)}
            elif isinstance(node, ScalarNode):
                hint = _("Text in Anführungszeichen setzen.")
            self.wrong_type(node, key_path, _("einen Text"), hint)
            return None
        if required and not value:
            self.problems.error(node, key_path, _("Der Wert darf nicht leer sein."))
            return None
        if len(value) > max_length:
            self.problems.error(
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
        value = self._scalars.construct(node) if isinstance(node, ScalarNode) else None
        if not isinstance(value, bool):
            self.wrong_type(node, join(path, key), _("true oder false"))
            return None
        return value

    def integer(
        self, fields: dict[str, Node], key: str, path: str, *, minimum: int, default: int | None = None
    ) -> int | None:
        node = fields.get(key)
        if node is None:
            return default
        value = self._scalars.construct(node) if isinstance(node, ScalarNode) else None
        # bool is a subclass of int in Python; "points: true" is a mistake, not 1.
        if not isinstance(value, int) or isinstance(value, bool):
            self.wrong_type(node, join(path, key), _("eine ganze Zahl"))
            return None
        if value < minimum or value > SMALL_INT_MAX:
            self.problems.error(
                node,
                join(path, key),
                _("erwartet eine ganze Zahl von %(min)d bis %(max)d, gefunden %(value)d.")
                % {"min": minimum, "max": SMALL_INT_MAX, "value": value},
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
            self.problems.error(
                fields[key],
                join(path, key),
                _("„%(value)s“ ist nicht erlaubt; erlaubt sind: %(allowed)s.")
                % {
                    "value": quoted(value),
                    "allowed": ", ".join(f"{choice.value} ({choice.label})" for choice in choices),
                },
            )
            return None
        return value

    def date(self, fields: dict[str, Node], key: str, path: str) -> datetime.date | None:
        node = fields.get(key)
        if node is None:
            return None
        value = self._scalars.construct(node) if isinstance(node, ScalarNode) else None
        if isinstance(value, str):
            try:
                value = datetime.date.fromisoformat(value)
            except ValueError:
                value = _InvalidScalar(node.value)
        if isinstance(value, datetime.datetime) or not isinstance(value, datetime.date):
            if isinstance(node, ScalarNode):
                problem = _("„%(value)s“ ist kein gültiges Datum; erwartet JJJJ-MM-TT, z. B. 2020-08-01.") % {
                    "value": quoted(node.value)
                }
                self.problems.error(node, join(path, key), problem)
            else:
                self.wrong_type(node, join(path, key), _("ein Datum (JJJJ-MM-TT)"))
            return None
        return value


def _unknown_key_problem(key: str, keys: Keys) -> str:
    key = quoted(key)
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
