"""The document library: evidence items owned by a Familienzentrum or a
partner organisation, their revisions (the uploaded files) and the grants by
which a partner shares a document, read-only and revocable, with a centre.
Which criteria a document serves is the assessments app's business."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from certification.models import Einrichtung, Familienzentrum


def evidence_upload_path(instance, filename: str) -> str:
    # The stored name is generated; the user's file name is only shown.
    return f"evidence/{instance.storage_key}"


class EvidenceKind(models.TextChoices):
    OFFER = "offer", _("Nachweis eines Angebots oder einer Veranstaltung")
    QUALIFICATION = "qualification", _("Qualifikationsnachweis (Fortbildung)")
    AGREEMENT = "agreement", _("Kooperationsvereinbarung")
    CONCEPT = "concept", _("Konzept oder Dokumentation")
    OTHER = "other", _("Sonstiger Nachweis")


class Evidence(models.Model):
    title = models.CharField(_("Titel"), max_length=200)
    kind = models.CharField(_("Art"), max_length=20, choices=EvidenceKind.choices, default=EvidenceKind.OTHER)
    owner_familienzentrum = models.ForeignKey(
        Familienzentrum,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="evidence",
        verbose_name=_("gehört Familienzentrum"),
    )
    owner_partner = models.ForeignKey(
        "certification.Kooperationspartner",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="evidence",
        verbose_name=_("gehört Kooperationspartner"),
    )
    effective_date = models.DateField(_("Datum des Nachweises"))
    valid_until = models.DateField(_("gültig bis"), null=True, blank=True)
    training_hours = models.DecimalField(
        _("Umfang der Fortbildung (Stunden)"), max_digits=6, decimal_places=1, null=True, blank=True
    )
    sites = models.ManyToManyField(Einrichtung, related_name="+", blank=True, verbose_name=_("betrifft Standorte"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("Nachweis")
        verbose_name_plural = _("Nachweise")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(owner_familienzentrum__isnull=False, owner_partner__isnull=True)
                | Q(owner_familienzentrum__isnull=True, owner_partner__isnull=False),
                name="evidence_has_one_owner",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def owner(self):
        return self.owner_familienzentrum or self.owner_partner


class EvidenceRevision(models.Model):
    """One uploaded file of an evidence item. Never changed; replacing a file
    adds a revision. A revision named by a submission cannot be deleted."""

    evidence = models.ForeignKey(Evidence, on_delete=models.PROTECT, related_name="revisions")
    number = models.PositiveSmallIntegerField(_("Fassung"))
    storage_key = models.CharField(max_length=80, unique=True)
    # default_storage is the private storage (settings.STORAGES: no URL, files
    # served only by a view that checks permission).
    file = models.FileField(_("Datei"), upload_to=evidence_upload_path, max_length=200)
    original_name = models.CharField(_("Dateiname"), max_length=200)
    content_type = models.CharField(_("Dateityp"), max_length=100)
    size = models.PositiveBigIntegerField(_("Größe (Bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("hochgeladen am"), auto_now_add=True)

    class Meta:
        verbose_name = _("Fassung eines Nachweises")
        verbose_name_plural = _("Fassungen von Nachweisen")
        ordering = ["evidence", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["evidence", "number"], name="revision_number_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.number})"


class EvidenceGrant(models.Model):
    """A partner's document shared, read-only and revocable, with a Familienzentrum."""

    evidence = models.ForeignKey(Evidence, on_delete=models.CASCADE, related_name="grants")
    familienzentrum = models.ForeignKey(Familienzentrum, on_delete=models.CASCADE, related_name="evidence_grants")
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    granted_at = models.DateTimeField(auto_now_add=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("Freigabe")
        verbose_name_plural = _("Freigaben")
        constraints = [
            # One active grant per document and centre; revoked ones stay as history.
            models.UniqueConstraint(
                fields=["evidence", "familienzentrum"],
                condition=Q(revoked_at__isnull=True),
                name="one_active_grant",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.evidence_id} → {self.familienzentrum_id}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class GrantLogAction(models.TextChoices):
    GRANTED = "granted", _("freigegeben")
    REVOKED = "revoked", _("Freigabe entzogen")


class EvidenceGrantLog(models.Model):
    """Append-only record of every grant and revocation."""

    evidence = models.ForeignKey(Evidence, on_delete=models.CASCADE, related_name="grant_log")
    familienzentrum = models.ForeignKey(Familienzentrum, on_delete=models.CASCADE, related_name="+")
    action = models.CharField(max_length=10, choices=GrantLogAction.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.action} {self.evidence_id} → {self.familienzentrum_id}"
