"""The production processes started natively, as docker-compose starts them:
gunicorn serving config.wsgi, and celery beat."""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
import yaml
from django.conf import settings

from tests.services.support import BASE_DIR, BIN_DIR, Process, database_url, free_port, subprocess_env


def _get_json(url: str, headers: dict[str, str], timeout: float = 30) -> tuple[int, dict]:
    """GET a JSON page, retrying while the server is still booting."""
    deadline = time.monotonic() + timeout
    while True:
        request = urllib.request.Request(url, headers=headers)  # noqa: S310 - a local http:// URL
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                return response.status, json.load(response)
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"{}")
        except (ConnectionError, urllib.error.URLError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


@pytest.fixture
def gunicorn(django_db_setup, tmp_path):
    """Start `gunicorn config.wsgi` on a free port against the test database."""
    started: list[Process] = []

    def start(**env_overrides: str | None) -> str:
        port = free_port()
        env = subprocess_env(
            tmp_path,
            DATABASE_URL=database_url(settings.DATABASES["default"], tmp_path / "health.sqlite3"),
            **env_overrides,
        )
        process = Process(
            [str(BIN_DIR / "gunicorn"), "config.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
            env=env,
            log_path=tmp_path / f"gunicorn-{port}.log",
        )
        started.append(process)
        process.wait_for_output("Booting worker", timeout=30)
        return f"http://127.0.0.1:{port}"

    yield start
    for process in started:
        process.stop()


def test_gunicorn_serves_the_health_page(gunicorn):
    base_url = gunicorn()

    status, body = _get_json(f"{base_url}/health/?format=json", headers={})

    assert status == 200, body
    assert body["ok"] is True
    assert body["checks"]["database"]["ok"] is True


def test_gunicorn_with_production_settings(gunicorn):
    """The container's set-up: PRODUCTION=true behind a TLS proxy that sets
    X-Forwarded-Proto. Plain http is redirected; the proxied request is served."""
    base_url = gunicorn(
        PRODUCTION="true",
        SECRET_KEY=secrets.token_urlsafe(60)[:60],
        ALLOWED_HOSTS="127.0.0.1",
    )

    status, body = _get_json(f"{base_url}/health/?format=json", headers={"X-Forwarded-Proto": "https"})
    assert status == 200, body
    assert body["ok"] is True

    # The web container's health check in docker-compose.yml, run as is.
    compose = yaml.safe_load((BASE_DIR / "docker-compose.yml").read_text())
    check = compose["services"]["web"]["healthcheck"]["test"]
    assert check[:3] == ["CMD", "python", "-c"]
    script = check[3].replace("http://127.0.0.1:8000", base_url)
    healthcheck = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=30)
    assert healthcheck.returncode == 0, healthcheck.stderr

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    with pytest.raises(urllib.error.HTTPError) as redirect:
        opener.open(f"{base_url}/health/?format=json", timeout=10)
    redirect.value.close()
    assert redirect.value.code == 301
    assert redirect.value.headers["Location"].startswith("https://")


@pytest.mark.services
def test_celery_beat_starts(services, tmp_path):
    schedule = tmp_path / "celerybeat-schedule"
    beat = Process(
        [
            str(BIN_DIR / "celery"),
            "-A",
            "config",
            "beat",
            "-l",
            "debug",
            "--schedule",
            str(schedule),
            "--pidfile",
            str(tmp_path / "beat.pid"),
        ],
        env=subprocess_env(tmp_path, DATABASE_URL=services),
        log_path=tmp_path / "beat.log",
    )
    try:
        # "beat: Starting..." is logged before the scheduler (and the result
        # backend it imports) is built; stopping beat then interrupts that
        # import and its signal handler trips over the half-imported module.
        # The "Ticking" line comes after the scheduler is complete.
        beat.wait_for_output("beat: Ticking with max interval", timeout=30)
    finally:
        beat.stop()
    assert "Traceback" not in beat.output(), beat.describe()
    assert list(tmp_path.glob("celerybeat-schedule*")), "beat wrote no schedule file"
