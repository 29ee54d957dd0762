"""Writes and invariants of the certification app."""

from __future__ import annotations

import calendar
import logging
import math
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from itertools import combinations

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from certification.models import (
    Criterion,
    Einrichtung,
    Familienzentrum,
    FamilienzentrumForm,
    FamilienzentrumSite,
    Guetesiegel,
    LogAction,
    LogEntry,
    SealReminder,
    SealState,
)
from notifications.models import NotificationKind
from notifications.services import notify

logger = logging.getLogger(__name__)

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


def add_months(day: date, months: int) -> date:
    """`day` moved by whole calendar months (negative: back), the day clamped
    to the target month's length: 31 July - 3 months is 30 April."""
    years, month_index = divmod(day.month - 1 + months, 12)
    year = day.year + years
    month = month_index + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


# A seal counts as "ending soon" in its last six months; reminders go out
# twelve, six and three months before it ends.
ENDING_SOON_MONTHS = 6
REMINDER_MONTHS = (12, 6, 3)


@dataclass(frozen=True)
class SealStatus:
    seal: Guetesiegel
    state: str
    days_left: int

    @property
    def label(self) -> str:
        return SealState(self.state).label

    @property
    def is_valid(self) -> bool:
        """Valid today (also while ending soon); never for an expired seal."""
        return self.state in (SealState.VALID, SealState.ENDING_SOON)


def seal_state(seal: Guetesiegel, today: date) -> SealStatus:
    """The seal's state on `today`: valid from valid_from through valid_until
    inclusive, ending soon in the last six months, expired after."""
    days_left = (seal.valid_until - today).days
    if today < seal.valid_from:
        state = SealState.UPCOMING
    elif today > seal.valid_until:
        state = SealState.EXPIRED
    elif today > add_months(seal.valid_until, -ENDING_SOON_MONTHS):
        state = SealState.ENDING_SOON
    else:
        state = SealState.VALID
    return SealStatus(seal=seal, state=state, days_left=max(days_left, 0))


def validate_site_visit_sites(familienzentrum: Familienzentrum, site_ids: list[int]) -> None:
    """The sites a Begehung visits: a single centre its one site; a Verbund
    exactly two, one of them the grant recipient. Raises ValidationError."""
    links = list(familienzentrum.site_links.all())
    centre_ids = {link.site_id for link in links}
    chosen = set(site_ids)
    if not chosen or not chosen <= centre_ids:
        raise ValidationError(_("Wählen Sie Standorte dieses Familienzentrums."))
    if familienzentrum.form == FamilienzentrumForm.VERBUND:
        errors = []
        if len(chosen) != 2:
            errors.append(
                _("Bei einem Verbund werden genau zwei Standorte besucht, gewählt sind %(count)d.")
                % {"count": len(chosen)}
            )
        recipient = next((link for link in links if link.is_grant_recipient), None)
        if recipient is not None and recipient.site_id not in chosen:
            errors.append(
                _("Einer der besuchten Standorte muss der Zuschussempfänger sein: %(site)s.")
                % {"site": recipient.site.name}
            )
        if errors:
            raise ValidationError(errors)
    elif chosen != centre_ids:
        raise ValidationError(_("Bei einer Einzeleinrichtung wird ihr Standort besucht."))


# ---------------------------------------------------------------- reminders


def due_reminder_months(seal: Guetesiegel, today: date) -> int | None:
    """The most urgent reminder threshold reached on `today`, or None. A
    threshold missed (say the task did not run for weeks) is not sent late
    once a more urgent one is due: the centre gets one mail, the current one."""
    if today < seal.valid_from or today > seal.valid_until:
        return None
    due = [months for months in REMINDER_MONTHS if today >= add_months(seal.valid_until, -months)]
    return min(due) if due else None


def seal_reminder_recipients(familienzentrum: Familienzentrum) -> list[str]:
    from certification.selectors import leader_emails, traeger_emails

    return sorted(set(leader_emails(familienzentrum)) | set(traeger_emails(familienzentrum)))


def send_seal_reminder(seal: Guetesiegel, months_before: int, today: date) -> SealReminder | None:
    """Reserve the reminder row and write its messages in one transaction. If
    another run holds or has the row, the insert fails and nothing is sent;
    the worker mails the messages after the commit (with retries), the bell
    shows them at once."""
    recipients = seal_reminder_recipients(seal.familienzentrum)
    if not recipients:
        logger.warning("Seal %s: no recipients for the %d-month reminder", seal.number, months_before)
        return None
    try:
        with transaction.atomic():
            reminder = SealReminder.objects.create(
                seal=seal, months_before=months_before, sent_at=timezone.now(), recipients=", ".join(recipients)
            )
            notify(
                kind=NotificationKind.SEAL_REMINDER,
                recipients=recipients,
                subject_template="certification/email/seal_reminder_subject.txt",
                body_template="certification/email/seal_reminder.txt",
                context={
                    "seal": seal,
                    "centre": seal.familienzentrum,
                    "months_before": months_before,
                    "status": seal_state(seal, today),
                },
                link=reverse("home"),
            )
    except IntegrityError:
        return None
    return reminder


def send_due_seal_reminders(today: date | None = None) -> list[SealReminder]:
    """The daily job: every current (not superseded), unexpired seal whose
    next threshold is reached and not yet reminded gets its one mail."""
    from certification.selectors import current_seals

    today = today or timezone.localdate()
    seals = (
        current_seals()
        .filter(valid_from__lte=today, valid_until__gte=today, valid_until__lte=add_months(today, max(REMINDER_MONTHS)))
        .select_related("familienzentrum__traeger")
        .prefetch_related("reminders", "familienzentrum__site_links")
    )
    sent = []
    for seal in seals:
        months = due_reminder_months(seal, today)
        if months is None:
            continue
        # A reminder at this or a more urgent threshold already went out.
        if any(reminder.months_before <= months for reminder in seal.reminders.all()):
            continue
        # Writes the reminder and its messages; the worker mails them.
        reminder = send_seal_reminder(seal, months, today)
        if reminder is not None:
            sent.append(reminder)
    return sent


# ---------------------------------------------------------------- the log


def log_action(
    obj,
    action: str,
    *,
    user,
    familienzentrum: Familienzentrum | None = None,
    criterion: Criterion | None = None,
    data: dict | None = None,
) -> LogEntry:
    """Append one entry about `obj` (pretix's `log_action`). Call it inside
    the transaction that makes the change, so the entry commits or rolls back
    with it. `user` is None for changes made by the system."""
    if action not in LogAction.values:
        raise ValueError(f"unknown log action {action!r}")
    return LogEntry.objects.create(
        content_type=ContentType.objects.get_for_model(obj),
        object_id=obj.pk,
        action=action,
        actor=user if user is not None and user.is_authenticated else None,
        familienzentrum=familienzentrum,
        criterion=criterion,
        data=data or {},
    )
