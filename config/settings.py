"""Majlis settings.

Everything that differs between a laptop and production comes from environment variables. With none set,
Majlis runs embedded: SQLite (WAL), the in-memory channel layer and a local-memory cache, in one process.
See docs/operations.md for the production variables.
"""

import contextlib
import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [part.strip() for part in os.environ.get(name, default).split(",") if part.strip()]


# Three ways to run (docs/operations.md, *Modes*):
# - embedded, DEBUG unset (`make run`, a laptop in a hall): no debug page (the translated 404 and 500 pages),
#   static files compressed and cached; served over plain HTTP on this machine, with its own key file and mail
#   printed to the console;
# - development, DEBUG=1 (`DEBUG=1 make run`): Django's debug pages, static files read from the apps;
# - production, DEBUG=0: a public HTTPS site: SECRET_KEY and ALLOWED_HOSTS required, secure cookies, HSTS, SMTP,
#   a second factor for city administrators.
DEBUG = env_bool("DEBUG", False)
PRODUCTION = os.environ.get("DEBUG", "").strip() != "" and not DEBUG
TESTING = env_bool("MAJLIS_TESTING", False)


def development_secret_key(path: Path) -> str:
    """The key kept in path (mode 0600), made at random the first time and read on every later start.

    Without SECRET_KEY (outside production) this key signs sessions, participant tokens and check-in codes: it
    must be as unguessable as a production key, and stable, or every restart would sign everybody out. Made atomically
    (written to a private file, then linked into place), so that processes starting together agree on one key.
    """
    for _attempt in range(2):  # read; else make it (or lose the race to another process) and read
        try:
            key = path.read_text(encoding="ascii").strip()
        except FileNotFoundError:
            key = ""
        if key:
            if path.stat().st_mode & 0o077:  # readable by others (copied, or made by hand): make it private again
                path.chmod(0o600)
            return key
        if path.exists():  # never half-written by us (the key is linked into place whole): made by hand
            raise ImproperlyConfigured(f"The development key file {path} is empty: delete it to make a new key.")
        path.parent.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f".{path.name}.{os.getpid()}.new")
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(descriptor, "w", encoding="ascii") as handle:
                handle.write(secrets.token_urlsafe(48) + "\n")
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(draft, 0o600)
            with contextlib.suppress(FileExistsError):  # another process made the key first: that one is read
                os.link(draft, path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(draft)
    raise ImproperlyConfigured(f"Could not read or create the development key file {path}.")


SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG=0.")
    # Embedded and development (make run): a random key made once and kept in a git-ignored file beside db.sqlite3
    # (or where SECRET_KEY_FILE says). Production sets SECRET_KEY and never reads the file.
    SECRET_KEY = development_secret_key(Path(os.environ.get("SECRET_KEY_FILE") or BASE_DIR / ".secret_key"))

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# Public base URL used in join links and QR codes when there is no request (commands, exports).
SITE_URL = os.environ.get(
    "SITE_URL", f"http://{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
).rstrip("/")

INSTALLED_APPS = [
    "cities.apps.MajlisAdminConfig",  # django.contrib.admin, signed in through allauth with 2FA only
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "channels",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    # Majlis
    "cities",
    "consultations",
    "councils",
    "proposals",
    "frontend",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "frontend.middleware_security.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "frontend.middleware.LanguageFromQueryMiddleware",
    "cities.middleware.RefuseNulBytesMiddleware",  # before anything reads the query, cookies or form
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "frontend.errors.DomainErrorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "cities.middleware.RequireAdminTwoFactorMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # frontend's templates first, so that they override the allauth pages with our layout.
        "DIRS": [BASE_DIR / "frontend" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "frontend.context_processors.layout",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------------------
# DATABASE_URL accepts sqlite:///path and postgres://user@host/db. The embedded default is SQLite in WAL
# mode with a busy timeout and IMMEDIATE transactions, so concurrent writers queue instead of failing
# with "database is locked".
DATABASE_URL = os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=0)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Django's SQLite backend with an in-process write gate (config/sqlite/base.py).
    DATABASES["default"]["ENGINE"] = "config.sqlite"
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            # secure_delete: deleted rows are overwritten with zeros, so the file keeps no earlier state of a
            # rewritten council ballot urn (councils.services._urn_rewrite; docs/councils.md).
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000; PRAGMA foreign_keys=ON;"
                " PRAGMA secure_delete=ON;"
            ),
        }
    )
else:
    # A connection pool per process (psycopg_pool): under ASGI every request runs in a thread of its own, so
    # persistent per-thread connections (CONN_MAX_AGE) would pile up until PostgreSQL refuses new clients.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": int(os.environ.get("DB_POOL_MIN", "2")),
        "max_size": int(os.environ.get("DB_POOL_MAX", "20")),
        "timeout": float(os.environ.get("DB_POOL_TIMEOUT", "20")),
    }
    test_name = os.environ.get("TEST_DATABASE_NAME")
    if test_name:
        DATABASES["default"]["TEST"] = {"NAME": test_name}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "cities.User"

# --- Channels and cache ---------------------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # redis-py 8 times reads out after 5 s, exactly channels-redis' blocking-pop timeout: give reads
                # more time than the pop, so idle receives do not fail.
                "hosts": [{"address": REDIS_URL, "socket_timeout": 15, "socket_connect_timeout": 5}],
                "capacity": 1000,
                "expiry": 30,
                "prefix": os.environ.get("CHANNELS_PREFIX", "majlis"),
            },
        }
    }
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CACHE_PREFIX", "majlis"),
            "OPTIONS": {"max_connections": int(os.environ.get("REDIS_MAX_CONNECTIONS", "200"))},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer", "CONFIG": {"capacity": 1000}}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "majlis"}}

# --- Authentication -------------------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "frontend:dashboard"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = os.environ.get("ACCOUNT_EMAIL_VERIFICATION", "mandatory")
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Majlis] "
ACCOUNT_ADAPTER = "cities.adapters.AccountAdapter"
# Failed sign-ins: 10 a minute per address, and 5 in 5 minutes per address and account ("key" is both, see
# cities/adapters.py), so nobody can lock a staff account from another address.
ACCOUNT_RATE_LIMITS = {} if TESTING else {"login_failed": "10/m/ip,5/5m/key"}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Majlis"
# When on, city administrators must set up TOTP before they reach any staff page; superusers always must, and the
# Django admin always requires a session that passed a second factor (cities/admin_site.py).
MAJLIS_REQUIRE_ADMIN_2FA = env_bool("MAJLIS_REQUIRE_ADMIN_2FA", PRODUCTION)

EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend" if PRODUCTION else "django.core.mail.backends.console.EmailBackend",
)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "majlis@localhost")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))

# --- Languages ------------------------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("ar", _("Arabic")), ("fr", _("French")), ("en", _("English"))]
LANGUAGES_BIDI = ["ar"]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True
LANGUAGE_COOKIE_NAME = "majlis_language"
LANGUAGE_COOKIE_SAMESITE = "Lax"

# --- Static files ---------------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT") or BASE_DIR / "staticfiles")
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG or TESTING
# A file missing from the manifest (collectstatic not run yet) is served by its plain name, not a 500.
WHITENOISE_MANIFEST_STRICT = False

# --- REST API -------------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "cities.authentication.StaffTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Deny by default: every view states who may call it.
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "EXCEPTION_HANDLER": "cities.api.exceptions.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Majlis API",
    "DESCRIPTION": "Live youth consultations, youth councils and seed-funded projects. See docs/api.md.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    # One name per choice set shared by several serializers (keeps the schema free of collision warnings).
    "ENUM_NAME_OVERRIDES": {
        "SessionPhaseEnum": "consultations.models.Phase",
        "VotingMethodEnum": "consultations.models.VotingMethod",
        "ItemKindEnum": "consultations.models.ItemKind",
        "ItemStatusEnum": "consultations.models.ItemStatus",
        "FundingCallPhaseEnum": "proposals.models.CallPhase",
        "FundingVoteMethodEnum": "proposals.models.VoteMethod",
        "ProposalStatusEnum": "proposals.models.ProposalStatus",
        "ProjectStatusEnum": "proposals.models.ProjectStatus",
        "TrancheStatusEnum": "proposals.models.TrancheStatus",
        "MilestoneStatusEnum": "proposals.models.MilestoneStatus",
        "MembershipStatusEnum": "councils.models.MembershipStatus",
        "ElectionStatusEnum": "councils.models.ElectionStatus",
    },
}

# --- Security -------------------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Content-Security-Policy and Permissions-Policy (frontend/middleware_security.py, docs/security.md): directives
# given here replace the defaults, e.g. {"img-src": ["'self'", "data:", "https://tiles.example.org"]}.
MAJLIS_CSP: dict[str, list[str]] = {}
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)

# --- Logging --------------------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.server": {"level": "WARNING"}},
}

# --- Majlis ---------------------------------------------------------------------------------------------
# Shortest time between two pushes of a session's state (consultations/live/hub.py), in a small room; longer while
# reads and socket writes take longer, and in a large room up to MAJLIS_REALTIME_LARGE_TICK, reached when a process
# holds 500 screens (realtime.LARGE_ROOM). With Redis (several workers) each push costs every worker a read and a write
# per socket while the same cores commit the ballots: a room of 2,000 on 2 workers keeps up better with 0.2 s than
# with 0.1 s, while a room of 200 gets its states sooner at 0.1 s (docs/benchmarks.md, settings the figures depend
# on). Embedded (one process, no Redis): 0.1 s whatever the room.
MAJLIS_REALTIME_TICK = float(os.environ.get("MAJLIS_REALTIME_TICK", "0.1"))
MAJLIS_REALTIME_LARGE_TICK = float(
    os.environ.get("MAJLIS_REALTIME_LARGE_TICK", "0.2" if REDIS_URL else str(MAJLIS_REALTIME_TICK))
)
# How long a thread may hold the interpreter before another that waits gets it (sys.setswitchinterval, applied by
# config/asgi.py in each server process). Python's 5 ms default makes the ballot box's writer thread, back from each
# of its round trips to the database, wait up to that long for the event loop thread: eight round trips a group.
# 0.5 ms shortens the server's own handling of a vote in a burst of 2,000 (docs/benchmarks.md, settings the figures
# depend on).
MAJLIS_GIL_SWITCH_INTERVAL = float(os.environ.get("MAJLIS_GIL_SWITCH_INTERVAL", "0.0005"))


def _gc_thresholds(raw: str) -> tuple[int, int, int]:
    """Three whole numbers above 0, separated by commas, as gc.set_threshold takes them."""
    try:
        values = tuple(int(part) for part in raw.split(","))
    except ValueError:
        values = ()
    if len(values) != 3 or min(values) < 1:
        raise ImproperlyConfigured(
            f"MAJLIS_GC_THRESHOLDS must be three whole numbers above 0, such as 20000,20,10: {raw!r}"
        )
    return values


# The garbage collector's thresholds in a server process (gc.set_threshold, applied by config/asgi.py after gc.freeze).
# With Python's (700, 10, 10) the young generation is collected each time 700 more container objects have been made
# than freed: a worker holding its share of a room of 2,000 (sockets, keep-alive connections, requests waiting for the
# ballot box) collects many times a second, and fully every few seconds, each full collection pausing the event loop
# and the writer for a tenth of a second or more. With 20,000 the young generation is collected every few seconds, in
# milliseconds, and a room's vote sees no full collection (docs/benchmarks.md, settings the figures depend on).
MAJLIS_GC_THRESHOLDS = _gc_thresholds(os.environ.get("MAJLIS_GC_THRESHOLDS") or "20000,20,10")
# Participant requests are committed in groups by one writer thread per process (consultations/live/writer.py); 0 runs
# each in its request's thread (the test suite's default).
MAJLIS_BALLOT_GROUP_COMMIT = env_bool("MAJLIS_BALLOT_GROUP_COMMIT", True)
# Votes are served straight from ASGI, past Django's middleware and DRF (consultations/live/asgi.py).
MAJLIS_VOTE_FAST_PATH = env_bool("MAJLIS_VOTE_FAST_PATH", True)
# How long a session's participant records (profile answers, ballots) are kept before only totals remain.
# Stated to participants on the consent page; enforced by `manage.py purge_expired` (docs/privacy.md).
MAJLIS_PARTICIPANT_RETENTION_MONTHS = int(os.environ.get("MAJLIS_PARTICIPANT_RETENTION_MONTHS", "24"))


# Live sockets one process holds at once (consultations/live/sockets.py, docs/realtime.md "Limits"): per client
# address (a school hall of 2,000 phones behind one Wi-Fi address, with margin) and per participant (a phone with a
# few tabs, and sockets of a dropped connection not yet noticed). More are closed with 4429. 0: no limit.
MAJLIS_SOCKET_LIMITS = {
    "per_address": int(os.environ.get("MAJLIS_SOCKETS_PER_ADDRESS", "3000")),
    "per_participant": int(os.environ.get("MAJLIS_SOCKETS_PER_PARTICIPANT", "5")),
}

# Rate limits of the participant operations (consultations/live/limits.py, docs/security.md): "<count>/<period>"
# with period s, m or h. Counted in the cache (Redis when REDIS_URL is set, so shared by every worker). One room
# on one school Wi-Fi shares one address, so the per-address join limit is generous; the per-session caps are
# sized for a room of 2,000. Off in the test suite except where a test turns it on.
MAJLIS_RATE_LIMITS_ENABLED = env_bool("MAJLIS_RATE_LIMITS", not TESTING)
MAJLIS_RATE_LIMITS = {
    "join_address": os.environ.get("MAJLIS_RATE_JOIN_ADDRESS", "1200/m"),  # joins of one session from one address
    "join_session": os.environ.get("MAJLIS_RATE_JOIN_SESSION", "3000/m"),  # joins of one session in all
    "submit_participant": os.environ.get("MAJLIS_RATE_SUBMIT_PARTICIPANT", "10/m"),
    "submit_session": os.environ.get("MAJLIS_RATE_SUBMIT_SESSION", "4000/m"),
    "vote_participant": os.environ.get("MAJLIS_RATE_VOTE_PARTICIPANT", "120/m"),
    "vote_session": os.environ.get("MAJLIS_RATE_VOTE_SESSION", "60000/m"),
}
