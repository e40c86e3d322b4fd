"""Django settings for Gau, all derived from environment variables through :mod:`gau.config`.

With no variables set, Gau runs on an embedded default (SQLite, local-memory cache, in-process tasks,
console email, local media folder). Each real part is switched on by its URL variable; see README.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from gau.config import APP_NAMES, BASE_DIR, ConfigError, load, load_cors_origins

try:
    CONFIG = load()
    _CORS_ORIGINS = load_cors_origins()
except ConfigError as exc:  # one clear line, not a traceback
    sys.stderr.write(f"gau: configuration error: {exc}\n")
    raise SystemExit(2) from None

SECRET_KEY = CONFIG.secret_key
#: Old SECRET_KEYs that still verify and decrypt (signed URLs, sealed TOTP secrets, recovery codes,
#: wrapped signing keys, Django's own signatures); the current SECRET_KEY signs and encrypts.
SECRET_KEY_FALLBACKS = list(CONFIG.secret_key_fallbacks)
DEBUG = CONFIG.debug
ALLOWED_HOSTS = CONFIG.allowed_hosts
PUBLIC_BASE_URL = CONFIG.public_base_url
PORT = CONFIG.port

GAU_APPS = APP_NAMES
GAU_SERVED_APPS = CONFIG.served_apps
GAU_SERVICE_URLS = CONFIG.service_urls
GAU_INTERNAL_KEYS = CONFIG.internal_keys
GAU_RPC_TIMEOUT = CONFIG.rpc_timeout
#: Seconds an internal request's timestamp may differ from ours before it is refused as stale.
GAU_RPC_MAX_SKEW = 60
#: Largest internal-call body the RPC endpoint reads (its own cap, not DATA_UPLOAD_MAX_MEMORY_SIZE):
#: sized for the largest in-memory payload an interface takes (an image upload) in base64.
GAU_RPC_MAX_BODY = CONFIG.rpc_max_body
#: Check in-process calls against the interface too (arguments and results as the wire would carry
#: them); on with DEBUG and in the test suite. Off in production: the local path stays a plain call.
GAU_RPC_VALIDATE_LOCAL = CONFIG.rpc_validate_local
#: A remote call made inside ``transaction.atomic()``: "raise" (DEBUG, tests) or "log" (an ERROR line).
GAU_RPC_REMOTE_IN_ATOMIC = "raise" if DEBUG else "log"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "storages",
    "corsheaders",
    *[f"apps.{name}" for name in APP_NAMES],
]

MIDDLEWARE = [
    # First: every later middleware's log lines carry the request id (X-Request-ID).
    "gau.middleware.RequestIdMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "gau.middleware.JsonErrorMiddleware",
    # Sessions, auth and messages run for the admin and the hosted pages only, not for the JSON API
    # (gau.middleware.API_PREFIXES): subclasses of Django's, so the admin's system checks still hold.
    "gau.middleware.PageSessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "gau.middleware.PageAuthenticationMiddleware",
    "gau.middleware.PageMessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

# Prometheus metrics (gau/metrics; README "Operations"): request metrics from the outermost middleware,
# scraped at /internal/metrics with the GAU_METRICS_TOKEN bearer. Off: no middleware, helpers no-ops.
GAU_METRICS = CONFIG.metrics.enabled
GAU_METRICS_TOKEN = CONFIG.metrics.token
GAU_METRICS_WORKER_PORT = CONFIG.metrics.worker_port
if GAU_METRICS:
    MIDDLEWARE.insert(0, "gau.metrics.middleware.MetricsMiddleware")

ROOT_URLCONF = "gau.urls"
WSGI_APPLICATION = "gau.wsgi.application"
ASGI_APPLICATION = "gau.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "gau" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASES: dict[str, dict[str, Any]] = {"default": CONFIG.database}
if DATABASES["default"]["ENGINE"].endswith("sqlite3") and DATABASES["default"]["NAME"] != ":memory:":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
if CONFIG.database_replica:
    DATABASES["replica"] = CONFIG.database_replica
    DATABASE_ROUTERS = ["gau.dbrouters.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ----------------------------------------------------------------------------------
if CONFIG.redis_url:
    CACHES: dict[str, dict[str, Any]] = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": CONFIG.redis_url,
            "KEY_PREFIX": "gau",
            "OPTIONS": {
                "SOCKET_CONNECT_TIMEOUT": 2,
                "SOCKET_TIMEOUT": 2,
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "gau"}}

# authz keeps the revoked-session set in each process through a Redis subscription (no round trip per
# request; apps/authz/revocation.py). GAU_REVOCATION_SUBSCRIBE=false: one Redis GET per token check.
AUTHZ_REVOCATION_SUBSCRIBE = CONFIG.revocation_subscribe

# --- Celery ---------------------------------------------------------------------------------
# With no broker, tasks run in-process (eagerly); callers enqueue with delay_on_commit, so they
# still run only after the surrounding transaction commits.
CELERY_BROKER_URL = CONFIG.celery_broker_url or "memory://"
CELERY_TASK_ALWAYS_EAGER = CONFIG.celery_broker_url is None
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
#: The worker logs through LOGGING below (JSON lines with request and trace ids), not Celery's own format.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_BROKER_CONNECTION_TIMEOUT = 3
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_DEFAULT_QUEUE = "default"
# Keep worker DB connections between tasks (Celery closes them per task otherwise); gau/celery.py
# runs close_old_connections around each task instead (CONN_MAX_AGE, health checks).
CELERY_DB_REUSE_MAX = 1000
CELERY_BEAT_SCHEDULE: dict[str, dict[str, Any]] = {}
# authz: re-publish recent session revocations (heals a Redis outage), drop expired sessions.
CELERY_BEAT_SCHEDULE["authz.republish_revocations"] = {"task": "authz.republish_revocations", "schedule": 60.0}
CELERY_BEAT_SCHEDULE["authz.purge_expired_sessions"] = {"task": "authz.purge_expired_sessions", "schedule": 3600.0}
# account: the DELETE me outbox (apps/account/deletion.py): retry delays of the per-app steps, the
# sweeper that re-publishes due requests (a lost publish, a killed worker).
ACCOUNT_DELETION: dict[str, Any] = {"RETRY_DELAYS": CONFIG.account.deletion_retry_delays, "SWEEP_INTERVAL": 60}
CELERY_BEAT_SCHEDULE["account.sweep_deletions"] = {
    "task": "account.sweep_deletions",
    "schedule": float(ACCOUNT_DELETION["SWEEP_INTERVAL"]),
    "options": {"expires": 60},
}

# --- Email ----------------------------------------------------------------------------------
MAILERS = {"default": CONFIG.email}
DEFAULT_FROM_EMAIL = "Gau <no-reply@gau.local>"

# --- Email pipeline (apps/email; see apps/email/README.md) -----------------------------------
# Tunables from EMAIL_RETRY_DELAYS="30,120,600,3600,21600", EMAIL_MAX_ATTEMPTS, EMAIL_STUCK_AFTER,
# EMAIL_SENDING_LEASE, EMAIL_SWEEP_INTERVAL, EMAIL_SUPPRESSION_DAYS (seconds / days), EMAIL_BATCH_SIZE,
# EMAIL_SEND_THREADS.
EMAIL_OUTBOX: dict[str, Any] = CONFIG.email_outbox
CELERY_TASK_ROUTES = {"email.*": {"queue": "email"}}
CELERY_BEAT_SCHEDULE["email.sweep"] = {
    "task": "email.sweep",
    "schedule": float(EMAIL_OUTBOX.get("SWEEP_INTERVAL", 60)),
    "options": {"queue": "email", "expires": 60},
}

# --- Kanban webhooks (apps/kanban/README.md "Webhooks") --------------------------------------------
# RETRY_DELAYS: seconds before attempts 2..7 (each ± JITTER); DISABLE_AFTER: seconds of consecutive failures
# before a webhook is disabled; MAX_COUNTDOWN: longer waits are left to the sweeper (RabbitMQ's consumer
# timeout would drop a long ETA task); STUCK_AFTER: a due row not claimed this long after it was due is
# re-published by the sweeper (every SWEEP_INTERVAL s).
KANBAN_WEBHOOKS: dict[str, Any] = {
    "ALLOW_PRIVATE": CONFIG.kanban_webhook_allow_private,
    "TIMEOUT": 10.0,
    "RETRY_DELAYS": [10, 60, 600, 3600, 21600, 86400],
    "JITTER": 0.2,
    "DISABLE_AFTER": 86400,
    "MAX_COUNTDOWN": 600,
    "STUCK_AFTER": 60,
    "SWEEP_INTERVAL": 30,
    # Finished deliveries (and their attempt log) are deleted by the sweep after this many days.
    "RETENTION_DAYS": 30,
    # A PEM file of CAs to trust for https receivers instead of the public ones (an internal CA).
    "CA_BUNDLE": None,
    # No broker: start the in-process delivery thread with the app (else with the first delivery).
    "INPROCESS_AUTOSTART": True,
}
# Live board events (Server-Sent Events, apps/kanban README "Live board events"): HEARTBEAT seconds between
# keep-alive comments, TOKEN_TTL seconds a `?token=` may be used to open a stream, and the resume backlog
# (the last BACKLOG_SIZE events of a board, none older than BACKLOG_SECONDS). QUEUE_SIZE: events a slow
# client may fall behind before its stream refills from the backlog.
KANBAN_EVENTS: dict[str, Any] = {**CONFIG.kanban_events, "QUEUE_SIZE": 1000}
CELERY_BEAT_SCHEDULE["kanban.webhooks_sweep"] = {
    "task": "kanban.webhooks_sweep",
    "schedule": float(KANBAN_WEBHOOKS["SWEEP_INTERVAL"]),
    "options": {"expires": 30},
}

# --- Kanban imports: a "running" import older than this (seconds since its first start) is failed as
# interrupted instead of run again (the import task's hard time limit, 1,800 s, plus a margin).
KANBAN_IMPORT_STUCK_AFTER = 2100
CELERY_BEAT_SCHEDULE["kanban.imports_sweep"] = {
    "task": "kanban.imports_sweep",
    "schedule": 300.0,
    "options": {"expires": 300},
}

# --- Storage --------------------------------------------------------------------------------
MEDIA_ROOT = BASE_DIR / "var" / "media"
MEDIA_URL = "/media/"
STATIC_ROOT = BASE_DIR / "var" / "static"
STATIC_URL = "/static/"
# The shared look of the hosted pages (gau/static/pages/pages.css); apps keep theirs in <app>/static/.
STATICFILES_DIRS = [BASE_DIR / "gau" / "static"]
if CONFIG.s3:
    _s3 = CONFIG.s3
    _default_storage: dict[str, Any] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": _s3["bucket"],
            "endpoint_url": _s3["endpoint_url"],
            "access_key": _s3["access_key"],
            "secret_key": _s3["secret_key"],
            "region_name": _s3["region"],
            "default_acl": None,
            "querystring_auth": True,
            "file_overwrite": False,
            "addressing_style": "path",
            "signature_version": "s3v4",
        },
    }
else:
    _default_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    MEDIA_ROOT.mkdir(parents=True, exist_ok=True)
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": _default_storage,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
S3_PUBLIC_URL = CONFIG.s3["public_url"] if CONFIG.s3 else None
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# --- Security -------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
if not DEBUG:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Request bodies larger than this (outside file uploads) get a 413 in the error shape.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# --- i18n -----------------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("vi", "Tiếng Việt")]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "locale"]

# --- REST framework -------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["gau.api.renderers.ORJSONRenderer"],
    # JSON only: a form body on a JSON endpoint is a 415 (DRF would read a blank optional form field as
    # absent, so `timezone=` would pass where `{"timezone": ""}` is a 400). Upload views opt in to multipart.
    "DEFAULT_PARSER_CLASSES": ["gau.api.parsers.ORJSONParser"],
    # authz: bearer JWTs (verified without the database) and X-API-Key; request.user is a PrincipalData.
    # ScopeRequired lets anonymous and session callers through but holds API keys to their scopes.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "apps.authz.services.drf.BearerTokenAuthentication",
        "apps.authz.services.drf.ApiKeyAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["apps.authz.services.drf.ScopeRequired"],
    "UNAUTHENTICATED_USER": None,
    "EXCEPTION_HANDLER": "gau.api.errors.exception_handler",
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "gau.api.negotiation.FastJsonNegotiation",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "gau.api.pagination.CursorPagination",
    "PAGE_SIZE": 50,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Gau API",
    "DESCRIPTION": "Accounts, images, files, kanban boards and email for the Gau family of apps.",
    "VERSION": "2.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v2/[a-z]+",
    "COMPONENT_SPLIT_REQUEST": True,
    "PREPROCESSING_HOOKS": ["gau.api.schema.exclude_internal_endpoints"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "gau.api.schema.add_error_responses",
    ],
}

# --- Logging --------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "gau.logformat.JsonFormatter"},
    },
    # Every line carries the request id, and the trace and span ids with tracing on (gau/logformat.py).
    "filters": {"context": {"()": "gau.logformat.ContextFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": CONFIG.log_format, "filters": ["context"]}},
    "root": {"handlers": ["console"], "level": CONFIG.log_level},
    # httpx logs every request's full URL at INFO (internal calls, webhooks: a query string may carry a secret).
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
    },
}

#: OpenTelemetry tracing (gau/tracing.py): set up by each process's entry point, never imported when off.
GAU_OTEL = CONFIG.otel

AUTH_USER_MODEL = "account.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]

# --- Account (identity) -----------------------------------------------------------------------
ACCOUNT_CONFIG = CONFIG.account
#: Unverified addresses cannot sign in with a password while this is true.
ACCOUNT_REQUIRE_VERIFIED_EMAIL = ACCOUNT_CONFIG.require_verified_email
#: Where links in account emails point: Gau's hosted pages on PUBLIC_BASE_URL (/verify-email, ...) by
#: default, or a product's own front end, which then POSTs the token to the API.
ACCOUNT_LINK_BASE_URL = ACCOUNT_CONFIG.link_base_url or PUBLIC_BASE_URL
GOOGLE_OIDC_DISCOVERY_URL = ACCOUNT_CONFIG.google_discovery_url
GOOGLE_CLIENT_ID = ACCOUNT_CONFIG.google_client_id
GOOGLE_CLIENT_SECRET = ACCOUNT_CONFIG.google_client_secret
#: Refresh-token cookie for browser clients (cookie mode); CSRF by a double-submit token.
ACCOUNT_REFRESH_COOKIE = "gau_refresh"
ACCOUNT_CSRF_COOKIE = "gau_csrf"
ACCOUNT_COOKIE_SECURE = True
#: Strict by default: still sent by a web app on a sibling subdomain (same site); None for another site.
ACCOUNT_COOKIE_SAMESITE = ACCOUNT_CONFIG.cookie_samesite
#: Unset: host-only cookies. ".example.com" lets app.example.com read the gau_csrf cookie.
ACCOUNT_COOKIE_DOMAIN = ACCOUNT_CONFIG.cookie_domain
#: The admin site's sign-in goes through the account rules (apps/account/admin.py); no /accounts/profile/.
LOGIN_URL = "admin:login"
LOGIN_REDIRECT_URL = "admin:index"
#: CSRF failures of the hosted pages render a page in their look; elsewhere Django's (JSON for the API).
CSRF_FAILURE_VIEW = "gau.pages.csrf_failure"

# --- CORS (django-cors-headers): browser apps on the origins listed in CORS_ALLOWED_ORIGINS ---------
CORS_ALLOWED_ORIGINS = _CORS_ORIGINS
CORS_ALLOW_CREDENTIALS = True  # cookie mode across subdomains; config refuses "*" for that reason
#: Only the public API: never the internal RPC endpoints, the admin, the hosted pages or /images/ (public
#: images stay cacheable by shared caches without "Vary: Origin").
CORS_URLS_REGEX = r"^/api/"
CORS_ALLOW_HEADERS = (
    "accept",
    "authorization",
    "content-type",
    "if-none-match",
    "if-match",
    "range",
    "x-api-key",
    "x-csrf-token",
    "x-device-id",
    "tus-resumable",
    "upload-length",
    "upload-offset",
    "upload-metadata",
    "upload-checksum",
    "upload-concat",
    "upload-defer-length",
)
CORS_EXPOSE_HEADERS = ("etag", "location", "retry-after", "tus-resumable", "upload-offset", "upload-length")
CORS_PREFLIGHT_MAX_AGE = 600

# --- Uploads and image CDN (apps/upload, apps/cdn; see their READMEs) --------------------------
UPLOAD_QUOTA_BYTES = CONFIG.upload_quota_bytes
UPLOAD_MAX_PIXELS = 50_000_000
CDN_MAX_SOURCE_PIXELS = 50_000_000
CDN_REDIS_MAX_ENTRY_BYTES = 512 * 1024
CDN_REDIS_TTL = 24 * 3600
CELERY_BEAT_SCHEDULE["upload.purge_expired_tus_uploads"] = {
    "task": "upload.purge_expired_tus_uploads",
    "schedule": 3600.0,
}

# --- Kanban reminders and notifications (apps/kanban README "Reminders and notifications") -----
# With a broker, beat runs the reminder scanner every 30 s (delivery within 60 s of a reminder's time)
# and the digest flusher every minute. Without one (make run), a server process runs both in a thread.
CELERY_BEAT_SCHEDULE["kanban.scan_reminders"] = {"task": "kanban.scan_reminders", "schedule": 30.0}
CELERY_BEAT_SCHEDULE["kanban.flush_notifications"] = {"task": "kanban.flush_notifications", "schedule": 60.0}
#: None: guess (embedded scheduler thread only without a broker and in a server process); True/False force.
KANBAN_EMBEDDED_SCHEDULER: bool | None = None
#: Seconds a user's display name stays cached for board reads (apps/kanban/services/people.py); 0: off.
KANBAN_NAME_CACHE_SECONDS = 60
