"""The plumbing: settings read from the environment, the deploy check, the
health page and the container set-up. The real services (PostgreSQL, Redis,
a Celery worker, gunicorn, beat) are exercised in tests/services/."""

from __future__ import annotations

import os
import runpy
import secrets
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command

from config.env import env_bool, env_database, env_int, env_list, env_str, env_url

BASE_DIR = Path(__file__).resolve().parent.parent
SETTINGS_FILE = BASE_DIR / "config" / "settings.py"
BROKER_SCHEMES = ("redis", "rediss", "amqp", "memory")


def _manage(*args: str, **env_overrides: str | None) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env.update(DJANGO_SETTINGS_MODULE="config.settings")
    # DJANGO_ALLOW_ASYNC_UNSAFE: the browser tests set it in this process, and
    # the deploy check rightly refuses it.
    for name in ("PRODUCTION", "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_ALLOW_ASYNC_UNSAFE"):
        env.pop(name, None)
    for name, value in env_overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=60
    )


# --- the environment readers -------------------------------------------------


@pytest.mark.parametrize(
    ("name", "raw", "read"),
    [
        ("DEBUG", "maybe", lambda: env_bool("DEBUG")),
        ("AXES_FAILURE_LIMIT", "abc", lambda: env_int("AXES_FAILURE_LIMIT", 5, minimum=1)),
        ("AXES_FAILURE_LIMIT", "0", lambda: env_int("AXES_FAILURE_LIMIT", 5, minimum=1)),
        ("DATABASE_URL", "nonsense://x", lambda: env_database("DATABASE_URL", "sqlite:///x.sqlite3")),
        ("CELERY_BROKER_URL", "http://x", lambda: env_url("CELERY_BROKER_URL", schemes=BROKER_SCHEMES)),
    ],
)
def test_env_reader_rejects_malformed_value_naming_the_variable(monkeypatch, name, raw, read):
    monkeypatch.setenv(name, raw)

    with pytest.raises(ImproperlyConfigured) as error:
        read()

    assert name in str(error.value)


def test_env_readers_understand_good_values(monkeypatch):
    monkeypatch.setenv("FLAG", " Yes ")
    monkeypatch.setenv("NUMBER", "7")
    monkeypatch.setenv("HOSTS", "example.org, www.example.org,,")
    monkeypatch.setenv("DB", "postgres://fz:geheim@db.example.org:5433/familienzentrum")
    monkeypatch.setenv("BROKER", "redis://127.0.0.1:6379/5")
    monkeypatch.delenv("UNSET", raising=False)

    assert env_bool("FLAG") is True
    assert env_bool("UNSET", True) is True
    assert env_int("NUMBER", 1, minimum=1) == 7
    assert env_int("UNSET", 3) == 3
    assert env_list("HOSTS") == ["example.org", "www.example.org"]
    assert env_str("UNSET", "default") == "default"
    assert env_url("BROKER", schemes=BROKER_SCHEMES) == "redis://127.0.0.1:6379/5"
    database = env_database("DB", "sqlite:///x.sqlite3")
    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert (database["NAME"], database["HOST"], database["PORT"]) == ("familienzentrum", "db.example.org", 5433)


def _load_settings(monkeypatch, **env: str) -> dict:
    """Execute config/settings.py afresh under the given environment, without
    touching the settings this test process runs on."""
    for name in ("PRODUCTION", "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "PRIVATE_STORAGE_BACKEND"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(SETTINGS_FILE))


def test_settings_default_to_the_embedded_setup(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)
    monkeypatch.delenv("CELERY_RESULT_BACKEND", raising=False)

    loaded = _load_settings(monkeypatch)

    assert loaded["DEBUG"] is False
    assert loaded["DATABASES"]["default"]["ENGINE"] == "django.db.backends.sqlite3"
    assert loaded["CELERY_TASK_ALWAYS_EAGER"] is True


def test_settings_take_services_from_the_environment(monkeypatch):
    loaded = _load_settings(
        monkeypatch,
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/familienzentrum",
        CELERY_BROKER_URL="redis://127.0.0.1:6379/5",
    )

    assert loaded["DATABASES"]["default"]["ENGINE"] == "django.db.backends.postgresql"
    assert loaded["CELERY_TASK_ALWAYS_EAGER"] is False
    assert loaded["CELERY_RESULT_BACKEND"] == "redis://127.0.0.1:6379/5"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"PRODUCTION": "true", "DEBUG": "true", "SECRET_KEY": "x" * 60}, "DEBUG"),
        ({"PRODUCTION": "true"}, "SECRET_KEY"),
        ({"PRODUCTION": "true", "SECRET_KEY": "too-short"}, "SECRET_KEY"),
        ({"PRIVATE_STORAGE_BACKEND": "ftp"}, "PRIVATE_STORAGE_BACKEND"),
        ({"PRIVATE_STORAGE_BACKEND": "s3"}, "PRIVATE_S3_BUCKET"),
        ({"CELERY_RESULT_BACKEND": "http://x"}, "CELERY_RESULT_BACKEND"),
    ],
)
def test_settings_refuse_unsafe_or_broken_combinations(monkeypatch, env, message):
    with pytest.raises(ImproperlyConfigured) as error:
        _load_settings(monkeypatch, **env)

    assert message in str(error.value)


@pytest.mark.parametrize(("name", "raw"), [("AXES_FAILURE_LIMIT", "abc"), ("DATABASE_URL", "nonsense://x")])
def test_manage_py_stops_on_malformed_variable(name, raw):
    result = _manage("check", **{name: raw})

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert name in result.stderr


def test_check_deploy_is_clean_with_production_settings():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        PRODUCTION="true",
        SECRET_KEY=secrets.token_urlsafe(60)[:60],
        ALLOWED_HOSTS="example.org",
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_collectstatic_with_the_production_storage(settings, tmp_path):
    """The web container runs collectstatic with the hashed, compressed
    storage on every start; a broken reference (e.g. a missing source map)
    would keep it from ever serving."""
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }

    call_command("collectstatic", interactive=False, verbosity=0)

    assert (tmp_path / "static" / "staticfiles.json").exists()


# --- the health page ---------------------------------------------------------


@pytest.fixture
def no_broker(settings):
    """The embedded set-up, whatever the environment of this run says."""
    settings.CELERY_TASK_ALWAYS_EAGER = True


def test_health_json_without_broker(client, db, no_broker):
    response = client.get("/health/?format=json")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["ok"] is True
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["broker"]["ok"] is True
    assert body["checks"]["broker"]["detail"]  # says tasks run in the web process


def test_health_json_by_accept_header(client, db, no_broker):
    response = client.get("/health/", HTTP_ACCEPT="application/json")

    assert response.status_code == 200
    assert response.json()["ok"] is True


def test_health_html_page(client, db, no_broker):
    response = client.get("/health/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert "Alle Dienste sind erreichbar." in response.content.decode()


def test_health_reports_unreachable_broker_quickly(client, db, settings, monkeypatch):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    # Nothing listens on port 1. The Celery app reads its broker from the
    # settings, except that the environment variable wins.
    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    settings.CELERY_BROKER_CONNECTION_TIMEOUT = 1

    started = time.monotonic()
    response = client.get("/health/?format=json")
    elapsed = time.monotonic() - started

    assert response.status_code == 503
    body = response.json()
    assert body["ok"] is False
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["broker"]["ok"] is False
    assert "127.0.0.1:1" not in response.content.decode()  # no internals on a public page
    assert elapsed < 5, f"health check took {elapsed:.1f} s"

    html = client.get("/health/")
    assert html.status_code == 503
    assert "Mindestens ein Dienst ist nicht erreichbar." in html.content.decode()


# --- container set-up and CI script ------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((BASE_DIR / "docker-compose.yml").read_text())


def _command(service: dict) -> str:
    command = service["command"]
    return " ".join(command) if isinstance(command, list) else command


def test_compose_has_the_five_services(compose):
    assert set(compose["services"]) == {"web", "worker", "beat", "postgres", "redis"}
    assert compose["services"]["postgres"]["image"].startswith("postgres:16")
    assert compose["services"]["redis"]["image"].startswith("redis:7")
    for name in ("postgres", "redis", "web"):
        assert compose["services"][name]["healthcheck"]["test"], name


def test_compose_app_services_run_the_project(compose):
    services = compose["services"]
    assert "config.wsgi" in _command(services["web"])
    assert "gunicorn" in _command(services["web"])
    assert "-A config worker" in _command(services["worker"])
    assert "-A config beat" in _command(services["beat"])
    assert "--schedule /var/lib/celery/" in _command(services["beat"])
    assert services["web"]["environment"]["SETUP_ON_START"] == "true"
    for name in ("web", "worker", "beat"):
        env = services[name]["environment"]
        assert env["PRODUCTION"] == "true"
        assert env["DATABASE_URL"].startswith("postgres://")
        assert env["CELERY_BROKER_URL"].startswith("redis://redis:6379/")
        assert "SECRET_KEY" in env["SECRET_KEY"]  # required from the environment, with a message
        assert services[name]["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_compose_shares_private_media_between_web_and_worker(compose):
    services = compose["services"]
    mounts = {}
    for name in ("web", "worker"):
        root = services[name]["environment"]["PRIVATE_MEDIA_ROOT"]
        volumes = [volume for volume in services[name]["volumes"] if volume.endswith(f":{root}")]
        assert len(volumes) == 1, f"{name} does not mount {root}"
        mounts[name] = volumes[0]
    assert mounts["web"] == mounts["worker"]
    assert mounts["web"].split(":")[0] in compose["volumes"]


def test_dockerfile_builds_a_non_root_image():
    dockerfile = (BASE_DIR / "Dockerfile").read_text()
    assert "FROM python:3.11-slim-bookworm" in dockerfile
    for package in ("libpango-1.0-0", "libpangoft2-1.0-0", "fonts-dejavu-core"):
        assert package in dockerfile
    assert "pip install -c constraints.txt ." in dockerfile
    users = [line.split()[1] for line in dockerfile.splitlines() if line.startswith("USER ")]
    assert users and users[-1] not in {"root", "0"}


@pytest.mark.parametrize("script", [".ci/run", "docker/entrypoint.sh"])
def test_shell_scripts_parse(script):
    path = BASE_DIR / script
    assert path.read_text().startswith("#!/usr/bin/env bash\n")
    assert "set -euo pipefail" in path.read_text()
    result = subprocess.run(["bash", "-n", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
