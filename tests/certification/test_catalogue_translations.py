"""English for the catalogue: the shipped file gives an English text for
every text it shows, and English reaches a version that is already loaded.

A loaded version is immutable in everything a centre is judged on; the
translations (`*_en`) are presentation. Re-loading the same version from a
file that differs only in translations updates them in place; any other
difference is still refused (tests/certification/test_catalogue_loader.py).
"""

from __future__ import annotations

import pytest
import yaml
from django.utils import translation

from certification.catalogue import SHIPPED_CATALOGUE, CatalogueError, load_catalogue_file
from certification.models import Area, CatalogueVersion, Criterion, CriterionItem, ThresholdRule
from certification.templatetags.catalogue_tags import localized

SHIPPED_TEXT = SHIPPED_CATALOGUE.read_text(encoding="utf-8")


def _edit(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"snippet not unique: {old!r}"
    return text.replace(old, new)


def test_the_shipped_file_has_english_for_every_text_it_shows():
    data = yaml.safe_load(SHIPPED_TEXT)
    missing = [key for key in ("title", "description") if data.get(key) and not data.get(f"{key}_en")]
    for area in data["areas"]:
        missing += [
            f"area {area['code']}.{key}"
            for key in ("title", "description")
            if area.get(key) and not area.get(f"{key}_en")
        ]
        for criterion in area["criteria"]:
            missing += [
                f"{criterion['code']}.{key}"
                for key in ("title", "guidance", "typical_evidence")
                if criterion.get(key) and not criterion.get(f"{key}_en")
            ]
            missing += [f"item {item['code']}.text" for item in criterion["items"] if not item.get("text_en")]
    for rule in data["rules"]:
        if not rule.get("title_en"):
            missing.append(f"rule {rule['code']}.title")
    assert not missing, "texts without English:\n" + "\n".join(missing)


def test_the_loader_carries_every_translation(catalogue):
    assert catalogue.title_en.startswith("Criteria catalogue")
    assert catalogue.description_en
    criterion = Criterion.objects.get(catalogue=catalogue, code="1.2")
    assert criterion.guidance_en.startswith("A training course on intercultural opening")
    assert criterion.typical_evidence_en.startswith("Certificate of attendance")
    assert criterion.items.get(code="1.2").text_en.startswith("At least one educator")
    assert Area.objects.get(catalogue=catalogue, code="1").description_en
    assert ThresholdRule.objects.get(catalogue=catalogue, code="basisleistungen").title_en == "Basic services"
    assert not Criterion.objects.filter(catalogue=catalogue, title_en="").exists()
    assert not CriterionItem.objects.filter(criterion__catalogue=catalogue, text_en="").exists()
    assert not ThresholdRule.objects.filter(catalogue=catalogue, title_en="").exists()


def test_localized_follows_the_language_and_falls_back_to_german(catalogue):
    rule = ThresholdRule.objects.get(catalogue=catalogue, code="basisleistungen")
    with translation.override("de"):
        assert localized(rule, "title") == "Basisleistungen"
    with translation.override("en"):
        assert localized(rule, "title") == "Basic services"
        rule.title_en = ""
        assert localized(rule, "title") == "Basisleistungen"


def _strip_translations(text: str) -> str:
    """The shipped file as it was before it had English: every *_en key gone."""
    lines, skipping = [], None
    for line in text.splitlines():
        indent = len(line) - len(line.lstrip())
        if skipping is not None and line.strip() and indent > skipping:
            continue  # the folded lines of a removed key
        skipping = None
        key = line.strip().split(":", 1)[0]
        if key.endswith("_en") and ":" in line:
            skipping = indent
            continue
        lines.append(line)
    return "\n".join(lines) + "\n"


def test_english_reaches_a_version_loaded_before_it_had_english(db, tmp_path):
    old = tmp_path / "ohne-englisch.yaml"
    old.write_text(_strip_translations(SHIPPED_TEXT), encoding="utf-8")
    loaded = load_catalogue_file(old).catalogue
    assert not Criterion.objects.filter(catalogue=loaded).exclude(title_en="").exists()

    result = load_catalogue_file(SHIPPED_CATALOGUE)

    assert result.created is False
    assert result.catalogue.pk == loaded.pk
    assert "nur die Übersetzungen" in result.summary
    assert CatalogueVersion.objects.count() == 1
    criterion = Criterion.objects.get(catalogue=loaded, code="1.1")
    assert criterion.title_en == "Guide to counselling and therapy"
    assert criterion.guidance_en
    assert not CriterionItem.objects.filter(criterion__catalogue=loaded, text_en="").exists()
    loaded.refresh_from_db()
    assert loaded.title_en and loaded.source_sha256 == result.catalogue.source_sha256
    # Loading the same file again is a plain no-op.
    again = load_catalogue_file(SHIPPED_CATALOGUE)
    assert "nichts geändert" in again.summary


def test_a_german_change_under_the_same_version_is_still_refused(catalogue, tmp_path):
    changed = tmp_path / "geaendert.yaml"
    text = _edit(SHIPPED_TEXT, "title_en: Guide to counselling and therapy\n", "title_en: Counselling guide\n")
    text = _edit(text, "title: Wegweiser zu Beratung und Therapie\n", "title: Wegweiser zur Beratung\n")
    changed.write_text(text, encoding="utf-8")

    with pytest.raises(CatalogueError) as refused:
        load_catalogue_file(changed)

    assert "unveränderlich" in refused.value.messages[0]
    criterion = Criterion.objects.get(catalogue=catalogue, code="1.1")
    assert (criterion.title, criterion.title_en) == (
        "Wegweiser zu Beratung und Therapie",
        "Guide to counselling and therapy",
    )


def test_a_changed_number_or_flag_under_the_same_version_is_refused_too(catalogue, tmp_path):
    changed = tmp_path / "punkte.yaml"
    text = _edit(SHIPPED_TEXT, "title_en: Guide to counselling and therapy\n", "title_en: Counselling guide\n")
    changed.write_text(_edit(text, "min_basis: 16\n", "min_basis: 15\n"), encoding="utf-8")

    with pytest.raises(CatalogueError):
        load_catalogue_file(changed)

    assert Criterion.objects.get(catalogue=catalogue, code="1.1").title_en == "Guide to counselling and therapy"
