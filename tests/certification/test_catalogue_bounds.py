"""The loader's bounds: every file, however large or strange, is refused with
a CatalogueError naming the file and the key (never a traceback, never
minutes or gigabytes), and each bound has its message."""

from __future__ import annotations

import copy
import time

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from certification.catalogue import CatalogueError, ParsedCatalogue, load_catalogue_file, parse_catalogue
from certification.catalogue.schema import (
    MAX_AREAS,
    MAX_CRITERIA_PER_AREA,
    MAX_FILE_BYTES,
    MAX_ITEMS_PER_CRITERION,
    MAX_LONG_TEXT_LENGTH,
    MAX_NESTING_DEPTH,
    MAX_PROBLEMS,
    MAX_PROFILE_CHOICES,
    MAX_RULES,
    SMALL_INT_MAX,
)
from certification.models import CatalogueVersion
from tests.certification.test_catalogue_loader import MINIMAL

NAME = "grenzen.yaml"


def _data() -> dict:
    return yaml.safe_load(MINIMAL)


def _dump(data) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def _refusal(text: str) -> list[str]:
    with pytest.raises(CatalogueError) as refused:
        parse_catalogue(text, NAME)
    return refused.value.messages


def _criterion(code: str, items: int = 1) -> dict:
    return {
        "code": code,
        "title": f"Kriterium {code}",
        "level": "basis",
        "points": 1,
        "logic": "all",
        "items": [{"code": code, "text": "Hauptaussage"}]
        + [{"code": f"{code}.{number}", "text": "Unterpunkt"} for number in range(1, items)],
    }


def _area(code: str, criteria: int = 1) -> dict:
    return {
        "code": code,
        "kind": "structure",
        "title": f"Bereich {code}",
        "criteria": [_criterion(f"{code}.{number}") for number in range(1, criteria + 1)],
    }


def _criteria_text(area: str, count: int) -> str:
    return "".join(
        f'      - code: "{area}.{number}"\n        title: K\n        level: basis\n        points: 1\n'
        f'        items:\n          - code: "{area}.{number}"\n            text: T\n'
        for number in range(100, 100 + count)
    )


def test_the_minimal_catalogue_is_within_every_bound():
    assert isinstance(parse_catalogue(_dump(_data()), NAME), ParsedCatalogue)


# --------------------------------------------------------------------------
# File size: checked before YAML parsing, reading at most the limit plus one byte
# --------------------------------------------------------------------------


def test_a_file_above_the_size_limit_is_refused_before_parsing(db, tmp_path):
    path = tmp_path / NAME
    path.write_bytes(MINIMAL.encode() + b"#" * (MAX_FILE_BYTES - len(MINIMAL.encode()) + 1))
    with pytest.raises(CatalogueError) as refused:
        load_catalogue_file(path)
    assert refused.value.messages == [f"{NAME}: Die Datei ist größer als 2 MB; so groß ist kein Kriterienkatalog."]
    assert CatalogueVersion.objects.count() == 0


def test_a_file_at_the_size_limit_is_read(db, tmp_path):
    path = tmp_path / NAME
    path.write_bytes(MINIMAL.encode() + b"#" * (MAX_FILE_BYTES - len(MINIMAL.encode())))
    assert load_catalogue_file(path).created


def test_twenty_megabytes_are_refused_at_once(tmp_path):
    path = tmp_path / NAME
    # Valid YAML with 60,000 criteria in one area: the file that once ran 21 s.
    text = MINIMAL.replace("    criteria:\n", "    criteria:\n" + _criteria_text("1", 60_000), 1)
    text += "#" * (20 * 1024 * 1024 - len(text.encode()))
    path.write_text(text, encoding="utf-8")
    started = time.monotonic()
    with pytest.raises(CatalogueError, match="größer als 2 MB"):
        load_catalogue_file(path)
    with pytest.raises(CatalogueError, match="größer als 2 MB"):
        parse_catalogue(text, NAME)
    assert time.monotonic() - started < 2


def test_a_large_file_within_the_limit_is_refused_quickly():
    """Just under 2 MB of criteria in one area: refused by the count, fast."""
    text = MINIMAL.replace("    criteria:\n", "    criteria:\n" + _criteria_text("1", 14_000), 1)
    assert MAX_FILE_BYTES * 0.9 < len(text.encode()) < MAX_FILE_BYTES
    started = time.monotonic()
    messages = _refusal(text)
    assert time.monotonic() - started < 10
    assert f"erlaubt sind höchstens {MAX_CRITERIA_PER_AREA}" in messages[0]


# --------------------------------------------------------------------------
# Counts
# --------------------------------------------------------------------------


def _line_of(text: str, snippet: str) -> int:
    return text[: text.index(snippet)].count("\n") + 1


def test_too_many_areas():
    data = _data()
    data["areas"] += [_area(f"{number}") for number in range(6, 6 + MAX_AREAS)]
    text = _dump(data)
    sequence_line = _line_of(text, "\nareas:") + 2
    assert (
        f"{NAME}, Zeile {sequence_line}, areas: Die Liste hat {MAX_AREAS + 3} Einträge, "
        f"erlaubt sind höchstens {MAX_AREAS}."
    ) in _refusal(text)


def test_too_many_criteria_in_one_area():
    data = _data()
    data["areas"][0]["criteria"] = [_criterion(f"1.{number}") for number in range(1, MAX_CRITERIA_PER_AREA + 2)]
    (message,) = _refusal(_dump(data))
    assert message.startswith(f"{NAME}, Zeile ")
    assert message.endswith(
        f", areas[1].criteria: Die Liste hat {MAX_CRITERIA_PER_AREA + 1} Einträge, "
        f"erlaubt sind höchstens {MAX_CRITERIA_PER_AREA}."
    )


def test_as_many_criteria_as_allowed_load(db, tmp_path):
    data = _data()
    data["areas"][0]["criteria"] = [_criterion(f"1.{number}") for number in range(1, MAX_CRITERIA_PER_AREA + 1)]
    path = tmp_path / NAME
    path.write_text(_dump(data), encoding="utf-8")
    assert load_catalogue_file(path).catalogue.criteria.count() == MAX_CRITERIA_PER_AREA + 2


def test_too_many_items_in_one_criterion():
    data = _data()
    data["areas"][0]["criteria"][0] = _criterion("1.1", items=MAX_ITEMS_PER_CRITERION + 1)
    (message,) = _refusal(_dump(data))
    assert message.endswith(
        f", areas[1].criteria[1.1].items: Die Liste hat {MAX_ITEMS_PER_CRITERION + 1} Einträge, "
        f"erlaubt sind höchstens {MAX_ITEMS_PER_CRITERION}."
    )


def test_too_many_rules():
    data = _data()
    rule = data["rules"][0]
    # Copies: safe_dump would write one shared list as an alias.
    data["rules"] = [{**copy.deepcopy(rule), "code": f"regel-{number}"} for number in range(MAX_RULES + 1)]
    (message,) = _refusal(_dump(data))
    assert message.endswith(f", rules: Die Liste hat {MAX_RULES + 1} Einträge, erlaubt sind höchstens {MAX_RULES}.")


def test_too_many_areas_in_one_rule():
    data = _data()
    data["rules"][0]["areas"] = ["1"] * (MAX_AREAS + 1)
    (message,) = _refusal(_dump(data))
    assert message.endswith(
        f", rules[basis].areas: Die Liste hat {MAX_AREAS + 1} Einträge, erlaubt sind höchstens {MAX_AREAS}."
    )


def test_too_many_profile_choices():
    data = _data()
    data["areas"] += [{**_area(f"4{letter}"), "kind": "profile"} for letter in "CDEFGHIJKLMNOPQRSTUV"]
    for area in data["areas"][-20:]:
        for criterion in area["criteria"]:
            criterion["code"] = criterion["items"][0]["code"] = criterion["code"].replace(".", "")
    data["max_profile_areas"] = 10
    messages = _refusal(_dump(data))
    assert any(
        "max_profile_areas: Bei 21 wählbaren Profilbereichen und 1 bis 10 zu wählenden gibt es" in message
        and f"erlaubt sind höchstens {MAX_PROFILE_CHOICES}." in message
        for message in messages
    )


# --------------------------------------------------------------------------
# Texts and numbers
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("where", "key", "limit"),
    [
        ((), "title", 200),
        ((), "description", MAX_LONG_TEXT_LENGTH),
        (("areas", 0), "description", MAX_LONG_TEXT_LENGTH),
        (("areas", 0, "criteria", 0), "title", 200),
        (("areas", 0, "criteria", 0), "guidance", MAX_LONG_TEXT_LENGTH),
        (("areas", 0, "criteria", 0), "typical_evidence", MAX_LONG_TEXT_LENGTH),
        (("areas", 0, "criteria", 0, "items", 0), "text", MAX_LONG_TEXT_LENGTH),
        (("areas", 0, "criteria", 0, "items", 0), "text_en", MAX_LONG_TEXT_LENGTH),
    ],
)
def test_too_long_texts(where, key, limit):
    data = _data()
    target = data
    for step in where:
        target = target[step]
    target[key] = "x" * (limit + 1)
    (message,) = _refusal(_dump(data))
    assert message.startswith(f"{NAME}, Zeile ")
    assert f".{key}: " in message or f", {key}: " in message
    assert message.endswith(f"Der Text ist {limit + 1} Zeichen lang, erlaubt sind höchstens {limit}.")


def test_a_ten_megabyte_description_is_refused(tmp_path):
    path = tmp_path / NAME
    path.write_text(MINIMAL + "description: " + "x" * (10 * 1024 * 1024) + "\n", encoding="utf-8")
    with pytest.raises(CatalogueError, match="größer als 2 MB"):
        load_catalogue_file(path)


@pytest.mark.parametrize(
    ("where", "key"),
    [
        ((), "max_profile_areas"),
        (("areas", 0, "criteria", 0), "points"),
        (("areas", 0, "criteria", 1), "qualification_min_hours"),
        (("rules", 0), "min_basis"),
    ],
)
@pytest.mark.parametrize("value", [SMALL_INT_MAX + 1, 10**30, -1])
def test_numbers_must_fit_a_smallint(where, key, value):
    data = _data()
    target = data
    for step in where:
        target = target[step]
    target[key] = value
    messages = _refusal(_dump(data))
    assert any(
        f"{key}: erwartet eine ganze Zahl von" in m and f"bis {SMALL_INT_MAX}, gefunden {value}." in m for m in messages
    )


def test_a_number_of_ten_thousand_digits_is_refused_as_a_number():
    messages = _refusal(MINIMAL.replace("points: 2", "points: " + "9" * 10_000))
    assert any("points: erwartet eine ganze Zahl, gefunden der ungültige Wert „999" in m for m in messages)
    assert all(len(message) < 1000 for message in messages)


def test_long_values_are_cut_in_messages():
    messages = _refusal(
        MINIMAL.replace("level: aufbau", "level: " + "a" * 100_000).replace(
            "title: Testkatalog", "unbekannt" * 100 + ": 1\ntitle: Testkatalog"
        )
    )
    assert len(messages) == 2
    assert all(len(message) < 1000 and "a" * 100 not in message for message in messages)
    assert any("…" in message for message in messages)


# --------------------------------------------------------------------------
# YAML's own dangers: aliases, deep nesting, too many problems
# --------------------------------------------------------------------------


def test_aliases_are_refused():
    text = MINIMAL.replace("    title: Beratung\n", "    title: &titel Beratung\n").replace(
        "    title: Sozialraum\n", "    title: *titel\n"
    )
    assert _refusal(text) == [
        f"{NAME}, areas[#3].title: Anker und Verweise (&name, *name) sind in Katalogdateien nicht erlaubt; "
        f"hier wird der Wert aus Zeile {_line_of(text, '&titel')} wiederverwendet. Schreiben Sie jeden Wert aus."
    ]


def test_an_anchor_without_an_alias_is_harmless():
    text = MINIMAL.replace("    title: Beratung\n", "    title: &titel Beratung\n")
    assert isinstance(parse_catalogue(text, NAME), ParsedCatalogue)


def test_billion_laughs_are_refused_at_once():
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, 30):
        previous = f"*a{level - 1}"
        lines.append(f"a{level}: &a{level} [{', '.join([previous] * 9)}]")
    text = MINIMAL + "\n".join(f"x{line}" for line in lines) + "\ndescription: *a29\n"
    started = time.monotonic()
    (message,) = _refusal(text)
    assert time.monotonic() - started < 2
    assert "Anker und Verweise" in message


def test_merge_keys_are_refused():
    text = MINIMAL.replace("rules:\n  - code: basis\n", "rules:\n  - &regel\n    code: basis\n") + (
        "  - <<: *regel\n    code: zweite\n"
    )
    assert "Anker und Verweise" in _refusal(text)[0]


@pytest.mark.parametrize(
    "nesting",
    [
        "description: " + "[" * 5000 + "]" * 5000,
        "description: " + "{a: " * 600 + "1" + "}" * 600,
        "description:\n" + "".join(" " * depth + "a:\n" for depth in range(1, 400)) + " " * 400 + "x",
        "description: " + "[" * (MAX_NESTING_DEPTH + 1) + "]" * (MAX_NESTING_DEPTH + 1),
    ],
    ids=["flow_list", "flow_mapping", "block_mapping", "just_too_deep"],
)
def test_deep_nesting_is_refused(nesting):
    messages = _refusal(MINIMAL + nesting + "\n")
    assert len(messages) == 1
    assert messages[0].startswith(f"{NAME}, Zeile ")
    assert "verschachtelt" in messages[0] or "kein gültiges YAML" in messages[0]


def test_reading_stops_after_too_many_problems():
    text = MINIMAL + "".join(f"unbekannt{number}: 1\n" for number in range(10_000))
    messages = _refusal(text)
    assert len(messages) == MAX_PROBLEMS + 1
    assert (
        messages[-1] == f"{NAME}: Die Prüfung wurde nach {MAX_PROBLEMS} Problemen abgebrochen; es kann weitere geben."
    )


# --------------------------------------------------------------------------
# Property: whatever comes in, the loader answers with a result or a CatalogueError
# --------------------------------------------------------------------------

KEYS = [
    "code",
    "version",
    "title",
    "valid_from",
    "areas",
    "rules",
    "criteria",
    "items",
    "text",
    "points",
    "level",
    "kind",
    "logic",
    "description",
    "guidance",
    "min_basis",
    "max_profile_areas",
    "always_required",
    "per_site",
    "qualification_min_hours",
    "<<",
]
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.text(min_size=190, max_size=6000).filter(lambda text: len(text) > 190),
    st.sampled_from(["1", "4B", "basis", "aufbau", "all", "any", "profile", "2020-13-01", "2021-08-01", "true"]),
    st.dates(),
)
keys = st.one_of(st.sampled_from(KEYS), st.text(max_size=20))
values = st.recursive(
    scalars,
    lambda children: st.one_of(st.lists(children, max_size=6), st.dictionaries(keys, children, max_size=6)),
    max_leaves=40,
)


def _paths(data, prefix=()):
    yield prefix
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _paths(value, (*prefix, index))


@st.composite
def mutated_catalogues(draw):
    """The minimal catalogue with a few of its values replaced, keys added or
    removed, lists repeated; sometimes one value shared (an alias in YAML)."""
    data = _data()
    for _round in range(draw(st.integers(min_value=1, max_value=4))):
        paths = [path for path in _paths(data) if path]
        path = draw(st.sampled_from(paths))
        parent = data
        for step in path[:-1]:
            parent = parent[step]
        action = draw(st.sampled_from(["replace", "delete", "add", "repeat", "share"]))
        if action == "replace":
            parent[path[-1]] = draw(values)
        elif action == "delete":
            del parent[path[-1]]
        elif action == "add" and isinstance(parent, dict):
            parent[draw(keys)] = draw(values)
        elif action == "repeat" and isinstance(parent[path[-1]], list) and parent[path[-1]]:
            parent[path[-1]] = parent[path[-1]] * draw(st.integers(min_value=2, max_value=300))
        elif action == "share" and isinstance(data, dict):
            # One subtree under two keys: safe_dump writes it as an alias.
            data[draw(keys)] = parent[path[-1]]
        if not isinstance(data, dict):
            break
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


raw_texts = st.one_of(
    st.text(max_size=300),
    st.builds(
        lambda head, tail: MINIMAL[:head] + tail + MINIMAL[head:], st.integers(0, len(MINIMAL)), st.text(max_size=40)
    ),
    st.builds(
        lambda depth, opener: "description: " + opener * depth,
        st.integers(min_value=1, max_value=3000),
        st.sampled_from(["[", "{a: ", "- ", "&a ", "*a ", "!!python/object:os.system "]),
    ),
)


def _loads_or_refuses(text: str) -> None:
    try:
        parsed = parse_catalogue(text, NAME)
    except CatalogueError as refused:
        assert refused.messages
        assert all(isinstance(message, str) and message.startswith(NAME) for message in refused.messages)
        assert len(refused.messages) <= MAX_PROBLEMS + 1
    else:
        assert isinstance(parsed, ParsedCatalogue)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(mutated_catalogues())
def test_generated_catalogues_load_or_are_refused(text):
    _loads_or_refuses(text)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw_texts)
def test_arbitrary_texts_load_or_are_refused(text):
    _loads_or_refuses(text)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.integers(min_value=MAX_FILE_BYTES + 1, max_value=20 * 1024 * 1024),
    st.sampled_from([b"#", b"a", b"\xff", b"[", b"\n"]),
)
def test_oversized_files_are_refused_unread(tmp_path_factory, size, filler):
    path = tmp_path_factory.mktemp("gross") / NAME
    path.write_bytes(MINIMAL.encode()[: size // 2] + filler * (size - min(len(MINIMAL), size // 2)))
    with pytest.raises(CatalogueError) as refused:
        load_catalogue_file(path)
    assert refused.value.messages == [f"{NAME}: Die Datei ist größer als 2 MB; so groß ist kein Kriterienkatalog."]
