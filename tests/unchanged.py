"""What a refused request must leave as it found it.

A test of a refusal that checks only the status code or the message passes
just as well when the view saved first and refused afterwards. `everything()`
takes a picture of what an action could have changed: every row of the
project's apps (the assessment and its answers, verdicts, events, the
notifications written for the outbox, the certification LogEntry rows, the
evidence and its grants, reports and export jobs, the journal), the files in
private storage and the mail outbox. A refused request must leave the same
picture behind:

    before = everything()
    response = client.post(...)
    assert response.status_code == 400
    assert everything() == before
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core import mail


def project_apps() -> list[str]:
    """The project's own apps (those in the checkout's top folder), in
    INSTALLED_APPS order: where the rows of an action live. Not auth,
    sessions or axes: logging in (before the picture is taken) writes those,
    and a refusal touches none."""
    root = Path(settings.BASE_DIR).resolve()
    return [config.label for config in apps.get_app_configs() if Path(config.path).resolve().parent == root]


def rows() -> dict[str, list[dict]]:
    """Every row of every model of the project's apps, in primary-key order."""
    picture = {}
    for label in project_apps():
        for model in apps.get_app_config(label).get_models():
            picture[model._meta.label] = list(model._default_manager.order_by("pk").values())
    return picture


def stored_files() -> dict[str, str]:
    """The files in private storage (the test's own folder), by name, with their hash."""
    root = Path(settings.PRIVATE_MEDIA_ROOT)
    if not root.exists():
        return {}
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def outbox() -> list[tuple[str, list[str]]]:
    return [(message.subject, list(message.to)) for message in mail.outbox]


def everything() -> dict:
    # Flat, so that a failing comparison names the model that changed.
    return {**rows(), "files in private storage": stored_files(), "mail outbox": outbox()}
