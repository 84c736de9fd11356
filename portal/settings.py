"""Settings, read from environment variables only (docs/SETTINGS.md lists them).

Two switches shape everything else: PORTAL_MODE (client or admin) and
PORTAL_ENV (development or production). Production refuses to start without
the secrets it cannot invent safely.
"""

import os
import secrets
import sys
from datetime import timedelta
from pathlib import Path

from portal.dbserver import DatabaseLocation, django_database, embedded_database_url
from portal.lib.env import (
    ConfigError,
    env_bool,
    env_choice,
    env_datetime,
    env_float,
    env_int,
    env_list,
    env_str,
)

BASE_DIR = Path(__file__).resolve().parent.parent

PORTAL_MODE = env_choice("PORTAL_MODE", "client", ("client", "admin"))
PORTAL_ENV = env_choice("PORTAL_ENV", "development", ("development", "production"))
PRODUCTION = PORTAL_ENV == "production"
# A pytest process is a test run: plugins import these settings before any
# conftest could set a variable, so the check cannot rely on one alone.
TESTING = env_bool("PORTAL_TESTING", False) or "pytest" in sys.modules

VAR_DIR = Path(env_str("PORTAL_VAR_DIR") or BASE_DIR / "var").resolve()


def _require_in_production(name: str) -> str:
    value = env_str(name)
    if PRODUCTION and not value:
        raise ConfigError(f"{name} must be set when PORTAL_ENV=production")
    return value


def _development_secret_key() -> str:
    """A random key kept under var/, so sessions survive restarts in development."""
    path = VAR_DIR / "secret_key"
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _require_in_production("PORTAL_SECRET_KEY") or _development_secret_key()
DEBUG = env_bool("PORTAL_DEBUG", False)
ALLOWED_HOSTS = env_list("PORTAL_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("PORTAL_CSRF_TRUSTED_ORIGINS")

PORTAL_ADMIN_EMAIL = env_str("PORTAL_ADMIN_EMAIL", "admin@example.com")
PORTAL_ADMIN_PASSWORD = _require_in_production("PORTAL_ADMIN_PASSWORD")


def _database_location() -> DatabaseLocation:
    test_url = env_str("TEST_DATABASE_URL")
    if TESTING and test_url:
        return DatabaseLocation(test_url, "test-url")

    url = _require_in_production("DATABASE_URL")
    if url:
        return DatabaseLocation(url, "url")
    return DatabaseLocation(embedded_database_url(VAR_DIR / "pgdata"), "embedded")


DATABASE_LOCATION = _database_location()
DATABASES = {"default": django_database(DATABASE_LOCATION.url)}
# One test database per test run, so two runs against one server cannot drop
# each other's database.
DATABASES["default"]["TEST"] = {"NAME": f"test_portal_{os.getpid()}"}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "ninja",  # serves the API docs' Swagger UI from static files, as the CSP requires
    "django_htmx",
    "template_partials",
    "csp",
    "procrastinate.contrib.django",
    "axes",
    "portal.accounts",
    "portal.branding",
    "portal.audit",
    "portal.metering",
    "portal.ingest",
    "portal.tariffs",
    "portal.web",
    "portal.worker",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "portal.ingest.middleware.ApiBodyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it answers a locked-out sign-in.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.branding.context.branding",
            ],
        },
    }
]

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # Refuses sign-ins while an account or an address is locked out.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# Failed sign-ins: after this many for one account, or from one address, that
# account or address waits before it may try again.
AXES_FAILURE_LIMIT = env_int("PORTAL_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(
    minutes=env_int("PORTAL_LOGIN_COOLOFF_MINUTES", 15, minimum=1)
)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_USERNAME_FORM_FIELD = "username"
# Case variants of one address are one account to the throttle too.
AXES_USERNAME_CALLABLE = "portal.accounts.signals.sign_in_name"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False  # the portal logs its own warning (accounts.sign_in_locked)
# Behind a reverse proxy every request comes from the proxy's address: name
# how many proxies stand in front, so the client's own address is used.
PORTAL_PROXY_COUNT = env_int("PORTAL_PROXY_COUNT", 0, minimum=0)
if PORTAL_PROXY_COUNT:
    AXES_IPWARE_PROXY_COUNT = PORTAL_PROXY_COUNT
    AXES_IPWARE_PROXY_ORDER = "right-most"
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"
_VALIDATION = "django.contrib.auth.password_validation"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"{_VALIDATION}.UserAttributeSimilarityValidator"},
    {"NAME": f"{_VALIDATION}.MinimumLengthValidator"},
    {"NAME": f"{_VALIDATION}.CommonPasswordValidator"},
    {"NAME": f"{_VALIDATION}.NumericPasswordValidator"},
]

if TESTING:
    # A slow hash is the point in production and only a cost in the tests.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

# Uploaded files (the logo): outside the code, so upgrades keep them.
PORTAL_MEDIA_DIR = Path(env_str("PORTAL_MEDIA_DIR") or VAR_DIR / "media").resolve()

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns when it is missing
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage",
    },
}
# Serve straight from the app folders, so no collectstatic step is needed.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# Request bodies: the ingest API checks its own, larger limit.
PORTAL_MAX_BODY_BYTES = env_int("PORTAL_MAX_BODY_BYTES", 20_000_000, minimum=1024)
PORTAL_MAX_BATCH_READINGS = env_int("PORTAL_MAX_BATCH_READINGS", 20_000, minimum=1)
PORTAL_MAX_UPLOAD_BYTES = env_int("PORTAL_MAX_UPLOAD_BYTES", 200_000_000, minimum=1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_TEMP_DIR = None

# Readings before this instant are refused: a meter clock at its factory date.
# It also bounds how many monthly partitions one batch can create.
PORTAL_EARLIEST_READING = env_datetime(
    "PORTAL_EARLIEST_READING", "2000-01-01T00:00:00Z"
)

# A reading stamped further ahead than this is refused: the meter's clock is wrong.
PORTAL_FUTURE_MARGIN_SECONDS = env_int("PORTAL_FUTURE_MARGIN_SECONDS", 300, minimum=0)

# Energy-engine defaults; each device may override them.
PORTAL_DEFAULT_MAX_POWER_KW = env_float(
    "PORTAL_DEFAULT_MAX_POWER_KW", 10_000.0, minimum=0.001
)
PORTAL_DEFAULT_JITTER_KWH = env_float("PORTAL_DEFAULT_JITTER_KWH", 1.0, minimum=0.0)
PORTAL_DEFAULT_GAP_SECONDS = env_int("PORTAL_DEFAULT_GAP_SECONDS", 3600, minimum=60)

PORTAL_BIND = env_str("PORTAL_BIND", "127.0.0.1:8000")
PORTAL_WEB_WORKERS = env_int("PORTAL_WEB_WORKERS", 2, minimum=1)
PORTAL_WORKER_CONCURRENCY = env_int("PORTAL_WORKER_CONCURRENCY", 1, minimum=1)

# Sessions end after this long without a request: every request renews it.
SESSION_COOKIE_AGE = env_int("PORTAL_SESSION_IDLE_SECONDS", 24 * 3600, minimum=60)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("PORTAL_HSTS_SECONDS", 31_536_000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("PORTAL_SSL_REDIRECT", True)
    SECURE_REDIRECT_EXEMPT = [r"^health"]

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

PROCRASTINATE_WORKER_DEFAULTS = {"concurrency": PORTAL_WORKER_CONCURRENCY}

LOG_LEVEL = env_choice(
    "PORTAL_LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR")
)
# The long-running processes log to stdout; other commands log to stderr so
# their own output (a key's secret, a list) stays clean for scripts.
LOG_STREAM = env_choice("PORTAL_LOG_STREAM", "stdout", ("stdout", "stderr"))
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {
            "()": "portal.lib.logs.JsonFormatter",
        },
    },
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "stream": f"ext://sys.{LOG_STREAM}",
            "formatter": "json",
        },
    },
    "root": {"handlers": ["stdout"], "level": LOG_LEVEL},
    "loggers": {
        "django.request": {"level": "ERROR"},
        "django.server": {"level": "WARNING"},
        "procrastinate": {"level": "WARNING"},
        # Its lines are free text; the portal logs accounts.sign_in_locked.
        "axes": {"level": "ERROR"},
        "gunicorn.access": {"level": "WARNING"},
        "gunicorn.error": {"handlers": ["stdout"], "level": "INFO", "propagate": False},
    },
}

os.environ.setdefault("PORTAL_DATABASE_HOW", DATABASE_LOCATION.how)
