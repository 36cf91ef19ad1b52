"""Kring's one settings file. Every value that differs between machines comes from the
environment through the strict helpers in ``kring.env``; ``.env.example`` lists them all."""

from __future__ import annotations

import hashlib
import ipaddress
import os
import sys
from email.utils import parseaddr
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.utils.translation import gettext_lazy as _

from kring.env import SettingError, envbool, envchoice, envint, envlist, envmonths, envstr


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


BASE_DIR = Path(__file__).resolve().parent.parent

KRING_ENV = envchoice("KRING_ENV", "development", ("development", "production"))
PRODUCTION = KRING_ENV == "production"
TESTING = "pytest" in sys.modules

DEFAULT_SECRET_KEY = "kring-development-key-not-for-production"  # noqa: S105
SECRET_KEY = envstr("SECRET_KEY", DEFAULT_SECRET_KEY)
# Off unless asked for (`make run` asks); even then the error page shows no environment.
DEBUG = envbool("DEBUG", False)
DEFAULT_EXCEPTION_REPORTER_FILTER = "kring.core.safety.NoEnvironmentReporterFilter"
# The one address of the site, in every link Kring sends (emails, letters, .ics). In
# development it follows the port `make run` serves (KRING_PORT); production must set it.
KRING_PORT = envint("KRING_PORT", 8000, minimum=1)
SITE_URL_EXPLICIT = envstr("SITE_URL", "") != ""
SITE_URL = envstr("SITE_URL", f"http://127.0.0.1:{KRING_PORT}").rstrip("/")
_site = urlsplit(SITE_URL)
if _site.scheme not in ("http", "https") or not _site.hostname or _site.path not in ("", "/"):
    raise SettingError(
        f"SITE_URL must be the site's address, such as https://kring.example.org; not {SITE_URL!r}."
    )
SITE_HOST = _site.hostname
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "allauth",
    "kring.core.apps.SignInConfig",  # allauth.account
    "kring.core.apps.SecondFactorConfig",  # allauth.mfa
    "django_htmx",
    "template_partials",
    "django_tasks",
    "kring.core.apps.BackgroundTasksConfig",  # django_tasks_db
    "kring.accounts",
    "kring.cases",
    "kring.circle",
    "kring.meetings",
    "kring.plans",
    "kring.followup",
    "kring.research",
    "kring.portal",
    "kring.work",
    "kring.audit",
    "kring.privacy",
    "kring.messaging",
    "kring.core",
    "kring.operations",
    "kring.demo",
    "kring.bench",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "kring.core.middleware.SecurityHeadersMiddleware",
    "kring.core.middleware.RequestIdMiddleware",
    "kring.operations.middleware.RequestMetricsMiddleware",
    # NUL and other control characters get a 400 before the session or a view reads them.
    "kring.core.safety.ControlCharactersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "kring.core.languages.StaffLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "kring.accounts.middleware.StaffSessionMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "kring.core.middleware.OwnErrorPagesMiddleware",
]

ROOT_URLCONF = "kring.urls"
FORM_RENDERER = "kring.core.renderers.KringFormRenderer"
WSGI_APPLICATION = "kring.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "kring" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "kring.core.context_processors.kring",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------
# SQLite (WAL) is the embedded default; DATABASE_URL=postgres://… switches to PostgreSQL.
DATABASE_URL = envstr("DATABASE_URL", f"sqlite:///{BASE_DIR / 'var' / 'kring.sqlite3'}")
if not DATABASE_URL.startswith(("sqlite:", "postgres:", "postgresql:")):
    raise SettingError("DATABASE_URL must start with sqlite:// or postgres://.")
# Persistent connections: each server thread keeps its connection for this many seconds
# instead of opening one per request (on PostgreSQL a new backend process and authentication:
# a few milliseconds every request). Django checks a kept connection once at the start of each
# request (CONN_HEALTH_CHECKS) and opens a new one if the database went away meanwhile. 0 turns
# it off, for a pooler in front of PostgreSQL (PgBouncer in transaction mode). Every thread of
# every server process holds one connection: processes × threads must stay below PostgreSQL's
# max_connections (100 by default), with room for the workers. On SQLite a connection is a file
# handle; kept, it saves re-running the PRAGMAs (WAL, busy timeout) each request. The test
# suite opens one per request as before (0): its live-server threads and forked children must
# never share one.
KRING_DB_CONN_MAX_AGE = envint("KRING_DB_CONN_MAX_AGE", 600, minimum=0)
try:
    _database = dj_database_url.parse(
        DATABASE_URL,
        conn_max_age=0 if TESTING else KRING_DB_CONN_MAX_AGE,
        conn_health_checks=not TESTING and KRING_DB_CONN_MAX_AGE > 0,
    )
except ValueError as error:
    raise SettingError(f"DATABASE_URL could not be read: {error}") from None
# Prepared statements on PostgreSQL, for the queries of a fixed shape that the pages run on
# every request (kring.core.prepared): the values travel apart from the SQL (server-side
# binding) and such a statement stays planned on its connection, so PostgreSQL skips its
# parsing and planning, most of its work for them (under load, PostgreSQL's CPU per case list
# 3.4-4.3 → 2.7-3.0 ms, per own page 1.9-2.0 → 1.0-1.1 ms). On by default with persistent
# connections; off for a pooler in transaction mode (PgBouncer before 1.22, or without
# max_prepared_statements), where a statement prepared in one transaction's session is gone in
# the next, or another client's. Restart the servers and workers after a migration: a
# statement prepared before it may no longer fit a changed column (kring.core.prepared closes
# such a connection after the request). The tests run with it.
KRING_DB_PREPARED = envbool("KRING_DB_PREPARED", TESTING or KRING_DB_CONN_MAX_AGE > 0)
if _database["ENGINE"] == "django.db.backends.postgresql" and KRING_DB_PREPARED:
    _database["OPTIONS"] = {**_database.get("OPTIONS", {}), "server_side_binding": True}
if _database["ENGINE"] == "django.db.backends.sqlite3":
    Path(_database["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    _database["OPTIONS"] = {
        # IMMEDIATE takes the write lock when a transaction starts, so the web app and the
        # worker never deadlock upgrading a read lock; WAL lets readers go on meanwhile.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # Tests use a file too (not shared-cache memory), so that concurrency behaves as in use:
    # WAL and a busy timeout instead of immediate "table is locked" errors.
    # One file per test run (by process), so that two runs at once do not share a database;
    # pytest-django removes it at the end of the run.
    _database["TEST"] = {"NAME": str(BASE_DIR / "var" / f"test-kring-{os.getpid()}.sqlite3")}
    USING_SQLITE = True
else:
    USING_SQLITE = False
DATABASES = {"default": _database}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts ---------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_URL_PATH = "/account/login/"
LOGIN_REDIRECT_URL = "start"
ACCOUNT_ADAPTER = "kring.accounts.adapter.StaffAccountAdapter"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Django's database sessions, read with SQL written once (kring/accounts/sessions.py).
SESSION_ENGINE = "kring.accounts.sessions"
SESSION_COOKIE_AGE = 10 * 60 * 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# Staff sessions end after this much inactivity, and this long after sign-in whatever happens.
KRING_SESSION_IDLE_MINUTES = envint("KRING_SESSION_IDLE_MINUTES", 15, minimum=1)
KRING_SESSION_ABSOLUTE_HOURS = envint("KRING_SESSION_ABSOLUTE_HOURS", 10, minimum=1)

# A second factor for every staff role: TOTP with recovery codes, or a security key (WebAuthn).
KRING_MFA_REQUIRED = envbool("KRING_MFA_REQUIRED", True)
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_PASSKEY_LOGIN_ENABLED = False
MFA_ALLOW_UNVERIFIED_EMAIL = True  # staff addresses are set by an administrator
MFA_TOTP_ISSUER = "Kring"
MFA_TOTP_TOLERANCE = 1  # one 30-second step either way, for clocks that drift a little
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = DEBUG
# Failed sign-ins: at most 10 an hour per address; per account a growing delay and an email
# to the owner instead of a lock (kring/accounts/adapter.py).
ACCOUNT_RATE_LIMITS = {
    "login_failed": "10/h/ip",
    "reset_password": "20/h/ip,5/h/key",
    "reset_password_from_key": "20/h/ip",
}
# Rate limits and used one-time codes are counted in the database, so they hold across
# processes, on SQLite as on PostgreSQL ("default": allauth's limits and codes, failed
# sign-ins, the workers' once-a-day and once-an-hour claims). Flags a process may keep for
# itself a minute (whether the demo is loaded) live in its own memory ("local"): no database
# read per request for them.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "kring_cache",
    },
    "local": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "kring-local",
    },
}

# --- Languages --------------------------------------------------------------------------
LANGUAGE_CODE = "nl"
# Participants and requesters: all six (kring/core/languages.py); staff pages: Dutch and English.
LANGUAGES = [
    ("nl", _("Dutch")),
    ("en", _("English")),
    ("tr", _("Turkish")),
    ("ar", _("Arabic")),
    ("pl", _("Polish")),
    ("uk", _("Ukrainian")),
]
KRING_STAFF_LANGUAGES = ("nl", "en")
LOCALE_PATHS = [BASE_DIR / "kring" / "locale"]
USE_I18N = True
TIME_ZONE = "Europe/Amsterdam"
USE_TZ = True

# --- Static files -----------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
STATICFILES_DIRS = [BASE_DIR / "kring" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
MEDIA_ROOT = BASE_DIR / "var" / "media"

# --- Mail -------------------------------------------------------------------------------
# With no EMAIL_HOST, mail is delivered to the mailbox inside Kring (the demo mailbox).
EMAIL_HOST = envstr("EMAIL_HOST", "")
EMAIL_PORT = envint("EMAIL_PORT", 587, minimum=1)
EMAIL_HOST_USER = envstr("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = envstr("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", EMAIL_PORT == 587)
EMAIL_USE_SSL = envbool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = envint("EMAIL_TIMEOUT", 20, minimum=1)
EMAIL_BACKEND = "kring.messaging.backend.OutboxBackend"
# The sender follows the site's host; a local address (localhost, an IP) is no mail domain, so
# the demo sends from kring.localhost, which mail programs accept and never deliver elsewhere.
_MAIL_DOMAIN = SITE_HOST if "." in SITE_HOST and not _is_ip(SITE_HOST) else "kring.localhost"
DEFAULT_FROM_EMAIL = envstr("DEFAULT_FROM_EMAIL", f"Kring <kring@{_MAIL_DOMAIN}>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Where replies go (optional, comma-separated): set as Reply-To on every outgoing message.
KRING_REPLY_TO = envlist("KRING_REPLY_TO", [])
for _address in [DEFAULT_FROM_EMAIL, *KRING_REPLY_TO]:
    if "@" not in parseaddr(_address)[1]:
        raise SettingError(
            f"DEFAULT_FROM_EMAIL and KRING_REPLY_TO need email addresses: {_address!r}."
        )
KRING_DEMO_MAILBOX = EMAIL_HOST == ""
KRING_OUTBOX_MAX_ATTEMPTS = envint("KRING_OUTBOX_MAX_ATTEMPTS", 6, minimum=1)
# Messages one worker claims and sends over one SMTP connection at a time.
KRING_OUTBOX_BATCH = envint("KRING_OUTBOX_BATCH", 50, minimum=1)

# --- Background work --------------------------------------------------------------------
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
KRING_WORKER_INTERVAL = envint("KRING_WORKER_INTERVAL", 5, minimum=1)
# A worker beats (from a thread of its own) six times per lease; one silent for a whole lease
# is dead: its claimed messages go back in the queue and its running tasks are marked failed.
KRING_WORKER_LEASE_SECONDS = envint("KRING_WORKER_LEASE_SECONDS", 30, minimum=2)

# --- Security ---------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
if PRODUCTION:
    SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 31536000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"

# --- Kring ------------------------------------------------------------------------------
KRING_CASE_PAGE_SIZE = envint("KRING_CASE_PAGE_SIZE", 25, minimum=5)
# Public request form: at most this many submissions per client address per hour.
KRING_REQUEST_LIMIT_PER_HOUR = envint("KRING_REQUEST_LIMIT_PER_HOUR", 10, minimum=1)
# "Send me a new link": at most this many new links per email address or phone number per
# hour (and three times as many requests per client address).
KRING_NEW_LINK_LIMIT_PER_HOUR = envint("KRING_NEW_LINK_LIMIT_PER_HOUR", 3, minimum=1)
# The code on a letter (/code/): attempts per client address per hour. Ten characters from 31
# (about 50 bits) stay out of reach of guessing at this pace.
KRING_CODE_LIMIT_PER_HOUR = envint("KRING_CODE_LIMIT_PER_HOUR", 10, minimum=1)
# Reverse proxies in front of Kring that append to X-Forwarded-For (0: none; use REMOTE_ADDR).
KRING_TRUSTED_PROXIES = envint("KRING_TRUSTED_PROXIES", 0, minimum=0)
# Time norms, in working days: intake after a request; asking a coordinator after acceptance.
KRING_NORM_INTAKE_DAYS = envint("KRING_NORM_INTAKE_DAYS", 5, minimum=1)
KRING_NORM_ASSIGNMENT_DAYS = envint("KRING_NORM_ASSIGNMENT_DAYS", 2, minimum=1)
# Participants' personal links expire after this many days (a new link can always be sent).
KRING_LINK_DAYS = envint("KRING_LINK_DAYS", 120, minimum=1)
# Reminders of the meeting go this many days before it, to those who said yes.
KRING_REMINDER_DAYS = envint("KRING_REMINDER_DAYS", 3, minimum=1)
# The aftercare call falls due this many days after the meeting ("about four weeks").
KRING_AFTERCARE_DAYS = envint("KRING_AFTERCARE_DAYS", 28, minimum=1)
# An aftercare call recorded sooner than this many days after the meeting needs a reason.
KRING_AFTERCARE_MIN_DAYS = envint("KRING_AFTERCARE_MIN_DAYS", 14, minimum=0)
# Follow-up moments, in months after the meeting, per variant ("3" or "3,6,12"); more can be
# added on a case.
KRING_FOLLOW_UP_MONTHS = {
    variant: envmonths(f"KRING_FOLLOW_UP_MONTHS_{variant.upper()}", "3")
    for variant in ("buurt", "school", "familie", "herstel")
}
# An open follow-up without every answer is overdue this many days after it opened.
KRING_FOLLOW_UP_ANSWER_DAYS = envint("KRING_FOLLOW_UP_ANSWER_DAYS", 28, minimum=1)
# Reminders to answer go this many days apart; at most two, never to someone who declined.
KRING_FOLLOW_UP_REMINDER_DAYS = envint("KRING_FOLLOW_UP_REMINDER_DAYS", 10, minimum=1)
# The research line's phone number, printed in follow-up invitations (answering by phone).
KRING_RESEARCH_PHONE = envstr("KRING_RESEARCH_PHONE", "")
# Research exports (issue 18): one with more rows than this is built by the worker into a file
# (downloaded whole, deleted after KRING_EXPORT_RETAIN_HOURS); smaller ones stream directly.
KRING_EXPORT_DIRECT_MAX_ROWS = envint("KRING_EXPORT_DIRECT_MAX_ROWS", 20000, minimum=0)
KRING_EXPORT_RETAIN_HOURS = envint("KRING_EXPORT_RETAIN_HOURS", 24, minimum=1)
KRING_EXPORT_DIR = Path(envstr("KRING_EXPORT_DIR", str(BASE_DIR / "var" / "exports")))
# Access-log entries are kept this long (BIO: long enough to investigate an incident).
KRING_RETAIN_LOG_DAYS = envint("KRING_RETAIN_LOG_DAYS", 365, minimum=30)
# The access log's chain is an HMAC with this key, kept outside the database (an attacker who
# can write the table cannot recompute it). Required in production; the demo derives one from
# SECRET_KEY.
KRING_AUDIT_KEY = envstr("KRING_AUDIT_KEY", "")
_AUDIT_KEY_GIVEN = bool(KRING_AUDIT_KEY)
if not KRING_AUDIT_KEY:
    KRING_AUDIT_KEY = hashlib.sha256(f"kring.audit:{SECRET_KEY}".encode()).hexdigest()
# Retention (docs/register-of-processing.md), in days after the step that ends the purpose:
# declined+6m — a declined request, or one withdrawn before it was accepted, is anonymised;
KRING_RETAIN_DECLINED_DAYS = envint("KRING_RETAIN_DECLINED_DAYS", 183, minimum=1)
# case+2y — a closed or stopped case (follow-up research at 3 months, complaints) likewise;
KRING_RETAIN_CASE_DAYS = envint("KRING_RETAIN_CASE_DAYS", 730, minimum=1)
# sent+3m — a sent or failed message is deleted ("I never received it", sending again);
KRING_RETAIN_MESSAGES_DAYS = envint("KRING_RETAIN_MESSAGES_DAYS", 92, minimum=1)
# link_expired+30d — an expired or revoked personal link is deleted (helping its owner).
KRING_RETAIN_LINKS_DAYS = envint("KRING_RETAIN_LINKS_DAYS", 30, minimum=1)

# --- Contact ----------------------------------------------------------------------------
# Who a citizen can call or write to: shown in the footer, on the contact page, on the own
# page, under every email and on every letter. Each region's office has its own details
# (Region.phone, .email, .postal_address); these are the organisation's, and fill any gap.
# The demo has made-up defaults; production refuses to start without a phone and an email.
KRING_CONTACT_NAME = envstr("KRING_CONTACT_NAME", "Kring")
KRING_CONTACT_PHONE = envstr("KRING_CONTACT_PHONE", "" if PRODUCTION else "030 000 00 00")
KRING_CONTACT_EMAIL = envstr("KRING_CONTACT_EMAIL", "" if PRODUCTION else "contact@kring.example")
# Postal address, lines separated by commas: "Postbus 100, 3500 AA Utrecht".
KRING_CONTACT_ADDRESS = envlist(
    "KRING_CONTACT_ADDRESS", [] if PRODUCTION else ["Postbus 100", "3500 AA Utrecht"]
)
# Where to report a security problem (/.well-known/security.txt); the contact email if unset.
KRING_SECURITY_CONTACT = envstr("KRING_SECURITY_CONTACT", "")

# --- Production server, health and metrics ----------------------------------------------
# `manage.py serve` runs gunicorn: one process per server with threads (gthread), so the
# request metrics of one server are in one place; scale out with more servers (replicas).
KRING_BIND = envstr("KRING_BIND", "127.0.0.1:8000")
KRING_WEB_WORKER_CLASS = envchoice("KRING_WEB_WORKER_CLASS", "gthread", ("gthread", "sync"))
KRING_WEB_PROCESSES = envint("KRING_WEB_PROCESSES", 1, minimum=1)
KRING_WEB_THREADS = envint("KRING_WEB_THREADS", 8, minimum=1)
KRING_WEB_TIMEOUT = envint("KRING_WEB_TIMEOUT", 60, minimum=5)
# The task backend: the database (default, nothing else to run) or RQ on Redis. Due work is a
# date on a row either way, so switching loses nothing: the worker's sweeps find it.
KRING_TASK_BACKEND = envchoice("KRING_TASK_BACKEND", "database", ("database", "rq"))
KRING_REDIS_URL = envstr("KRING_REDIS_URL", "redis://127.0.0.1:6379/0")
if KRING_TASK_BACKEND == "rq":
    INSTALLED_APPS.append("django_rq")
    RQ_QUEUES = {"default": {"URL": KRING_REDIS_URL, "DEFAULT_TIMEOUT": 300}}
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}  # type: ignore[dict-item]
# /gezond/klaar: ready when a worker was seen this recently and the outbox is under these.
KRING_HEALTH_WORKER_SECONDS = envint("KRING_HEALTH_WORKER_SECONDS", 180, minimum=10)
KRING_HEALTH_MAX_BACKLOG = envint("KRING_HEALTH_MAX_BACKLOG", 500, minimum=1)
KRING_HEALTH_MAX_FAILED = envint("KRING_HEALTH_MAX_FAILED", 20, minimum=1)
# A message due this long without being sent counts as backlog (and as overdue in metrics).
KRING_HEALTH_BACKLOG_SECONDS = envint("KRING_HEALTH_BACKLOG_SECONDS", 300, minimum=1)
# /gezond/metrics (Prometheus) is closed: a bearer token, or client addresses in this list.
# With neither, it answers 404 to everyone.
KRING_METRICS_TOKEN = envstr("KRING_METRICS_TOKEN", "")
KRING_METRICS_ALLOW = envlist("KRING_METRICS_ALLOW", [])
# Backups: where `manage.py backup` writes, and a key to encrypt them with (empty: plain).
KRING_BACKUP_DIR = Path(envstr("KRING_BACKUP_DIR", str(BASE_DIR / "var" / "backups")))
KRING_BACKUP_KEY = envstr("KRING_BACKUP_KEY", "")
# Logs: JSON lines on stdout (one object per line, with the request ID) or plain text.
KRING_LOG_FORMAT = envchoice("KRING_LOG_FORMAT", "json" if PRODUCTION else "text", ("json", "text"))
# One log line per request (method, path with tokens redacted, status, view, duration).
KRING_REQUEST_LOG = envbool("KRING_REQUEST_LOG", PRODUCTION)
# Only for `manage.py bench_serve`: a bare view behind the same middleware, to compare with.
KRING_BENCH_VIEW = envbool("KRING_BENCH_VIEW", False)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Tokens and reset keys in URLs never reach a log (see kring/core/logfilters.py).
    "filters": {"redact": {"()": "kring.core.logfilters.RedactSecrets"}},
    "formatters": {
        "json": {"()": "kring.operations.jsonlog.JsonFormatter"},
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "filters": ["redact"],
            **({"formatter": "json"} if KRING_LOG_FORMAT == "json" else {}),
        },
        "django.server": {
            "class": "logging.StreamHandler",
            "formatter": "django.server",
            "filters": ["redact"],
        },
    },
    "root": {"handlers": ["console"], "level": envstr("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "django_tasks_db": {"level": "WARNING"},
        "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False},
        "gunicorn.error": {"handlers": ["console"], "level": "INFO", "propagate": False},
        # Replace Django's own handlers (which do not redact) by the redacting console.
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}

# --- Public API (issue 19) -----------------------------------------------------------------
# django-ninja at /api/v1/ (kring/api/): its Swagger UI is served from its own static files.
INSTALLED_APPS += ["ninja", "kring.api"]
MIDDLEWARE.append("kring.api.middleware.ApiMiddleware")
# Calls per API client per minute; more get a 429 problem document.
KRING_API_LIMIT_PER_MINUTE = envint("KRING_API_LIMIT_PER_MINUTE", 120, minimum=1)
# Most rows of a dataset page (cases or follow-up moments per page) an API client may ask for.
KRING_API_PAGE_MAX = envint("KRING_API_PAGE_MAX", 1000, minimum=10)

# --- Refusals ---------------------------------------------------------------------------
if PRODUCTION:
    if DEBUG:
        raise SettingError("DEBUG must be false when KRING_ENV=production.")
    if SECRET_KEY == DEFAULT_SECRET_KEY or len(SECRET_KEY) < 50:
        raise SettingError(
            "SECRET_KEY must be set to a random value of 50+ characters when KRING_ENV=production."
        )
    if KRING_DEMO_MAILBOX:
        raise SettingError(
            "EMAIL_HOST must be set when KRING_ENV=production; the demo "
            "mailbox is for trying Kring out only."
        )
    if not KRING_MFA_REQUIRED:
        raise SettingError("KRING_MFA_REQUIRED must not be false when KRING_ENV=production.")
    if "KRING_TRUSTED_PROXIES" not in os.environ:
        raise SettingError(
            "KRING_TRUSTED_PROXIES must be set when KRING_ENV=production: the number of "
            "reverse proxies in front of Kring (0 if clients reach it directly). Per-address "
            "limits on public forms depend on it."
        )
    if USING_SQLITE and not envbool("KRING_ALLOW_SQLITE", False):
        raise SettingError(
            "DATABASE_URL points at SQLite; set it to PostgreSQL for "
            "production, or KRING_ALLOW_SQLITE=true to accept SQLite."
        )
    if not (KRING_CONTACT_PHONE and KRING_CONTACT_EMAIL):
        raise SettingError(
            "KRING_CONTACT_PHONE and KRING_CONTACT_EMAIL must be set when KRING_ENV=production: "
            "every page, email and letter tells people whom they can reach."
        )
    if not SITE_URL_EXPLICIT:
        raise SettingError(
            "SITE_URL must be set when KRING_ENV=production: the address people reach Kring "
            "at (https://…), used in every link in emails, letters and calendar events."
        )
    if not _AUDIT_KEY_GIVEN or len(KRING_AUDIT_KEY) < 32:
        raise SettingError(
            "KRING_AUDIT_KEY must be set to a random value of 32+ characters when "
            "KRING_ENV=production: it keys the access log's chain, outside the database."
        )
