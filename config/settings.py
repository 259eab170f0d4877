"""Parley settings: one file, every knob an environment variable with a sane default.

The defaults are the embedded stack (`make run`): SQLite and a server-less Celery
broker under var/, emails written to files under var/. Production sets the
variables listed in README.md. A malformed value stops the process at start with
a message that names the variable.
"""

import base64
import hashlib
import ipaddress
import re
from pathlib import Path
from zoneinfo import available_timezones

import environ
from celery.schedules import crontab
from cryptography.fernet import Fernet
from csp import constants as csp_constants
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("PARLEY_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

env = environ.Env()


def _typed(name, parse, **kwargs):
    """Read one variable; any parse error names the variable."""
    try:
        return parse(name, **kwargs)
    except Exception as exc:  # a bad value must say which variable it is
        if name in str(exc):
            raise
        raise ImproperlyConfigured(f"{name} has an invalid value: {exc}") from exc


def _rate(name, default: str) -> str:
    """A rate in DRF's notation: `<count>/<second|minute|hour|day>`, e.g. `20/hour`."""
    value = _typed(name, env.str, default=default)
    if not re.fullmatch(r"\d+/(s|sec|second|m|min|minute|h|hour|d|day)", value):
        raise ImproperlyConfigured(f"{name} must look like 20/hour (count/period): {value!r}")
    return value


DEBUG = _typed("DEBUG", env.bool, default=True)
_DEV_SECRET = "dev-only-insecure-key-change-me-in-production-0123456789"  # noqa: S105
SECRET_KEY = _typed("SECRET_KEY", env.str, default=_DEV_SECRET if DEBUG else environ.Env.NOTSET)


def _field_encryption_keys() -> list[str]:
    """FIELD_ENCRYPTION_KEYS: Fernet keys, comma-separated, newest first (core.encryption).
    Without them legal names and dates of birth cannot be read or written, so production
    refuses to start; DEBUG derives a development key from the secret key."""
    keys = _typed("FIELD_ENCRYPTION_KEYS", env.list, default=[])
    if not keys:
        if not DEBUG:
            raise ImproperlyConfigured(
                "FIELD_ENCRYPTION_KEYS is not set: it encrypts legal names and dates of birth. "
                "Make one with: python -c \"from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())\" and keep it with your backups.")
        digest = hashlib.sha256(f"parley-dev-field-encryption:{SECRET_KEY}".encode()).digest()
        return [base64.urlsafe_b64encode(digest).decode()]
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key)
        except ValueError:
            raise ImproperlyConfigured(
                f"FIELD_ENCRYPTION_KEYS: key {position} is not a Fernet key (32 bytes, "
                "url-safe base64).") from None
    return keys


FIELD_ENCRYPTION_KEYS = _field_encryption_keys()
ALLOWED_HOSTS = _typed(
    "ALLOWED_HOSTS", env.list, default=["127.0.0.1", "localhost", "[::1]", "testserver"]
)
CSRF_TRUSTED_ORIGINS = _typed("CSRF_TRUSTED_ORIGINS", env.list, default=[])

TIME_ZONE = _typed("TIME_ZONE", env.str, default="UTC")
if TIME_ZONE not in available_timezones():
    raise ImproperlyConfigured(f"TIME_ZONE is not a known IANA timezone name: {TIME_ZONE!r}")
USE_TZ = True
USE_I18N = True
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("fr", _("French")),
    ("ar", _("Arabic")),
    ("he", _("Hebrew")),
    ("el", _("Greek")),
    ("tr", _("Turkish")),
    ("ru", _("Russian")),
    ("uk", _("Ukrainian")),
    ("es", _("Spanish")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Programs and sessions written in several languages: one column per language
# (core.content). The fallback is each program's first language, which is ours, not the
# library's; lookups name the base column (the main language), never the active one.
MODELTRANSLATION_DEFAULT_LANGUAGE = "en"
MODELTRANSLATION_LANGUAGES = tuple(code for code, _name in LANGUAGES)
MODELTRANSLATION_FALLBACK_LANGUAGES = ()
MODELTRANSLATION_AUTO_POPULATE = False
# Our date and time patterns per language (core/formats/<lang>/formats.py), used by
# the `date` filter and core.templatetags.parley_time.
FORMAT_MODULE_PATH = ["core.formats"]

INSTALLED_APPS = [
    # Before the admin, as the library asks; core.content says how we use it.
    "modeltranslation",
    "config.apps.ParleyAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "axes",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_prometheus",
    "core",
    "participants",
    "exchanges",
    "dialogues",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "core.middleware.ApiErrorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "participants.middleware.UserLanguageMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "exchanges.two_factor.TwoFactorRequiredMiddleware",
    "participants.middleware.UserTimezoneMiddleware",
    "participants.middleware.PrivateResponsesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
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
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
            ],
            "builtins": ["core.templatetags.parley_text"],
        },
    },
]

# --- Database -----------------------------------------------------------------
DATABASES = {
    "default": _typed("DATABASE_URL", env.db_url, default=f"sqlite:///{VAR_DIR / 'parley.sqlite3'}")
}
if DATABASES["default"]["ENGINE"] not in (
    "django.db.backends.sqlite3",
    "django.db.backends.postgresql",
):
    raise ImproperlyConfigured(
        "DATABASE_URL must be sqlite:///path or postgres://user@host:port/name"
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE transactions make concurrent writers queue instead of failing with
    # "database is locked" halfway through a transaction.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20}
    )
else:
    DATABASES["default"]["CONN_MAX_AGE"] = _typed("CONN_MAX_AGE", env.int, default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # JIT compiles a query when its estimated cost is high; for the short list queries
    # the compiling costs more than it saves (issue 17: 317 of 426 ms). The only
    # server-side prepared statements are core.prepared's: each is planned once per
    # connection, not again per call (planning cost more than running them). Each plan
    # is right without JIT and as a generic plan (tests/exchanges/test_list_plans.py);
    # other settings stay as given.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "options", "-c jit=off -c plan_cache_mode=force_generic_plan")
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
FORMS_URLFIELD_ASSUME_HTTPS = True  # Django 6 behaviour, opted into now

# --- Cache ----------------------------------------------------------------------
CACHES = {"default": _typed("CACHE_URL", env.cache_url, default="locmemcache://parley")}

# --- Email ----------------------------------------------------------------------
# smtp://user:password@host:587 (STARTTLS: smtp+tls://, TLS: smtp+ssl://), consolemail://,
# or filemail:// (one file per message under EMAIL_FILE_PATH).
EMAIL_CONFIG = _typed("EMAIL_URL", env.email_url, default="filemail://")
EMAIL_BACKEND = EMAIL_CONFIG["EMAIL_BACKEND"]
EMAIL_FILE_PATH = _typed("EMAIL_FILE_PATH", env.str, default=str(VAR_DIR / "mail"))
EMAIL_HOST = EMAIL_CONFIG.get("EMAIL_HOST", "localhost")
EMAIL_PORT = EMAIL_CONFIG.get("EMAIL_PORT") or 25
EMAIL_HOST_USER = EMAIL_CONFIG.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = EMAIL_CONFIG.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = EMAIL_CONFIG.get("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = EMAIL_CONFIG.get("EMAIL_USE_SSL", False)
DEFAULT_FROM_EMAIL = _typed(
    "DEFAULT_FROM_EMAIL", env.str, default="Parley <noreply@parley.invalid>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_TIMEOUT = _typed("EMAIL_TIMEOUT", env.int, default=20)

# --- Auth -----------------------------------------------------------------------
AUTH_USER_MODEL = "participants.User"
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
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# django-axes: 10 failures for one email within 15 minutes lock that email out.
AXES_FAILURE_LIMIT = _typed("AXES_FAILURE_LIMIT", env.int, default=10)
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "participants.authentication.sign_in_email"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_ENABLED = _typed("AXES_ENABLED", env.bool, default=True)

SILENCED_SYSTEM_CHECKS = [
    # Emails are unique case-insensitively (a functional unique constraint on
    # Lower(email)) and looked up with iexact, which a plain unique=True can't say.
    "auth.W004",
    # The lockout is per account, as the API promises ("10 failures for one email").
    # Locking by address would lock out everyone behind one NAT; addresses are
    # limited by the API's anonymous throttle instead.
    "axes.W006",
]

# Reset links asked for, per email asked about (whether or not it has an account) and
# per client address (core.throttling.client_address).
PASSWORD_RESET_RATE_EMAIL = _rate("PASSWORD_RESET_RATE_EMAIL", "3/hour")
PASSWORD_RESET_RATE_ADDRESS = _rate("PASSWORD_RESET_RATE_ADDRESS", "20/hour")

OTP_TOTP_ISSUER = "Parley"
# Platform admins (is_staff / superuser) see everyone's data in the Django admin: they
# must prove a second factor, on every page and for API tokens (participants.two_factor).
ADMIN_REQUIRE_TWO_FACTOR = _typed("ADMIN_REQUIRE_TWO_FACTOR", env.bool, default=not DEBUG)

# --- Static files -----------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- Security ---------------------------------------------------------------------
SECURE_SSL_REDIRECT = _typed("SECURE_SSL_REDIRECT", env.bool, default=not DEBUG)
SESSION_COOKIE_SECURE = _typed("SESSION_COOKIE_SECURE", env.bool, default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_HSTS_SECONDS = _typed("SECURE_HSTS_SECONDS", env.int, default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if _typed("SECURE_PROXY_SSL_HEADER", env.bool, default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
# No inline script or style anywhere: every page's code and styles are static files.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [csp_constants.SELF],
        "script-src": [csp_constants.SELF],
        "style-src": [csp_constants.SELF],
        "img-src": [csp_constants.SELF, "data:"],
        "font-src": [csp_constants.SELF],
        "connect-src": [csp_constants.SELF],
        "object-src": [csp_constants.NONE],
        "base-uri": [csp_constants.SELF],
        "form-action": [csp_constants.SELF],
        "frame-ancestors": [csp_constants.NONE],
    }
}

# --- REST framework -----------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "participants.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_PAGINATION_CLASS": "core.api.Pagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "core.openapi.ParleyAutoSchema",
    # JSON in, as the contract says (the browsable forms are not part of the API), with a
    # limit on nesting.
    "DEFAULT_PARSER_CLASSES": ["core.parsers.JSONParser"],
    # DRF's JSON, written faster (core/renderers.py).
    "DEFAULT_RENDERER_CLASSES": ["core.renderers.JSONRenderer",
                                 "rest_framework.renderers.BrowsableAPIRenderer"],
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "core.throttling.AnonRateThrottle",
        "core.throttling.UserRateThrottle",
    ],
    # How many proxies in front append to X-Forwarded-For; 0 trusts none of it, so
    # throttles count the connecting address (REMOTE_ADDR).
    "NUM_PROXIES": _typed("NUM_PROXIES", env.int, default=0),
    "DEFAULT_THROTTLE_RATES": {
        "anon": _rate("API_THROTTLE_ANON", "600/hour"),
        "user": _rate("API_THROTTLE_USER", "6000/hour"),
    },
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
if REST_FRAMEWORK["NUM_PROXIES"] < 0:
    raise ImproperlyConfigured("NUM_PROXIES must be 0 or more (the proxies in front of Parley)")
SPECTACULAR_SETTINGS = {
    "TITLE": "Parley API",
    "DESCRIPTION": "Programs, applications, dialogue sessions and reminders (v1).",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums",
                             "core.openapi.add_links"],
    # A text the server refuses blank says so: `minLength: 1`.
    "ENFORCE_NON_BLANK_FIELDS": True,
    # Path parameters as Django's converters match them: a slug is never blank (an empty
    # one would name another path: /organizations//members/ is not members of "").
    "PATH_CONVERTER_OVERRIDES": {
        "slug": {"type": "string", "pattern": "^[-a-zA-Z0-9_]+$"},
        "int": {"type": "integer", "minimum": 0},
        "str": {"type": "string", "pattern": "^[^/]+$"},
    },
    "ENUM_NAME_OVERRIDES": {
        "ProgramKindEnum": "exchanges.models.ProgramKind",
        "OutcomeKindEnum": "dialogues.models.OutcomeKind",
        "ReminderKindEnum": "dialogues.models.ReminderKind",
        "ApplicationStatusEnum": "exchanges.models.ApplicationStatus",
        "ProgramStatusEnum": "exchanges.models.ProgramStatus",
        "SessionStatusEnum": "dialogues.models.SessionStatus",
        "NotificationStatusEnum": "participants.models.NotificationStatus",
        "IncidentKindEnum": "exchanges.models.IncidentKind",
        "IncidentStatusEnum": "exchanges.models.IncidentStatus",
    },
}

# --- Celery -------------------------------------------------------------------------
_BROKER_DIR = VAR_DIR / "broker"
CELERY_BROKER_URL = _typed("CELERY_BROKER_URL", env.str, default="filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    for sub in ("in", "processed", "control"):
        (_BROKER_DIR / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "control_folder": str(_BROKER_DIR / "control"),
        "data_folder_in": str(_BROKER_DIR / "in"),
        "data_folder_out": str(_BROKER_DIR / "in"),
        "processed_folder": str(_BROKER_DIR / "processed"),
        "store_processed": False,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
# A task is acknowledged after it ran and re-queued if its worker dies: the
# dispatcher is idempotent (rows are claimed in the database), so a re-run is safe.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "dispatch-outbox": {
        "task": "participants.outbox.tasks.dispatch_outbox_task",
        "schedule": _typed("OUTBOX_DISPATCH_EVERY", env.float, default=30.0),
    },
    "open-survey-waves": {
        "task": "dialogues.evaluation.tasks.open_due_waves_task",
        "schedule": _typed("SURVEY_WAVES_EVERY", env.float, default=300.0),
    },
    "beat-heartbeat": {
        "task": "participants.outbox.tasks.beat_heartbeat_task",
        "schedule": _typed("BEAT_HEARTBEAT_EVERY", env.float, default=30.0),
    },
    "erase-expired-participants": {
        "task": "exchanges.tasks.erase_expired_participants_task",
        "schedule": crontab(hour=3, minute=15),
    },
}

# --- Outbox -------------------------------------------------------------------------
OUTBOX_BATCH_SIZE = _typed("OUTBOX_BATCH_SIZE", env.int, default=100)
OUTBOX_MAX_ATTEMPTS = _typed("OUTBOX_MAX_ATTEMPTS", env.int, default=6)
OUTBOX_LEASE_SECONDS = _typed("OUTBOX_LEASE_SECONDS", env.int, default=600)
OUTBOX_BACKOFF_SECONDS = _typed("OUTBOX_BACKOFF_SECONDS", env.float, default=60.0)
OUTBOX_BACKOFF_MAX_SECONDS = _typed("OUTBOX_BACKOFF_MAX_SECONDS", env.int, default=21600)
# A dispatcher run stops claiming after this long, well inside the task's soft limit.
OUTBOX_RUN_SECONDS = _typed("OUTBOX_RUN_SECONDS", env.int, default=120)

# --- Health and metrics --------------------------------------------------------------
# /healthz says "degraded" when the oldest due message has waited longer than this, or
# beat's last heartbeat is older than this (seconds).
HEALTH_OUTBOX_LAG_SECONDS = _typed("HEALTH_OUTBOX_LAG_SECONDS", env.float, default=300.0)
HEALTH_BEAT_TICK_SECONDS = _typed("HEALTH_BEAT_TICK_SECONDS", env.float, default=300.0)
# /metrics answers only these addresses or networks, or a request carrying
# `Authorization: Bearer <METRICS_TOKEN>`; anyone else gets 404.
METRICS_ALLOWED_IPS = _typed("METRICS_ALLOWED_IPS", env.list, default=["127.0.0.1", "::1"])
METRICS_TOKEN = _typed("METRICS_TOKEN", env.str, default="")
for _network in METRICS_ALLOWED_IPS:
    try:
        ipaddress.ip_network(_network, strict=False)
    except ValueError as _exc:
        raise ImproperlyConfigured(f"METRICS_ALLOWED_IPS has an invalid value: {_exc}") from None

# --- Site ---------------------------------------------------------------------------
# Links in emails; by default the address `make run` serves on (PORT, like bin/run-all).
PORT = _typed("PORT", env.int, default=8000)
SITE_URL = _typed("SITE_URL", env.str, default=f"http://127.0.0.1:{PORT}")
TERMS_VERSION = "2026-11"
# Invitations one person may send in 24 hours (anyone may found an organization, so
# this caps how much mail Parley sends to addresses on someone's say-so).
INVITATIONS_PER_DAY = _typed("INVITATIONS_PER_DAY", env.int, default=50)
PARLEY_REQUIRE_SERVICES = _typed("PARLEY_REQUIRE_SERVICES", env.bool, default=False)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": _typed("LOG_LEVEL", env.str, default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
    },
}
