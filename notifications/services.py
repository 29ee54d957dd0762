"""Every write of the notifications app.

The road of a message:

1. notify() renders subject and body once, in German, and writes one row per
   recipient inside the caller's transaction; after the commit it hands one
   `notifications.send` task per row to the broker (Task.apply_async_on_commit,
   fast-fail, never raising). A rollback leaves no row and sends nothing.
2. The task calls notification_send(): under a row lock it mails the row once
   and stamps emailed_at; a transient error is recorded and retried with
   backoff, a definite refusal by the mail server ends the row's mailing.
3. notifications_sweep() (beat, every minute) hands over again what the
   broker never delivered, so a broker outage delays a mail but loses none.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from email import encoders
from email.message import Message
from email.mime.base import MIMEBase
from email.mime.text import MIMEText
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, get_connection
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.db.transaction import TransactionManagementError
from django.template import Context
from django.template.loader import get_template
from django.utils import timezone, translation

from notifications.models import Notification, NotificationKind, is_local_path

if TYPE_CHECKING:
    from accounts.models import User

logger = logging.getLogger(__name__)

# A row younger than this may still be on its way through the broker.
SEND_GRACE = timedelta(minutes=2)
# A row tried (or handed over again by the sweep) this long ago without
# success is handed over again. Longer than the task's own backoff retries.
SEND_RETRY_AFTER = timedelta(minutes=10)
# Older rows are not mailed any more: the row is still in the app.
SEND_MAX_AGE = timedelta(days=3)
SWEEP_BATCH = 500
# Django's SMTP backend waits for ever without EMAIL_TIMEOUT; a worker
# holding a row lock must not.
DEFAULT_SMTP_TIMEOUT_SECONDS = 30

_SUBJECT_MAX = Notification._meta.get_field("subject").max_length


@dataclass(frozen=True)
class Attachment:
    """One text attachment, e.g. Attachment("begehung.ics", "text/calendar; method=REQUEST", ics_text)."""

    filename: str
    content_type: str
    content: str


class TransientMailError(Exception):
    """Sending failed in a way worth retrying (the mail server or the network)."""


# ---------------------------------------------------------------- writing


def render_plain_text(template_name: str, context: dict) -> str:
    """Render a plain-text template with HTML escaping off: a centre called
    "Eltern & Kinder" must arrive as "Eltern & Kinder", not "Eltern &amp; Kinder".
    Uses the project's template engine (its loaders, its tags), only with an
    autoescape-free Context, which {% include %}d templates inherit."""
    template = get_template(template_name, using="django")
    return template.template.render(Context(context, autoescape=False))


def _one_line(text: str) -> str:
    # A mail header cannot hold a newline (Django refuses it with BadHeaderError).
    subject = " ".join(text.split())
    return subject if len(subject) <= _SUBJECT_MAX else subject[: _SUBJECT_MAX - 1] + "…"


def _resolve_recipients(recipients: Iterable[User | str]) -> list[tuple[User | None, str]]:
    """(account or None, address) per distinct address, in the given order.
    A plain address that belongs to an active account is linked to it, so
    the message also shows in that person's bell."""
    user_model = get_user_model()
    accounts: dict[str, User | None] = {}
    for recipient in recipients:
        if isinstance(recipient, str):
            address, account = recipient.strip().lower(), None
        elif isinstance(recipient, user_model):
            address, account = (recipient.email or "").strip().lower(), recipient
        else:
            raise TypeError(f"A recipient is a user or an e-mail address, not {recipient!r}.")
        if not address:
            logger.warning("Notification recipient %r has no e-mail address; left out", recipient)
            continue
        validate_email(address)
        if accounts.get(address) is None:
            accounts[address] = account
    unlinked = [address for address, account in accounts.items() if account is None]
    if unlinked:
        # Addresses are stored lower-case (accounts.models.UserManager).
        for user in user_model.objects.filter(email__in=unlinked, is_active=True):
            accounts[user.email] = user
    return [(account, address) for address, account in accounts.items()]


def _check_attachment(attachment: Attachment | None) -> None:
    if attachment is None:
        return
    if not attachment.filename or "/" in attachment.filename or "\\" in attachment.filename:
        raise ValueError(f"Attachment file name must be a plain name, got {attachment.filename!r}.")
    maintype, _, subtype = attachment.content_type.partition(";")[0].strip().partition("/")
    if not maintype or not subtype:
        raise ValueError(f"Attachment content type must be type/subtype, got {attachment.content_type!r}.")


def notify(
    *,
    kind: str,
    recipients: Iterable[User | str],
    subject_template: str,
    body_template: str,
    context: dict,
    link: str = "",
    attachment: Attachment | None = None,
    reply_to: str = "",
) -> list[Notification]:
    """Tell `recipients` (users and/or e-mail addresses; one row per distinct
    address) about something that happens in the caller's transaction.

    Must be called inside transaction.atomic(), the one of the action itself:
    the rows commit or roll back with it, and the e-mails are handed to the
    worker only after the commit. `subject_template` and `body_template` are
    plain-text templates rendered once, in German, without HTML escaping;
    besides `context` they see `site_url`, `link` and `url` (site_url + link).
    `link` is a path inside the site ("/selbstbewertung/12/"), opened from
    the bell; `attachment` one text file (the Begehung's .ics); `reply_to`
    the address answers go to. Returns the rows written (none when there is
    no recipient).
    """
    if not transaction.get_connection().in_atomic_block:
        raise TransactionManagementError(
            "notify() must run inside transaction.atomic(), the transaction of the action it reports."
        )
    kind = NotificationKind(kind)
    if not is_local_path(link):
        raise ValueError(f"A notification links to a path inside the site, got {link!r}.")
    _check_attachment(attachment)
    if reply_to:
        validate_email(reply_to)
    targets = _resolve_recipients(recipients)
    if not targets:
        return []
    full_context = {
        "site_url": settings.SITE_URL,
        "link": link,
        "url": settings.SITE_URL + link if link else settings.SITE_URL,
        **context,
    }
    with translation.override("de"):
        subject = _one_line(render_plain_text(subject_template, full_context))
        body = render_plain_text(body_template, full_context)
    rows = Notification.objects.bulk_create(
        Notification(
            recipient=account,
            email=address,
            reply_to=reply_to,
            kind=kind,
            subject=subject,
            body=body,
            link=link,
            attachment_name=attachment.filename if attachment else "",
            attachment_content_type=attachment.content_type if attachment else "",
            attachment_content=attachment.content if attachment else "",
        )
        for account, address in targets
    )
    from notifications.tasks import send_notification

    for row in rows:
        send_notification.apply_async_on_commit((row.pk,))
    return rows


# ---------------------------------------------------------------- sending


def describe(error: BaseException) -> str:
    text = str(error).strip()
    return f"{type(error).__name__}: {text}"[:2000] if text else type(error).__name__


def is_permanent(error: BaseException) -> bool:
    """The mail server refused this message for good (5xx for the recipient
    or the content). Configuration errors (authentication, sender) are not
    permanent for the row: once fixed, the sweep delivers."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _message in error.recipients.values()]
        return bool(codes) and all(500 <= code < 600 for code in codes)
    if isinstance(error, smtplib.SMTPDataError):
        return 500 <= error.smtp_code < 600
    return False


def is_transient(error: BaseException) -> bool:
    # smtplib's errors are OSErrors, as are refused connections and timeouts.
    return isinstance(error, OSError) and not is_permanent(error)


def _mime_attachment(notification: Notification) -> MIMEBase:
    header = Message()
    header["Content-Type"] = notification.attachment_content_type
    maintype, subtype = header.get_content_maintype(), header.get_content_subtype()
    if maintype == "text":
        part: MIMEBase = MIMEText(notification.attachment_content, subtype, "utf-8")
    else:
        part = MIMEBase(maintype, subtype)
        part.set_payload(notification.attachment_content.encode("utf-8"))
        encoders.encode_base64(part)
    # Parameters such as the calendar's method=REQUEST, which lets mail
    # programs offer to accept the invitation.
    for key, value in header.get_params()[1:]:
        if key.lower() != "charset":
            part.set_param(key, value)
    part.add_header("Content-Disposition", "attachment", filename=notification.attachment_name)
    return part


def _mail(notification: Notification) -> None:
    timeout = getattr(settings, "EMAIL_TIMEOUT", None) or DEFAULT_SMTP_TIMEOUT_SECONDS
    message = EmailMessage(
        notification.subject,
        notification.body,
        settings.DEFAULT_FROM_EMAIL,
        [notification.email],
        reply_to=[notification.reply_to] if notification.reply_to else None,
        connection=get_connection(timeout=timeout),
    )
    if notification.has_attachment:
        message.attach(_mime_attachment(notification))
    message.send()


def notification_send(notification_id: int) -> bool:
    """E-mail one row, once. True when this call sent it.

    The row lock makes a duplicate message (the sweep and a late original, or
    a redelivery) wait until the first has sent and stamped emailed_at, and
    then do nothing. Every attempt is counted and its error kept on the row.
    Raises TransientMailError for the task to retry with backoff; re-raises
    an unexpected error (the sweep tries again later); a definite refusal
    marks the row failed and returns False.
    """
    with transaction.atomic():
        notification = Notification.objects.select_for_update().filter(pk=notification_id).first()
        if notification is None:
            logger.warning("Notification %s does not exist; nothing to send", notification_id)
            return False
        if notification.emailed_at is not None or notification.failed_at is not None:
            return False
        now = timezone.now()
        notification.attempts += 1
        notification.last_attempt_at = now
        try:
            _mail(notification)
        except Exception as error:  # noqa: BLE001 - kept on the row, then retried, re-raised or given up below
            failure = error
            notification.last_error = describe(error)
            fields = ["attempts", "last_attempt_at", "last_error"]
            if is_permanent(error):
                notification.failed_at = now
                fields.append("failed_at")
            notification.save(update_fields=fields)
        else:
            notification.emailed_at = timezone.now()
            notification.last_error = ""
            notification.save(update_fields=["attempts", "last_attempt_at", "emailed_at", "last_error"])
            return True
    # The attempt is committed; now tell the task what to do about it.
    if is_permanent(failure):
        logger.warning("Notification %s: the mail server refused it for good: %s", notification_id, describe(failure))
        return False
    if is_transient(failure):
        raise TransientMailError(describe(failure)) from failure
    raise failure


# ---------------------------------------------------------------- the sweep


def unsent_notification_ids(now=None) -> list[int]:
    """Rows the broker never delivered, or whose sending failed a while ago:
    past the grace period, within the maximum age, not handed over again or
    tried in the last SEND_RETRY_AFTER."""
    now = now or timezone.now()
    return list(
        Notification.objects.filter(
            emailed_at__isnull=True,
            failed_at__isnull=True,
            created_at__lt=now - SEND_GRACE,
            created_at__gte=now - SEND_MAX_AGE,
        )
        .filter(Q(last_attempt_at__isnull=True) | Q(last_attempt_at__lt=now - SEND_RETRY_AFTER))
        .order_by("created_at")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )


def notifications_sweep() -> int:
    """Hand the unsent rows to the broker again; returns how many were taken.
    A duplicate message is harmless (notification_send sends once)."""
    from notifications.tasks import send_notification

    now = timezone.now()
    handed_over = []
    for notification_id in unsent_notification_ids(now):
        if not send_notification.enqueue(notification_id):
            # The broker is down: the next sweep tries again.
            break
        handed_over.append(notification_id)
    # Stamped so that the next sweeps leave these alone while they wait in
    # the queue; a stamp a sending attempt has set since is not moved back.
    Notification.objects.filter(pk__in=handed_over, emailed_at__isnull=True).filter(
        Q(last_attempt_at__isnull=True) | Q(last_attempt_at__lt=now)
    ).update(last_attempt_at=now)
    return len(handed_over)


# ---------------------------------------------------------------- reading them


def notification_mark_read(notification: Notification) -> Notification:
    """Mark one row read; the first opening's time stays."""
    if notification.read_at is None:
        now = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=now)
        notification.read_at = now
    return notification


def notifications_mark_all_read(user) -> int:
    """Mark every unread row of `user` read; returns how many."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(read_at=timezone.now())
