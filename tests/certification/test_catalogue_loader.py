"""The catalogue loader: the shipped working catalogue, immutability of loaded
versions, refusal of broken files (with file, line and key, nothing written),
the management command and the query budget."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pytest
import yaml
from django.core.management import CommandError, call_command
from django.db import connection

from certification.catalogue import (
    SHIPPED_CATALOGUE,
    CatalogueError,
    ParsedCatalogue,
    load_catalogue_file,
    parse_catalogue,
    read_catalogue_file,
)
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

SHIPPED_TEXT = SHIPPED_CATALOGUE.read_text(encoding="utf-8")
PROFILE_CODES = ["4B", "4F", "4K", "4L", "4M", "4P", "4H"]
SERVICE_AND_PROFILE_CODES = ["1", "2", "3", *PROFILE_CODES]

# A small valid catalogue whose lines the broken-file cases edit.
MINIMAL = """\
code: test-katalog
version: "1"
title: Testkatalog
valid_from: 2021-08-01
min_profile_areas: 1
max_profile_areas: 1
areas:
  - code: "1"
    kind: service
    title: Beratung
    criteria:
      - code: "1.1"
        title: Wegweiser
        level: basis
        points: 1
        logic: all
        items:
          - code: "1.1"
            text: Eine Übersicht liegt vor.
          - code: "1.1.1"
            text: Die Übersicht ist aktuell.
      - code: "1.2"
        title: Sprechstunde
        level: aufbau
        points: 2
        qualification_min_hours: 30
        items:
          - code: "1.2"
            text: Es gibt eine Sprechstunde.
  - code: 4B
    kind: profile
    title: Berufstätigkeit
    criteria:
      - code: 4B1
        title: Kinderkurs
        level: basis
        points: 1
        items:
          - code: 4B1
            text: Ein Kurs findet statt.
  - code: "5"
    kind: structure
    title: Sozialraum
    criteria:
      - code: "5.1"
        title: Analyse
        level: basis
        points: 1
        items:
          - code: "5.1"
            text: Eine Analyse liegt vor.
rules:
  - code: basis
    title: Basis
    areas: ["1", 4B, "5"]
    applies_to_chosen_profiles_only: true
    min_basis: 2
"""


def _edit(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"snippet not unique: {old!r}"
    return text.replace(old, new)


def _line_of(text: str, snippet: str) -> int:
    """The line on which `snippet` occurs; a snippet starting with spaces is
    anchored at the start of a line, so indentation tells list levels apart."""
    if snippet.startswith(" "):
        text, snippet = "\n" + text, "\n" + snippet
    assert text.count(snippet) == 1, f"snippet not unique: {snippet!r}"
    return text[: text.index(snippet)].count("\n") + 1


def _row_counts() -> dict[str, int]:
    return {
        "catalogues": CatalogueVersion.objects.count(),
        "areas": Area.objects.count(),
        "criteria": Criterion.objects.count(),
        "items": CriterionItem.objects.count(),
        "rules": ThresholdRule.objects.count(),
        "rule_areas": ThresholdRule.areas.through.objects.count(),
    }


# --------------------------------------------------------------------------
# The shipped catalogue
# --------------------------------------------------------------------------


def test_shipped_catalogue_parses_without_a_database():
    parsed = parse_catalogue(SHIPPED_TEXT, SHIPPED_CATALOGUE.name)

    assert parsed.is_working_version
    assert "Arbeitsfassung" in parsed.title
    assert parsed.criteria_count == 80


def test_shipped_catalogue_loads_with_expected_shape(catalogue):
    assert catalogue.is_working_version
    assert catalogue.version == "2020-AF1"
    assert str(catalogue.valid_from) == "2020-08-01"
    assert (catalogue.min_profile_areas, catalogue.max_profile_areas) == (1, 2)
    assert catalogue.source_name == "gfz-2020-arbeitsfassung.yaml"
    assert len(catalogue.source_sha256) == 64

    areas = {area.code: area for area in catalogue.areas.all()}
    assert list(areas) == ["1", "2", "3", *PROFILE_CODES, "5", "6", "7", "8"]
    assert {code for code, area in areas.items() if area.kind == AreaKind.SERVICE} == {"1", "2", "3"}
    assert {code for code, area in areas.items() if area.kind == AreaKind.PROFILE} == set(PROFILE_CODES)
    assert {code for code, area in areas.items() if area.kind == AreaKind.STRUCTURE} == {"5", "6", "7", "8"}
    assert [code for code, area in areas.items() if area.always_required] == ["4H"]

    criteria = catalogue.criteria.all()
    assert criteria.count() == 80
    assert criteria.filter(area__kind__in=[AreaKind.SERVICE, AreaKind.PROFILE]).count() == 48
    assert criteria.filter(area__kind=AreaKind.STRUCTURE).count() == 32
    assert criteria.filter(level=CriterionLevel.BASIS).count() == 48
    assert criteria.filter(level=CriterionLevel.AUFBAU).count() == 32


def test_shipped_criteria_carry_their_combination_and_items(catalogue):
    by_code = {criterion.code: criterion for criterion in catalogue.criteria.prefetch_related("items")}

    assert by_code["1.3"].qualification_min_hours == 30
    assert by_code["1.3"].logic == ItemLogic.ANY
    assert by_code["1.1"].logic == ItemLogic.ALL
    assert [item.code for item in by_code["1.1"].items.all()] == ["1.1", "1.1.1"]
    assert [item.code for item in by_code["1.3"].items.all()] == ["1.3", "1.3.1"]
    assert by_code["1.6"].logic == ItemLogic.ANY
    assert (by_code["4B1"].logic, by_code["4F1"].logic, by_code["4K1"].logic) == (
        ItemLogic.ALL,
        ItemLogic.ANY,
        ItemLogic.ALL,
    )
    assert [item.code for item in by_code["4B1"].items.all()] == ["4B1", "4B1.1"]
    assert by_code["4H1"].area.code == "4H"
    assert any(criterion.per_site for criterion in by_code.values())
    # Every criterion keeps its main statement first, under its own code.
    assert all(criterion.items.all()[0].code == code for code, criterion in by_code.items())


def test_shipped_rules_point_at_the_right_areas(catalogue):
    rules = {rule.code: rule for rule in catalogue.rules.prefetch_related("areas")}

    def area_codes(rule_code: str) -> set[str]:
        return {area.code for area in rules[rule_code].areas.all()}

    assert area_codes("basisleistungen") == set(SERVICE_AND_PROFILE_CODES)
    assert rules["basisleistungen"].applies_to_chosen_profiles_only
    assert rules["basisleistungen"].min_basis == 16
    assert area_codes("basisstrukturen") == {"5", "6", "7", "8"}
    assert rules["basisstrukturen"].min_basis == 12
    assert not rules["basisstrukturen"].applies_to_chosen_profiles_only
    assert area_codes("bereich-1") == {"1"}
    assert area_codes("profil") == {"4B", "4F", "4K", "4L", "4M", "4P"}
    assert all(area.catalogue_id == catalogue.pk for rule in rules.values() for area in rule.areas.all())


# --------------------------------------------------------------------------
# Versions are immutable and live side by side
# --------------------------------------------------------------------------


def test_loading_the_same_file_twice_is_a_no_op(catalogue):
    counts = _row_counts()

    result = load_catalogue_file(SHIPPED_CATALOGUE)

    assert result.created is False
    assert result.catalogue == catalogue
    assert "bereits geladen" in result.summary
    assert _row_counts() == counts


def test_a_changed_file_under_a_loaded_version_is_refused(catalogue, tmp_path):
    changed = tmp_path / "geaendert.yaml"
    changed.write_text(
        _edit(SHIPPED_TEXT, "title: Sozialraumanalyse\n", "title: Analyse des Sozialraums\n"), encoding="utf-8"
    )
    counts = _row_counts()

    with pytest.raises(CatalogueError) as refused:
        load_catalogue_file(changed)

    (message,) = refused.value.messages
    assert "geaendert.yaml" in message
    assert "Version 2020-AF1" in message
    assert "bereits geladen und unveränderlich" in message
    assert "neue Versionsnummer" in message
    assert _row_counts() == counts
    assert Criterion.objects.get(catalogue=catalogue, code="5.1").title == "Sozialraumanalyse"


def test_a_new_version_loads_beside_the_old_one(catalogue, tmp_path):
    next_version = tmp_path / "naechste.yaml"
    next_version.write_text(_edit(SHIPPED_TEXT, 'version: "2020-AF1"', 'version: "2020-AF2"'), encoding="utf-8")

    result = load_catalogue_file(next_version)

    assert result.created
    assert CatalogueVersion.objects.count() == 2
    assert Criterion.objects.count() == 160
    assert catalogue.criteria.count() == 80


# --------------------------------------------------------------------------
# Broken files: refused with file, line, key and reason; nothing written
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Broken:
    old: str
    new: str
    expected: tuple[str, ...]
    line_of: str | None = None  # the snippet on the reported line; defaults to `new`


BROKEN_FILES = {
    "invalid_yaml": Broken(
        "    title: Sozialraum\n",
        "    title: [Sozialraum\n",
        ("kein gültiges YAML",),
        line_of='    criteria:\n      - code: "5.1"',
    ),
    "missing_required_key": Broken(
        "        level: aufbau\n",
        "",
        ("areas[1].criteria[1.2]", "Pflichtschlüssel „level“ fehlt"),
        line_of='      - code: "1.2"\n',
    ),
    "unknown_key_typo": Broken(
        "        qualification_min_hours: 30\n",
        "        qualification_min_hours: 30\n        guidnace: Hinweis\n",
        ("areas[1].criteria[1.2].guidnace", "unbekannter Schlüssel", "meinten Sie „guidance“"),
        line_of="guidnace",
    ),
    "duplicate_key": Broken(
        "        points: 2\n",
        "        points: 2\n        points: 3\n",
        ("areas[1].criteria[1.2].points", "doppelt"),
        line_of="points: 3",
    ),
    "unquoted_code_is_a_number": Broken(
        '      - code: "1.2"\n        title: Sprechstunde',
        "      - code: 1.2\n        title: Sprechstunde",
        ("code", "erwartet einen Text", "Anführungszeichen"),
    ),
    "points_not_a_number": Broken(
        "        points: 2\n",
        "        points: zwei\n",
        ("areas[1].criteria[1.2].points", "erwartet eine ganze Zahl"),
    ),
    "points_not_an_integer": Broken(
        "        points: 2\n",
        "        points: 1.5\n",
        ("areas[1].criteria[1.2].points", "erwartet eine ganze Zahl", "Kommazahl 1.5"),
    ),
    "negative_points": Broken(
        "        points: 2\n",
        "        points: -1\n",
        ("areas[1].criteria[1.2].points", "von 0 bis", "gefunden -1"),
    ),
    "negative_qualification_hours": Broken(
        "qualification_min_hours: 30",
        "qualification_min_hours: -30",
        ("areas[1].criteria[1.2].qualification_min_hours", "gefunden -30"),
    ),
    "unknown_area_kind": Broken(
        "    kind: structure\n",
        "    kind: struktur\n",
        ("areas[5].kind", "„struktur“ ist nicht erlaubt", "structure"),
    ),
    "duplicate_area_code": Broken(
        '  - code: "5"\n    kind: structure\n    title: Sozialraum\n    criteria:\n      - code: "5.1"',
        '  - code: "1"\n    kind: structure\n    title: Sozialraum\n    criteria:\n      - code: "1.5"',
        ("areas[1].code", "Der Bereich „1“ ist bereits in Zeile 8 angelegt"),
        line_of='  - code: "1"\n    kind: structure',
    ),
    "duplicate_criterion_code": Broken(
        '      - code: "1.2"\n        title: Sprechstunde',
        '      - code: "1.1"\n        title: Sprechstunde',
        ("areas[1].criteria[1.1].code", "Das Kriterium „1.1“ ist bereits in Zeile 12 angelegt"),
        line_of='      - code: "1.1"\n        title: Sprechstunde',
    ),
    "criterion_outside_its_area": Broken(
        '      - code: "5.1"\n        title: Analyse',
        '      - code: "15.1"\n        title: Analyse',
        ("areas[5].criteria[15.1].code", "gehört nicht zum Bereich „5“"),
    ),
    "duplicate_item_code": Broken(
        "            text: Die Übersicht ist aktuell.\n",
        '            text: Die Übersicht ist aktuell.\n          - code: "1.1.1"\n            text: Doppelt.\n',
        ("areas[1].criteria[1.1].items[1.1.1].code", "bereits in Zeile 20 angelegt"),
        line_of='          - code: "1.1.1"\n            text: Doppelt.',
    ),
    "item_code_not_of_its_criterion": Broken(
        '          - code: "1.1.1"\n',
        '          - code: "1.2.1"\n',
        ("items[1.2.1].code", "passt nicht zum Kriterium „1.1“"),
    ),
    "main_item_code_differs": Broken(
        '          - code: "5.1"\n',
        '          - code: "5.1.1"\n',
        ("items[5.1.1].code", "Hauptaussage", "„5.1“"),
    ),
    "sub_items_without_logic": Broken(
        "        logic: all\n",
        "",
        ("areas[1].criteria[1.1]", "keine Verknüpfung", "logic: any (ODER)"),
        line_of='      - code: "1.1"\n',
    ),
    "invalid_logic": Broken(
        "        logic: all\n",
        "        logic: UND\n",
        ("areas[1].criteria[1.1].logic", "„UND“ ist nicht erlaubt", "all", "any"),
    ),
    "empty_level": Broken(
        "        level: aufbau\n",
        '        level: ""\n',
        ("areas[1].criteria[1.2].level", "darf nicht leer sein"),
    ),
    "invalid_level": Broken(
        "        level: aufbau\n",
        "        level: fortgeschritten\n",
        ("areas[1].criteria[1.2].level", "„fortgeschritten“ ist nicht erlaubt", "basis", "aufbau"),
    ),
    "rule_names_unknown_area": Broken(
        'areas: ["1", 4B, "5"]',
        'areas: ["1", 4B, "9"]',
        ("rules[basis].areas", "unbekannten Bereich „9“"),
    ),
    "rule_without_minimum": Broken(
        "    min_basis: 2\n",
        "",
        ("rules[basis]", "kein Minimum"),
        line_of="  - code: basis\n",
    ),
    "rule_not_satisfiable": Broken(
        "    min_basis: 2\n",
        "    min_basis: 4\n",
        ("rules[basis].min_basis", "mindestens 4 erfüllte Basiskriterien", "nur 3 möglich"),
        line_of="  - code: basis\n",
    ),
    "min_profiles_above_max": Broken(
        "min_profile_areas: 1\n",
        "min_profile_areas: 2\n",
        ("min_profile_areas", "größer als max_profile_areas"),
    ),
    "max_profiles_above_available": Broken(
        "max_profile_areas: 1\n",
        "max_profile_areas: 2\n",
        ("max_profile_areas", "nur 1 wählbare"),
    ),
    "profile_key_on_service_area": Broken(
        "    kind: service\n",
        "    kind: service\n    always_required: true\n",
        ("areas[1].always_required", "nur bei Profilbereichen"),
        line_of="always_required",
    ),
    "bad_date": Broken(
        "valid_from: 2021-08-01\n",
        "valid_from: 2021-02-30\n",
        ("valid_from", "„2021-02-30“ ist kein gültiges Datum"),
    ),
}


@pytest.mark.parametrize("case", BROKEN_FILES.values(), ids=BROKEN_FILES.keys())
def test_broken_file_is_refused_naming_file_line_and_key(case, catalogue, tmp_path):
    text = _edit(MINIMAL, case.old, case.new)
    path = tmp_path / "kaputt.yaml"
    path.write_text(text, encoding="utf-8")
    line = _line_of(text, case.line_of or case.new.strip("\n").split("\n")[0])
    counts = _row_counts()

    with pytest.raises(CatalogueError) as refused:
        load_catalogue_file(path)

    matching = [
        message
        for message in refused.value.messages
        if message.startswith(f"kaputt.yaml, Zeile {line}") and all(part in message for part in case.expected)
    ]
    assert matching, refused.value.messages
    assert _row_counts() == counts


def test_minimal_catalogue_itself_is_valid(db, tmp_path):
    path = tmp_path / "minimal.yaml"
    path.write_text(MINIMAL, encoding="utf-8")

    result = load_catalogue_file(path)

    assert result.created
    single = result.catalogue.criteria.get(code="1.2")
    assert single.logic == ItemLogic.ALL  # one statement needs no combination
    assert single.qualification_min_hours == 30


def test_every_problem_is_reported_at_once_in_line_order(db, tmp_path):
    text = MINIMAL
    text = _edit(text, "valid_from: 2021-08-01\n", "valid_from: gestern\n")
    text = _edit(text, "        level: aufbau\n", "        level: hoch\n")
    text = _edit(text, 'areas: ["1", 4B, "5"]', 'areas: ["1", 4X, "5"]')
    path = tmp_path / "viele-fehler.yaml"
    path.write_text(text, encoding="utf-8")

    with pytest.raises(CatalogueError) as refused:
        load_catalogue_file(path)

    messages = refused.value.messages
    assert len(messages) == 3
    assert [message.split(",")[1] for message in messages] == [
        f" Zeile {_line_of(text, 'gestern')}",
        f" Zeile {_line_of(text, 'level: hoch')}",
        f" Zeile {_line_of(text, '4X')}",
    ]
    assert CatalogueVersion.objects.count() == 0


def test_a_rule_over_an_unchosen_profile_must_be_reachable_by_every_allowed_choice(db):
    # With two selectable profiles and one to choose, a centre choosing 4F
    # gets no Basis criterion from 4B: a rule needing two from 4B plus 4F fails for it.
    text = _edit(
        MINIMAL,
        '  - code: "5"\n',
        "  - code: 4F\n    kind: profile\n    title: Familienbegleitung\n    criteria:\n"
        "      - code: 4F1\n        title: Hausbesuche\n        level: aufbau\n        points: 2\n"
        "        items:\n          - code: 4F1\n            text: Hausbesuche finden statt.\n"
        '  - code: "5"\n',
    )
    text = _edit(text, 'areas: ["1", 4B, "5"]', "areas: [4B, 4F]")
    text = _edit(text, "    min_basis: 2\n", "    min_basis: 1\n")

    with pytest.raises(CatalogueError) as refused:
        parse_catalogue(text, "profil.yaml")

    (message,) = refused.value.messages
    assert "rules[basis].min_basis" in message
    assert "bei der Profilwahl 4F" in message


def test_a_rule_over_one_profile_a_centre_may_leave_out_is_refused(db):
    text = _edit(
        MINIMAL,
        '  - code: "5"\n',
        "  - code: 4F\n    kind: profile\n    title: Familienbegleitung\n    criteria:\n"
        "      - code: 4F1\n        title: Hausbesuche\n        level: basis\n        points: 1\n"
        "        items:\n          - code: 4F1\n            text: Hausbesuche finden statt.\n"
        '  - code: "5"\n',
    )
    text = _edit(text, 'areas: ["1", 4B, "5"]', "areas: [4B]")
    text = _edit(text, "    min_basis: 2\n", "    min_basis: 1\n")

    with pytest.raises(CatalogueError) as refused:
        parse_catalogue(text, "profil.yaml")

    (message,) = refused.value.messages
    assert "bei der Profilwahl 4F" in message
    assert "nur 0 möglich" in message


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "kaputt.yaml: Die Datei ist leer."),
        (b"code: x\nversion: \xff\n", "kaputt.yaml, Zeile 2: Die Datei ist nicht in UTF-8 kodiert."),
        (b"- nur\n- eine Liste\n", "kaputt.yaml, Zeile 1, Katalog: erwartet eine Zuordnung"),
        (b"code: x\n\tversion: 1\n", "kaputt.yaml, Zeile 2: kein gültiges YAML"),
    ],
    ids=["empty", "not_utf8", "not_a_mapping", "tab_indent"],
)
def test_unreadable_files_are_refused(content, expected, db, tmp_path):
    path = tmp_path / "kaputt.yaml"
    path.write_bytes(content)

    with pytest.raises(CatalogueError) as refused:
        load_catalogue_file(path)

    assert refused.value.messages[0].startswith(expected)
    assert CatalogueVersion.objects.count() == 0


# --------------------------------------------------------------------------
# The management command
# --------------------------------------------------------------------------


def test_command_loads_and_reports(db, capsys):
    call_command("load_catalogue", str(SHIPPED_CATALOGUE))
    call_command("load_catalogue", str(SHIPPED_CATALOGUE))

    output = capsys.readouterr().out
    assert "2020-AF1 geladen" in output
    assert "80 Kriterien" in output
    assert "bereits geladen" in output
    assert CatalogueVersion.objects.count() == 1


def test_command_refuses_a_broken_file_and_names_the_line(db, tmp_path):
    text = _edit(MINIMAL, "        points: 2\n", "        points: -2\n")
    broken = tmp_path / "kaputt.yaml"
    broken.write_text(text, encoding="utf-8")

    with pytest.raises(CommandError) as refused:
        call_command("load_catalogue", str(broken))

    assert f"kaputt.yaml, Zeile {_line_of(text, 'points: -2')}, areas[1].criteria[1.2].points" in str(refused.value)
    assert CatalogueVersion.objects.count() == 0


def test_command_loads_nothing_when_one_of_several_files_is_broken(db, tmp_path):
    broken = tmp_path / "kaputt.yaml"
    broken.write_text(_edit(MINIMAL, "    kind: service\n", "    kind: leistung\n"), encoding="utf-8")

    with pytest.raises(CommandError) as refused:
        call_command("load_catalogue", str(SHIPPED_CATALOGUE), str(broken))

    assert "kaputt.yaml, Zeile 9" in str(refused.value)
    assert _row_counts() == dict.fromkeys(_row_counts(), 0)


def test_command_rolls_back_all_files_when_a_later_one_is_refused(catalogue, tmp_path):
    fresh = tmp_path / "neu.yaml"
    fresh.write_text(MINIMAL, encoding="utf-8")
    changed = tmp_path / "geaendert.yaml"
    changed.write_text(_edit(SHIPPED_TEXT, "title: Elternbefragung\n", "title: Befragung\n"), encoding="utf-8")
    counts = _row_counts()

    with pytest.raises(CommandError) as refused:
        call_command("load_catalogue", str(fresh), str(changed))

    assert "unveränderlich" in str(refused.value)
    assert _row_counts() == counts
    assert not CatalogueVersion.objects.filter(code="test-katalog").exists()


# --------------------------------------------------------------------------
# Query budget: one insert per table, however large the catalogue
# --------------------------------------------------------------------------


def _tripled_catalogue_text() -> str:
    """The shipped catalogue with three times the criteria, renumbered."""
    data = yaml.safe_load(SHIPPED_TEXT)
    data["version"] = "synthetisch-3x"
    for area in data["areas"]:
        separator = "" if area["code"][-1].isalpha() else "."
        originals = area["criteria"]
        area["criteria"] = []
        for copy in range(3):
            for index, original in enumerate(originals, start=1):
                code = f"{area['code']}{separator}{copy * len(originals) + index}"
                items = [{**item, "code": code + item["code"][len(original["code"]) :]} for item in original["items"]]
                area["criteria"].append({**original, "code": code, "items": items})
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def _rows_of(parsed: ParsedCatalogue) -> dict[str, int]:
    return {
        "areas": len(parsed.areas),
        "criteria": parsed.criteria_count,
        "items": sum(len(criterion.items) for area in parsed.areas for criterion in area.criteria),
        "rules": len(parsed.rules),
        "rule_areas": sum(len(rule.area_codes) for rule in parsed.rules),
    }


def _insert_batches(model, rows: int) -> int:
    """How many INSERT statements the database backend needs for `rows` rows
    (SQLite caps the parameters per statement; PostgreSQL does not)."""
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    batch_size = connection.ops.bulk_batch_size(fields, [None] * rows) or rows
    return math.ceil(rows / batch_size)


def _insert_statements(rows: dict[str, int]) -> int:
    return (
        1  # the catalogue version
        + _insert_batches(Area, rows["areas"])
        + _insert_batches(Criterion, rows["criteria"])
        + _insert_batches(CriterionItem, rows["items"])
        + _insert_batches(ThresholdRule, rows["rules"])
        + _insert_batches(ThresholdRule.areas.through, rows["rule_areas"])
    )


# The look-up of an already loaded version, and the savepoint around the writes.
QUERIES_BESIDES_INSERTS = 3


def test_loading_uses_a_bounded_number_of_queries(db, tmp_path, django_assert_max_num_queries):
    tripled = tmp_path / "dreifach.yaml"
    tripled.write_text(_tripled_catalogue_text(), encoding="utf-8")
    measured = []
    for path in (SHIPPED_CATALOGUE, tripled):
        rows = _rows_of(read_catalogue_file(path))
        with django_assert_max_num_queries(QUERIES_BESIDES_INSERTS + _insert_statements(rows)) as captured:
            load_catalogue_file(path)
        measured.append((rows, len(captured)))
    (shipped_rows, shipped_queries), (tripled_rows, tripled_queries) = measured

    assert tripled_rows["criteria"] == 3 * shipped_rows["criteria"] == 240
    assert shipped_queries <= 12
    # Tripling the criteria adds nothing but the backend's own extra INSERT
    # batches (none on PostgreSQL): no query per area, criterion, item or rule.
    assert tripled_queries - shipped_queries <= _insert_statements(tripled_rows) - _insert_statements(shipped_rows)
