"""The one settings module. Everything that differs between machines comes
from the environment through the typed readers in config.env.

Defaults give the embedded set-up of `make run`: SQLite, tasks run eagerly,
e-mails on the console. PRODUCTION=true switches on the hardening that
`manage.py check --deploy` asks for and insists on a real secret key.
"""

from __future__ import annotations

from pathlib import Path

from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config.env import env_bool, env_database, env_int, env_list, env_str, env_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))

PRODUCTION = env_bool("PRODUCTION", False)
DEBUG = env_bool("DEBUG", False)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DEBUG must be false when PRODUCTION is true.")

_DEV_SECRET_KEY = "dev-only-insecure-key-never-use-in-production-0123456789abcdef"
SECRET_KEY = env_str("SECRET_KEY", "" if PRODUCTION else _DEV_SECRET_KEY)
if PRODUCTION and (len(SECRET_KEY) < 50 or SECRET_KEY == _DEV_SECRET_KEY):
    raise ImproperlyConfigured("SECRET_KEY must be set to a random value of at least 50 characters.")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env_url("SITE_URL", "http://127.0.0.1:8000", schemes=("http", "https"))

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",
    "django_filters",
    "axes",
    "rules",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "accounts",
    "notifications",
    "certification",
    "evidence",
    "register",
    "journal",
    "assessments",
    "reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Content-Security-Policy on every response the project renders (pages,
    # error pages, downloads): outside everything that may answer early.
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "config.middleware.GermanFirstLocaleMiddleware",
    # Before anything parses the body (CSRF does): refuse oversized uploads early.
    "config.middleware.RequestSizeLimitMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # Fills the CSRF slots of reused page fragments on the way out (after CSRF's own).
    "accounts.middleware.CsrfTokenSlotMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Second factor: OTPMiddleware tells whether the session passed it,
    # TwoFactorMiddleware keeps reviewers and office staff out until it has.
    "django_otp.middleware.OTPMiddleware",
    "accounts.middleware.TwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Reviewers and office staff are signed out after SESSION_IDLE_TIMEOUT_MINUTES
    # without a request; needs the user, messages and request.htmx from above.
    "accounts.middleware.IdleTimeoutMiddleware",
    # Axes must come last so that it sees the outcome of authentication.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "assessments.context_processors.states",
                # The bell's unread count, as a callable: one query, only where a page shows it.
                "notifications.context_processors.bell",
            ],
        },
    },
]

DATABASES = {"default": env_database("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite gets no persistent connections; the health check would only mask lock errors.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = False
    # Autosave sends several writes at once. A deferred SQLite transaction that
    # upgrades to a write fails at once with "database is locked"; IMMEDIATE
    # takes the write lock up front and waits (timeout) instead, and WAL lets
    # readers go on meanwhile.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # Axes first: it refuses a locked-out login before the password is checked.
    "axes.backends.AxesStandaloneBackend",
    # Object permissions: every "who may" of the apps' rules modules.
    "rules.permissions.ObjectPermissionBackend",
    # Django's ModelBackend, with the reviewer row read together with the user.
    "certification.backends.UserWithRolesBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

# The client's address: X-Forwarded-For is believed only from these reverse
# proxies (addresses or networks, e.g. "10.0.0.0/8"; default none), and then
# its right-most entry that is not a trusted proxy (accounts.network).
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", [])

# Login throttling: after AXES_FAILURE_LIMIT wrong passwords for one account
# from one address, that pair is locked for AXES_COOLOFF_MINUTES. Against
# password spraying, one address is locked, whatever the accounts, while it has
# LOGIN_ADDRESS_FAILURE_LIMIT failures within LOGIN_ADDRESS_WINDOW_MINUTES
# (0 switches that off), counted over axes' failure log
# (accounts.login_throttle). `manage.py axes_reset_failure_logs --age DAYS` prunes the log.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_MINUTES", 15, minimum=1) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
LOGIN_ADDRESS_FAILURE_LIMIT = env_int("LOGIN_ADDRESS_FAILURE_LIMIT", 20, minimum=0)
LOGIN_ADDRESS_WINDOW_MINUTES = env_int("LOGIN_ADDRESS_WINDOW_MINUTES", 60, minimum=1)
AXES_HANDLER = "accounts.login_throttle.AddressLimitHandler"
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_CLIENT_IP_CALLABLE = "accounts.network.client_ip"
# The login form posts the e-mail address in the field "username".
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "accounts.views.axes_username"
AXES_LOCKOUT_CALLABLE = "accounts.views.locked_out"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False

# Two-factor authentication (TOTP): who needs it is decided by the
# certification app (reviewers and office staff); accounts imports the check by path.
ACCOUNTS_2FA_REQUIRED_CHECK = "certification.selectors.requires_two_factor"
OTP_TOTP_ISSUER = "Gütesiegel Familienzentrum"
# The certification decisions (approve, decline) ask for the code again when
# it was given more than this many hours ago (accounts.decorators).
SECOND_FACTOR_MAX_AGE_HOURS = env_int("SECOND_FACTOR_MAX_AGE_HOURS", 8, minimum=1)
# Reviewers and office staff: the session ends after this many minutes without
# a request (0: never); everybody else keeps the normal session age.
SESSION_IDLE_TIMEOUT_MINUTES = env_int("SESSION_IDLE_TIMEOUT_MINUTES", 30, minimum=0)

# Password-reset mails: at most so many per entered e-mail address and per
# client address within the window; the same answer whether the account exists or not.
PASSWORD_RESET_LIMIT_PER_ACCOUNT = env_int("PASSWORD_RESET_LIMIT_PER_ACCOUNT", 3, minimum=1)
PASSWORD_RESET_LIMIT_PER_ADDRESS = env_int("PASSWORD_RESET_LIMIT_PER_ADDRESS", 10, minimum=1)
PASSWORD_RESET_WINDOW_MINUTES = env_int("PASSWORD_RESET_WINDOW_MINUTES", 60, minimum=1)

# Invitations and uploads: at most so many requests per user and per client
# address within the window (assessments.views.common.over_limit).
ACTION_LIMITS = {
    "invitation": (
        env_int("INVITATION_LIMIT_PER_USER", 30, minimum=1),
        env_int("INVITATION_LIMIT_PER_ADDRESS", 60, minimum=1),
    ),
    "upload": (env_int("UPLOAD_LIMIT_PER_USER", 120, minimum=1), env_int("UPLOAD_LIMIT_PER_ADDRESS", 300, minimum=1)),
}
ACTION_LIMIT_WINDOW_MINUTES = env_int("ACTION_LIMIT_WINDOW_MINUTES", 60, minimum=1)

LANGUAGE_CODE = "de"
LANGUAGES = [("de", _("Deutsch")), ("en", _("Englisch"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Berlin"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Outside production WhiteNoise serves straight from the source folders, so
# `make run`, the tests and a bare gunicorn need no collectstatic.
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = not PRODUCTION

# Evidence files live in private storage: there is no MEDIA_URL on purpose,
# files are only ever served by a view that checks permission.
PRIVATE_MEDIA_ROOT = Path(env_str("PRIVATE_MEDIA_ROOT", str(VAR_DIR / "private")))
PRIVATE_STORAGE_BACKEND = env_str("PRIVATE_STORAGE_BACKEND", "filesystem")
if PRIVATE_STORAGE_BACKEND == "filesystem":
    _private_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(PRIVATE_MEDIA_ROOT), "base_url": None},
    }
elif PRIVATE_STORAGE_BACKEND == "s3":
    _private_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env_str("PRIVATE_S3_BUCKET"),
            "endpoint_url": env_str("PRIVATE_S3_ENDPOINT_URL") or None,
            "access_key": env_str("PRIVATE_S3_ACCESS_KEY"),
            "secret_key": env_str("PRIVATE_S3_SECRET_KEY"),
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
    if not _private_storage["OPTIONS"]["bucket_name"]:
        raise ImproperlyConfigured("PRIVATE_S3_BUCKET must be set when PRIVATE_STORAGE_BACKEND is s3.")
else:
    raise ImproperlyConfigured(
        f"PRIVATE_STORAGE_BACKEND must be 'filesystem' or 's3', got {PRIVATE_STORAGE_BACKEND!r}."
    )
STORAGES = {
    "default": _private_storage,
    "private": _private_storage,
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MAX_UPLOAD_MB = env_int("MAX_UPLOAD_MB", 20, minimum=1)
MAX_UPLOAD_FILES = env_int("MAX_UPLOAD_FILES", 10, minimum=1)
# Request bodies above the upload limit are refused before Django reads them;
# files above FILE_UPLOAD_MAX_MEMORY_SIZE go to a temporary file, not memory.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
INVITATION_MAX_AGE_DAYS = env_int("INVITATION_MAX_AGE_DAYS", 14, minimum=1)

EMAIL_HOST = env_str("EMAIL_HOST")
EMAIL_PORT = env_int("EMAIL_PORT", 587, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST else "django.core.mail.backends.console.EmailBackend"
)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Gütesiegel Familienzentrum <noreply@example.org>")
OFFICE_EMAIL = env_str("OFFICE_EMAIL", "office@example.org")

# Celery: without a broker every task runs eagerly in the calling process, so
# the embedded default needs nothing but Python.
CELERY_BROKER_URL = env_url("CELERY_BROKER_URL", schemes=("redis", "rediss", "amqp", "memory"))
CELERY_RESULT_BACKEND = env_url(
    "CELERY_RESULT_BACKEND", CELERY_BROKER_URL, schemes=("redis", "rediss", "memory", "cache", "db+postgresql")
)
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_TIMEOUT = env_int("CELERY_BROKER_CONNECTION_TIMEOUT", 3, minimum=1)
# Handing a task to Redis must fail fast when Redis is down, or the request
# that commits an action hangs (measured: 19 s per task). Two causes:
# - Before publishing, apply_async subscribes to the task's result on the
#   Redis result backend, whose reconnect loop has a retry policy of its own
#   (20 tries, 1 s apart) that apply_async's retry_policy does not touch.
#   Here it gets one quick retry, like the broker's hand-over
#   (config.celery.FAST_FAIL_RETRY_POLICY); the project's Task hand-overs
#   skip the subscription altogether (nobody waits for their results).
# - broker_connection_timeout does not reach kombu's Redis transport: its
#   sockets take their timeouts from the transport options and wait for
#   ever without them (a host that drops packets, a hung connection).
# A TCP connect takes milliseconds even to a managed Redis (TLS comes after
# it, under the socket timeout), so 0.3 s, twice, is ample and stays under
# a second when the broker's host does not answer. The socket timeouts stay
# above kombu's 1 s BRPOP poll, so a worker's idle wait never times out.
# Measured per hand-over (Task.enqueue): Redis stopped 0.01 s, host silent
# 0.6 s, Redis accepting but never answering 4 s (before: 19 s, and no
# return within 150 s for the other two).
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 0.3, "socket_timeout": 2.0}
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {
    "retry_policy": {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
}
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = 0.3
CELERY_REDIS_SOCKET_TIMEOUT = 2.0
CELERY_BEAT_SCHEDULE: dict = {
    # Reminders 12, 6 and 3 months before a Gütesiegel ends; each is sent once.
    "seal-reminders": {"task": "certification.send_seal_reminders", "schedule": crontab(hour=7, minute=0)},
    # The cycle's overdue and approaching dates; each date and stage is reminded once.
    "deadline-reminders": {"task": "assessments.remind_deadlines", "schedule": crontab(hour=7, minute=15)},
    # The offer journal's gaps that can still be closed; once per centre and month.
    "journal-gap-reminders": {
        "task": "journal.remind_gaps",
        "schedule": crontab(day_of_month="1", hour=7, minute=30),
    },
    # The one message road's sweep: hands over rows the broker never delivered.
    "notifications.sweep": {"task": "notifications.sweep", "schedule": 60.0},
}

# Reports (reports.tasks): a build past the soft limit fails cleanly; past the
# hard limit the worker kills it, and the sweep (every REPORTS_SWEEP_SECONDS)
# re-queues it once or marks it failed. The sweep also re-sends reports whose
# hand-over to the broker failed, so a broker outage never loses a report.
REPORTS_SOFT_TIME_LIMIT = env_int("REPORTS_SOFT_TIME_LIMIT", 120, minimum=1)
REPORTS_HARD_TIME_LIMIT = env_int("REPORTS_HARD_TIME_LIMIT", 180, minimum=2)
if REPORTS_HARD_TIME_LIMIT <= REPORTS_SOFT_TIME_LIMIT:
    raise ImproperlyConfigured("REPORTS_HARD_TIME_LIMIT must be greater than REPORTS_SOFT_TIME_LIMIT.")
REPORTS_MAX_RETRIES = env_int("REPORTS_MAX_RETRIES", 5, minimum=0)
REPORTS_SWEEP_SECONDS = env_int("REPORTS_SWEEP_SECONDS", 60, minimum=5)
REPORTS_REQUEUE_AFTER_SECONDS = env_int("REPORTS_REQUEUE_AFTER_SECONDS", 900, minimum=60)
REPORTS_PDF_VARIANT = env_str("REPORTS_PDF_VARIANT", "pdf/ua-1")
if REPORTS_PDF_VARIANT not in {"pdf/ua-1", "pdf/a-3b", "pdf/a-3u", ""}:
    raise ImproperlyConfigured(
        f"REPORTS_PDF_VARIANT must be pdf/ua-1, pdf/a-3b, pdf/a-3u or empty, got {REPORTS_PDF_VARIANT!r}."
    )
# Test hook only: the first attempt of each build sleeps this many seconds so
# that a test can kill the worker in the middle of a build.
REPORTS_TEST_BUILD_DELAY = env_int("REPORTS_TEST_BUILD_DELAY", 0, minimum=0)
if PRODUCTION and REPORTS_TEST_BUILD_DELAY:
    raise ImproperlyConfigured("REPORTS_TEST_BUILD_DELAY is a test hook and must not be set in production.")
CELERY_BEAT_SCHEDULE["reports.sweep"] = {"task": "reports.sweep", "schedule": float(REPORTS_SWEEP_SECONDS)}
# Exports of every assessment (reports.export_jobs): up to this many rows the
# office downloads them at once; above it the worker builds them (an ExportJob),
# and the same sweep interval re-sends jobs the broker never took.
EXPORT_SYNC_MAX_ROWS = env_int("EXPORT_SYNC_MAX_ROWS", 2000, minimum=0)
CELERY_BEAT_SCHEDULE["reports.sweep_exports"] = {
    "task": "reports.sweep_exports",
    "schedule": float(REPORTS_SWEEP_SECONDS),
}
# The issuing body named on the certificate and the Qualitätsprofil: its name
# and address lines (comma-separated). The defaults suit the working version;
# a deployment sets the real certifier.
CERTIFIER_NAME = env_str("CERTIFIER_NAME", "Zertifizierungsstelle Gütesiegel Familienzentrum NRW")
CERTIFIER_ADDRESS = env_list("CERTIFIER_ADDRESS", [])

# "default" holds the throttles' counters (per process, see accounts.throttle).
# "fragments" holds rendered parts of pages that never change for a loaded
# catalogue version (the checklist cards' headers and upload forms, see
# templates/assessments/_criterion_card.html), per process and language.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "default"},
    # Under DEBUG nothing is kept, so that an edited template shows at once.
    "fragments": {
        "BACKEND": "django.core.cache.backends.dummy.DummyCache"
        if DEBUG
        else "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "fragments",
        "TIMEOUT": None,
        "OPTIONS": {"MAX_ENTRIES": 20000},
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
# Content-Security-Policy (django-csp): scripts, styles and everything else
# only from the site itself; no inline script or style, no eval, no plugins,
# no framing. img-src allows data: for Bootstrap's inline SVG icons and the
# empty favicon. The file downloads add `sandbox` (csp_update on their views).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        # WeasyPrint logs every rendering step at INFO; its warnings still show.
        "weasyprint.progress": {"level": "WARNING"},
    },
}
