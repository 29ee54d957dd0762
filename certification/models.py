"""The certification scheme (catalogue versions, areas, criteria, threshold
rules) and the parties it is applied to (Träger, sites, Familienzentren,
partner organisations, memberships, the reviewer pool)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

# --------------------------------------------------------------------------
# The catalogue. Rows are written only by the catalogue loader; a loaded
# version is never edited in place, a changed catalogue is a new version.
# --------------------------------------------------------------------------


class CatalogueVersion(models.Model):
    code = models.SlugField(_("Kennung"), max_length=60)
    version = models.CharField(_("Version"), max_length=30)
    title = models.CharField(_("Titel"), max_length=200)
    title_en = models.CharField(_("Titel (englisch)"), max_length=200, blank=True)
    valid_from = models.DateField(_("gültig ab"))
    is_working_version = models.BooleanField(
        _("Arbeitsfassung"),
        default=False,
        help_text=_("Eine vom Projekt formulierte Fassung, nicht der amtliche Katalog."),
    )
    description = models.TextField(_("Beschreibung"), blank=True)
    description_en = models.TextField(_("Beschreibung (englisch)"), blank=True)
    min_profile_areas = models.PositiveSmallIntegerField(_("mindestens gewählte Profilbereiche"), default=1)
    max_profile_areas = models.PositiveSmallIntegerField(_("höchstens gewählte Profilbereiche"), default=1)
    source_name = models.CharField(_("Quelldatei"), max_length=255)
    source_sha256 = models.CharField(_("SHA-256 der Quelldatei"), max_length=64)
    loaded_at = models.DateTimeField(_("geladen am"), auto_now_add=True)

    class Meta:
        verbose_name = _("Katalogversion")
        verbose_name_plural = _("Katalogversionen")
        ordering = ["-valid_from", "code", "version"]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="catalogue_code_version_unique"),
            models.CheckConstraint(
                condition=Q(min_profile_areas__lte=models.F("max_profile_areas")),
                name="catalogue_profile_range_ordered",
                violation_error_message=_("Mindestens gewählte Profilbereiche übersteigen die höchstens gewählten."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.version})"


class AreaKind(models.TextChoices):
    SERVICE = "service", _("Leistungsbereich")
    PROFILE = "profile", _("Profilbereich")
    STRUCTURE = "structure", _("Strukturbereich")


class Area(models.Model):
    catalogue = models.ForeignKey(CatalogueVersion, on_delete=models.CASCADE, related_name="areas")
    code = models.CharField(_("Kennung"), max_length=10)
    kind = models.CharField(_("Art"), max_length=20, choices=AreaKind.choices)
    title = models.CharField(_("Titel"), max_length=200)
    title_en = models.CharField(_("Titel (englisch)"), max_length=200, blank=True)
    description = models.TextField(_("Beschreibung"), blank=True)
    description_en = models.TextField(_("Beschreibung (englisch)"), blank=True)
    always_required = models.BooleanField(
        _("immer verpflichtend"),
        default=False,
        help_text=_("Profilbereich, den jedes Familienzentrum bearbeitet, unabhängig vom gewählten Profil."),
    )
    order = models.PositiveSmallIntegerField(_("Reihenfolge"))

    class Meta:
        verbose_name = _("Bereich")
        verbose_name_plural = _("Bereiche")
        ordering = ["catalogue", "order"]
        constraints = [
            models.UniqueConstraint(fields=["catalogue", "code"], name="area_code_unique_per_catalogue"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class CriterionLevel(models.TextChoices):
    BASIS = "basis", _("Basis")
    AUFBAU = "aufbau", _("Aufbau")


class ItemLogic(models.TextChoices):
    ALL = "all", _("UND (alle Punkte erfüllt)")
    ANY = "any", _("ODER (ein Punkt genügt)")


class Criterion(models.Model):
    catalogue = models.ForeignKey(CatalogueVersion, on_delete=models.CASCADE, related_name="criteria")
    area = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="criteria")
    code = models.CharField(_("Kennung"), max_length=20)
    title = models.CharField(_("Kurztitel"), max_length=200)
    title_en = models.CharField(_("Kurztitel (englisch)"), max_length=200, blank=True)
    guidance = models.TextField(_("Hinweise"), blank=True)
    guidance_en = models.TextField(_("Hinweise (englisch)"), blank=True)
    level = models.CharField(_("Stufe"), max_length=10, choices=CriterionLevel.choices)
    points = models.PositiveSmallIntegerField(_("Punkte"))
    typical_evidence = models.TextField(_("typische Nachweise"), blank=True)
    typical_evidence_en = models.TextField(_("typische Nachweise (englisch)"), blank=True)
    evidence_required = models.BooleanField(
        _("Nachweis erforderlich"),
        default=False,
        help_text=_("Wer das Kriterium als erfüllt angibt, verknüpft vor dem Einreichen mindestens einen Nachweis."),
    )
    qualification_min_hours = models.PositiveSmallIntegerField(
        _("Mindestumfang der Qualifikation (Stunden)"), null=True, blank=True
    )
    # The minimum has no public source (shared/DOMAIN.md): shown as an assumption.
    qualification_min_hours_is_assumption = models.BooleanField(_("Mindestumfang ist eine Annahme"), default=False)
    logic = models.CharField(_("Verknüpfung der Punkte"), max_length=3, choices=ItemLogic.choices)
    per_site = models.BooleanField(
        _("je Standort"),
        default=False,
        help_text=_("Im Verbund muss jeder Standort das Kriterium selbst erfüllen."),
    )
    order = models.PositiveSmallIntegerField(_("Reihenfolge"))

    class Meta:
        verbose_name = _("Kriterium")
        verbose_name_plural = _("Kriterien")
        ordering = ["catalogue", "area__order", "order"]
        constraints = [
            models.UniqueConstraint(fields=["catalogue", "code"], name="criterion_code_unique_per_catalogue"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class CriterionItem(models.Model):
    """One checkable statement of a criterion: its main statement ("1.1") or
    a sub-item ("1.1.1"). The criterion's logic combines them."""

    criterion = models.ForeignKey(Criterion, on_delete=models.CASCADE, related_name="items")
    code = models.CharField(_("Kennung"), max_length=24)
    text = models.TextField(_("Text"))
    text_en = models.TextField(_("Text (englisch)"), blank=True)
    # How often and how much must happen (certification.frequency.Frequency's
    # data), or None. Measured against the offer journal (journal.coverage).
    frequency = models.JSONField(_("Häufigkeit"), null=True, blank=True)
    order = models.PositiveSmallIntegerField(_("Reihenfolge"))

    class Meta:
        verbose_name = _("Teilkriterium")
        verbose_name_plural = _("Teilkriterien")
        ordering = ["criterion", "order"]
        constraints = [
            models.UniqueConstraint(fields=["criterion", "code"], name="item_code_unique_per_criterion"),
        ]

    def __str__(self) -> str:
        return self.code


class ThresholdRule(models.Model):
    """A minimum over a set of areas: fulfilled Basis criteria, fulfilled
    Aufbau criteria and/or points. Unset minimums are not checked."""

    catalogue = models.ForeignKey(CatalogueVersion, on_delete=models.CASCADE, related_name="rules")
    code = models.CharField(_("Kennung"), max_length=40)
    title = models.CharField(_("Titel"), max_length=200)
    title_en = models.CharField(_("Titel (englisch)"), max_length=200, blank=True)
    areas = models.ManyToManyField(Area, related_name="rules", verbose_name=_("Bereiche"))
    applies_to_chosen_profiles_only = models.BooleanField(
        _("nur gewählte Profilbereiche"),
        default=False,
        help_text=_("Profilbereiche zählen nur, wenn das Familienzentrum sie gewählt hat."),
    )
    min_basis = models.PositiveSmallIntegerField(_("mindestens erfüllte Basiskriterien"), null=True, blank=True)
    min_aufbau = models.PositiveSmallIntegerField(_("mindestens erfüllte Aufbaukriterien"), null=True, blank=True)
    min_points = models.PositiveSmallIntegerField(_("mindestens Punkte"), null=True, blank=True)
    # The rule's minimums have no public source (shared/DOMAIN.md): shown as an assumption.
    is_assumption = models.BooleanField(_("Schwelle ist eine Annahme"), default=False)
    order = models.PositiveSmallIntegerField(_("Reihenfolge"))

    class Meta:
        verbose_name = _("Schwellenregel")
        verbose_name_plural = _("Schwellenregeln")
        ordering = ["catalogue", "order"]
        constraints = [
            models.UniqueConstraint(fields=["catalogue", "code"], name="rule_code_unique_per_catalogue"),
            models.CheckConstraint(
                condition=Q(min_basis__isnull=False) | Q(min_aufbau__isnull=False) | Q(min_points__isnull=False),
                name="rule_has_a_minimum",
                violation_error_message=_("Eine Schwellenregel braucht mindestens ein Minimum."),
            ),
            models.CheckConstraint(
                condition=(Q(min_basis__isnull=True) | Q(min_basis__gte=1))
                & (Q(min_aufbau__isnull=True) | Q(min_aufbau__gte=1))
                & (Q(min_points__isnull=True) | Q(min_points__gte=1)),
                name="rule_minimums_positive",
                violation_error_message=_("Ein Minimum einer Schwellenregel ist mindestens 1."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


# --------------------------------------------------------------------------
# The parties.
# --------------------------------------------------------------------------


class Address(models.Model):
    street = models.CharField(_("Straße und Hausnummer"), max_length=200, blank=True)
    postcode = models.CharField(_("PLZ"), max_length=10, blank=True)
    city = models.CharField(_("Ort"), max_length=100, blank=True)

    class Meta:
        abstract = True

    @property
    def address_line(self) -> str:
        return ", ".join(part for part in [self.street, f"{self.postcode} {self.city}".strip()] if part)


class Traeger(Address):
    name = models.CharField(_("Name"), max_length=200, unique=True)
    email = models.EmailField(_("E-Mail"), blank=True)

    class Meta:
        verbose_name = _("Träger")
        verbose_name_plural = _("Träger")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SiteKind(models.TextChoices):
    KITA = "kita", _("Kindertageseinrichtung")
    FAMILY_EDUCATION = "family_education", _("Familienbildungsstätte")
    COUNSELLING = "counselling", _("Beratungsstelle")
    OTHER = "other", _("Sonstige Einrichtung")


class Einrichtung(Address):
    """A site: usually a Kita, in a Verbund possibly a non-Kita member."""

    traeger = models.ForeignKey(Traeger, on_delete=models.PROTECT, related_name="sites", verbose_name=_("Träger"))
    name = models.CharField(_("Name"), max_length=200)
    kind = models.CharField(_("Art"), max_length=20, choices=SiteKind.choices, default=SiteKind.KITA)
    latitude = models.DecimalField(_("Breitengrad"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("Längengrad"), max_digits=9, decimal_places=6, null=True, blank=True)

    class Meta:
        verbose_name = _("Einrichtung")
        verbose_name_plural = _("Einrichtungen")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(latitude__isnull=False, longitude__isnull=False),
                name="site_coordinates_complete",
                violation_error_message=_("Breiten- und Längengrad werden nur gemeinsam angegeben."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.city})" if self.city else self.name

    @property
    def has_coordinates(self) -> bool:
        return self.latitude is not None and self.longitude is not None


class FamilienzentrumForm(models.TextChoices):
    SINGLE = "single", _("Einzeleinrichtung")
    VERBUND = "verbund", _("Verbund")


class Familienzentrum(models.Model):
    """The certified unit: one site, or a Verbund of 2-5 sites."""

    name = models.CharField(_("Name"), max_length=200)
    traeger = models.ForeignKey(
        Traeger, on_delete=models.PROTECT, related_name="familienzentren", verbose_name=_("Träger")
    )
    form = models.CharField(_("Form"), max_length=10, choices=FamilienzentrumForm.choices)
    certification_number = models.CharField(_("Zertifizierungsnummer"), max_length=40, blank=True)
    youth_office = models.CharField(_("Jugendamt"), max_length=200, blank=True)
    distance_exception = models.BooleanField(
        _("Ausnahme vom 3-km-Abstand"),
        default=False,
        help_text=_("Das Jugendamt hat Standorte erlaubt, die mehr als 3 km auseinander liegen."),
    )
    distance_exception_note = models.TextField(_("Begründung der Ausnahme"), blank=True)
    extra_sites_approved = models.BooleanField(
        _("mehr als fünf Standorte genehmigt"),
        default=False,
        help_text=_("Das Ministerium hat mehr als fünf Standorte genehmigt."),
    )
    created_at = models.DateTimeField(_("angelegt am"), auto_now_add=True)

    class Meta:
        verbose_name = _("Familienzentrum")
        verbose_name_plural = _("Familienzentren")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["certification_number"],
                condition=~Q(certification_number=""),
                name="certification_number_unique",
            ),
        ]
        indexes = [
            # The centre lists' order: their first page reads 50 centres in
            # index order instead of sorting all of them (3,300: 4.5 ms against 1 ms).
            models.Index(fields=["name", "id"], name="familienzentrum_name_order"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_verbund(self) -> bool:
        return self.form == FamilienzentrumForm.VERBUND


class FamilienzentrumSite(models.Model):
    familienzentrum = models.ForeignKey(Familienzentrum, on_delete=models.CASCADE, related_name="site_links")
    site = models.OneToOneField(
        Einrichtung,
        on_delete=models.PROTECT,
        related_name="familienzentrum_link",
        verbose_name=_("Einrichtung"),
        help_text=_("Eine Einrichtung gehört zu höchstens einem Familienzentrum."),
    )
    is_grant_recipient = models.BooleanField(_("Zuschussempfänger"), default=False)
    is_contact_site = models.BooleanField(_("Ansprechstandort"), default=False)

    class Meta:
        verbose_name = _("Standort")
        verbose_name_plural = _("Standorte")
        ordering = ["-is_grant_recipient", "site__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["familienzentrum"],
                condition=Q(is_grant_recipient=True),
                name="one_grant_recipient_per_familienzentrum",
            ),
        ]

    def __str__(self) -> str:
        return str(self.site)


class PartnerKind(models.TextChoices):
    COUNSELLING = "counselling", _("Erziehungs- und Familienberatungsstelle")
    FAMILY_EDUCATION = "family_education", _("Familienbildungsstätte")
    CHILDMINDING = "childminding", _("Fachberatung Kindertagespflege")
    HEALTH = "health", _("Gesundheitsamt oder Praxis")
    SCHOOL = "school", _("Grundschule")
    JOB_CENTRE = "job_centre", _("Jobcenter oder Agentur für Arbeit")
    OTHER = "other", _("Sonstige")


class Kooperationspartner(Address):
    name = models.CharField(_("Name"), max_length=200, unique=True)
    kind = models.CharField(_("Art"), max_length=20, choices=PartnerKind.choices, default=PartnerKind.OTHER)
    email = models.EmailField(_("E-Mail"), blank=True)

    class Meta:
        verbose_name = _("Kooperationspartner")
        verbose_name_plural = _("Kooperationspartner")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class MembershipRole(models.TextChoices):
    LEITUNG = "leitung", _("Leitung")
    TRAEGER = "traeger", _("Träger")
    PARTNER = "partner", _("Kooperationspartner")


class Membership(models.Model):
    """Ties a user to exactly one organisation with a role: Leitung to a site,
    Träger staff to a Träger, partner staff to a partner organisation."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("Person")
    )
    role = models.CharField(_("Rolle"), max_length=10, choices=MembershipRole.choices)
    site = models.ForeignKey(
        Einrichtung,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="memberships",
        verbose_name=_("Einrichtung"),
    )
    traeger = models.ForeignKey(
        Traeger,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="memberships",
        verbose_name=_("Träger"),
    )
    partner = models.ForeignKey(
        Kooperationspartner,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="memberships",
        verbose_name=_("Kooperationspartner"),
    )
    can_act_as_leitung = models.BooleanField(
        _("darf wie die Leitung handeln"),
        default=False,
        help_text=_("Nur für Träger: darf Selbstbewertungen seiner Einrichtungen bearbeiten und einreichen."),
    )
    created_at = models.DateTimeField(_("angelegt am"), auto_now_add=True)

    class Meta:
        verbose_name = _("Mitgliedschaft")
        verbose_name_plural = _("Mitgliedschaften")
        ordering = ["user", "role"]
        constraints = [
            models.CheckConstraint(
                name="membership_target_matches_role",
                violation_error_message=_(
                    "Eine Leitung gehört zu genau einer Einrichtung, Träger-Personal zu genau einem Träger, "
                    "Partner-Personal zu genau einem Kooperationspartner."
                ),
                condition=(
                    Q(role="leitung", site__isnull=False, traeger__isnull=True, partner__isnull=True)
                    | Q(role="traeger", site__isnull=True, traeger__isnull=False, partner__isnull=True)
                    | Q(role="partner", site__isnull=True, traeger__isnull=True, partner__isnull=False)
                ),
            ),
            models.UniqueConstraint(fields=["user", "role", "site"], name="membership_site_unique"),
            models.UniqueConstraint(fields=["user", "role", "traeger"], name="membership_traeger_unique"),
            models.UniqueConstraint(fields=["user", "role", "partner"], name="membership_partner_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.get_role_display()}: {self.organisation}"

    @property
    def organisation(self):
        return self.site or self.traeger or self.partner


class Reviewer(models.Model):
    """The certifying office's pool of reviewers (Gutachter:innen)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reviewer", verbose_name=_("Person")
    )
    is_active = models.BooleanField(_("aktiv"), default=True)
    may_confirm = models.BooleanField(
        _("darf als Zweitgutachter:in bestätigen"),
        default=False,
        help_text=_("Darf Empfehlungen anderer im Vier-Augen-Prinzip bestätigen oder zurückgeben."),
    )
    notes = models.TextField(_("Notizen"), blank=True)
    # The personal calendar feed (assessments:calendar_feed): only the SHA-256
    # of the secret token is kept, like a password; a new token replaces it
    # and revoking empties it, so every earlier feed URL answers 404.
    calendar_token_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    calendar_token_created_at = models.DateTimeField(
        _("Kalender-Abo eingerichtet am"), null=True, blank=True, editable=False
    )

    class Meta:
        verbose_name = _("Gutachter:in")
        verbose_name_plural = _("Gutachter:innen-Pool")
        ordering = ["user__email"]

    def __str__(self) -> str:
        return str(self.user)


class Guetesiegel(models.Model):
    """The seal a Familienzentrum holds after a successful certification."""

    familienzentrum = models.ForeignKey(
        Familienzentrum, on_delete=models.PROTECT, related_name="seals", verbose_name=_("Familienzentrum")
    )
    number = models.CharField(_("Nummer"), max_length=40, unique=True)
    valid_from = models.DateField(_("gültig ab"))
    valid_until = models.DateField(_("gültig bis"))
    snapshot_sha256 = models.CharField(_("SHA-256 der Einreichung"), max_length=64)
    issued_at = models.DateTimeField(_("ausgestellt am"), auto_now_add=True)

    class Meta:
        verbose_name = _("Gütesiegel")
        verbose_name_plural = _("Gütesiegel")
        ordering = ["-valid_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__gt=models.F("valid_from")),
                name="seal_validity_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} ({self.familienzentrum})"


class SealState(models.TextChoices):
    """Where a seal stands on a given day; computed, never stored."""

    UPCOMING = "upcoming", _("noch nicht gültig")
    VALID = "valid", _("gültig")
    ENDING_SOON = "ending_soon", _("läuft bald ab")
    EXPIRED = "expired", _("abgelaufen")


class SealReminder(models.Model):
    """One reminder e-mail sent before a seal ends. The unique constraint makes
    each threshold go out at most once, even if the daily task runs twice."""

    seal = models.ForeignKey(
        Guetesiegel, on_delete=models.CASCADE, related_name="reminders", verbose_name=_("Gütesiegel")
    )
    months_before = models.PositiveSmallIntegerField(_("Monate vor Ablauf"))
    sent_at = models.DateTimeField(_("gesendet am"))
    recipients = models.TextField(_("Empfänger:innen"), blank=True)

    class Meta:
        verbose_name = _("Erinnerung an das Ablaufdatum")
        verbose_name_plural = _("Erinnerungen an das Ablaufdatum")
        ordering = ["seal", "-months_before"]
        constraints = [
            models.UniqueConstraint(fields=["seal", "months_before"], name="one_reminder_per_seal_and_threshold"),
        ]

    def __str__(self) -> str:
        return f"{self.seal.number}: {self.months_before}"


# --------------------------------------------------------------------------
# The log: who changed what, when. One generic, append-only table in the
# lowest app every writer can import (pretix's LogEntry shape).
# --------------------------------------------------------------------------


class LogAction(models.TextChoices):
    ANSWER_CHANGED = "assessments.answer.changed", _("Antwort geändert")
    PROFILE_CHANGED = "assessments.profile.changed", _("Profil geändert")
    EVIDENCE_LINKED = "assessments.evidence.linked", _("Nachweis verknüpft")
    EVIDENCE_UNLINKED = "assessments.evidence.unlinked", _("Nachweis entfernt")
    GRANT_CREATED = "evidence.grant.created", _("Nachweis freigegeben")
    GRANT_REVOKED = "evidence.grant.revoked", _("Freigabe zurückgenommen")
    AREA_ACCEPTED = "assessments.area.accepted", _("Bereich gesammelt akzeptiert")


class LogEntryImmutable(Exception):
    """Raised when code tries to change a written log entry."""


class LogEntryQuerySet(models.QuerySet):
    # Bulk updates bypass save(); refuse them too.
    def update(self, **kwargs):
        raise LogEntryImmutable("LogEntry rows are append-only")


class LogEntry(models.Model):
    """One notable change. Written only by `certification.services.log_action`
    inside the caller's transaction, so the entry exists exactly when the
    change was committed. Never updated: `save()` on a stored row raises."""

    created_at = models.DateTimeField(_("Zeitpunkt"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("Person"),
        help_text=_("Leer bei Änderungen durch das System."),
    )
    action = models.CharField(_("Aktion"), max_length=60, choices=LogAction.choices)
    familienzentrum = models.ForeignKey(
        Familienzentrum,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("Familienzentrum"),
    )
    content_type = models.ForeignKey("contenttypes.ContentType", on_delete=models.PROTECT, related_name="+")
    object_id = models.PositiveBigIntegerField()
    content_object = GenericForeignKey("content_type", "object_id")
    criterion = models.ForeignKey(
        Criterion, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("Kriterium")
    )
    data = models.JSONField(_("Daten"), default=dict, blank=True)

    objects = LogEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("Protokolleintrag")
        verbose_name_plural = _("Protokoll")
        ordering = ["-created_at", "-pk"]
        indexes = [
            # The history of one object (an assessment, a document), per
            # criterion for the checklist cards, newest first.
            models.Index(
                fields=["content_type", "object_id", "criterion", "created_at"], name="logentry_object_criterion"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise LogEntryImmutable("LogEntry rows are append-only")
        super().save(*args, **kwargs)
