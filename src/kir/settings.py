"""Settings, all read from the environment (see README, "Settings")."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import dj_database_url

from kir.env import SettingError, envbool, envint, envlist, envstr, load_settings_file

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent.parent
VAR_DIR = Path(envstr("KIR_VAR_DIR", str(PROJECT_DIR / "var")))
# `make demo` writes its settings here, so any `kir` command in the checkout acts on the demo
# without exporting anything. KIR_SETTINGS_FILE names another file; empty reads none.
load_settings_file(Path(envstr("KIR_SETTINGS_FILE", str(VAR_DIR / "settings.env"))))

DEBUG = envbool("KIR_DEBUG", False)
# The demo writes a generated key under var/ and exports it; production must set its own.
SECRET_KEY = envstr("KIR_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG and not envbool("KIR_INSECURE_TEST_KEY", False):
        raise SettingError("KIR_SECRET_KEY is not set: production needs a long random secret key")
    SECRET_KEY = "insecure-development-key-never-use-in-production-0123456789abcdef"
# Rotation: the new key in KIR_SECRET_KEY, the old ones here until sessions and password-reset
# links signed with them have expired (docs/operations.md).
SECRET_KEY_FALLBACKS = envlist("KIR_SECRET_KEY_FALLBACKS", [])

ALLOWED_HOSTS = envlist("KIR_ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = envlist("KIR_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # Swagger UI and ReDoc from the package's own static files, never a CDN.
    "ninja",
    # Failed sign-ins, per account and per address (kir.accounts.lockout).
    "axes",
    "kir.accounts",
    "kir.audit",
    "kir.catalogue",
    "kir.outbox",
    "kir.notify",
    "kir.exports",
    "kir.register",
    "kir.search",
    "kir.tracker",
    "kir.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "kir.web.middleware.RequestLogMiddleware",
    "kir.web.limits.RequestSizeLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "kir.register.middleware.ReadMemoMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "kir.urls"
WSGI_APPLICATION = "kir.wsgi.application"

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
                "kir.notify.context_processors.unread_notifications",
            ],
            # Dates and numbers read one way on every page and e-mail without a {% load %} in
            # each template: long_date, long_datetime, number (kir/web/templatetags).
            "builtins": ["kir.web.templatetags.presentation"],
        },
    },
]

# Every form field shows its errors the GOV.UK way, tied to the field (kir.web.forms).
FORM_RENDERER = "kir.web.forms.FormRenderer"

DATABASES = {
    "default": dj_database_url.parse(
        envstr("KIR_DATABASE_URL", f"sqlite:///{VAR_DIR / 'kir.sqlite3'}"),
        conn_max_age=envint("KIR_DB_CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # WAL lets the worker and the web server read while one of them writes.
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"]["init_command"] = "PRAGMA journal_mode=WAL;"
    DATABASES["default"]["OPTIONS"]["transaction_mode"] = "IMMEDIATE"
    # How long a write waits for another process's write to end before "database is locked".
    DATABASES["default"]["OPTIONS"]["timeout"] = envint("KIR_SQLITE_BUSY_SECONDS", 20)
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # No parallel workers for this connection. The register's reads are short, and starting two
    # workers took longer (about 8 ms on the benchmark machine) than a whole procurement check,
    # which PostgreSQL still chose to split once its estimate passed parallel_setup_cost.
    options = DATABASES["default"].setdefault("OPTIONS", {})
    options["options"] = (
        f"{options.get('options', '')} -c max_parallel_workers_per_gather=0".strip()
    )

# Rendered fragments that are the same for every viewer (a list row, rendered from the issue's
# own fields after the visibility selector chose it; the filter form, from the query string),
# memoised per process and keyed by exactly what they are rendered from, so nothing is ever
# invalidated and nothing depends on who asks (docs/register-performance.md, "Rendering").
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "template_fragments": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "kir-template-fragments",
        "TIMEOUT": 24 * 3600,
        "OPTIONS": {"MAX_ENTRIES": envint("KIR_FRAGMENT_CACHE_ENTRIES", 20_000)},
    },
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
# Refuses inactive users and users without an organisation on every request, not only at login.
# Axes first: it refuses a locked-out account or address before a password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "kir.accounts.backends.MemberBackend",
]
# Sign-in throttling: after KIR_LOGIN_FAILURE_LIMIT failures in a row for one username, or
# from one address, sign-in is refused for KIR_LOGIN_COOLOFF_MINUTES (SECAS can unlock an
# account sooner in the admin: "Unlock sign-in"). A success resets the account's count.
AXES_FAILURE_LIMIT = envint("KIR_LOGIN_FAILURE_LIMIT", 10)
AXES_COOLOFF_TIME = timedelta(minutes=envint("KIR_LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_HTTP_RESPONSE_CODE = 429
AXES_ENABLE_ADMIN = False
# Successful sign-ins are not logged apart (the session is enough); only failures are counted.
AXES_DISABLE_ACCESS_LOG = True
# The address is the connection's: a client could write any X-Forwarded-For and dodge the
# per-address count (behind a proxy, every client shares its address; see docs/security.md).
AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
# Hashed, compressed names served by WhiteNoise with long cache headers; `kir collectstatic`
# (which `make demo` runs) writes them.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Evidence attachments; served only through views that ask the selectors, never as static files.
MEDIA_ROOT = Path(envstr("KIR_MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "/media-not-served/"
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# The largest evidence file, and the largest request body (a file plus its form), refused from
# the Content-Length before anything is read (kir.web.limits).
KIR_MAX_UPLOAD_BYTES = envint("KIR_MAX_UPLOAD_BYTES", 50 * 1024 * 1024)
KIR_MAX_REQUEST_BYTES = KIR_MAX_UPLOAD_BYTES + 1024 * 1024

# Mail: console in the demo, SMTP in production.
EMAIL_BACKEND = envstr("KIR_EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = envstr("KIR_EMAIL_HOST", "localhost")
EMAIL_PORT = envint("KIR_EMAIL_PORT", 25)
EMAIL_HOST_USER = envstr("KIR_EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = envstr("KIR_EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = envbool("KIR_EMAIL_USE_TLS", False)
EMAIL_FILE_PATH = envstr("KIR_EMAIL_FILE_PATH", str(VAR_DIR / "mail"))
# Bounds every SMTP call, so a stalled relay cannot hold a worker past its lease.
EMAIL_TIMEOUT = envint("KIR_EMAIL_TIMEOUT", 30)
DEFAULT_FROM_EMAIL = envstr("KIR_DEFAULT_FROM_EMAIL", "register@kir.invalid")
SITE_URL = envstr("KIR_SITE_URL", "http://127.0.0.1:8000")
# The publisher of the register's CSAF documents (docs/csaf-mapping.md).
CSAF_PUBLISHER_NAME = envstr("KIR_CSAF_PUBLISHER_NAME", "SECAS")
CSAF_PUBLISHER_NAMESPACE = envstr("KIR_CSAF_PUBLISHER_NAMESPACE", SITE_URL)
CSAF_PUBLISHER_CONTACT = envstr("KIR_CSAF_PUBLISHER_CONTACT", "Known Issues Register, SECAS")
# The provider's OpenPGP keyring (`kir csaf key create`) and the e-mail of its key's user id.
CSAF_GNUPG_HOME = envstr("KIR_CSAF_GNUPG_HOME", str(VAR_DIR / "gnupg"))
CSAF_KEY_EMAIL = envstr("KIR_CSAF_KEY_EMAIL", "csaf@register.invalid")
# `/.well-known/security.txt` (RFC 9116, CSAF requirement 8): whom to tell about a security
# problem (a mailto:, https: or tel: URI) and how many days ahead its Expires lies.
SECURITY_CONTACT = envstr("KIR_SECURITY_CONTACT", f"mailto:{CSAF_KEY_EMAIL}")
SECURITY_TXT_DAYS = envint("KIR_SECURITY_TXT_DAYS", 180)
# How often the worker publishes a fresh signed anchor of the audit chain.
CSAF_ANCHOR_SECONDS = envint("KIR_CSAF_ANCHOR_SECONDS", 3600)

# The outbox worker (`kir worker`): attempts per job, a claim's lease (it must cover a batch of
# jobs, each bounded by its receiver's timeout), and the retry backoff's base and ceiling.
OUTBOX_MAX_ATTEMPTS = envint("KIR_OUTBOX_MAX_ATTEMPTS", 8)
OUTBOX_LEASE_SECONDS = envint("KIR_OUTBOX_LEASE_SECONDS", 600)
OUTBOX_BACKOFF_SECONDS = envint("KIR_OUTBOX_BACKOFF_SECONDS", 30)
OUTBOX_BACKOFF_MAX_SECONDS = envint("KIR_OUTBOX_BACKOFF_MAX_SECONDS", 3600)

# The tracker: the daily state `kir tracker daily` keeps (runs may read it instead of uploads).
TRACKER_STATE_DIR = envstr("KIR_TRACKER_STATE_DIR", "")
# Webhooks (docs/webhooks.md): attempts per delivery (retried with the outbox's backoff), one
# attempt's socket timeout, failed attempts in a row that disable an endpoint, how long a
# rotated secret keeps signing beside the new one, and where deliveries may go. Production
# should list its receivers' hosts in KIR_WEBHOOK_ALLOWED_HOSTS; addresses that are not public
# (loopback, private, link-local) are refused, loopback only allowed for the test suite.
WEBHOOK_MAX_ATTEMPTS = envint("KIR_WEBHOOK_MAX_ATTEMPTS", 10)
WEBHOOK_TIMEOUT_SECONDS = envint("KIR_WEBHOOK_TIMEOUT_SECONDS", 10)
WEBHOOK_DISABLE_AFTER_FAILURES = envint("KIR_WEBHOOK_DISABLE_AFTER_FAILURES", 20)
WEBHOOK_ROTATION_OVERLAP_HOURS = envint("KIR_WEBHOOK_ROTATION_OVERLAP_HOURS", 24)
WEBHOOK_ALLOWED_HOSTS = envlist("KIR_WEBHOOK_ALLOWED_HOSTS", [])
WEBHOOK_ALLOW_LOOPBACK = envbool("KIR_WEBHOOK_ALLOW_LOOPBACK", False)

# Production hardening; `kir check --deploy` passes with KIR_DEBUG=false and HTTPS settings on.
SECURE_SSL_REDIRECT = envbool("KIR_SECURE_SSL_REDIRECT", False)
SESSION_COOKIE_SECURE = envbool("KIR_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = envint("KIR_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = SECURE_HSTS_SECONDS > 0
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
# A strict Content-Security-Policy on every response: scripts and styles only from our own
# static files (no inline script, style or event handler anywhere, Swagger UI at /api/docs
# included: ninja loads its settings from a JSON data block and swagger-ui-init.js), images
# also as data: URIs (Swagger UI's icons), nothing framed, forms posting only here.
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
    }
}

# Demo passwords exist only when this is on (make demo sets it); production never seeds them.
KIR_DEMO = envbool("KIR_DEMO", False)

# `kir serve`: the production server (gunicorn, threaded workers).
WEB_BIND = envstr("KIR_WEB_BIND", "127.0.0.1:8000")
WEB_WORKERS = envint("KIR_WEB_WORKERS", 2)
WEB_THREADS = envint("KIR_WEB_THREADS", 4)
WEB_TIMEOUT_SECONDS = envint("KIR_WEB_TIMEOUT", 30)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": envstr("KIR_LOG_LEVEL", "WARNING")},
    # One line per request with its id (kir.web.middleware); KIR_REQUEST_LOG_LEVEL=WARNING
    # silences it.
    "loggers": {
        "kir.request": {
            "handlers": ["console"],
            "level": envstr("KIR_REQUEST_LOG_LEVEL", "INFO"),
            "propagate": False,
        }
    },
}
