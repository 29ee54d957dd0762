"""The standing evidence register of a Familienzentrum: staff qualifications
and cooperation agreements, the proofs that must be shown valid again at
every re-certification (shared/DOMAIN.md, "Evidence"). Staff appear only as
much as the proof needs: a name as written on the certificate and a role.
Whether an entry is valid on a day is in register.validity."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from certification.models import Einrichtung, Familienzentrum, Kooperationspartner
from evidence.models import Evidence


class StaffQualification(models.Model):
    familienzentrum = models.ForeignKey(Familienzentrum, on_delete=models.CASCADE, related_name="qualifications")
    person = models.CharField(_("Person"), max_length=120, help_text=_("Name wie auf der Bescheinigung."))
    role = models.CharField(_("Funktion"), max_length=120, blank=True)
    training = models.CharField(_("Fortbildung"), max_length=200)
    provider = models.CharField(_("Anbieter"), max_length=200, blank=True)
    completed_on = models.DateField(_("abgeschlossen am"))
    hours = models.DecimalField(_("Stunden"), max_digits=5, decimal_places=1)
    # Online seminars under 6 hours count with their preparation and follow-up.
    online = models.BooleanField(_("Online-Seminar"), default=False)
    preparation_hours = models.DecimalField(
        _("Vor- und Nachbereitung (Stunden)"), max_digits=5, decimal_places=1, null=True, blank=True
    )
    # Courses of one or two days expire after 7 years; longer trainings stay
    # valid while their content is current.
    days = models.PositiveSmallIntegerField(_("Dauer (Tage)"), null=True, blank=True)
    site = models.ForeignKey(
        Einrichtung, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("Standort")
    )
    certificate = models.ForeignKey(
        Evidence, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("Bescheinigung")
    )
    # The criteria it proves, by code ("1.2", "1.3"), so it outlives catalogue versions.
    criterion_codes = models.JSONField(_("Kriterien"), default=list, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("Qualifikation")
        verbose_name_plural = _("Qualifikationen")
        ordering = ["person", "-completed_on"]

    def __str__(self) -> str:
        return f"{self.person}: {self.training}"


class CooperationAgreement(models.Model):
    familienzentrum = models.ForeignKey(Familienzentrum, on_delete=models.CASCADE, related_name="agreements")
    partner = models.ForeignKey(
        Kooperationspartner, on_delete=models.PROTECT, related_name="agreements", verbose_name=_("Kooperationspartner")
    )
    subject = models.CharField(_("Gegenstand"), max_length=200)
    signed_on = models.DateField(_("unterzeichnet am"))
    # A Träger's signature is accepted and may cover several sites of a Verbund.
    signed_by = models.CharField(_("unterzeichnet von"), max_length=200)
    valid_until = models.DateField(_("befristet bis"), null=True, blank=True)
    ended_on = models.DateField(_("beendet am"), null=True, blank=True)
    sites = models.ManyToManyField(Einrichtung, related_name="+", blank=True, verbose_name=_("Standorte"))
    document = models.ForeignKey(
        Evidence, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("Vereinbarung")
    )
    criterion_codes = models.JSONField(_("Kriterien"), default=list, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("Kooperationsvereinbarung")
        verbose_name_plural = _("Kooperationsvereinbarungen")
        ordering = ["partner__name", "-signed_on"]

    def __str__(self) -> str:
        return f"{self.partner}: {self.subject}"
