"""Writes and invariants of the certification app."""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from itertools import combinations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from certification.models import Einrichtung, Familienzentrum, FamilienzentrumForm, FamilienzentrumSite, Guetesiegel

VERBUND_MIN_SITES = 2
VERBUND_MAX_SITES = 5
VERBUND_MAX_DISTANCE_KM = 3.0
_EARTH_RADIUS_KM = 6371.0


def distance_km(lat1: Decimal, lon1: Decimal, lat2: Decimal, lon2: Decimal) -> float:
    """Great-circle distance (haversine); exact enough for a 3 km rule."""
    phi1, phi2 = math.radians(float(lat1)), math.radians(float(lat2))
    d_phi = phi2 - phi1
    d_lambda = math.radians(float(lon2) - float(lon1))
    a = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * _EARTH_RADIUS_KM * math.asin(math.sqrt(a))


@dataclass(frozen=True)
class SiteChoice:
    site: Einrichtung
    is_grant_recipient: bool = False
    is_contact_site: bool = False


def validate_site_composition(
    *,
    form: str,
    traeger_id: int | None,
    sites: list[SiteChoice],
    distance_exception: bool,
    extra_sites_approved: bool,
) -> None:
    """Raise ValidationError listing every way the sites break the rules for
    a single centre or a Verbund. Used by the admin and by the services."""
    errors: list[str] = []
    count = len(sites)
    if form == FamilienzentrumForm.SINGLE and count != 1:
        errors.append(
            _("Eine Einzeleinrichtung hat genau einen Standort, angegeben sind %(count)d.") % {"count": count}
        )
    if form == FamilienzentrumForm.VERBUND:
        if count < VERBUND_MIN_SITES:
            errors.append(
                _("Ein Verbund hat mindestens %(min)d Standorte, angegeben sind %(count)d.")
                % {"min": VERBUND_MIN_SITES, "count": count}
            )
        if count > VERBUND_MAX_SITES and not extra_sites_approved:
            errors.append(
                _(
                    "Ein Verbund hat höchstens %(max)d Standorte, angegeben sind %(count)d. "
                    "Mehr sind nur mit Genehmigung des Ministeriums möglich."
                )
                % {"max": VERBUND_MAX_SITES, "count": count}
            )
    grant_recipients = [choice for choice in sites if choice.is_grant_recipient]
    if count and len(grant_recipients) != 1:
        errors.append(_("Genau ein Standort muss Zuschussempfänger sein."))
    if len([choice for choice in sites if choice.is_contact_site]) > 1:
        errors.append(_("Höchstens ein Standort kann Ansprechstandort sein."))
    site_ids = [choice.site.pk for choice in sites]
    if len(set(site_ids)) != len(site_ids):
        errors.append(_("Eine Einrichtung ist mehrfach angegeben."))
    if traeger_id is not None:
        foreign = [str(choice.site) for choice in sites if choice.site.traeger_id != traeger_id]
        if foreign:
            errors.append(
                _("Diese Einrichtungen gehören zu einem anderen Träger: %(sites)s.") % {"sites": ", ".join(foreign)}
            )
    if form == FamilienzentrumForm.VERBUND and not distance_exception:
        errors.extend(_distance_errors([choice.site for choice in sites]))
    if errors:
        raise ValidationError(errors)


def _distance_errors(sites: list[Einrichtung]) -> list[str]:
    errors = []
    missing = [str(site) for site in sites if not site.has_coordinates]
    if missing:
        errors.append(
            _(
                "Für diese Standorte fehlen Koordinaten, der Abstand von höchstens 3 km lässt sich nicht prüfen: "
                "%(sites)s. Tragen Sie Koordinaten ein oder vermerken Sie eine Ausnahme des Jugendamts."
            )
            % {"sites": ", ".join(missing)}
        )
    located = [site for site in sites if site.has_coordinates]
    for first, second in combinations(located, 2):
        km = distance_km(first.latitude, first.longitude, second.latitude, second.longitude)
        if km > VERBUND_MAX_DISTANCE_KM:
            errors.append(
                _(
                    "%(first)s und %(second)s liegen %(km).1f km auseinander (erlaubt sind 3 km). "
                    "Dafür ist eine vermerkte Ausnahme des Jugendamts nötig."
                )
                % {"first": first, "second": second, "km": km}
            )
    return errors


@transaction.atomic
def create_familienzentrum(
    *,
    name: str,
    traeger_id: int,
    form: str,
    sites: list[SiteChoice],
    distance_exception: bool = False,
    distance_exception_note: str = "",
    extra_sites_approved: bool = False,
    certification_number: str = "",
    youth_office: str = "",
) -> Familienzentrum:
    if distance_exception and not distance_exception_note.strip():
        raise ValidationError(_("Eine Ausnahme vom 3-km-Abstand braucht eine Begründung."))
    validate_site_composition(
        form=form,
        traeger_id=traeger_id,
        sites=sites,
        distance_exception=distance_exception,
        extra_sites_approved=extra_sites_approved,
    )
    taken = [str(choice.site) for choice in sites if FamilienzentrumSite.objects.filter(site=choice.site).exists()]
    if taken:
        raise ValidationError(
            _("Diese Einrichtungen gehören schon zu einem Familienzentrum: %(sites)s.") % {"sites": ", ".join(taken)}
        )
    familienzentrum = Familienzentrum.objects.create(
        name=name,
        traeger_id=traeger_id,
        form=form,
        distance_exception=distance_exception,
        distance_exception_note=distance_exception_note,
        extra_sites_approved=extra_sites_approved,
        certification_number=certification_number,
        youth_office=youth_office,
    )
    FamilienzentrumSite.objects.bulk_create(
        FamilienzentrumSite(
            familienzentrum=familienzentrum,
            site=choice.site,
            is_grant_recipient=choice.is_grant_recipient,
            is_contact_site=choice.is_contact_site,
        )
        for choice in sites
    )
    return familienzentrum


SEAL_YEARS = 4


def seal_valid_until(valid_from: date) -> date:
    """Four years; if they would end inside a Kindergartenjahr (1 August to
    31 July) the seal runs to the end of that year, 31 July (DVO KiBiz §11)."""
    try:
        four_years_later = valid_from.replace(year=valid_from.year + SEAL_YEARS)
    except ValueError:  # 29 February
        four_years_later = valid_from.replace(year=valid_from.year + SEAL_YEARS, day=28)
    last_day = four_years_later - timedelta(days=1)
    end_year = last_day.year + 1 if last_day.month >= 8 else last_day.year
    return date(end_year, 7, 31)


@transaction.atomic
def issue_seal(*, familienzentrum: Familienzentrum, valid_from: date, snapshot_sha256: str) -> Guetesiegel:
    seal = Guetesiegel.objects.create(
        familienzentrum=familienzentrum,
        number=f"pending-{uuid.uuid4().hex}",
        valid_from=valid_from,
        valid_until=seal_valid_until(valid_from),
        snapshot_sha256=snapshot_sha256,
    )
    # The number is derived from the row id so it is unique without a lock.
    seal.number = f"GS-FZ-{valid_from.year}-{seal.pk:05d}"
    seal.save(update_fields=["number"])
    return seal
