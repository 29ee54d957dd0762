"""Frequencies and assumption marks as catalogue data: the keys, every broken
form refused with file, line and key path, what the writer stores, the
translation-only update, and the shipped 2020-AF1 and 2020-AF2 side by side."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from certification.catalogue import (
    CORRECTED_CATALOGUE,
    SHIPPED_CATALOGUE,
    CatalogueError,
    load_catalogue_file,
    parse_catalogue,
)
from certification.frequency import Frequency
from certification.models import CatalogueVersion, Criterion, CriterionItem, ThresholdRule
from tests.certification.test_catalogue_loader import MINIMAL, _edit, _line_of

MAIN_ITEM_TEXT = "            text: Eine Übersicht liegt vor.\n"
SUB_ITEM_TEXT = "            text: Die Übersicht ist aktuell.\n"
MAIN_ITEM_PATH = "areas[1].criteria[1.1].items[1.1].frequency"


def _with_main_item_frequency(block: str, text: str = MINIMAL) -> str:
    """`block` (lines at the item's indentation) added to item 1.1."""
    return _edit(text, MAIN_ITEM_TEXT, MAIN_ITEM_TEXT + block)


def _items(parsed) -> dict[str, object]:
    return {item.code: item for area in parsed.areas for criterion in area.criteria for item in criterion.items}


def _criteria(parsed) -> dict[str, object]:
    return {criterion.code: criterion for area in parsed.areas for criterion in area.criteria}


# --------------------------------------------------------------------------
# The keys
# --------------------------------------------------------------------------


def test_an_item_frequency_is_read_as_frequency_data():
    text = _with_main_item_frequency(
        "            frequency:\n              per: week\n"
        "              allowed_gaps: 6\n              assumption: true\n"
    )
    text = _edit(
        text,
        SUB_ITEM_TEXT,
        SUB_ITEM_TEXT + "            frequency:\n              per: half_year\n              times: 2\n"
        "              min_sessions: 8\n",
    )

    items = _items(parse_catalogue(text, "k.yaml"))

    assert items["1.1"].frequency == {"per": "week", "allowed_gaps": 6, "assumption": True}
    assert items["1.1.1"].frequency == {"per": "half_year", "times": 2, "min_sessions": 8}
    assert items["1.2"].frequency is None
    assert Frequency.from_data(items["1.1"].frequency).describe() == "wöchentlich (6 Lücken je Halbjahr erlaubt)"


def test_a_criterion_frequency_is_shorthand_for_its_main_item():
    text = _edit(MINIMAL, "        qualification_min_hours: 30\n", "        frequency:\n          per: month\n")

    items = _items(parse_catalogue(text, "k.yaml"))

    assert items["1.2"].frequency == {"per": "month"}


def test_a_criterion_frequency_reaches_only_the_main_item():
    text = _edit(MINIMAL, "        logic: all\n", "        logic: all\n        frequency:\n          per: year\n")

    items = _items(parse_catalogue(text, "k.yaml"))

    assert items["1.1"].frequency == {"per": "year"}
    assert items["1.1.1"].frequency is None


def test_assumption_marks_on_minimum_hours_and_rules_are_read():
    text = _edit(
        MINIMAL,
        "        qualification_min_hours: 30\n",
        "        qualification_min_hours: 30\n        qualification_min_hours_assumption: true\n",
    )
    text = _edit(text, "    min_basis: 2\n", "    min_basis: 2\n    assumption: true\n")

    parsed = parse_catalogue(text, "k.yaml")

    criteria = _criteria(parsed)
    assert criteria["1.2"].qualification_min_hours_is_assumption is True
    assert criteria["1.1"].qualification_min_hours_is_assumption is False
    assert parsed.rules[0].is_assumption is True


def test_without_the_new_keys_nothing_is_an_assumption_and_nothing_has_a_frequency():
    parsed = parse_catalogue(MINIMAL, "k.yaml")

    assert not any(item.frequency for item in _items(parsed).values())
    assert not any(c.qualification_min_hours_is_assumption for c in _criteria(parsed).values())
    assert not parsed.rules[0].is_assumption


# --------------------------------------------------------------------------
# Broken forms: each refused naming file, line and key path
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Broken:
    old: str
    new: str
    expected: tuple[str, ...]
    # The line the message names, found by this snippet.
    line_of: str


def _frequency_case(block: str, expected: tuple[str, ...], line_of: str) -> Broken:
    return Broken(MAIN_ITEM_TEXT, MAIN_ITEM_TEXT + block, expected, line_of)


BROKEN = {
    "unknown_per_with_suggestion": _frequency_case(
        "            frequency:\n              per: weekly\n",
        (f"{MAIN_ITEM_PATH}.per", "„weekly“ ist nicht erlaubt", "meinten Sie „week“", "half_year"),
        "              per: weekly",
    ),
    "unknown_per_without_suggestion": _frequency_case(
        "            frequency:\n              per: täglich\n",
        (f"{MAIN_ITEM_PATH}.per", "„täglich“ ist nicht erlaubt; erlaubt sind: week, month, half_year, year"),
        "              per: täglich",
    ),
    "per_missing": _frequency_case(
        "            frequency:\n              times: 2\n",
        (MAIN_ITEM_PATH, "Pflichtschlüssel „per“ fehlt"),
        "              times: 2",
    ),
    "per_not_text": _frequency_case(
        "            frequency:\n              per: 7\n",
        (f"{MAIN_ITEM_PATH}.per", "erwartet einen Text"),
        "              per: 7",
    ),
    "frequency_not_a_mapping": _frequency_case(
        "            frequency: weekly\n",
        (MAIN_ITEM_PATH, "erwartet eine Zuordnung", "„weekly“"),
        "            frequency: weekly",
    ),
    "times_not_an_integer": _frequency_case(
        "            frequency:\n              per: year\n              times: zwei\n",
        (f"{MAIN_ITEM_PATH}.times", "erwartet eine ganze Zahl", "„zwei“"),
        "              times: zwei",
    ),
    "times_a_fraction": _frequency_case(
        "            frequency:\n              per: year\n              times: 1.5\n",
        (f"{MAIN_ITEM_PATH}.times", "erwartet eine ganze Zahl", "Kommazahl 1.5"),
        "              times: 1.5",
    ),
    "times_zero": _frequency_case(
        "            frequency:\n              per: half_year\n              times: 0\n",
        (f"{MAIN_ITEM_PATH}.times", "von 1 bis", "gefunden 0"),
        "              times: 0",
    ),
    "min_sessions_zero": _frequency_case(
        "            frequency:\n              per: half_year\n              min_sessions: 0\n",
        (f"{MAIN_ITEM_PATH}.min_sessions", "von 1 bis", "gefunden 0"),
        "              min_sessions: 0",
    ),
    "min_sessions_true": _frequency_case(
        "            frequency:\n              per: half_year\n              min_sessions: true\n",
        (f"{MAIN_ITEM_PATH}.min_sessions", "erwartet eine ganze Zahl", "Wahrheitswert"),
        "              min_sessions: true",
    ),
    "min_sessions_weekly": _frequency_case(
        "            frequency:\n              per: week\n              min_sessions: 8\n",
        (f"{MAIN_ITEM_PATH}.min_sessions", "nur bei per: half_year oder year erlaubt", "per: week"),
        "              min_sessions: 8",
    ),
    "times_monthly": _frequency_case(
        "            frequency:\n              per: month\n              times: 2\n",
        (f"{MAIN_ITEM_PATH}.times", "nur bei per: half_year oder year erlaubt", "per: month"),
        "              times: 2",
    ),
    "allowed_gaps_yearly": _frequency_case(
        "            frequency:\n              per: year\n              allowed_gaps: 1\n",
        (f"{MAIN_ITEM_PATH}.allowed_gaps", "nur bei per: week oder month erlaubt", "per: year"),
        "              allowed_gaps: 1",
    ),
    "allowed_gaps_a_whole_half_year_of_weeks": _frequency_case(
        "            frequency:\n              per: week\n              allowed_gaps: 26\n",
        (f"{MAIN_ITEM_PATH}.allowed_gaps", "mindestens 26 Wochen", "höchstens 25", "gefunden 26"),
        "              allowed_gaps: 26",
    ),
    "allowed_gaps_a_whole_half_year_of_months": _frequency_case(
        "            frequency:\n              per: month\n              allowed_gaps: 6\n",
        (f"{MAIN_ITEM_PATH}.allowed_gaps", "mindestens 6 Monate", "höchstens 5"),
        "              allowed_gaps: 6",
    ),
    "allowed_gaps_negative": _frequency_case(
        "            frequency:\n              per: week\n              allowed_gaps: -1\n",
        (f"{MAIN_ITEM_PATH}.allowed_gaps", "von 0 bis", "gefunden -1"),
        "              allowed_gaps: -1",
    ),
    "unknown_key_with_suggestion": _frequency_case(
        "            frequency:\n              per: week\n              allowed_gap: 2\n",
        (f"{MAIN_ITEM_PATH}.allowed_gap", "unbekannter Schlüssel „allowed_gap“", "meinten Sie „allowed_gaps“"),
        "              allowed_gap: 2",
    ),
    "unknown_key_without_suggestion": _frequency_case(
        "            frequency:\n              per: week\n              source: FAQ\n",
        (f"{MAIN_ITEM_PATH}.source", "unbekannter Schlüssel „source“", "erlaubt sind: per, times"),
        "              source: FAQ",
    ),
    "assumption_not_a_boolean": _frequency_case(
        "            frequency:\n              per: week\n              assumption: vielleicht\n",
        (f"{MAIN_ITEM_PATH}.assumption", "erwartet true oder false"),
        "              assumption: vielleicht",
    ),
    "frequency_on_criterion_and_main_item": Broken(
        "        logic: all\n" + "        items:\n" + '          - code: "1.1"\n' + MAIN_ITEM_TEXT,
        "        logic: all\n        frequency:\n          per: month\n        items:\n"
        '          - code: "1.1"\n' + MAIN_ITEM_TEXT + "            frequency:\n              per: week\n",
        ("areas[1].criteria[1.1].frequency", "steht schon beim ersten Punkt"),
        "          per: month",
    ),
    "broken_criterion_shorthand": Broken(
        "        qualification_min_hours: 30\n",
        "        frequency:\n          per: halfyear\n",
        ("areas[1].criteria[1.2].frequency.per", "meinten Sie „half_year“"),
        "          per: halfyear",
    ),
    "hours_assumption_without_hours": Broken(
        "        logic: all\n",
        "        logic: all\n        qualification_min_hours_assumption: true\n",
        ("areas[1].criteria[1.1].qualification_min_hours_assumption", "Ohne qualification_min_hours"),
        "        qualification_min_hours_assumption: true",
    ),
    "hours_assumption_not_a_boolean": Broken(
        "        qualification_min_hours: 30\n",
        "        qualification_min_hours: 30\n        qualification_min_hours_assumption: 30\n",
        ("areas[1].criteria[1.2].qualification_min_hours_assumption", "erwartet true oder false"),
        "        qualification_min_hours_assumption: 30",
    ),
    "hours_assumption_misspelt": Broken(
        "        qualification_min_hours: 30\n",
        "        qualification_min_hours: 30\n        qualification_min_hour_assumption: true\n",
        (
            "areas[1].criteria[1.2].qualification_min_hour_assumption",
            "meinten Sie „qualification_min_hours_assumption“",
        ),
        "        qualification_min_hour_assumption: true",
    ),
    "rule_assumption_not_a_boolean": Broken(
        "    min_basis: 2\n",
        "    min_basis: 2\n    assumption: vielleicht\n",
        ("rules[basis].assumption", "erwartet true oder false"),
        "    assumption: vielleicht",
    ),
    "rule_assumption_misspelt": Broken(
        "    min_basis: 2\n",
        "    min_basis: 2\n    assumptions: true\n",
        ("rules[basis].assumptions", "meinten Sie „assumption“"),
        "    assumptions: true",
    ),
}


@pytest.mark.parametrize("case", BROKEN.values(), ids=BROKEN.keys())
def test_a_broken_frequency_or_mark_is_refused_naming_file_line_and_key(case):
    text = _edit(MINIMAL, case.old, case.new)
    line = _line_of(text, case.line_of)

    with pytest.raises(CatalogueError) as refused:
        parse_catalogue(text, "kaputt.yaml")

    matching = [
        message
        for message in refused.value.messages
        if message.startswith(f"kaputt.yaml, Zeile {line}, ") and all(part in message for part in case.expected)
    ]
    assert matching, refused.value.messages


def test_every_problem_of_one_frequency_is_reported_at_once():
    text = _with_main_item_frequency(
        "            frequency:\n              per: week\n              times: 0\n              allowed_gaps: 30\n"
    )

    with pytest.raises(CatalogueError) as refused:
        parse_catalogue(text, "kaputt.yaml")

    messages = "\n".join(refused.value.messages)
    assert f"{MAIN_ITEM_PATH}.times" in messages
    assert f"{MAIN_ITEM_PATH}.allowed_gaps" in messages


# --------------------------------------------------------------------------
# The writer and the translation-only update
# --------------------------------------------------------------------------

MARKED = _edit(
    _edit(
        _with_main_item_frequency(
            "            frequency:\n              per: half_year\n              min_sessions: 8\n"
            "              assumption: true\n"
        ),
        "        qualification_min_hours: 30\n",
        "        qualification_min_hours: 30\n        qualification_min_hours_assumption: true\n",
    ),
    "    min_basis: 2\n",
    "    min_basis: 2\n    assumption: true\n",
)


def _load(tmp_path, text: str, name: str = "k.yaml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return load_catalogue_file(path)


def test_the_writer_stores_frequencies_and_assumption_marks(db, tmp_path):
    catalogue = _load(tmp_path, MARKED).catalogue

    item = CriterionItem.objects.get(criterion__catalogue=catalogue, code="1.1")
    assert item.frequency == {"per": "half_year", "min_sessions": 8, "assumption": True}
    assert Frequency.from_data(item.frequency) == Frequency(per="half_year", min_sessions=8, assumption=True)
    assert CriterionItem.objects.get(criterion__catalogue=catalogue, code="1.1.1").frequency is None
    assert Criterion.objects.get(catalogue=catalogue, code="1.2").qualification_min_hours_is_assumption is True
    assert Criterion.objects.get(catalogue=catalogue, code="1.1").qualification_min_hours_is_assumption is False
    assert ThresholdRule.objects.get(catalogue=catalogue, code="basis").is_assumption is True


def test_a_new_translation_of_a_file_with_frequencies_updates_in_place(db, tmp_path):
    loaded = _load(tmp_path, MARKED).catalogue

    result = _load(tmp_path, _edit(MARKED, "title: Testkatalog\n", "title: Testkatalog\ntitle_en: Test\n"), "n.yaml")

    assert result.created is False and result.catalogue.pk == loaded.pk
    assert "nur die Übersetzungen" in result.summary


TRANSLATION = ("title: Testkatalog\n", "title: Testkatalog\ntitle_en: Test catalogue\n")
CHANGED_BESIDES_A_TRANSLATION = {
    "frequency_changed": ("              min_sessions: 8\n", "              min_sessions: 6\n"),
    "frequency_removed": (
        "            frequency:\n              per: half_year\n              min_sessions: 8\n"
        "              assumption: true\n",
        "",
    ),
    "frequency_assumption_dropped": ("              assumption: true\n", ""),
    "hours_assumption_dropped": ("        qualification_min_hours_assumption: true\n", ""),
    "rule_assumption_dropped": ("    min_basis: 2\n    assumption: true\n", "    min_basis: 2\n"),
}


@pytest.mark.parametrize("change", CHANGED_BESIDES_A_TRANSLATION.values(), ids=CHANGED_BESIDES_A_TRANSLATION.keys())
def test_the_translation_only_update_refuses_a_changed_frequency_or_mark(change, db, tmp_path):
    loaded = _load(tmp_path, MARKED).catalogue
    changed = _edit(_edit(MARKED, *TRANSLATION), *change)

    with pytest.raises(CatalogueError) as refused:
        _load(tmp_path, changed, "n.yaml")

    assert "unveränderlich" in refused.value.messages[0]
    loaded.refresh_from_db()
    assert loaded.title_en == ""
    item = CriterionItem.objects.get(criterion__catalogue=loaded, code="1.1")
    assert item.frequency == {"per": "half_year", "min_sessions": 8, "assumption": True}


# --------------------------------------------------------------------------
# The shipped files
# --------------------------------------------------------------------------


def test_both_shipped_versions_load_side_by_side(db):
    old = load_catalogue_file(SHIPPED_CATALOGUE).catalogue
    new = load_catalogue_file(CORRECTED_CATALOGUE).catalogue

    assert (old.version, new.version) == ("2020-AF1", "2020-AF2")
    assert CatalogueVersion.objects.count() == 2
    assert new.valid_from > old.valid_from
    # The old version is as it was.
    assert list(old.criteria.filter(area__code="4H").values_list("code", flat=True)) == ["4H1", "4H2", "4H3"]
    assert old.criteria.get(code="1.2").qualification_min_hours == 16
    assert not CriterionItem.objects.filter(criterion__catalogue=old, frequency__isnull=False).exists()
    assert not old.rules.filter(is_assumption=True).exists()
    # The corrected one.
    assert list(new.criteria.filter(area__code="4H").values_list("code", flat=True)) == ["4H1"]
    assert new.criteria.get(code="1.2").qualification_min_hours is None
    hours = new.criteria.get(code="1.3")
    assert (hours.qualification_min_hours, hours.qualification_min_hours_is_assumption) == (30, True)
    assert not new.criteria.filter(qualification_min_hours__isnull=False, qualification_min_hours_is_assumption=False)
    frequencies = {
        item.code: item.frequency
        for item in CriterionItem.objects.filter(criterion__catalogue=new, frequency__isnull=False)
    }
    assert frequencies["1.3"] == {"per": "week", "allowed_gaps": 6, "assumption": True}
    assert frequencies["1.5"] == {"per": "month"}
    assert frequencies["4B1"] == {"per": "half_year", "min_sessions": 8}
    assert frequencies["4B2"] == {"per": "half_year"}
    assert frequencies["4F2"] == {"per": "year"}
    assert "1.3.1" not in frequencies
    # Only the 16 Basisleistungen and 12 Basisstrukturen have a public source.
    assert set(new.rules.filter(is_assumption=False).values_list("code", flat=True)) == {
        "basisleistungen",
        "basisstrukturen",
    }
    assert new.rules.get(code="heterogene-strukturen").areas.get().code == "4H"


def test_loading_the_shipped_files_again_changes_nothing(db):
    load_catalogue_file(SHIPPED_CATALOGUE)
    load_catalogue_file(CORRECTED_CATALOGUE)

    again = [load_catalogue_file(SHIPPED_CATALOGUE), load_catalogue_file(CORRECTED_CATALOGUE)]

    assert [result.created for result in again] == [False, False]
    assert CatalogueVersion.objects.count() == 2
