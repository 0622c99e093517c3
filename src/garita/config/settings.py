"""Django settings for Garita, read from the environment (twelve-factor).

Defaults give a zero-set-up SQLite install under var/; production sets DATABASE_URL,
GARITA_SECRET_KEY, GARITA_ALLOWED_HOSTS and GARITA_PRODUCTION=1.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
import django.conf.locale
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parents[3]
SRC_DIR = Path(__file__).resolve().parents[1]
VAR_DIR = Path(os.environ.get("GARITA_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


PRODUCTION = env_bool("GARITA_PRODUCTION")
DEBUG = env_bool("GARITA_DEBUG", default=not PRODUCTION)


def _secret_key() -> str:
    key = os.environ.get("GARITA_SECRET_KEY")
    if key:
        return key
    if PRODUCTION:
        raise RuntimeError("GARITA_SECRET_KEY must be set when GARITA_PRODUCTION=1")
    # A per-install development key, kept out of the repository.
    path = VAR_DIR / "secret_key"
    if not path.exists():
        import secrets

        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("GARITA_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
    if h.strip()
]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("GARITA_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_tasks",
    "django_tasks_db",
    "axes",
    "garita.core",
    "garita.accounts",
    "garita.audit",
    "garita.idempotency",
    "garita.intake",
    "garita.screening",
    "garita.waitlist",
    "garita.hearings",
    "garita.notices",
    "garita.hotline",
    "garita.notifications",
    "garita.stats",
    "garita.ops",
]

MIDDLEWARE = [
    "garita.core.middleware.RequestIdMiddleware",
    "garita.ops.middleware.DatabaseUnavailableMiddleware",
    "garita.core.middleware.BodySizeLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "garita.core.middleware.CachedCSPMiddleware",
    "axes.middleware.AxesMiddleware",
    "garita.core.middleware.DomainErrorMiddleware",
]

# The telephony provider's webhooks (signed, no cookies, no browser, no log-in) take a lean
# stack of their own: garita.core.handlers.GaritaWSGIApplication dispatches by path.
GARITA_WEBHOOK_PATH_PREFIXES = ("/hotline/",)
GARITA_WEBHOOK_MIDDLEWARE = [
    "garita.core.middleware.RequestIdMiddleware",
    "garita.ops.middleware.DatabaseUnavailableMiddleware",
    "garita.core.middleware.BodySizeLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "garita.core.middleware.DefaultLanguageMiddleware",
    "garita.core.middleware.DomainErrorMiddleware",
]

ROOT_URLCONF = "garita.config.urls"
WSGI_APPLICATION = "garita.config.wsgi.application"
ASGI_APPLICATION = "garita.config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "garita.core.context_processors.site",
            ],
        },
    }
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'garita.sqlite3'}"),
        conn_max_age=int(os.environ.get("GARITA_DB_CONN_MAX_AGE", "0")),
        # A persistent connection broken by a database restart is replaced on the next
        # request instead of failing it (see garita.ops.middleware for the 503 meanwhile).
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the web server and the worker share the file.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
else:
    # An unreachable server (packets dropped, not refused) fails the request with the
    # retry-able 503 after this many seconds instead of hanging it for minutes.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", int(os.environ.get("GARITA_DB_CONNECT_TIMEOUT", "5")))
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # Prepared statements for the few hand-written hot statements (garita.core.sql runs
        # them on psycopg's server-binding cursor with prepare=True). Django's own queries
        # use client-side binding, which never prepares, so they are unaffected.
        DATABASES["default"]["OPTIONS"].setdefault("prepare_threshold", 5)
        # Django's backend, except that a persistent connection that served a request without
        # database errors less than GARITA_DB_HEALTH_CHECK_AFTER_IDLE_SECONDS ago skips the
        # health check's `SELECT 1` (garita.core.db.postgresql.base).
        DATABASES["default"]["ENGINE"] = "garita.core.db.postgresql"
# Within this many seconds of a clean request on the same connection, the next request uses
# it without CONN_HEALTH_CHECKS's round trip (PostgreSQL only); 0 checks before every request.
GARITA_DB_HEALTH_CHECK_AFTER_IDLE_SECONDS = float(
    os.environ.get("GARITA_DB_HEALTH_CHECK_AFTER_IDLE_SECONDS", "1"))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Login throttling (django-axes): lock a username+IP pair after 5 failures for 15 minutes.
AXES_FAILURE_LIMIT = int(os.environ.get("GARITA_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = 0.25
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"

# Django does not ship Haitian Creole; teach it the name so the language menu can show it.
django.conf.locale.LANG_INFO.setdefault(
    "ht", {"bidi": False, "code": "ht", "name": "Haitian Creole", "name_local": "Kreyòl ayisyen"}
)
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("es", _("Spanish")),
    ("pt", _("Portuguese")),
    ("ht", _("Haitian Creole")),
]
# Each app keeps its own catalogue in <app>/locale/.
TIME_ZONE = "America/Tijuana"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = VAR_DIR / "media"

# Requests larger than this are refused with 413 before any view runs.
GARITA_MAX_BODY_BYTES = int(os.environ.get("GARITA_MAX_BODY_BYTES", str(1024 * 1024)))
DATA_UPLOAD_MAX_MEMORY_SIZE = GARITA_MAX_BODY_BYTES

# Idempotency-Key on API writes: how long a key and its stored answer are kept (a retry
# within it gets the first answer), and how long a request may hold a key before a retry
# may take it over (its process died; must exceed the web server's request timeout).
GARITA_IDEMPOTENCY_RETENTION_HOURS = int(os.environ.get("GARITA_IDEMPOTENCY_RETENTION_HOURS",
                                                        "24"))
GARITA_IDEMPOTENCY_LEASE_SECONDS = int(os.environ.get("GARITA_IDEMPOTENCY_LEASE_SECONDS", "120"))

# Background work: the Django tasks API with the database backend.
TASKS = {
    "default": {
        "BACKEND": os.environ.get("GARITA_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default", "notifications"],
    }
}

# Where signing keys (transparency logs) live: never in the database.
GARITA_KEY_DIR = Path(os.environ.get("GARITA_KEY_DIR", VAR_DIR / "keys"))

# Telephony.
TWILIO_AUTH_TOKEN = os.environ.get("TWILIO_AUTH_TOKEN", "")
TWILIO_ACCOUNT_SID = os.environ.get("TWILIO_ACCOUNT_SID", "")
# Only a development install may switch signature validation off, never by default.
GARITA_HOTLINE_VALIDATE_SIGNATURE = env_bool("GARITA_HOTLINE_VALIDATE_SIGNATURE", default=True)

# Content-Security-Policy (django-csp 4): no inline scripts, same-origin everything.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
    }
}

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("GARITA_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(os.environ.get("GARITA_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "garita_cache",
    }
}
if os.environ.get("GARITA_REDIS_URL"):
    CACHES["default"] = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": os.environ["GARITA_REDIS_URL"],
    }

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("GARITA_LOG_LEVEL", "WARNING")},
}

# Hotline (phone, SMS, web status) and the notifications outbox.
# The public https base URL Twilio calls (e.g. https://garita.example.org); used to rebuild
# the exact URL Twilio signed when Garita sits behind a proxy. Empty: trust the request
# (with X-Forwarded-Proto honoured only when GARITA_HOTLINE_TRUST_FORWARDED_PROTO is on).
GARITA_PUBLIC_BASE_URL = os.environ.get("GARITA_PUBLIC_BASE_URL", "").rstrip("/")
GARITA_HOTLINE_TRUST_FORWARDED_PROTO = env_bool("GARITA_HOTLINE_TRUST_FORWARDED_PROTO")
GARITA_HOTLINE_PHONE = os.environ.get("GARITA_HOTLINE_PHONE", "")
GARITA_HOTLINE_MAX_FAILURES = int(os.environ.get("GARITA_HOTLINE_MAX_FAILURES", "5"))
GARITA_HOTLINE_FAILURE_WINDOW_MINUTES = int(
    os.environ.get("GARITA_HOTLINE_FAILURE_WINDOW_MINUTES", "60")
)
GARITA_HOTLINE_LOCKOUT_MINUTES = int(os.environ.get("GARITA_HOTLINE_LOCKOUT_MINUTES", "30"))
GARITA_HOTLINE_STALE_AFTER_DAYS = int(os.environ.get("GARITA_HOTLINE_STALE_AFTER_DAYS", "180"))
GARITA_NOTIFY_PROVIDER = os.environ.get("GARITA_NOTIFY_PROVIDER", "file")  # file | twilio
GARITA_OUTBOX_DIR = Path(os.environ.get("GARITA_OUTBOX_DIR", VAR_DIR / "outbox"))
TWILIO_FROM_NUMBER = os.environ.get("TWILIO_FROM_NUMBER", "")
TWILIO_WHATSAPP_FROM = os.environ.get("TWILIO_WHATSAPP_FROM", "")
GARITA_NOTIFY_MAX_ATTEMPTS = int(os.environ.get("GARITA_NOTIFY_MAX_ATTEMPTS", "6"))
GARITA_NOTIFY_BACKOFF_SECONDS = int(os.environ.get("GARITA_NOTIFY_BACKOFF_SECONDS", "60"))
GARITA_NOTIFY_LEASE_SECONDS = int(os.environ.get("GARITA_NOTIFY_LEASE_SECONDS", "300"))
# Events above this many are fanned out by the worker (hearings' notify_events tasks).
GARITA_NOTIFY_INLINE_MAX = int(os.environ.get("GARITA_NOTIFY_INLINE_MAX", "5000"))
# The file provider (demo, drills): dedupe by idempotency key, and a simulated round trip.
GARITA_FILE_PROVIDER_IDEMPOTENT = os.environ.get("GARITA_FILE_PROVIDER_IDEMPOTENT", "1") != "0"
GARITA_FILE_PROVIDER_LATENCY_MS = int(os.environ.get("GARITA_FILE_PROVIDER_LATENCY_MS", "0"))
# A task still RUNNING this long after it started lost its worker (SIGKILL, OOM): the
# worker's scheduler runs it again if it is safe to (see notifications.worker).
GARITA_TASK_ORPHAN_SECONDS = int(os.environ.get("GARITA_TASK_ORPHAN_SECONDS", "900"))
GARITA_QUIET_HOURS = (21, 7)  # no calls from 21:00 to 07:00 in the person's time zone
GARITA_REPORT_REMINDER_LEAD_MINUTES = int(
    os.environ.get("GARITA_REPORT_REMINDER_LEAD_MINUTES", "120")
)
EMAIL_BACKEND = os.environ.get(
    "GARITA_EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend"
)
EMAIL_FILE_PATH = str(GARITA_OUTBOX_DIR / "email")
DEFAULT_FROM_EMAIL = os.environ.get("GARITA_FROM_EMAIL", "garita@localhost")
