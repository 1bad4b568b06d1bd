"""One settings module, driven by the environment. SQLite under var/ unless DATABASE_URL says otherwise.

Values are parsed strictly (healthchecks' `envbool`): a boolean that is not one of true/false/1/0/yes/no/on/off,
or a number that is not a number, stops start-up with a message naming the variable, instead of being read as
false. Production is told apart from development by `WAYPOINT_ENVIRONMENT=production` (or by
`WAYPOINT_HTTPS=true`: a site behind TLS is a real one); it refuses to start without `SECRET_KEY`. Development
(`make run`, the tests, `waypoint demo`) is the default and keeps a generated key in var/ (docs/operations.md).
"""

import hashlib
import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("WAYPOINT_VAR_DIR", BASE_DIR / "var"))

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    word = value.strip().lower()
    if word not in TRUE_WORDS | FALSE_WORDS:
        raise ImproperlyConfigured(f"{name}={value!r} is not a yes/no value: use true or false.")
    return word in TRUE_WORDS


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    try:
        return default if value is None else int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not a whole number.") from None


def env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    try:
        return default if value is None else float(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not a number.") from None


def env_list(name: str, default: str = "") -> list[str]:
    return [part.strip() for part in os.environ.get(name, default).split(",") if part.strip()]


def env_choice(name: str, choices: tuple[str, ...], default: str) -> str:
    value = os.environ.get(name, default).strip().lower()
    if value not in choices:
        raise ImproperlyConfigured(f"{name}={value!r} is not one of: {', '.join(choices)}.")
    return value


def dev_secret_key() -> str:
    """A random key kept in var/ so that a development install needs no configuration (never in production)."""
    VAR_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


def required(name: str, why: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise ImproperlyConfigured(f"{name} is not set: {why}")
    return value


# Files Waypoint creates (the SQLite database, bulk-export files, backups, the development key) are readable by
# the service user only: the process umask is 077 (set here, so every entry point gets it: `waypoint`, WSGI,
# the worker), and export and backup files are also created with mode 0600 explicitly.
os.umask(0o077)

HTTPS = env_bool("WAYPOINT_HTTPS", False)
PRODUCTION = env_choice("WAYPOINT_ENVIRONMENT", ("development", "production"), "development") == "production" or HTTPS
DEBUG = env_bool("DEBUG", False)
if PRODUCTION:
    SECRET_KEY = required("SECRET_KEY", "production needs its own secret key (at least 50 random characters).")
else:
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
    "django_otp_webauthn",
    "waypoint.accounts",
    "waypoint.privacy",
    "waypoint.regulatory",
    "waypoint.patients",
    "waypoint.withdrawal",
    "waypoint.placements",
    "waypoint.screening",
    "waypoint.treatment",
    "waypoint.fhir",
    "waypoint.bulk",
    "waypoint.drug_screens",
    "waypoint.medication",
    "waypoint.comfort",
    "waypoint.dispensing",
    "waypoint.aftercare",
    "waypoint.outcomes",
    "waypoint.reliability",
    "waypoint.web",
    "waypoint.site",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "waypoint.web.security.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "waypoint.web.security.NoStoreMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "waypoint.accounts.session_store.AuthenticationMiddleware",  # the session's user from its one query
    "waypoint.accounts.sessions.HtmxSignInRedirectMiddleware",
    "waypoint.accounts.typed_entries.KeepTypedEntriesMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "waypoint.accounts.session_store.SecondFactorMiddleware",  # django-otp's, the device from the session's query
    "waypoint.web.middleware.ProgramContextMiddleware",
    "waypoint.accounts.sessions.SessionTimeoutMiddleware",
    "waypoint.accounts.two_factor.TwoFactorRequiredMiddleware",
    "waypoint.privacy.audit_middleware.AccessAuditMiddleware",
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
                "waypoint.web.context.replica",
                "waypoint.accounts.sessions.idle_warning",
                "waypoint.site.navigation.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'waypoint.sqlite3'}",
        conn_max_age=env_int("CONN_MAX_AGE", 60),
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
    # Server-side binding (docs/performance.md "Prepared statements"): the parameters travel apart from the SQL, so a
    # query run again has the same text and psycopg prepares it after its fifth run on a connection: PostgreSQL plans
    # it once, not on every request (the dosing queue's query spent 2.7 ms of its 10 planning). Not for PgBouncer in
    # transaction mode (prepared statements live on a server connection): turn it off there.
    DATABASES["default"].setdefault("OPTIONS", {})["server_side_binding"] = env_bool(
        "DATABASE_SERVER_SIDE_BINDING", True
    )
    # The planner's price of reading a page out of order (PostgreSQL's default, 4, prices a spinning disk): the
    # database's working set sits in memory or on SSD, where a random read costs about a sequential one (PostgreSQL's
    # documentation suggests 1.1 for SSD). At the default the board, with 42,010 patients, hashed every patient of
    # the program to join 500 stays to their names (docs/performance.md "The board at full scale"). Empty: the server's.
    random_page_cost = os.environ.get("DATABASE_RANDOM_PAGE_COST", "1.1").strip()
    if random_page_cost:
        float(random_page_cost)  # a number, or the settings fail to load here, naming nothing else
        DATABASES["default"]["OPTIONS"]["options"] = f"-c random_page_cost={random_page_cost}"
if env_bool("WAYPOINT_TESTING"):
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # live-server threads must not hold the test database open
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The SQLite test database is a file, not memory, so that a `waypoint worker` started by a test as a
    # separate process works on the same data (tests/…/test_worker*.py).
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test_waypoint.sqlite3")}
# A streaming read replica of the PostgreSQL primary (docs/operations.md "A read replica"): reports, the outcomes
# dashboard, FHIR search and the bulk export read it (waypoint/records/replica.py decides which reads may); every
# write and every read that must see the user's own writes stays on the primary. Without it nothing changes.
if os.environ.get("DATABASE_REPLICA_URL"):
    if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured("DATABASE_REPLICA_URL needs a PostgreSQL DATABASE_URL (a replica of it).")
    DATABASES["replica"] = dj_database_url.parse(
        os.environ["DATABASE_REPLICA_URL"],
        conn_max_age=DATABASES["default"]["CONN_MAX_AGE"],
        conn_health_checks=True,
    )
    DATABASES["replica"].setdefault("OPTIONS", {})["server_side_binding"] = DATABASES["default"]["OPTIONS"][
        "server_side_binding"
    ]
    if "options" in DATABASES["default"]["OPTIONS"]:  # the replica plans the same reads the same way
        DATABASES["replica"]["OPTIONS"]["options"] = DATABASES["default"]["OPTIONS"]["options"]
    if DATABASES["replica"]["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured("DATABASE_REPLICA_URL must be a postgres:// address (a streaming replica).")
    # the tests (if ever run with it) read the test database through both aliases
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["waypoint.records.replica.ReplicaRouter"]
# A page that read the replica says so when it was more than this many seconds behind the primary.
REPLICA_LAG_NOTE_SECONDS = env_float("WAYPOINT_REPLICA_LAG_NOTE_SECONDS", 10)
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
    "waypoint.accounts.backends.ModelBackend",  # Django's, with the user read by the session's one query
]
# Lockout (django-axes, accounts/lockout.py): after AXES_FAILURE_LIMIT failed sign-ins for one username from one
# address, that username is refused from that address, even with the right password, for the cool-off time (a
# guesser elsewhere cannot lock staff out); after WAYPOINT_ADDRESS_LOCKOUT_FAILURES failures from one address over
# all usernames, that address is refused (password spraying).
AXES_FAILURE_LIMIT = env_int("WAYPOINT_LOCKOUT_FAILURES", 5)
AXES_COOLOFF_TIME = env_float("WAYPOINT_LOCKOUT_HOURS", 0.25)  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_HANDLER = "waypoint.accounts.lockout.AccountAndAddressHandler"
WAYPOINT_ADDRESS_LOCKOUT_FAILURES = env_int("WAYPOINT_ADDRESS_LOCKOUT_FAILURES", 30)
# The count is reset only when the second factor is passed too (accounts/two_factor.py): a right password alone
# must not wipe the failures of the TOTP step, which count against the same username.
AXES_RESET_ON_SUCCESS = False
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "token"]
AXES_VERBOSE = False
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# Two-factor sign-in (django-otp, TOTP): every staff account enrols an authenticator app; see accounts/two_factor.py.
OTP_TOTP_ISSUER = "Waypoint"
OTP_TOTP_THROTTLE_FACTOR = 1  # seconds, doubling after each failed code (django-otp), besides the lockout
# Passkeys (django-otp-webauthn) as the second factor instead of a code (accounts/passkeys.py), never instead of
# the password. The relying party id is the site's domain (a passkey works only there: changing it means every
# passkey is registered again); the origins are the exact addresses people sign in at, https:// only but for
# http://localhost in development (docs/operations.md).
OTP_WEBAUTHN_RP_ID = os.environ.get("WAYPOINT_PASSKEY_RP_ID", "localhost").strip()
OTP_WEBAUTHN_RP_NAME = os.environ.get("WAYPOINT_PASSKEY_RP_NAME", "Waypoint").strip()
OTP_WEBAUTHN_ALLOWED_ORIGINS = env_list("WAYPOINT_PASSKEY_ORIGINS", "http://localhost:8000")
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False

# The key that signs the audit chain's checkpoints (audit/signing.py), kept out of the database. Empty: a
# development key generated in var/audit_key (mode 0600). Production refuses to start without it (docs/operations.md).
if PRODUCTION:
    WAYPOINT_AUDIT_KEY = required(
        "WAYPOINT_AUDIT_KEY", "production signs the audit trail with a key kept outside the database."
    )
else:
    WAYPOINT_AUDIT_KEY = os.environ.get("WAYPOINT_AUDIT_KEY", "")

# FHIR Bulk Data export (waypoint.bulk): where the NDJSON files are written, rows per keyset page, how long a
# worker's lease on a job lasts without a committed page, and how long finished files are kept.
BULK_EXPORT_DIR = Path(os.environ.get("WAYPOINT_EXPORT_DIR", VAR_DIR / "exports"))
BULK_PAGE_SIZE = env_int("WAYPOINT_EXPORT_PAGE_SIZE", 1000)
BULK_LEASE_SECONDS = env_int("WAYPOINT_EXPORT_LEASE_SECONDS", 120)
BULK_RETENTION_HOURS = env_float("WAYPOINT_EXPORT_RETENTION_HOURS", 24)
BULK_MAX_ACTIVE_PER_USER = env_int("WAYPOINT_EXPORT_MAX_ACTIVE", 3)  # more: 429 until one ends
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

# Sessions and cookies. HTTPS-only flags follow WAYPOINT_HTTPS (set it behind TLS in production; read above).
# Database sessions with the user as a column: session, user, memberships and care teams in one query
# (waypoint/accounts/session_store.py, accounts.asking).
SESSION_ENGINE = "waypoint.accounts.session_store"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SESSION_COOKIE_AGE = 12 * 60 * 60
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_HSTS_SECONDS = 31536000 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
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
    "DEFAULT_PARSER_CLASSES": ["waypoint.web.parsers.BoundedJSONParser"],  # size and nesting bounded
    "DEFAULT_SCHEMA_CLASS": "waypoint.web.schema.WaypointAutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.CursorPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "waypoint.web.api.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
# SMART Backend Services: fetch an external system's key set from its registered jwks_url (https) when a
# client assertion names a key not stored. Off by default: the key set stored at registration is enough.
SMART_JWKS_URL_FETCH = env_bool("WAYPOINT_SMART_JWKS_URL_FETCH", False)
# The token endpoint answers no one: past SMART_TOKEN_FAILURES refused token requests from one address within
# SMART_TOKEN_COOLOFF_MINUTES, that address's requests are answered 429 (Retry-After) without being checked, so a
# flood of bad assertions neither costs a signature check (or a key-set fetch) each nor fills the audit trail.
# 20 is well above a misconfigured client's retries.
SMART_TOKEN_FAILURES = env_int("WAYPOINT_SMART_TOKEN_FAILURES", 20)
SMART_TOKEN_COOLOFF_MINUTES = env_float("WAYPOINT_SMART_TOKEN_COOLOFF_MINUTES", 15)
# How long an Idempotency-Key (API) or form token (pages) is remembered: the window in which a retry is
# recognised as one. 24 hours covers a client that lost its connection overnight (waypoint.reliability).
IDEMPOTENCY_KEY_HOURS = env_int("IDEMPOTENCY_KEY_HOURS", 24)

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
        "waypoint.web.schema.fhir_operation_paths",
    ],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# Central-registry reports (42 CFR 2.34, waypoint/regulatory/registry.py): the transport, and the file drop's
# directory.
REGULATORY_REGISTRY_ADAPTER = os.environ.get(
    "WAYPOINT_REGISTRY_ADAPTER", "waypoint.regulatory.registry.FileDropAdapter"
)
REGULATORY_REGISTRY_DIR = Path(os.environ.get("WAYPOINT_REGISTRY_DIR", VAR_DIR / "registry"))
