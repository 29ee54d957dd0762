"""Every write of the standing register: adding, changing and removing staff
qualifications and cooperation agreements, and ending an agreement. One
validation serves every road in and names the field it refuses
(`RegisterError.by_field`); all of it is checked, the uploaded document
included, before anything is written, so a refusal changes nothing. The
certificate or agreement document becomes the centre's evidence through the
evidence app's file checks and storage, like every other upload."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from certification.models import Criterion, Familienzentrum, Kooperationspartner
from evidence.files import check_files
from evidence.models import Evidence, EvidenceKind
from evidence.services import EvidenceDetails, atomic_with_files, keep_entry_document
from register.models import CooperationAgreement, StaffQualification
from register.validity import agreement_valid_until, qualification_valid_until

MAX_HOURS = Decimal("9999.9")  # the field holds five digits, one after the point
MAX_DAYS = 366


class RegisterError(ValidationError):
    """Refused register data, by field name."""

    def __init__(self, by_field: dict[str, list[str]]):
        super().__init__({name: messages for name, messages in by_field.items()})
        self.by_field = by_field


@dataclass
class QualificationData:
    person: str
    training: str
    completed_on: date | None
    hours: Decimal | None
    role: str = ""
    provider: str = ""
    online: bool = False
    preparation_hours: Decimal | None = None
    days: int | None = None
    site_id: int | None = None
    criterion_codes: list[str] = field(default_factory=list)


@dataclass
class AgreementData:
    partner_id: int | None
    subject: str
    signed_on: date | None
    signed_by: str
    valid_until: date | None = None
    site_ids: list[int] = field(default_factory=list)
    criterion_codes: list[str] = field(default_factory=list)


def known_criterion_codes() -> set[str]:
    """The criterion codes of every loaded catalogue version: entries name
    criteria by code, so they outlive a new version."""
    return set(Criterion.objects.values_list("code", flat=True).distinct())


def _day(value: date) -> str:
    return date_format(value, "SHORT_DATE_FORMAT")


def _text(errors, name: str, value: str, max_length: int, *, required_message: str | None = None) -> str:
    value = (value or "").strip()
    if required_message and not value:
        errors[name] = [required_message]
    elif len(value) > max_length:
        errors[name] = [_("Höchstens %(max)d Zeichen.") % {"max": max_length}]
    return value


def _past_day(errors, name: str, value: date | None, today: date, missing: str) -> None:
    if value is None:
        errors[name] = [missing]
    elif value > today:
        errors[name] = [_("Das Datum %(date)s liegt in der Zukunft.") % {"date": _day(value)}]


def _codes(errors, codes: list[str]) -> list[str]:
    codes = sorted({code.strip() for code in codes if code and code.strip()})
    unknown = sorted(set(codes) - known_criterion_codes()) if codes else []
    if unknown:
        errors["criterion_codes"] = [_("Unbekanntes Kriterium: %(codes)s.") % {"codes": ", ".join(unknown)}]
    return codes


def _site_ids_of(familienzentrum: Familienzentrum) -> set[int]:
    return set(familienzentrum.site_links.values_list("site_id", flat=True))


def check_qualification(familienzentrum: Familienzentrum, data: QualificationData, *, today: date) -> None:
    """Raise RegisterError naming every wrong field; tidy the data in place."""
    errors: dict[str, list[str]] = {}
    data.person = _text(errors, "person", data.person, 120, required_message=_("Bitte den Namen angeben."))
    data.role = _text(errors, "role", data.role, 120)
    data.training = _text(errors, "training", data.training, 200, required_message=_("Bitte die Fortbildung benennen."))
    data.provider = _text(errors, "provider", data.provider, 200)
    _past_day(errors, "completed_on", data.completed_on, today, _("Bitte das Datum des Abschlusses angeben."))
    if data.hours is None:
        errors["hours"] = [_("Bitte den Umfang in Stunden angeben.")]
    elif not (0 < data.hours <= MAX_HOURS):
        errors["hours"] = [_("Der Umfang muss größer als 0 und höchstens %(max)s Stunden sein.") % {"max": "9999,9"}]
    if data.preparation_hours is not None:
        if not data.online:
            errors["preparation_hours"] = [_("Vor- und Nachbereitung zählt nur bei Online-Seminaren.")]
        elif not (0 <= data.preparation_hours <= MAX_HOURS):
            errors["preparation_hours"] = [_("Bitte eine Stundenzahl von 0 bis 9999,9 angeben.")]
    if data.days is not None and not (1 <= data.days <= MAX_DAYS):
        errors["days"] = [_("Die Dauer muss zwischen 1 und %(max)d Tagen liegen.") % {"max": MAX_DAYS}]
    if data.site_id is not None and data.site_id not in _site_ids_of(familienzentrum):
        errors["site"] = [_("Dieser Standort gehört nicht zum Familienzentrum.")]
    data.criterion_codes = _codes(errors, data.criterion_codes)
    if errors:
        raise RegisterError(errors)


def check_agreement(familienzentrum: Familienzentrum, data: AgreementData, *, today: date) -> None:
    errors: dict[str, list[str]] = {}
    if data.partner_id is None:
        errors["partner"] = [_("Bitte den Kooperationspartner wählen.")]
    elif not Kooperationspartner.objects.filter(pk=data.partner_id).exists():
        errors["partner"] = [_("Unbekannter Kooperationspartner.")]
    data.subject = _text(errors, "subject", data.subject, 200, required_message=_("Bitte den Gegenstand angeben."))
    data.signed_by = _text(
        errors, "signed_by", data.signed_by, 200, required_message=_("Bitte angeben, wer unterzeichnet hat.")
    )
    _past_day(errors, "signed_on", data.signed_on, today, _("Bitte das Datum der Unterschrift angeben."))
    if data.valid_until is not None and data.signed_on is not None and data.valid_until <= data.signed_on:
        errors["valid_until"] = [_("„Befristet bis“ muss nach dem Datum der Unterschrift liegen.")]
    foreign = set(data.site_ids) - _site_ids_of(familienzentrum)
    if foreign:
        errors["sites"] = [_("Dieser Standort gehört nicht zum Familienzentrum.")]
    data.site_ids = sorted(set(data.site_ids))
    data.criterion_codes = _codes(errors, data.criterion_codes)
    if errors:
        raise RegisterError(errors)


def _check_upload(upload, name: str, errors_so_far: RegisterError | None):
    """The checked file, or the refusal merged with the data's errors, so the user sees all at once."""
    errors = dict(errors_so_far.by_field) if errors_so_far else {}
    checked = None
    if upload is not None:
        try:
            (checked,) = check_files([upload])
        except ValidationError as refused:
            errors[name] = refused.messages
    if errors:
        raise RegisterError(errors)
    return checked


def check_document(upload, upload_field: str) -> None:
    """Only the file's checks: a form refused for other reasons names a bad
    file too, so the user does not learn of it one round later."""
    _check_upload(upload, upload_field, None)


def _validated(check, familienzentrum, data, today, upload, upload_field):
    try:
        check(familienzentrum, data, today=today)
    except RegisterError as error:
        _check_upload(upload, upload_field, error)
    return _check_upload(upload, upload_field, None)


def _require_keeper(user, familienzentrum: Familienzentrum) -> None:
    if not user.has_perm("register.keep_register", familienzentrum):
        raise RegisterError({"__all__": [_("Sie dürfen das Nachweisregister nicht führen.")]})


@dataclass(frozen=True)
class _EntryKind:
    """What differs between a qualification and an agreement on the way in;
    the way itself (`_save_entry`) is the same for both."""

    model: type
    check: Callable  # check_qualification / check_agreement
    write: Callable  # (entry, data): copy the checked data onto the entry
    details: Callable  # (entry, data) -> EvidenceDetails of its document
    document_field: str  # the entry's foreign key to its Evidence
    upload_field: str  # the form field the document's refusal is shown at
    after_save: Callable = lambda entry, data: None  # many-to-many that needs the saved row
    check_change: Callable = lambda entry, data: None  # what only a change of an existing entry can break


def _save_entry(kind: _EntryKind, *, user, familienzentrum, current, data, upload, today: date):
    """Add (current None) or change an entry and keep its document in step;
    everything is checked before anything is written."""
    _require_keeper(user, familienzentrum)
    checked = _validated(kind.check, familienzentrum, data, today, upload, kind.upload_field)
    if current is not None:
        kind.check_change(current, data)

    def work(stored):
        if current is None:
            entry = kind.model(familienzentrum=familienzentrum, created_by=user)
        else:
            # Locked: two edits of one entry at once must not mix their fields or revisions.
            entry = kind.model.objects.select_for_update().get(pk=current.pk)
        kind.write(entry, data)
        document = keep_entry_document(
            getattr(entry, kind.document_field),
            checked,
            kind.details(entry, data),
            user,
            stored,
            familienzentrum=familienzentrum,
        )
        setattr(entry, kind.document_field, document)
        entry.save()
        kind.after_save(entry, data)
        return entry

    return atomic_with_files(work)


# ---------------------------------------------------------------- qualifications


def _qualification_details(qualification: StaffQualification, data: QualificationData) -> EvidenceDetails:
    return EvidenceDetails(
        kind=EvidenceKind.QUALIFICATION,
        effective_date=qualification.completed_on,
        valid_until=qualification_valid_until(qualification),
        training_hours=qualification.hours,
        title=_("Bescheinigung: %(training)s (%(person)s)")
        % {"training": qualification.training, "person": qualification.person},
        site_ids=(qualification.site_id,) if qualification.site_id else (),
    )


def _write_qualification(qualification: StaffQualification, data: QualificationData) -> None:
    for name in ("person", "role", "training", "provider", "completed_on", "hours", "online", "days", "site_id"):
        setattr(qualification, name, getattr(data, name))
    qualification.preparation_hours = data.preparation_hours if data.online else None
    qualification.criterion_codes = data.criterion_codes


QUALIFICATION = _EntryKind(
    model=StaffQualification,
    check=check_qualification,
    write=_write_qualification,
    details=_qualification_details,
    document_field="certificate",
    upload_field="certificate",
)


def qualification_add(
    *, user, familienzentrum: Familienzentrum, data: QualificationData, upload=None, today: date | None = None
) -> StaffQualification:
    return _save_entry(
        QUALIFICATION,
        user=user,
        familienzentrum=familienzentrum,
        current=None,
        data=data,
        upload=upload,
        today=today or timezone.localdate(),
    )


def qualification_edit(
    *, user, qualification_id: int, data: QualificationData, upload=None, today: date | None = None
) -> StaffQualification:
    qualification = StaffQualification.objects.select_related("familienzentrum").get(pk=qualification_id)
    return _save_entry(
        QUALIFICATION,
        user=user,
        familienzentrum=qualification.familienzentrum,
        current=qualification,
        data=data,
        upload=upload,
        today=today or timezone.localdate(),
    )


def qualification_remove(*, user, qualification_id: int) -> None:
    """Take the entry out of the register; its certificate stays among the
    centre's documents (it may be frozen in a submission)."""
    with transaction.atomic():
        qualification = StaffQualification.objects.select_for_update().get(pk=qualification_id)
        _require_keeper(user, qualification.familienzentrum)
        qualification.delete()


# ---------------------------------------------------------------- agreements


def _agreement_details(agreement: CooperationAgreement, data: AgreementData) -> EvidenceDetails:
    return EvidenceDetails(
        kind=EvidenceKind.AGREEMENT,
        effective_date=agreement.signed_on,
        valid_until=agreement_valid_until(agreement),
        title=_("Kooperationsvereinbarung: %(partner)s – %(subject)s")
        % {"partner": agreement.partner.name, "subject": agreement.subject},
        site_ids=tuple(data.site_ids),
    )


def _write_agreement(agreement: CooperationAgreement, data: AgreementData) -> None:
    agreement.partner = Kooperationspartner.objects.get(pk=data.partner_id)
    agreement.subject = data.subject
    agreement.signed_on = data.signed_on
    agreement.signed_by = data.signed_by
    agreement.valid_until = data.valid_until
    agreement.criterion_codes = data.criterion_codes


def _check_agreement_change(agreement: CooperationAgreement, data: AgreementData) -> None:
    if agreement.ended_on is not None and data.signed_on is not None and agreement.ended_on < data.signed_on:
        raise RegisterError({"signed_on": [_("Die Vereinbarung endete vor diesem Datum.")]})


AGREEMENT = _EntryKind(
    model=CooperationAgreement,
    check=check_agreement,
    write=_write_agreement,
    details=_agreement_details,
    document_field="document",
    upload_field="document",
    after_save=lambda agreement, data: agreement.sites.set(data.site_ids),
    check_change=_check_agreement_change,
)


def agreement_add(
    *, user, familienzentrum: Familienzentrum, data: AgreementData, upload=None, today: date | None = None
) -> CooperationAgreement:
    return _save_entry(
        AGREEMENT,
        user=user,
        familienzentrum=familienzentrum,
        current=None,
        data=data,
        upload=upload,
        today=today or timezone.localdate(),
    )


def agreement_edit(
    *, user, agreement_id: int, data: AgreementData, upload=None, today: date | None = None
) -> CooperationAgreement:
    agreement = CooperationAgreement.objects.select_related("familienzentrum").get(pk=agreement_id)
    return _save_entry(
        AGREEMENT,
        user=user,
        familienzentrum=agreement.familienzentrum,
        current=agreement,
        data=data,
        upload=upload,
        today=today or timezone.localdate(),
    )


def agreement_end(*, user, agreement_id: int, ended_on: date | None, today: date | None = None) -> CooperationAgreement:
    """Record that the agreement ends on `ended_on` (its last day; a notice
    may name a day ahead). A change of Leitung is no reason: agreements
    outlive it, so this is only for a real end."""
    today = today or timezone.localdate()
    with transaction.atomic():
        agreement = (
            CooperationAgreement.objects.select_for_update().select_related("familienzentrum").get(pk=agreement_id)
        )
        _require_keeper(user, agreement.familienzentrum)
        if ended_on is None:
            raise RegisterError({"ended_on": [_("Bitte das Datum angeben, an dem die Vereinbarung endet.")]})
        if ended_on < agreement.signed_on:
            raise RegisterError(
                {
                    "ended_on": [
                        _("Die Vereinbarung wurde erst am %(date)s unterzeichnet.")
                        % {"date": _day(agreement.signed_on)}
                    ]
                }
            )
        agreement.ended_on = ended_on
        agreement.save(update_fields=["ended_on"])
        if agreement.document_id:
            # The document carries the same last day, so the evidence rules warn about it too.
            Evidence.objects.filter(pk=agreement.document_id).update(valid_until=agreement_valid_until(agreement))
        return agreement


def agreement_remove(*, user, agreement_id: int) -> None:
    """Take an entry made in error out of the register (an agreement that
    really ended is ended, not removed); its document stays with the centre."""
    with transaction.atomic():
        agreement = CooperationAgreement.objects.select_for_update().get(pk=agreement_id)
        _require_keeper(user, agreement.familienzentrum)
        agreement.delete()
