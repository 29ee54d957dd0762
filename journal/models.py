"""The year-round offer journal (Angebotsjournal) of a Familienzentrum: offers
recorded as they happen, each with its sessions (one date, or a series), tagged
to the criteria they serve by criterion code, so an entry outlives catalogue
versions. What a journal covers is measured in journal.coverage; the
assessment offers a review year's entries as evidence (assessments)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from certification.models import Einrichtung, Familienzentrum, Kooperationspartner
from evidence.models import Evidence


class OfferKind(models.TextChoices):
    GROUP = "group", _("Gruppe oder Treff")
    COURSE = "course", _("Kurs")
    COUNSELLING = "counselling", _("Beratung oder Sprechstunde")
    EVENT = "event", _("Veranstaltung")
    INFORMATION = "information", _("Information oder Vortrag")
    OTHER = "other", _("Sonstiges Angebot")


class TargetGroup(models.TextChoices):
    FAMILIES = "families", _("Familien")
    PARENTS = "parents", _("Eltern")
    PARENTS_UNDER_THREE = "parents_u3", _("Eltern mit Kindern unter 3 Jahren")
    CHILDREN = "children", _("Kinder")
    STAFF = "staff", _("Fachkräfte")
    OTHER = "other", _("Andere")


class Recurrence(models.TextChoices):
    ONCE = "once", _("einmalig")
    WEEKLY = "weekly", _("wöchentlich")
    FORTNIGHTLY = "fortnightly", _("alle zwei Wochen")
    MONTHLY = "monthly", _("monatlich")
    DATES = "dates", _("einzelne Termine")


class JournalEntry(models.Model):
    """One offer: a single occasion or a series of sessions."""

    familienzentrum = models.ForeignKey(Familienzentrum, on_delete=models.CASCADE, related_name="journal_entries")
    title = models.CharField(_("Titel"), max_length=200)
    kind = models.CharField(_("Art"), max_length=20, choices=OfferKind.choices, default=OfferKind.GROUP)
    # How the sessions were made; the sessions themselves are the truth.
    recurrence = models.CharField(_("Wiederholung"), max_length=20, choices=Recurrence.choices, default=Recurrence.ONCE)
    # In a Verbund: the site that held the offer (None: the Familienzentrum as a whole).
    site = models.ForeignKey(
        Einrichtung, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("Standort")
    )
    partner = models.ForeignKey(
        Kooperationspartner,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="journal_entries",
        verbose_name=_("Kooperationspartner"),
    )
    target_group = models.CharField(
        _("Zielgruppe"), max_length=20, choices=TargetGroup.choices, default=TargetGroup.FAMILIES
    )
    participants = models.PositiveIntegerField(_("Teilnehmende"), null=True, blank=True)
    note = models.TextField(_("Notiz"), blank=True)
    # A flyer or an attendance list, stored as the centre's evidence (it passed
    # the evidence upload checks) so the assessment can link it like any other.
    attachment = models.ForeignKey(
        Evidence, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("Anhang")
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    # The first and last session, kept with the sessions for ordering and
    # filtering a journal by review year without a join.
    first_date = models.DateField(_("erster Termin"))
    last_date = models.DateField(_("letzter Termin"))
    # The new-entry form's one-time token: unique, so that the same form sent
    # twice (a double click, a reload, two requests at once) records one
    # entry; the database refuses the second, whichever process serves it.
    form_token = models.CharField(max_length=32, null=True, blank=True, unique=True, editable=False)

    class Meta:
        verbose_name = _("Journaleintrag")
        verbose_name_plural = _("Journaleinträge")
        ordering = ["-first_date", "-pk"]
        indexes = [models.Index(fields=["familienzentrum", "first_date"], name="journal_entry_fz_first")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(first_date__lte=models.F("last_date")), name="journal_entry_dates_in_order"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class JournalSession(models.Model):
    """One date an offer took (or takes) place."""

    entry = models.ForeignKey(JournalEntry, on_delete=models.CASCADE, related_name="sessions")
    date = models.DateField(_("Datum"))

    class Meta:
        verbose_name = _("Termin")
        verbose_name_plural = _("Termine")
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["entry", "date"], name="journal_session_once_per_day")]

    def __str__(self) -> str:
        return self.date.isoformat()


class JournalTag(models.Model):
    """An entry serves a criterion, named by its code ("1.3", "4B1")."""

    entry = models.ForeignKey(JournalEntry, on_delete=models.CASCADE, related_name="tags")
    criterion_code = models.CharField(_("Kriterium"), max_length=20)

    class Meta:
        verbose_name = _("Kriterium des Eintrags")
        verbose_name_plural = _("Kriterien des Eintrags")
        ordering = ["criterion_code"]
        constraints = [
            models.UniqueConstraint(fields=["entry", "criterion_code"], name="journal_tag_once_per_entry"),
        ]

    def __str__(self) -> str:
        return self.criterion_code


class GapReminder(models.Model):
    """The monthly reminder of a journal's gaps that can still be closed
    (journal.reminders): one per centre and month. The unique constraint
    makes a second run in the same month, or two overlapping ones, send
    nothing twice."""

    familienzentrum = models.ForeignKey(Familienzentrum, on_delete=models.CASCADE, related_name="+")
    # The first day of the month the reminder is for.
    month = models.DateField(_("Monat"))
    sent_at = models.DateTimeField(_("gesendet am"))
    recipients = models.TextField(_("Empfänger:innen"), blank=True)
    # What the message listed, one gap a line.
    gaps = models.TextField(_("Lücken"), blank=True)

    class Meta:
        verbose_name = _("Erinnerung an Lücken im Journal")
        verbose_name_plural = _("Erinnerungen an Lücken im Journal")
        ordering = ["-month", "familienzentrum"]
        constraints = [
            models.UniqueConstraint(fields=["familienzentrum", "month"], name="journal_one_gap_reminder_per_month"),
        ]

    def __str__(self) -> str:
        return f"{self.familienzentrum_id}: {self.month:%Y-%m}"
