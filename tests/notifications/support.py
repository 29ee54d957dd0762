"""Helpers of the message-road tests."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from config.celery import app as celery_app
from notifications.models import Notification, NotificationKind
from notifications.services import notify

TEMPLATES_DIR = Path(__file__).parent / "templates"


def send_hello(recipients, *, centre="Familienzentrum Purzelbaum", note="Neuigkeit", link="/", **kwargs):
    """notify() as a service calls it: inside the action's transaction."""
    with transaction.atomic():
        return notify(
            kind=kwargs.pop("kind", NotificationKind.ASSESSMENT_SUBMITTED),
            recipients=recipients,
            subject_template="notifications_test/hello_subject.txt",
            body_template="notifications_test/hello.txt",
            context={"centre": centre, "note": note},
            link=link,
            **kwargs,
        )


def make_old(notification: Notification, *, minutes: int = 3) -> None:
    """Backdate a row, as if it had been written `minutes` ago."""
    Notification.objects.filter(pk=notification.pk).update(created_at=timezone.now() - timedelta(minutes=minutes))


def drop_broker_connections() -> None:
    """Forget this process's pooled broker connections and producers (what
    Celery itself does in a forked child), so the next task goes to the
    broker the environment and settings name now."""
    celery_app._after_fork()
    # The result backend is cached per app (or per thread) on first use.
    celery_app._backend_cache = None
    celery_app._local.__dict__.pop("backend", None)


def point_app_at(url: str, settings, monkeypatch) -> None:
    """Send this process's tasks to the broker at `url`. Celery reads the
    broker from the environment first, then from the settings."""
    monkeypatch.setenv("CELERY_BROKER_URL", url)
    monkeypatch.setenv("CELERY_RESULT_BACKEND", url)
    settings.CELERY_BROKER_URL = url
    settings.CELERY_RESULT_BACKEND = url
    settings.CELERY_TASK_ALWAYS_EAGER = False
    drop_broker_connections()


# "Fails fast" means not held by a reconnect loop: without the fast retry
# policy a hand-over waited 19 s, with it a few tenths. The bound sits well
# between the two, so that a machine busy with parallel test runs does not
# fail it (a loaded machine once took 1.98 s for 0.3 s of work).
FAST_SECONDS = 5.0
