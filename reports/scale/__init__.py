"""seed_scale: a population at the size of the scheme in NRW, planned
deterministically (plan), written with bulk inserts (writer)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from certification.catalogue import SHIPPED_CATALOGUE, read_catalogue_file
from certification.models import CatalogueVersion


def shipped_catalogue() -> CatalogueVersion | None:
    """The loaded version of the shipped catalogue file, if it is loaded."""
    parsed = read_catalogue_file(SHIPPED_CATALOGUE)
    return CatalogueVersion.objects.filter(code=parsed.code, version=parsed.version).first()


def seed_population(centres: int, *, seed: int = 12, batch: int = 100, catalogue=None, today=None, log=None):
    """Plan and write the first `centres` centres that are not there yet.
    Uses the shipped catalogue (or the one in force) unless told otherwise."""
    from assessments.services.common import current_catalogue
    from reports.scale.writer import ScaleWriter

    catalogue = catalogue or shipped_catalogue() or current_catalogue()
    if catalogue is None:
        raise LookupError(_("Es ist kein Kriterienkatalog geladen: zuerst „manage.py load_catalogue“ ausführen."))
    writer = ScaleWriter(catalogue=catalogue, seed=seed, today=today, batch=batch, log=log)
    return writer.run(centres)
