"""Helpers for tests that start the real processes (gunicorn, celery worker,
celery beat) as subprocesses, the way they run in production."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
import redis

BASE_DIR = Path(__file__).resolve().parents[2]
# The console scripts of the environment that runs the tests (.venv/bin).
BIN_DIR = Path(sys.executable).parent

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def services_missing(reason: str) -> None:
    """In CI a missing service is a failure; on a developer machine the
    services tests are merely left out."""
    if IN_CI:
        pytest.fail(f"CI needs PostgreSQL and Redis, but {reason}", pytrace=False)
    pytest.skip(reason)


def check_services(database_settings: dict) -> None:
    """Fail (CI) or skip (elsewhere) unless the suite runs on PostgreSQL with
    a reachable Redis broker."""
    broker_url = os.environ.get("CELERY_BROKER_URL", "")
    if not os.environ.get("DATABASE_URL") or not broker_url:
        services_missing("DATABASE_URL and CELERY_BROKER_URL must both be set.")
    if not database_settings["ENGINE"].endswith("postgresql"):
        services_missing(f"DATABASE_URL must point at PostgreSQL, not {database_settings['ENGINE']}.")
    if not broker_url.startswith(("redis://", "rediss://")):
        services_missing(f"CELERY_BROKER_URL must point at Redis, got {broker_url!r}.")
    try:
        redis.Redis.from_url(broker_url, socket_connect_timeout=3, socket_timeout=3).ping()
    except redis.RedisError as error:
        services_missing(f"Redis at CELERY_BROKER_URL does not answer: {error}")


def database_url(database_settings: dict, fallback_sqlite: Path | None = None) -> str:
    """A DATABASE_URL for a subprocess. PostgreSQL: the test database that
    pytest-django created. SQLite: the test database lives in this process's
    memory, so the subprocess gets its own file (enough for the health page)."""
    if not database_settings["ENGINE"].endswith("postgresql"):
        if fallback_sqlite is None:
            raise ValueError(f"No URL for {database_settings['ENGINE']} without a SQLite fallback file.")
        return f"sqlite:///{fallback_sqlite}"
    user = quote(database_settings.get("USER") or "", safe="")
    password = quote(database_settings.get("PASSWORD") or "", safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = database_settings.get("HOST") or "127.0.0.1"
    port = database_settings.get("PORT") or 5432
    return f"postgres://{credentials}{host}:{port}/{quote(database_settings['NAME'], safe='')}"


def subprocess_env(tmp_path: Path, **overrides: str | None) -> dict[str, str]:
    """The test runner's environment with the project's settings module, a
    private VAR_DIR and the given overrides (None removes a variable)."""
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        PYTHONUNBUFFERED="1",
        VAR_DIR=str(tmp_path / "var"),
        PRIVATE_MEDIA_ROOT=str(tmp_path / "private"),
    )
    # DJANGO_ALLOW_ASYNC_UNSAFE: set in this process by the browser tests;
    # the real processes run without it.
    for name in ("PRODUCTION", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"):
        env.pop(name, None)
    for name, value in overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Process:
    """A subprocess whose combined output goes to a log file we can search."""

    def __init__(self, args: list[str], env: dict[str, str], log_path: Path):
        self.args = args
        self.log_path = log_path
        self._log = log_path.open("wb")
        self.popen = subprocess.Popen(
            args, cwd=BASE_DIR, env=env, stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def describe(self) -> str:
        tail = "\n".join(self.output().splitlines()[-40:])
        return f"{' '.join(self.args)} (exit code {self.popen.poll()}); last output:\n{tail}"

    def wait_for_output(self, needle: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if needle in self.output():
                return
            if self.popen.poll() is not None:
                pytest.fail(f"Process ended before printing {needle!r}: {self.describe()}", pytrace=False)
            time.sleep(0.1)
        pytest.fail(f"No {needle!r} within {timeout:.0f} s: {self.describe()}", pytrace=False)

    def stop(self, timeout: float = 10) -> int:
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=timeout)
        self._log.close()
        return self.popen.returncode


def wait_for(predicate, *, timeout: float, what: str, process: Process | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    detail = f"\n{process.describe()}" if process else ""
    pytest.fail(f"Timed out after {timeout:.0f} s waiting for {what}{detail}", pytrace=False)


class OwnRedis:
    """A redis-server on a free port, without persistence, that the test
    may stop and start again (the shared Redis on 6379 is never touched)."""

    def __init__(self, tmp_path):
        self.tmp_path = tmp_path
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: Process | None = None
        self.starts = 0

    def start(self) -> None:
        self.starts += 1
        self.process = Process(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            env={"PATH": "/usr/bin:/bin:/usr/local/bin"},
            log_path=self.tmp_path / f"redis-{self.starts}.log",
        )
        self.process.wait_for_output("Ready to accept connections", timeout=20)
        redis.Redis.from_url(self.url, socket_connect_timeout=2).ping()

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()
            self.process = None


def solo_worker_args(name: str) -> list[str]:
    """`celery -A config worker` as the tests run it: one process, no
    chatter with other workers (there are none; it only slows the start)."""
    return [
        str(BIN_DIR / "celery"),
        "-A",
        "config",
        "worker",
        "--pool=solo",
        "--concurrency=1",
        "-l",
        "info",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "-n",
        f"{name}@%h",
    ]
