"""Criteria catalogues as data: a YAML file is read (reader), validated
completely (checks, rule_checks) and written as one immutable
CatalogueVersion (writer). The schema is documented in
certification/catalogues/README.md.

Callers import from here, not from the modules, so the split can change.
"""

from __future__ import annotations

from certification.catalogue.parsed import (
    ParsedArea,
    ParsedCatalogue,
    ParsedCriterion,
    ParsedItem,
    ParsedRule,
)
from certification.catalogue.reader import (
    CATALOGUE_DIR,
    CORRECTED_CATALOGUE,
    SHIPPED_CATALOGUE,
    CatalogueError,
    parse_catalogue,
    read_catalogue_file,
)
from certification.catalogue.writer import LoadResult, load_catalogue_file, write_catalogue

__all__ = [
    "CATALOGUE_DIR",
    "CORRECTED_CATALOGUE",
    "SHIPPED_CATALOGUE",
    "CatalogueError",
    "LoadResult",
    "ParsedArea",
    "ParsedCatalogue",
    "ParsedCriterion",
    "ParsedItem",
    "ParsedRule",
    "load_catalogue_file",
    "parse_catalogue",
    "read_catalogue_file",
    "write_catalogue",
]
