"""Every write of the standing register: adding, changing and removing staff
qualifications and cooperation agreements, and ending an agreement. One
validation serves every road in and names the field it refuses
(`RegisterError.by_field`); all of it is checked, the uploaded document
included, before anything is written, so a refusal changes nothing. The
certificate or agreement document becomes the centre's evidence through the
evidence app's file checks and storage, like every other upload."""

from __future__ import annotations

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
from evidence.services import EvidenceDetails, atomic_with_files, create_documents, store_revision
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


def _validated(check, familienzentrum, data, today, upload, upload_field):
    try:
        check(familienzentrum, data, today=today)
    except RegisterError as error:
        _check_upload(upload, upload_field, error)
    return _check_upload(upload, upload_field, None)


def _document(
    current: Evidence | None, checked, details: EvidenceDetails, familienzentrum, user, stored
) -> Evidence | None:
    """Keep the document's dates in step with its entry; a new file is a new
    revision of the entry's document (or its first)."""
    if current is None:
        if checked is None:
            return None
        (evidence,) = create_documents([checked], details, user, stored, owner_familienzentrum=familienzentrum)
        return evidence
    current.title = details.title[:200]
    current.effective_date = details.effective_date
    current.valid_until = details.valid_until
    current.training_hours = details.training_hours
    current.save(update_fields=["title", "effective_date", "valid_until", "training_hours"])
    current.sites.set(details.site_ids)
    if checked is not None:
        number = (current.revisions.order_by("-number").values_list("number", flat=True).first() or 0) + 1
        store_revision(current, checked, user, number, stored)
    return current


# ---------------------------------------------------------------- qualifications


def _qualification_details(qualification: StaffQualification) -> EvidenceDetails:
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


def qualification_add(
    *, user, familienzentrum: Familienzentrum, data: QualificationData, upload=None, today: date | None = None
) -> StaffQualification:
    if not user.has_perm("register.keep_register", familienzentrum):
        raise RegisterError({"__all__": [_("Sie dürfen das Nachweisregister nicht führen.")]})
    today = today or timezone.localdate()
    checked = _validated(check_qualification, familienzentrum, data, today, upload, "certificate")

    def work(stored):
        qualification = StaffQualification(familienzentrum=familienzentrum, created_by=user)
        _write_qualification(qualification, data)
        qualification.certificate = _document(
            None, checked, _qualification_details(qualification), familienzentrum, user, stored
        )
        qualification.save()
        return qualification

    return atomic_with_files(work)


def qualification_edit(
    *, user, qualification_id: int, data: QualificationData, upload=None, today: date | None = None
) -> StaffQualification:
    today = today or timezone.localdate()
    qualification = StaffQualification.objects.select_related("familienzentrum").get(pk=qualification_id)
    familienzentrum = qualification.familienzentrum
    if not user.has_perm("register.keep_register", familienzentrum):
        raise RegisterError({"__all__": [_("Sie dürfen das Nachweisregister nicht führen.")]})
    checked = _validated(check_qualification, familienzentrum, data, today, upload, "certificate")

    def work(stored):
        # Locked: two edits of one entry at once must not mix their fields or revisions.
        locked = StaffQualification.objects.select_for_update().get(pk=qualification_id)
        _write_qualification(locked, data)
        locked.certificate = _document(
            locked.certificate, checked, _qualification_details(locked), familienzentrum, user, stored
        )
        locked.save()
        return locked

    return atomic_with_files(work)


def qualification_remove(*, user, qualification_id: int) -> None:
    """Take the entry out of the register; its certificate stays among the
    centre's documents (it may be frozen in a submission)."""
    with transaction.atomic():
        qualification = StaffQualification.objects.select_for_update().get(pk=qualification_id)
        if not user.has_perm("register.keep_register", qualification.familienzentrum):
            raise RegisterError({"__all__": [_("Sie dürfen das Nachweisregister nicht führen.")]})
        qualification.delete()


# ---------------------------------------------------------------- agreements


def _agreement_details(agreement: CooperationAgreement, site_ids) -> EvidenceDetails:
    return EvidenceDetails(
        kind=EvidenceKind.AGREEMENT,
        effective_date=agreement.signed_on,
        valid_until=agreement_valid_until(agreement),
        title=_("Kooperationsvereinbarung: %(partner)s – %(subject)s")
        % {"partner": agreement.partner.name, "subject": agreement.subject},
        site_ids=tuple(site_ids),
    )


def _write_agreement(agreement: CooperationAgreement, data: AgreementData) -> None:
    agreement.partner = Kooperationspartner.objects.get(pk=data.partner_id)
    agreement.subject = data.subject
    agreement.signed_on = data.signed_on
    agreement.signed_by = data.signed_by
    agreement.valid_until = data.valid_until
    agreement.criterion_codes = data.criterion_codes


def agreement_add(
    *, user, familienzentrum: Familienzentrum, data: AgreementData, upload=None, today: date | None = None
) -> CooperationAgreement:
    if not user.has_perm("register.keep_register", familienzentrum):
        raise RegisterError({"__all__": [_("Sie dürfen das Nachweisregister nicht führen.")]})
    today = today or timezone.localdate()
    checked = _validated(check_agreement, familienzentrum, data, today, upload, "document")

    def work(stored):
        agreement = CooperationAgreement(familienzentrum=familienzentrum, created_by=user)
        _write_agreement(agreement, data)
        agreement.document = _document(
            None, checked, _agreement_details(agreement, data.site_ids), familienzentrum, user, stored
        )
        agreement.save()
        agreement.sites.set(data.site_ids)
        return agreement

    return atomic_with_files(work)


def agreement_edit(
    *, user, agreement_id: int, data: AgreementData, upload=None, today: date | None = None
) -> CooperationAgreement:
    today = today or timezone.localdate()
    agreement = CooperationAgreement.objects.select_related("familienzentrum").get(pk=agreement_id)
    familienzentrum = agreement.familienzentrum
    if not user.has_perm("register.keep_register", familienzentrum):
        raise RegisterError({"__all__": [_("Sie dürfen das Nachweisregister nicht führen.")]})
    checked = _validated(check_agreement, familienzentrum, data, today, upload, "document")
    if agreement.ended_on is not None and data.signed_on is not None and agreement.ended_on < data.signed_on:
        raise RegisterError({"signed_on": [_("Die Vereinbarung endete vor diesem Datum.")]})

    def work(stored):
        locked = CooperationAgreement.objects.select_for_update().get(pk=agreement_id)
        _write_agreement(locked, data)
        locked.document = _document(
            locked.document, checked, _agreement_details(locked, data.site_ids), familienzentrum, user, stored
        )
        locked.save()
        locked.sites.set(data.site_ids)
        return locked

    return atomic_with_files(work)


def agreement_end(*, user, agreement_id: int, ended_on: date | None, today: date | None = None) -> CooperationAgreement:
    """Record that the agreement ends on `ended_on` (its last day; a notice
    may name a day ahead). A change of Leitung is no reason: agreements
    outlive it, so this is only for a real end."""
    today = today or timezone.localdate()
    with transaction.atomic():
        agreement = (
            CooperationAgreement.objects.select_for_update().select_related("familienzentrum").get(pk=agreement_id)
        )
        if not user.has_perm("register.keep_register", agreement.familienzentrum):
            raise RegisterError({"__all__": [_("Sie dürfen das Nachweisregister nicht führen.")]})
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
        if not user.has_perm("register.keep_register", agreement.familienzentrum):
            raise RegisterError({"__all__": [_("Sie dürfen das Nachweisregister nicht führen.")]})
        agreement.delete()
