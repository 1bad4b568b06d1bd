"""One settings module, driven by the environment. SQLite under var/ unless DATABASE_URL says otherwise."""

import hashlib
import os
import secrets
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("WAYPOINT_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [part.strip() for part in os.environ.get(name, default).split(",") if part.strip()]


def dev_secret_key() -> str:
    """A random key kept in var/ so that a development install needs no configuration."""
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = os.environ.get("SECRET_KEY") or dev_secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "django_htmx",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "waypoint.accounts",
    "waypoint.privacy",
    "waypoint.patients",
    "waypoint.withdrawal",
    "waypoint.placements",
    "waypoint.screening",
    "waypoint.treatment",
    "waypoint.fhir",
    "waypoint.bulk",
    "waypoint.drug_screens",
    "waypoint.medication",
    "waypoint.outcomes",
    "waypoint.reliability",
    "waypoint.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "waypoint.web.security.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "waypoint.accounts.sessions.HtmxSignInRedirectMiddleware",
    "waypoint.accounts.typed_entries.KeepTypedEntriesMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "waypoint.web.middleware.ProgramContextMiddleware",
    "waypoint.accounts.sessions.SessionTimeoutMiddleware",
    "waypoint.accounts.two_factor.TwoFactorRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "waypoint.reliability.middleware.FormTokenMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "waypoint.urls"
WSGI_APPLICATION = "waypoint.wsgi.application"

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
                "waypoint.web.context.program",
                "waypoint.accounts.sessions.idle_warning",
                "waypoint.web.navigation.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'waypoint.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE: a writer takes the lock when its transaction starts, so the audit chain's
    # read-the-last-hash-then-append is never interleaved with another writer.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # One test database per checkout, so that two clones can run their suites at once.
    checkout = hashlib.sha256(str(BASE_DIR).encode()).hexdigest()[:8]
    DATABASES["default"]["TEST"] = {"NAME": f"test_waypoint_{checkout}"}
if env_bool("WAYPOINT_TESTING"):
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # live-server threads must not hold the test database open
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The SQLite test database is a file, not memory, so that a `waypoint worker` started by a test as a
    # separate process works on the same data (tests/…/test_worker*.py).
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test_waypoint.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if env_bool("WAYPOINT_TESTING"):
    PASSWORD_HASHERS = ["waypoint.accounts.hashers.QuickArgon2ForTests", *PASSWORD_HASHERS]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "waypoint.accounts.validators.MaximumLengthValidator", "OPTIONS": {"max_length": 128}},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses sign-in while an account is locked out
    "django.contrib.auth.backends.ModelBackend",
]
# Lockout (django-axes): after AXES_FAILURE_LIMIT failed sign-ins for one username, that username is refused,
# even with the right password, for the cool-off time. Per username, not per address: the staff of a clinic
# share one public address, and a guesser may use many.
AXES_FAILURE_LIMIT = int(os.environ.get("WAYPOINT_LOCKOUT_FAILURES", "5"))
AXES_COOLOFF_TIME = float(os.environ.get("WAYPOINT_LOCKOUT_HOURS", "0.25"))  # hours
AXES_LOCKOUT_PARAMETERS = ["username"]
# The count is reset only when the second factor is passed too (accounts/two_factor.py): a right password alone
# must not wipe the failures of the TOTP step, which count against the same username.
AXES_RESET_ON_SUCCESS = False
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "token"]
AXES_VERBOSE = False
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# Two-factor sign-in (django-otp, TOTP): every staff account enrols an authenticator app; see accounts/two_factor.py.
OTP_TOTP_ISSUER = "Waypoint"
OTP_TOTP_THROTTLE_FACTOR = 1  # seconds, doubling after each failed code (django-otp), besides the lockout
# axes.W006 asks for ip_address among the lockout parameters; the lock here is per username on purpose (above).
SILENCED_SYSTEM_CHECKS = ["axes.W006"]

# FHIR Bulk Data export (waypoint.bulk): where the NDJSON files are written, rows per keyset page, how long a
# worker's lease on a job lasts without a committed page, and how long finished files are kept.
BULK_EXPORT_DIR = Path(os.environ.get("WAYPOINT_EXPORT_DIR", VAR_DIR / "exports"))
BULK_PAGE_SIZE = int(os.environ.get("WAYPOINT_EXPORT_PAGE_SIZE", "1000"))
BULK_LEASE_SECONDS = int(os.environ.get("WAYPOINT_EXPORT_LEASE_SECONDS", "120"))
BULK_RETENTION_HOURS = float(os.environ.get("WAYPOINT_EXPORT_RETENTION_HOURS", "24"))
BULK_MAX_ACTIVE_PER_USER = int(os.environ.get("WAYPOINT_EXPORT_MAX_ACTIVE", "3"))  # more: 429 until one ends
BULK_FSYNC = env_bool("WAYPOINT_EXPORT_FSYNC", True)  # each page reaches the disk before its checkpoint commits

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG and not env_bool("WAYPOINT_TESTING")
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = True

# Sessions and cookies. HTTPS-only flags follow WAYPOINT_HTTPS (set it behind TLS in production).
HTTPS = env_bool("WAYPOINT_HTTPS", False)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SESSION_COOKIE_AGE = 12 * 60 * 60
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_HSTS_SECONDS = 31536000 if HTTPS else 0
SECURE_SSL_REDIRECT = HTTPS and not env_bool("WAYPOINT_BEHIND_PROXY_TLS", False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "waypoint.accounts.tokens.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "waypoint.web.schema.WaypointAutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.CursorPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "waypoint.web.api.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
# How long an Idempotency-Key (API) or form token (pages) is remembered: the window in which a retry is
# recognised as one. 24 hours covers a client that lost its connection overnight (waypoint.reliability).
IDEMPOTENCY_KEY_HOURS = int(os.environ.get("IDEMPOTENCY_KEY_HOURS", "24"))

SPECTACULAR_SETTINGS = {
    "TITLE": "Waypoint API",
    "DESCRIPTION": "The clinical records of an opioid addiction treatment program. "
    "Substance use disorder records: 42 CFR Part 2 applies.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "waypoint.reliability.schema.document_idempotency_key",
    ],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
