"""A notification is a row before it is a mail (STYLE 2a): one row per
recipient, written in the transaction of the action that causes it. The
bell and the list read the rows; the worker e-mails them and stamps
emailed_at; the sweep re-sends what the broker never delivered."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _


class NotificationKind(models.TextChoices):
    """Every hand-off of the workbench that tells somebody something."""

    # The assessment cycle (DESIGN: the state machine), one kind per transition.
    ASSESSMENT_SUBMITTED = "assessment_submitted", _("Selbstbewertung eingereicht")
    REVIEWERS_ASSIGNED = "reviewers_assigned", _("Gutachter:innen zugewiesen")
    CHANGES_REQUESTED = "changes_requested", _("Rückfragen gestellt")
    RESUBMITTED = "resubmitted", _("Erneut eingereicht")
    SITE_VISIT = "site_visit", _("Begehung geplant")
    RECOMMENDED = "recommended", _("Zur Zertifizierung empfohlen")
    SENT_BACK = "sent_back", _("Empfehlung zurückgegeben")
    APPROVED = "approved", _("Zertifizierung bestätigt")
    DECLINED = "declined", _("Zertifizierung abgelehnt")
    WITHDRAWN = "withdrawn", _("Selbstbewertung zurückgezogen")
    # Partners and their evidence.
    PARTNER_INVITATION = "partner_invitation", _("Einladung als Kooperationspartner")
    INVITATION_ACCEPTED = "invitation_accepted", _("Einladung angenommen")
    INVITATION_REVOKED = "invitation_revoked", _("Einladung zurückgenommen")
    PARTNER_EVIDENCE_UPLOADED = "partner_evidence_uploaded", _("Nachweis von Kooperationspartner hochgeladen")
    EVIDENCE_SHARED = "evidence_shared", _("Nachweis freigegeben")
    EVIDENCE_SHARE_REVOKED = "evidence_share_revoked", _("Freigabe eines Nachweises zurückgenommen")
    # The seal and the documents.
    SEAL_REMINDER = "seal_reminder", _("Erinnerung: Gütesiegel läuft ab")
    REPORT_READY = "report_ready", _("Bericht fertig")
    REPORT_FAILED = "report_failed", _("Bericht fehlgeschlagen")
    # The cycle's dates (assessments.services.deadlines): once per date and stage.
    DEADLINE_APPROACHING = "deadline_approaching", _("Erinnerung: Frist naht")
    DEADLINE_OVERDUE = "deadline_overdue", _("Frist überschritten")
    # The offer journal (journal.reminders): once per centre and month.
    JOURNAL_GAPS = "journal_gaps", _("Erinnerung: Lücken im Angebotsjournal")


# The link is a path inside this site, never a URL of another one: the open
# view redirects to it. A leading "//" or "/\" is read by browsers as
# another host, so those are refused too.
LOCAL_PATH = Q(link="") | (Q(link__startswith="/") & ~Q(link__startswith="//") & ~Q(link__startswith="/\\"))


def is_local_path(link: str) -> bool:
    """True for "" and for a path on this site ("/selbstbewertung/3/"); false
    for anything a browser could take to another host or scheme."""
    if link == "":
        return True
    if not link.startswith("/") or link.startswith(("//", "/\\")):
        return False
    # Control characters and whitespace: browsers strip some of them, which
    # can turn "/\t/evil.example" into "//evil.example".
    if any(ord(char) < 33 or ord(char) == 127 for char in link):
        return False
    # No host and no scheme, as Django's own redirect check sees it.
    return url_has_allowed_host_and_scheme(link, allowed_hosts=set())


class Notification(models.Model):
    # Null for an address without an account yet (an invited partner); such
    # a row is only ever e-mailed, never shown in a bell.
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
        verbose_name=_("Empfänger:in"),
        # The composite index below serves every lookup by recipient.
        db_index=False,
    )
    email = models.EmailField(_("E-Mail-Adresse"))
    # Where an answer to the mail should go, e.g. the reviewer for the
    # Begehung's invitation; empty: DEFAULT_FROM_EMAIL, which nobody reads.
    reply_to = models.EmailField(_("Antwort an"), blank=True)
    kind = models.CharField(_("Art"), max_length=40, choices=NotificationKind.choices)
    subject = models.CharField(_("Betreff"), max_length=255)
    body = models.TextField(_("Text"))
    link = models.CharField(_("Link"), max_length=500, blank=True, help_text=_("Ein Pfad innerhalb der Anwendung."))
    # One optional text attachment, e.g. the Begehung's invitation (.ics).
    attachment_name = models.CharField(_("Dateiname des Anhangs"), max_length=200, blank=True)
    attachment_content_type = models.CharField(_("Inhaltstyp des Anhangs"), max_length=100, blank=True)
    attachment_content = models.TextField(_("Inhalt des Anhangs"), blank=True)
    created_at = models.DateTimeField(_("erstellt am"), auto_now_add=True)
    read_at = models.DateTimeField(_("gelesen am"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("versendet am"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("Zustellversuche"), default=0)
    # When the road last touched the row: a sending attempt, or the sweep
    # handing it to the broker again. The sweep waits a while after it, so a
    # row whose task is still retrying (or waiting in a busy queue) does not
    # get a second message every minute.
    last_attempt_at = models.DateTimeField(_("letzter Versuch"), null=True, blank=True)
    last_error = models.TextField(_("letzter Fehler"), blank=True)
    # Set when the mail server refused the message for good (unknown
    # address, say): the sweep stops trying; the row stays in the app.
    failed_at = models.DateTimeField(_("endgültig fehlgeschlagen am"), null=True, blank=True)

    class Meta:
        verbose_name = _("Benachrichtigung")
        verbose_name_plural = _("Benachrichtigungen")
        ordering = ["-created_at", "-pk"]
        indexes = [
            # The list page: a person's rows, newest first.
            models.Index(fields=["recipient", "-created_at"], name="notif_recipient_created_idx"),
            # The bell on every page: count of a person's unread rows. Partial,
            # so it stays as small as the unread rows however long the history.
            models.Index(fields=["recipient"], condition=Q(read_at__isnull=True), name="notif_unread_idx"),
            # The sweep: rows still to be e-mailed, oldest first. Partial, so
            # the sweep's query does not grow with the years of sent mail.
            models.Index(
                fields=["created_at"],
                condition=Q(emailed_at__isnull=True, failed_at__isnull=True),
                name="notif_unsent_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=LOCAL_PATH, name="notification_link_is_local_path"),
            models.CheckConstraint(condition=~Q(email=""), name="notification_email_required"),
            models.CheckConstraint(
                condition=Q(attachment_name="") | ~Q(attachment_content_type=""),
                name="notification_attachment_has_type",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.subject} → {self.email}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None

    @property
    def has_attachment(self) -> bool:
        return bool(self.attachment_name)
