"""Every write of the offer journal: recording an offer (one date or a
series made in one go), changing and removing it. One validation serves the
form, the import and the partner's road, and names the field it refuses:
`JournalError.by_field` maps a field name to its messages."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from certification.models import Criterion, Familienzentrum, Kooperationspartner
from certification.review_year import Period, ReviewYear
from evidence.files import check_files
from evidence.models import EvidenceKind
from evidence.services import EvidenceDetails, atomic_with_files, keep_entry_document
from journal.models import JournalEntry, JournalSession, JournalTag, OfferKind, Recurrence, TargetGroup

# A series holds at most this many sessions: a weekly offer over the longest
# span the journal keeps (three review years) stays below it.
MAX_SESSIONS = 170
MAX_PARTICIPANTS = 100_000


def journal_period(today: date) -> Period:
    """The days the journal keeps: the previous, the current and the next
    review year. An offer dated outside them belongs to no review year a
    certification will look at."""
    return Period(ReviewYear(today.year - 1).start, ReviewYear(today.year + 1).end)


@dataclass
class EntryData:
    title: str
    first_date: date | None
    criterion_codes: list[str]
    kind: str = OfferKind.GROUP
    recurrence: str = Recurrence.ONCE
    # The last possible day of a weekly, fortnightly or monthly series.
    until: date | None = None
    # The sessions of a series of single dates (recurrence DATES).
    dates: list[date] = field(default_factory=list)
    site_id: int | None = None
    partner_id: int | None = None
    target_group: str = TargetGroup.FAMILIES
    participants: int | None = None
    note: str = ""
    # The new-entry form's one-time token (see JournalEntry.form_token).
    form_token: str = ""


TOKEN_PATTERN = re.compile(r"[0-9a-f]{32}")


class EntryAlreadyRecorded(Exception):
    """The form with this token has already recorded its entry."""


class JournalError(ValidationError):
    """Refused entry data, by field name."""

    def __init__(self, by_field: dict[str, list[str]]):
        super().__init__({name: messages for name, messages in by_field.items()})
        self.by_field = by_field


def _add_month(day: date, months: int, anchor_day: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(anchor_day, calendar.monthrange(year, month)[1]))


def plan_sessions(data: EntryData) -> tuple[list[date], dict[str, list[str]]]:
    """The session dates the data describe, and what is wrong with them."""
    errors: dict[str, list[str]] = {}
    if data.recurrence not in Recurrence.values:
        return [], {"recurrence": [_("Unbekannte Wiederholung.")]}
    if data.recurrence == Recurrence.DATES:
        dates = sorted(set(data.dates) | ({data.first_date} if data.first_date else set()))
        if not dates:
            errors["dates"] = [_("Eine Serie einzelner Termine braucht mindestens ein Datum.")]
        return dates, errors
    if data.first_date is None:
        return [], {"first_date": [_("Bitte ein Datum angeben.")]}
    if data.recurrence == Recurrence.ONCE:
        return [data.first_date], errors
    if data.until is None:
        return [], {"until": [_("Eine Serie braucht ein Enddatum („bis“).")]}
    if data.until < data.first_date:
        return [], {"until": [_("Das Enddatum liegt vor dem ersten Termin.")]}
    dates = []
    day, step = data.first_date, 0
    while day <= data.until and len(dates) <= MAX_SESSIONS:
        dates.append(day)
        step += 1
        if data.recurrence == Recurrence.WEEKLY:
            day = data.first_date + timedelta(weeks=step)
        elif data.recurrence == Recurrence.FORTNIGHTLY:
            day = data.first_date + timedelta(weeks=2 * step)
        else:
            day = _add_month(data.first_date, step, data.first_date.day)
    return dates, errors


def known_criterion_codes() -> set[str]:
    """The criterion codes of every loaded catalogue version: an entry names
    criteria by code, so it outlives a new version."""
    return set(Criterion.objects.values_list("code", flat=True).distinct())


def check_entry(
    familienzentrum: Familienzentrum,
    data: EntryData,
    *,
    today: date,
    known_codes: set[str] | None = None,
    allowed_codes: set[str] | None = None,
) -> list[date]:
    """The entry's session dates, or JournalError naming every wrong field."""
    errors: dict[str, list[str]] = {}
    title = (data.title or "").strip()
    if not title:
        errors["title"] = [_("Bitte einen Titel angeben.")]
    elif len(title) > 200:
        errors["title"] = [_("Der Titel ist länger als 200 Zeichen.")]
    if data.kind not in OfferKind.values:
        errors["kind"] = [_("Unbekannte Art „%(value)s“.") % {"value": data.kind}]
    if data.target_group not in TargetGroup.values:
        errors["target_group"] = [_("Unbekannte Zielgruppe „%(value)s“.") % {"value": data.target_group}]
    if data.participants is not None and not (0 <= data.participants <= MAX_PARTICIPANTS):
        errors["participants"] = [
            _("Die Zahl der Teilnehmenden muss zwischen 0 und %(max)d liegen.") % {"max": MAX_PARTICIPANTS}
        ]
    codes = [code.strip() for code in data.criterion_codes if code.strip()]
    known_codes = known_criterion_codes() if known_codes is None else known_codes
    unknown = sorted(set(codes) - known_codes)
    if not codes:
        errors["criterion_codes"] = [_("Bitte mindestens ein Kriterium angeben, dem das Angebot dient.")]
    elif unknown:
        errors["criterion_codes"] = [_("Unbekanntes Kriterium: %(codes)s.") % {"codes": ", ".join(unknown)}]
    elif allowed_codes is not None and set(codes) - allowed_codes:
        errors["criterion_codes"] = [
            _("Sie können Einträge nur zu den Kriterien Ihrer Einladung machen: %(codes)s.")
            % {"codes": ", ".join(sorted(allowed_codes))}
        ]
    if data.site_id is not None and not familienzentrum.site_links.filter(site_id=data.site_id).exists():
        errors["site"] = [_("Dieser Standort gehört nicht zum Familienzentrum.")]
    if data.partner_id is not None and not Kooperationspartner.objects.filter(pk=data.partner_id).exists():
        errors["partner"] = [_("Unbekannter Kooperationspartner.")]
    dates, date_errors = plan_sessions(data)
    errors.update(date_errors)
    if len(dates) > MAX_SESSIONS:
        errors["until"] = [_("Eine Serie hat höchstens %(max)d Termine.") % {"max": MAX_SESSIONS}]
    kept = journal_period(today)
    outside = [day for day in dates if day not in kept]
    if outside:
        name = "dates" if data.recurrence == Recurrence.DATES else ("first_date" if outside[0] == dates[0] else "until")
        errors.setdefault(name, []).append(
            _("%(day)s liegt außerhalb der Prüfjahre, die das Journal führt (%(start)s bis %(end)s).")
            % {
                "day": date_format(outside[0], "SHORT_DATE_FORMAT"),
                "start": date_format(kept.start, "SHORT_DATE_FORMAT"),
                "end": date_format(kept.end, "SHORT_DATE_FORMAT"),
            }
        )
    if errors:
        raise JournalError(errors)
    data.title, data.criterion_codes = title, sorted(set(codes))
    return dates


def _write(entry: JournalEntry, data: EntryData, dates: list[date]) -> None:
    entry.title = data.title
    entry.kind = data.kind
    entry.recurrence = data.recurrence
    entry.site_id = data.site_id
    entry.partner_id = data.partner_id
    entry.target_group = data.target_group
    entry.participants = data.participants
    entry.note = data.note or ""
    entry.first_date, entry.last_date = dates[0], dates[-1]
    entry.save()
    entry.sessions.all().delete()
    JournalSession.objects.bulk_create(JournalSession(entry=entry, date=day) for day in dates)
    entry.tags.all().delete()
    JournalTag.objects.bulk_create(JournalTag(entry=entry, criterion_code=code) for code in data.criterion_codes)


def _keep_attachment(entry: JournalEntry, upload, user, stored: list) -> None:
    """The flyer or attendance list, through the evidence upload checks, as
    the centre's evidence; it follows the entry's title and date, and a new
    file is its next revision."""
    if upload is None and entry.attachment_id is None:
        return
    checked = check_files([upload])[0] if upload is not None else None
    document = keep_entry_document(
        entry.attachment,
        checked,
        EvidenceDetails(
            kind=EvidenceKind.OFFER,
            effective_date=entry.first_date,
            title=entry.title,
            site_ids=(entry.site_id,) if entry.site_id else (),
        ),
        user,
        stored,
        familienzentrum=entry.familienzentrum,
    )
    if document.pk != entry.attachment_id:
        entry.attachment = document
        entry.save(update_fields=["attachment"])


def record_entry(
    *,
    user,
    familienzentrum: Familienzentrum,
    data: EntryData,
    upload=None,
    partner: Kooperationspartner | None = None,
    allowed_codes: set[str] | None = None,
    today: date | None = None,
) -> JournalEntry:
    """Record one offer with its sessions. The Leitung keeps the journal; a
    partner comes through its invitation (the caller checked it) and may tag
    only the criteria it serves (`allowed_codes`). An upload refused by the
    file checks raises UploadRejected and stores nothing."""
    if partner is None and not user.has_perm("journal.keep_journal", familienzentrum):
        raise PermissionDenied
    if partner is not None:
        data.partner_id = partner.pk
    dates = check_entry(familienzentrum, data, today=today or timezone.localdate(), allowed_codes=allowed_codes)

    token = data.form_token if _is_token(data.form_token) else None
    if token and recorded_with_token(token):
        raise EntryAlreadyRecorded

    def work(stored):
        entry = JournalEntry(familienzentrum=familienzentrum, created_by=user, form_token=token)
        _write(entry, data, dates)
        _keep_attachment(entry, upload, user, stored)
        return entry

    try:
        return atomic_with_files(work)
    except IntegrityError:
        # Two requests with one token at once: the second waits for the
        # first's commit and is refused by the unique token.
        if token and recorded_with_token(token):
            raise EntryAlreadyRecorded from None
        raise


def _is_token(value: str) -> bool:
    # What new_token() hands out; anything else sent along is ignored.
    return bool(TOKEN_PATTERN.fullmatch(value or ""))


def recorded_with_token(token: str) -> bool:
    return _is_token(token) and JournalEntry.objects.filter(form_token=token).exists()


def update_entry(*, user, entry: JournalEntry, data: EntryData, upload=None, today: date | None = None) -> JournalEntry:
    if not user.has_perm("journal.keep_journal", entry.familienzentrum):
        raise PermissionDenied
    dates = check_entry(entry.familienzentrum, data, today=today or timezone.localdate())

    def work(stored):
        locked = JournalEntry.objects.select_for_update().get(pk=entry.pk)
        _write(locked, data, dates)
        _keep_attachment(locked, upload, user, stored)
        return locked

    return atomic_with_files(work)


def delete_entry(*, user, entry: JournalEntry) -> None:
    """Remove an entry. Its attachment stays in the centre's documents: an
    assessment may have linked it, and a document is never deleted."""
    if not user.has_perm("journal.keep_journal", entry.familienzentrum):
        raise PermissionDenied
    with transaction.atomic():
        JournalEntry.objects.filter(pk=entry.pk).delete()


def entry_data_of(entry: JournalEntry) -> EntryData:
    """The data of a stored entry, to fill its edit form."""
    dates = list(entry.sessions.values_list("date", flat=True))
    return EntryData(
        title=entry.title,
        first_date=dates[0] if dates else entry.first_date,
        criterion_codes=list(entry.tags.values_list("criterion_code", flat=True)),
        kind=entry.kind,
        recurrence=entry.recurrence,
        until=dates[-1] if entry.recurrence not in (Recurrence.ONCE, Recurrence.DATES) and dates else None,
        dates=dates if entry.recurrence == Recurrence.DATES else [],
        site_id=entry.site_id,
        partner_id=entry.partner_id,
        target_group=entry.target_group,
        participants=entry.participants,
        note=entry.note,
    )
