"""Writing a validated catalogue as one immutable CatalogueVersion with its
areas, criteria, items and threshold rules.

A loaded version never changes: loading the same content again is a no-op,
and a changed file under a version already loaded is refused, because
assessments are pinned to the version they started with.

One exception: the English translations (the `*_en` keys). They are
presentation, not what a centre is judged on, and the shipped working
version gained most of them after it was loaded. A file whose every other
value equals the loaded rows (German texts, codes, levels, points, logic,
flags, thresholds, frequencies, assumption marks, order) updates the
translations of the loaded version in place and records the new file's
hash; anything else still needs a new version number. Submitted snapshots
keep the hash they froze: the German content they name is unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from certification.catalogue.parsed import ParsedCatalogue
from certification.catalogue.reader import CatalogueError, read_catalogue_file
from certification.models import (
    Area,
    CatalogueVersion,
    Criterion,
    CriterionItem,
    ThresholdRule,
)


@dataclass(frozen=True)
class LoadResult:
    catalogue: CatalogueVersion
    created: bool
    summary: str


def load_catalogue_file(path: str | Path) -> LoadResult:
    """Validate the file and write it in one transaction. Loading the same
    content again is a no-op; a changed file under a loaded version is refused."""
    return write_catalogue(read_catalogue_file(path))


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


def _loaded_version(parsed: ParsedCatalogue) -> CatalogueVersion | None:
    return CatalogueVersion.objects.filter(code=parsed.code, version=parsed.version).first()


def _unchanged_or_refused(existing: CatalogueVersion, parsed: ParsedCatalogue) -> LoadResult:
    # The file's hash, not a field-by-field comparison, decides "unchanged":
    # any edit, even to a comment, needs a new version number.
    if existing.source_sha256 == parsed.source_sha256:
        summary = _("%(file)s: %(title)s, Version %(version)s ist bereits geladen; nichts geändert.") % {
            "file": parsed.source_name,
            "title": existing.title,
            "version": existing.version,
        }
        return LoadResult(catalogue=existing, created=False, summary=summary)
    with transaction.atomic():
        # Locked, so two loads of a new translation do not interleave.
        locked = CatalogueVersion.objects.select_for_update().get(pk=existing.pk)
        rows = _LoadedRows(locked)
        if rows.same_content(parsed):
            count = rows.update_translations(parsed)
            summary = _(
                "%(file)s: %(title)s, Version %(version)s ist bereits geladen; nur die Übersetzungen "
                "unterscheiden sich, %(count)d Texte aktualisiert."
            ) % {"file": parsed.source_name, "title": locked.title, "version": locked.version, "count": count}
            return LoadResult(catalogue=locked, created=False, summary=summary)
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


# Values of the parsed dataclasses that are not compared one to one with a
# column: nested lists, the source file, and the rule's areas (compared as a set).
_NOT_COLUMNS = {"areas", "criteria", "items", "rules", "area_codes", "source_name", "source_sha256"}


def _is_translation(name: str) -> bool:
    return name.endswith("_en")


def _compared(parsed_obj) -> list[str]:
    return [f.name for f in fields(parsed_obj) if f.name not in _NOT_COLUMNS and not _is_translation(f.name)]


def _translations(parsed_obj) -> list[str]:
    return [f.name for f in fields(parsed_obj) if _is_translation(f.name)]


class _LoadedRows:
    """A loaded version's rows beside a parsed file of the same version:
    whether they agree on everything but the translations, and updating
    those. Every field of the parsed dataclasses takes part, so a field added
    to the schema later is compared without changes here."""

    def __init__(self, catalogue: CatalogueVersion):
        self.catalogue = catalogue
        self.areas = list(catalogue.areas.order_by("order"))
        criteria = list(catalogue.criteria.order_by("order").prefetch_related("items"))
        self.criteria_by_area: dict[int, list[Criterion]] = {}
        for criterion in criteria:
            self.criteria_by_area.setdefault(criterion.area_id, []).append(criterion)
        self.rules = list(catalogue.rules.order_by("order").prefetch_related("areas"))

    def pairs(self, parsed: ParsedCatalogue):
        """(parsed object, row) for every object of the file, or None when the
        two differ in how many areas, criteria, items or rules they have."""
        pairs = [(parsed, self.catalogue)]
        if len(parsed.areas) != len(self.areas) or len(parsed.rules) != len(self.rules):
            return None
        for parsed_area, area in zip(parsed.areas, self.areas, strict=True):
            criteria = self.criteria_by_area.get(area.pk, [])
            if len(parsed_area.criteria) != len(criteria):
                return None
            pairs.append((parsed_area, area))
            for parsed_criterion, criterion in zip(parsed_area.criteria, criteria, strict=True):
                items = list(criterion.items.all())
                if len(parsed_criterion.items) != len(items):
                    return None
                pairs.append((parsed_criterion, criterion))
                pairs.extend(zip(parsed_criterion.items, items, strict=True))
        for parsed_rule, rule in zip(parsed.rules, self.rules, strict=True):
            if sorted(parsed_rule.area_codes) != sorted(area.code for area in rule.areas.all()):
                return None
            pairs.append((parsed_rule, rule))
        return pairs

    def same_content(self, parsed: ParsedCatalogue) -> bool:
        pairs = self.pairs(parsed)
        if pairs is None:
            return False
        return all(
            getattr(parsed_obj, name) == getattr(row, name)
            for parsed_obj, row in pairs
            for name in _compared(parsed_obj)
        )

    def update_translations(self, parsed: ParsedCatalogue) -> int:
        """Write the file's translations into the rows; returns how many texts changed."""
        changed: dict[type, tuple[set[str], list]] = {}
        count = 0
        for parsed_obj, row in self.pairs(parsed):
            names = [name for name in _translations(parsed_obj) if getattr(row, name) != getattr(parsed_obj, name)]
            for name in names:
                setattr(row, name, getattr(parsed_obj, name))
            if names:
                count += len(names)
                field_names, rows = changed.setdefault(type(row), (set(), []))
                field_names.update(names)
                rows.append(row)
        for model, (field_names, rows) in changed.items():
            model.objects.bulk_update(rows, sorted(field_names))
        self.catalogue.source_sha256 = parsed.source_sha256
        self.catalogue.source_name = parsed.source_name
        self.catalogue.save(update_fields=["source_sha256", "source_name"])
        return count


def _insert(parsed: ParsedCatalogue) -> CatalogueVersion:
    """One bulk insert per table, so the query count does not grow with the
    catalogue (beyond the database's own batching of very large inserts)."""
    catalogue = CatalogueVersion.objects.create(
        code=parsed.code,
        version=parsed.version,
        title=parsed.title,
        title_en=parsed.title_en,
        valid_from=parsed.valid_from,
        is_working_version=parsed.is_working_version,
        description=parsed.description,
        description_en=parsed.description_en,
        min_profile_areas=parsed.min_profile_areas,
        max_profile_areas=parsed.max_profile_areas,
        source_name=parsed.source_name,
        source_sha256=parsed.source_sha256,
    )
    areas = _insert_areas(catalogue, parsed)
    _insert_criteria(catalogue, parsed, areas)
    _insert_rules(catalogue, parsed, areas)
    return catalogue


def _insert_areas(catalogue: CatalogueVersion, parsed: ParsedCatalogue) -> list[Area]:
    return Area.objects.bulk_create(
        [
            Area(
                catalogue=catalogue,
                code=area.code,
                kind=area.kind,
                title=area.title,
                title_en=area.title_en,
                description=area.description,
                description_en=area.description_en,
                always_required=area.always_required,
                order=order,
            )
            for order, area in enumerate(parsed.areas, start=1)
        ]
    )


def _insert_criteria(catalogue: CatalogueVersion, parsed: ParsedCatalogue, areas: list[Area]) -> None:
    """Criteria, then their items; `areas` are the rows of parsed.areas, in order."""
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
                guidance_en=parsed_criterion.guidance_en,
                level=parsed_criterion.level,
                points=parsed_criterion.points,
                typical_evidence=parsed_criterion.typical_evidence,
                typical_evidence_en=parsed_criterion.typical_evidence_en,
                evidence_required=parsed_criterion.evidence_required,
                qualification_min_hours=parsed_criterion.qualification_min_hours,
                qualification_min_hours_is_assumption=parsed_criterion.qualification_min_hours_is_assumption,
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
            CriterionItem(
                criterion=criterion,
                code=item.code,
                text=item.text,
                text_en=item.text_en,
                frequency=item.frequency,
                order=order,
            )
            for parsed_criterion, criterion in criterion_pairs
            for order, item in enumerate(parsed_criterion.items, start=1)
        ]
    )


def _insert_rules(catalogue: CatalogueVersion, parsed: ParsedCatalogue, areas: list[Area]) -> None:
    rules = ThresholdRule.objects.bulk_create(
        [
            ThresholdRule(
                catalogue=catalogue,
                code=rule.code,
                title=rule.title,
                title_en=rule.title_en,
                applies_to_chosen_profiles_only=rule.applies_to_chosen_profiles_only,
                min_basis=rule.min_basis,
                min_aufbau=rule.min_aufbau,
                min_points=rule.min_points,
                is_assumption=rule.is_assumption,
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
