"""The certification cycle of one Familienzentrum: the assessment and its
state machine, the answers, frozen submissions, reviewer verdicts, the site
visit and the append-only event log."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from certification.models import Area, CatalogueVersion, Criterion, Einrichtung, Familienzentrum, Guetesiegel
from evidence.models import Evidence, EvidenceRevision


class AssessmentKind(models.TextChoices):
    FIRST = "first", _("Erstzertifizierung")
    RECERTIFICATION = "recertification", _("Re-Zertifizierung")


class AssessmentState(models.TextChoices):
    DRAFT = "draft", _("Entwurf")
    SUBMITTED = "submitted", _("eingereicht")
    IN_REVIEW = "in_review", _("in Begutachtung")
    CHANGES_REQUESTED = "changes_requested", _("Rückfragen offen")
    RECOMMENDED = "recommended", _("zur Zertifizierung empfohlen")
    CERTIFIED = "certified", _("zertifiziert")
    NOT_CERTIFIED = "not_certified", _("nicht zertifiziert")
    WITHDRAWN = "withdrawn", _("zurückgezogen")


OPEN_STATES = [
    AssessmentState.DRAFT,
    AssessmentState.SUBMITTED,
    AssessmentState.IN_REVIEW,
    AssessmentState.CHANGES_REQUESTED,
    AssessmentState.RECOMMENDED,
]
# Between submission and decision: what the certifier's queues hold.
REVIEW_QUEUE_STATES = [
    AssessmentState.SUBMITTED,
    AssessmentState.IN_REVIEW,
    AssessmentState.CHANGES_REQUESTED,
    AssessmentState.RECOMMENDED,
]
# States in which the centre may change answers.
EDITABLE_STATES = [AssessmentState.DRAFT, AssessmentState.CHANGES_REQUESTED]


# Conditions of the transitions. django-fsm runs each condition when the
# service asks whether the transition may happen and again when it happens,
# so they must be cheap: the expensive checks (the readiness evaluation, the
# review's open points) run once in the service, which leaves the problems it
# found on the locked instance (`checked_problems`); the condition only reads
# them. A transition called without that check finds None and is refused.


def checked_and_clear(assessment) -> bool:
    return assessment.checked_problems == []


def reviewer_named(assessment) -> bool:
    return assessment.reviewer_id is not None and assessment.second_reviewer_id is not None


def has_open_query(assessment) -> bool:
    submission = assessment.latest_submission
    return submission is not None and submission.verdicts.filter(verdict=Verdict.QUERIED).exclude(comment="").exists()


def every_query_answered(assessment) -> bool:
    submission = assessment.latest_submission
    return submission is not None and not submission.verdicts.filter(verdict=Verdict.QUERIED, reply="").exists()


def was_recommended(assessment) -> bool:
    return assessment.recommended_by_id is not None


class Assessment(ConcurrentTransitionMixin, models.Model):
    familienzentrum = models.ForeignKey(
        Familienzentrum, on_delete=models.PROTECT, related_name="assessments", verbose_name=_("Familienzentrum")
    )
    catalogue = models.ForeignKey(
        CatalogueVersion, on_delete=models.PROTECT, related_name="assessments", verbose_name=_("Katalogversion")
    )
    kind = models.CharField(_("Verfahren"), max_length=20, choices=AssessmentKind.choices)
    review_period_start = models.DateField(_("Prüfzeitraum von"))
    review_period_end = models.DateField(_("Prüfzeitraum bis"))
    profile_areas = models.ManyToManyField(
        Area, related_name="+", blank=True, verbose_name=_("gewählte Profilbereiche")
    )
    state = FSMField(
        _("Status"), default=AssessmentState.DRAFT, choices=AssessmentState.choices, protected=True, max_length=20
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("Gutachter:in"),
    )
    second_reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("Zweitgutachter:in"),
    )
    recommended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("empfohlen von"),
    )
    seal = models.OneToOneField(
        Guetesiegel,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assessment",
        verbose_name=_("Gütesiegel"),
    )
    previous = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("vorherige Zertifizierung"),
    )
    # The cycle's dates (issue 12): set by the services when the cycle starts,
    # is submitted or gets queries; the office may move them. Which one is
    # due now depends on the state (assessments.selectors.with_deadline).
    submitted_at = models.DateTimeField(_("zuletzt eingereicht am"), null=True, blank=True, db_index=True)
    submission_due = models.DateField(_("einzureichen bis"), null=True, blank=True)
    review_due = models.DateField(_("Begutachtung abzuschließen bis"), null=True, blank=True)
    queries_due = models.DateField(_("Rückfragen zu beantworten bis"), null=True, blank=True)
    visit_window_start = models.DateField(_("Begehung frühestens am"), null=True, blank=True)
    visit_window_end = models.DateField(_("Begehung spätestens am"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("Selbstbewertung")
        verbose_name_plural = _("Selbstbewertungen")
        ordering = ["-created_at"]
        constraints = [
            # One open cycle per Familienzentrum; the database enforces it so
            # that two simultaneous "start" clicks cannot both succeed.
            models.UniqueConstraint(
                fields=["familienzentrum"],
                condition=Q(state__in=OPEN_STATES),
                name="one_open_assessment_per_familienzentrum",
                violation_error_message=_("Für dieses Familienzentrum läuft bereits eine Selbstbewertung."),
            ),
            models.CheckConstraint(
                condition=Q(review_period_end__gte=models.F("review_period_start")),
                name="review_period_ordered",
                violation_error_message=_("Der Prüfzeitraum endet vor seinem Beginn."),
            ),
        ]
        indexes = [
            # The queues' default order (the longest waiting first), over the
            # open reviews only: the first page and its count read about a
            # quarter of the table in index order, not every assessment
            # (8.5 ms against 1.8 ms at 3,300 centres on PostgreSQL).
            models.Index(
                fields=["submitted_at", "id"],
                condition=Q(state__in=REVIEW_QUEUE_STATES),
                name="assessment_review_queue_order",
            ),
        ]

    # Set by a service after it checked the locked assessment (see the
    # conditions above); never stored.
    checked_problems: list | None = None

    def __str__(self) -> str:
        return f"{self.familienzentrum} – {self.get_kind_display()} ({self.get_state_display()})"

    @property
    def is_editable(self) -> bool:
        return self.state in EDITABLE_STATES

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def latest_submission(self):
        return self.submissions.order_by("-number").first()

    # The transitions stay thin: the services in assessments.services lock,
    # check, call one of these, save and record the event.

    @transition(
        field=state,
        source=AssessmentState.DRAFT,
        target=AssessmentState.SUBMITTED,
        conditions=[checked_and_clear],
        permission="assessments.edit_assessment",
    )
    def submit(self):
        pass

    @transition(
        field=state,
        source=AssessmentState.SUBMITTED,
        target=AssessmentState.IN_REVIEW,
        conditions=[reviewer_named, checked_and_clear],
        permission="assessments.assign_reviewers",
    )
    def assign(self):
        pass

    @transition(
        field=state,
        source=AssessmentState.IN_REVIEW,
        target=AssessmentState.CHANGES_REQUESTED,
        conditions=[has_open_query],
        permission="assessments.review_assessment",
    )
    def request_changes(self):
        pass

    @transition(
        field=state,
        source=AssessmentState.CHANGES_REQUESTED,
        target=AssessmentState.IN_REVIEW,
        conditions=[every_query_answered, checked_and_clear],
        permission="assessments.edit_assessment",
    )
    def resubmit(self):
        pass

    @transition(
        field=state,
        source=AssessmentState.IN_REVIEW,
        target=AssessmentState.RECOMMENDED,
        conditions=[checked_and_clear],
        permission="assessments.review_assessment",
    )
    def recommend(self):
        pass

    @transition(
        field=state,
        source=AssessmentState.RECOMMENDED,
        target=AssessmentState.IN_REVIEW,
        permission="assessments.confirm_assessment",
    )
    def send_back(self):
        pass

    @transition(
        field=state,
        source=AssessmentState.RECOMMENDED,
        target=AssessmentState.CERTIFIED,
        conditions=[was_recommended],
        permission="assessments.confirm_assessment",
    )
    def approve(self):
        pass

    @transition(
        field=state,
        source=[AssessmentState.IN_REVIEW, AssessmentState.RECOMMENDED],
        target=AssessmentState.NOT_CERTIFIED,
        permission="assessments.decline_assessment",
    )
    def decline(self):
        pass

    @transition(
        field=state,
        source=OPEN_STATES,
        target=AssessmentState.WITHDRAWN,
        permission="assessments.withdraw_assessment",
    )
    def withdraw(self):
        pass


class ItemStatus(models.TextChoices):
    FULFILLED = "fulfilled", _("erfüllt")
    NOT_FULFILLED = "not_fulfilled", _("nicht erfüllt")
    PLANNED = "planned", _("in Planung")


class Answer(models.Model):
    """The centre's answer to one criterion: a status per item (keyed by the
    item's code), a narrative and, in a Verbund, the delivering sites.
    `version` grows with every save so that a stale form is detected."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="answers")
    criterion = models.ForeignKey(Criterion, on_delete=models.PROTECT, related_name="+")
    item_statuses = models.JSONField(_("Antworten je Punkt"), default=dict, blank=True)
    narrative = models.TextField(_("Beschreibung"), blank=True)
    delivering_sites = models.ManyToManyField(
        Einrichtung, related_name="+", blank=True, verbose_name=_("erbringende Standorte")
    )
    to_confirm = models.BooleanField(
        _("zu bestätigen"),
        default=False,
        help_text=_("Aus der letzten Zertifizierung übernommen, noch nicht bestätigt."),
    )
    version = models.PositiveIntegerField(default=0)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("Antwort")
        verbose_name_plural = _("Antworten")
        constraints = [
            models.UniqueConstraint(fields=["assessment", "criterion"], name="one_answer_per_criterion"),
        ]

    def __str__(self) -> str:
        return f"{self.assessment_id}/{self.criterion_id}"


class Submission(models.Model):
    """A frozen, hashed snapshot of what the centre submitted. Reviewers judge
    it, reports are built from it and the decision names its sha256."""

    assessment = models.ForeignKey(Assessment, on_delete=models.PROTECT, related_name="submissions")
    number = models.PositiveSmallIntegerField(_("Nummer"))
    payload = models.JSONField(_("Inhalt"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(_("eingereicht am"), auto_now_add=True)
    # How many criteria the payload holds (the list the reviewer judges):
    # the queues' progress column reads it for a page of rows without
    # loading payloads of some 20 KB each. Set from the payload when the row
    # is written (bulk writers call criteria_in(payload) themselves).
    criteria_count = models.PositiveSmallIntegerField(_("Kriterien"), editable=False)

    class Meta:
        verbose_name = _("Einreichung")
        verbose_name_plural = _("Einreichungen")
        ordering = ["assessment", "number"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "number"], name="submission_number_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.assessment_id} #{self.number} ({self.sha256[:12]})"

    def save(self, *args, **kwargs):
        if self._state.adding:
            self.criteria_count = self.criteria_in(self.payload)
        super().save(*args, **kwargs)

    @staticmethod
    def criteria_in(payload) -> int:
        return len(payload.get("criteria") or []) if isinstance(payload, dict) else 0


class Verdict(models.TextChoices):
    ACCEPTED = "accepted", _("akzeptiert")
    QUERIED = "queried", _("Rückfrage")


class CriterionVerdict(models.Model):
    """A reviewer's verdict on one criterion of one submission, and the
    centre's reply to a query."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="verdicts")
    criterion = models.ForeignKey(Criterion, on_delete=models.PROTECT, related_name="+")
    verdict = models.CharField(_("Urteil"), max_length=10, choices=Verdict.choices)
    comment = models.TextField(_("Kommentar"), blank=True)
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reply = models.TextField(_("Antwort des Familienzentrums"), blank=True)
    replied_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("Urteil je Kriterium")
        verbose_name_plural = _("Urteile je Kriterium")
        constraints = [
            models.UniqueConstraint(fields=["submission", "criterion"], name="one_verdict_per_criterion"),
            models.CheckConstraint(
                condition=~Q(verdict="queried") | ~Q(comment=""),
                name="query_needs_comment",
                violation_error_message=_("Eine Rückfrage braucht einen Kommentar."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.criterion_id}: {self.get_verdict_display()}"


class SiteVisit(models.Model):
    """The Begehung: planned, then recorded as done."""

    assessment = models.OneToOneField(Assessment, on_delete=models.CASCADE, related_name="site_visit")
    scheduled_for = models.DateTimeField(_("Termin"))
    sites = models.ManyToManyField(Einrichtung, related_name="+", verbose_name=_("besuchte Standorte"))
    notes = models.TextField(_("Notizen"), blank=True)
    done_at = models.DateTimeField(_("durchgeführt am"), null=True, blank=True)

    class Meta:
        verbose_name = _("Begehung")
        verbose_name_plural = _("Begehungen")

    def __str__(self) -> str:
        return f"{self.assessment_id} @ {self.scheduled_for:%Y-%m-%d}"

    @property
    def is_done(self) -> bool:
        return self.done_at is not None


class EventAction(models.TextChoices):
    START = "start", _("Selbstbewertung angelegt")
    PROFILE = "profile", _("Profil geändert")
    SUBMIT = "submit", _("eingereicht")
    ASSIGN = "assign", _("Gutachter:in zugewiesen")
    REQUEST_CHANGES = "request_changes", _("Rückfragen gestellt")
    RESUBMIT = "resubmit", _("erneut eingereicht")
    VISIT_SCHEDULED = "visit_scheduled", _("Begehung geplant")
    VISIT_DONE = "visit_done", _("Begehung durchgeführt")
    RECOMMEND = "recommend", _("zur Zertifizierung empfohlen")
    SEND_BACK = "send_back", _("zurückgegeben")
    APPROVE = "approve", _("bestätigt und zertifiziert")
    DECLINE = "decline", _("abgelehnt")
    WITHDRAW = "withdraw", _("zurückgezogen")
    # Partner invitations: notable actions without a change of state.
    INVITE = "invite", _("Kooperationspartner eingeladen")
    INVITATION_RESENT = "invitation_resent", _("Einladung erneut gesendet")
    INVITATION_ACCEPTED = "invitation_accepted", _("Einladung angenommen")
    INVITATION_REVOKED = "invitation_revoked", _("Einladung zurückgenommen")
    # The office moved a date of the cycle (assessments.services.deadlines).
    DEADLINES_CHANGED = "deadlines_changed", _("Fristen geändert")


class AssessmentEvent(models.Model):
    """Append-only history of an assessment: every transition and every
    notable action, with who, when, from, to and a note."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    action = models.CharField(_("Aktion"), max_length=40, choices=EventAction.choices)
    from_state = models.CharField(_("von"), max_length=20, choices=AssessmentState.choices, blank=True)
    to_state = models.CharField(_("nach"), max_length=20, choices=AssessmentState.choices, blank=True)
    note = models.TextField(_("Notiz"), blank=True)
    submission = models.ForeignKey(Submission, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(_("Zeitpunkt"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("Ereignis")
        verbose_name_plural = _("Ereignisse")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.action}: {self.from_state} → {self.to_state}"


# --------------------------------------------------------------------------
# Evidence in the cycle: documents of the library (evidence app) linked to
# criteria of an assessment, the revisions a submission froze, and partner
# invitations with the access they grant.
# --------------------------------------------------------------------------


class EvidenceLink(models.Model):
    """An evidence item serving one criterion of one assessment (the draft's
    state; a submission freezes the revisions it names)."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="evidence_links")
    criterion = models.ForeignKey(Criterion, on_delete=models.PROTECT, related_name="+")
    evidence = models.ForeignKey(Evidence, on_delete=models.PROTECT, related_name="links")
    linked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    linked_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("Verknüpfung eines Nachweises")
        verbose_name_plural = _("Verknüpfungen von Nachweisen")
        constraints = [
            models.UniqueConstraint(fields=["assessment", "criterion", "evidence"], name="evidence_link_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.evidence_id} → {self.criterion_id}"


class SubmissionRevision(models.Model):
    """The revisions a submission froze; PROTECT keeps them forever."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="frozen_revisions")
    criterion = models.ForeignKey(Criterion, on_delete=models.PROTECT, related_name="+")
    revision = models.ForeignKey(EvidenceRevision, on_delete=models.PROTECT, related_name="submissions")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["submission", "criterion", "revision"], name="submission_revision_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.submission_id}: {self.revision_id}"


class InvitationState(models.TextChoices):
    INVITED = "invited", _("eingeladen")
    ACCEPTED = "accepted", _("angenommen")
    EXPIRED = "expired", _("abgelaufen")
    REVOKED = "revoked", _("zurückgenommen")


class PartnerInvitation(models.Model):
    """A Leitung's invitation to a partner organisation (or a new partner user
    by e-mail) to contribute evidence to chosen criteria. The link carries a
    signed token naming this row and its nonce; it expires
    INVITATION_MAX_AGE_DAYS after `sent_at`. Resending draws a new nonce (so
    every earlier link stops working) and a new `sent_at`; revoking ends the
    link and, once accepted, the access it granted."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="invitations")
    partner = models.ForeignKey(
        "certification.Kooperationspartner",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("Kooperationspartner"),
    )
    email = models.EmailField(_("E-Mail-Adresse"))
    organisation_name = models.CharField(_("Organisation"), max_length=200, blank=True)
    criteria = models.ManyToManyField(Criterion, related_name="+", verbose_name=_("Kriterien"))
    nonce = models.CharField(max_length=32)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    sent_at = models.DateTimeField(_("gesendet am"), default=timezone.now)
    revoked_at = models.DateTimeField(_("zurückgenommen am"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("Einladung")
        verbose_name_plural = _("Einladungen")

    def __str__(self) -> str:
        return f"{self.email} → {self.assessment_id}"

    @property
    def expires_at(self):
        return self.sent_at + timedelta(days=settings.INVITATION_MAX_AGE_DAYS)

    @property
    def was_resent(self) -> bool:
        return self.sent_at != self.created_at  # first sent when created (invite_partner)

    @property
    def state(self) -> InvitationState:
        if self.revoked_at is not None:
            return InvitationState.REVOKED
        if self.accepted_at is not None:
            return InvitationState.ACCEPTED
        if self.expires_at <= timezone.now():
            return InvitationState.EXPIRED
        return InvitationState.INVITED


class PartnerAccess(models.Model):
    """What an accepted invitation grants: a partner organisation may upload to
    these criteria of this assessment, and see nothing else."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="partner_accesses")
    partner = models.ForeignKey("certification.Kooperationspartner", on_delete=models.CASCADE, related_name="+")
    criteria = models.ManyToManyField(Criterion, related_name="+")
    invitation = models.OneToOneField(PartnerInvitation, on_delete=models.PROTECT, related_name="access")

    class Meta:
        verbose_name = _("Zugang eines Kooperationspartners")
        verbose_name_plural = _("Zugänge von Kooperationspartnern")

    def __str__(self) -> str:
        return f"{self.partner_id} → {self.assessment_id}"


# --------------------------------------------------------------------------
# Deadlines (issue 12): which date of a cycle a reminder is about, and the
# reminders sent. The rules about the dates live in assessments.deadlines.
# --------------------------------------------------------------------------


class DeadlineKind(models.TextChoices):
    SUBMISSION = "submission", _("Einreichung")
    QUERIES = "queries", _("Antworten auf Rückfragen")
    REVIEW = "review", _("Begutachtung")


class DeadlineStatus(models.TextChoices):
    APPROACHING = "approaching", _("Frist naht")
    OVERDUE = "overdue", _("Frist überschritten")


class DeadlineReminder(models.Model):
    """One reminder about one date of a cycle, at one stage (approaching or
    overdue). The unique constraint makes each go out once, even when two
    runs of the daily task overlap; a moved date is a new date and may be
    reminded again."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="deadline_reminders")
    kind = models.CharField(_("Frist"), max_length=20, choices=DeadlineKind.choices)
    due_date = models.DateField(_("fällig am"))
    stage = models.CharField(_("Stufe"), max_length=20, choices=DeadlineStatus.choices)
    sent_at = models.DateTimeField(_("gesendet am"))
    recipients = models.TextField(_("Empfänger:innen"), blank=True)

    class Meta:
        verbose_name = _("Erinnerung an eine Frist")
        verbose_name_plural = _("Erinnerungen an Fristen")
        ordering = ["assessment", "due_date", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "kind", "due_date", "stage"], name="one_deadline_reminder_per_date_and_stage"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.assessment_id}: {self.kind} {self.due_date:%Y-%m-%d} ({self.stage})"


class JournalLink(models.Model):
    """An entry of the centre's offer journal (journal.JournalEntry) taken over
    as evidence of one criterion of one assessment. The entry's attachment is
    linked beside it as an ordinary EvidenceLink; `attachment_linked` says
    whether taking over made that link, so unlinking the entry removes only
    what taking it over added. A deleted journal entry leaves the draft
    (CASCADE); a submission keeps its frozen copy in the payload."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="journal_links")
    criterion = models.ForeignKey(Criterion, on_delete=models.PROTECT, related_name="+")
    entry = models.ForeignKey("journal.JournalEntry", on_delete=models.CASCADE, related_name="+")
    attachment_linked = models.BooleanField(default=False)
    linked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    linked_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("Übernommener Journaleintrag")
        verbose_name_plural = _("Übernommene Journaleinträge")
        constraints = [
            models.UniqueConstraint(fields=["assessment", "criterion", "entry"], name="journal_link_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.entry_id} → {self.criterion_id}"
