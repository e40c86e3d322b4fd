"""Typed, validated configuration read from environment variables (12-factor).

Every setting Gau reads comes through :func:`load`. A malformed or unknown value raises
:class:`ConfigError` naming the variable; ``gau.settings`` turns that into one line on stderr and exit
status 2, so a bad deployment fails at start-up instead of deep inside a request.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

#: The six apps, by their short name (``apps.<name>``). Order is the order they are installed in.
APP_NAMES: tuple[str, ...] = ("account", "authz", "cdn", "upload", "kanban", "email")

#: Variables with the ``GAU_`` prefix that Gau understands; any other ``GAU_*`` is a typo and refused.
KNOWN_GAU_VARIABLES = frozenset(
    {
        "GAU_SERVED_APPS",
        "GAU_SERVICE_URLS",
        "GAU_INTERNAL_KEYS",
        "GAU_RPC_TIMEOUT",
        "GAU_RPC_MAX_BODY",
        "GAU_RPC_VALIDATE_LOCAL",
        "GAU_REVOCATION_SUBSCRIBE",
        "GAU_LOG_LEVEL",
        "GAU_LOG_FORMAT",
        "GAU_OTEL",
        "GAU_METRICS",
        "GAU_METRICS_TOKEN",
        "GAU_METRICS_WORKER_PORT",
    }
)

# Used only when DEBUG is on and SECRET_KEY is unset (make run on a laptop).
DEV_SECRET_KEY = "gau-insecure-development-key-do-not-use-in-production-0123456789"  # noqa: S105
MIN_INTERNAL_KEY_LENGTH = 32

MiB = 1024 * 1024
#: The largest payload an interface takes in memory: an ``image`` upload (apps/upload DEFAULT_LIMITS,
#: 20 MiB) sent as ``bytes`` to ``upload.create_file``. On the wire it is base64 (4/3) inside JSON.
LARGEST_RPC_PAYLOAD = 20 * MiB
#: Default cap on an internal call's body: the largest payload base64-encoded, plus 1 MiB for the rest.
DEFAULT_RPC_MAX_BODY = -(-LARGEST_RPC_PAYLOAD * 4 // 3) + MiB


class ConfigError(Exception):
    """A configuration variable is missing, malformed or unknown. ``str()`` is one line."""

    def __init__(self, variable: str, problem: str) -> None:
        super().__init__(f"{variable}: {problem}")
        self.variable = variable


@dataclass(frozen=True)
class Config:
    """Everything read from the environment, validated."""

    secret_key: str
    debug: bool
    allowed_hosts: list[str]
    database: dict[str, Any]
    database_replica: dict[str, Any] | None
    redis_url: str | None
    celery_broker_url: str | None
    email: dict[str, Any]
    s3: dict[str, Any] | None
    served_apps: tuple[str, ...]
    service_urls: dict[str, str]
    internal_keys: tuple[str, ...]
    rpc_timeout: float
    rpc_max_body: int
    rpc_validate_local: bool
    #: authz keeps the revoked-session set per process through a Redis subscription (apps/authz/revocation.py).
    revocation_subscribe: bool
    public_base_url: str
    port: int
    log_level: str
    log_format: str
    otel: bool
    email_outbox: dict[str, Any] = field(default_factory=dict)
    account: AccountConfig = field(default_factory=lambda: load_account({}))
    upload_quota_bytes: int = 1024**3
    secret_key_fallbacks: tuple[str, ...] = ()
    #: Webhooks may target loopback and private addresses (never link-local / cloud metadata).
    kanban_webhook_allow_private: bool = False
    #: Live board events (apps/kanban/services/live*.py): heartbeat, token lifetime, backlog bounds.
    kanban_events: dict[str, Any] = field(default_factory=lambda: _kanban_events({}))
    metrics: MetricsConfig = field(default_factory=lambda: load_metrics({}, debug=True))


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _otel(env: Mapping[str, str]) -> bool:
    """Tracing on: ``GAU_OTEL`` or an OTLP endpoint set, unless ``OTEL_SDK_DISABLED``/``OTEL_TRACES_EXPORTER=none``."""
    from gau.tracing import wanted

    _bool(env, "GAU_OTEL", False)  # validated: a typo fails at start-up
    return wanted(env)


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigError(name, f"expected true/false, got {raw!r}")


def _int(env: Mapping[str, str], name: str, default: int, *, low: int, high: int) -> int:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(name, f"expected an integer, got {raw!r}") from None
    if not low <= value <= high:
        raise ConfigError(name, f"expected an integer from {low} to {high}, got {value}")
    return value


def _float(env: Mapping[str, str], name: str, default: float, *, low: float, high: float) -> float:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(name, f"expected a number, got {raw!r}") from None
    if not low <= value <= high:
        raise ConfigError(name, f"expected a number from {low} to {high}, got {value}")
    return value


def _list(env: Mapping[str, str], name: str, default: list[str]) -> list[str]:
    raw = env.get(name)
    if raw is None:
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def _http_url(name: str, raw: str) -> str:
    parts = urlsplit(raw)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ConfigError(name, f"expected an http(s) URL, got {raw!r}")
    return raw.rstrip("/")


def _database(name: str, raw: str) -> dict[str, Any]:
    scheme = urlsplit(raw).scheme
    if scheme not in {"postgres", "postgresql", "pgsql", "sqlite"}:
        raise ConfigError(name, f"unsupported scheme {scheme!r}: use postgres://... or sqlite:///...")
    try:
        db: dict[str, Any] = environ.Env.db_url_config(raw)
    except Exception as exc:  # django-environ raises several types for bad URLs
        raise ConfigError(name, f"malformed database URL ({exc})") from None
    if db["ENGINE"].endswith("postgresql"):
        if not db.get("NAME"):
            raise ConfigError(name, "the URL names no database (postgres://user@host:5432/<name>)")
        # Django's native psycopg pool (psycopg_pool): a request borrows an open connection and gives it
        # back at its end. Replaces CONN_MAX_AGE + CONN_HEALTH_CHECKS, whose health check cost a round
        # trip (SELECT 1) per request; the pool drops a connection returned broken and replaces
        # connections after max_lifetime/max_idle. Pooling requires CONN_MAX_AGE = 0.
        db["CONN_MAX_AGE"] = 0
        db["CONN_HEALTH_CHECKS"] = False
        options = db.setdefault("OPTIONS", {})
        options.setdefault("connect_timeout", 5)
        options["pool"] = {"min_size": 1, "max_size": 16, "timeout": 10, "max_idle": 300}
    else:
        db.setdefault("OPTIONS", {})["transaction_mode"] = "IMMEDIATE"
    return db


def _email(name: str, raw: str | None) -> dict[str, Any]:
    """A ``MAILERS["default"]`` entry (Django 6.1 mailers) for ``EMAIL_URL``."""
    if raw is None or raw.strip() in {"", "console:", "console://"}:
        return {"BACKEND": "django.core.mail.backends.console.EmailBackend"}
    parts = urlsplit(raw)
    if parts.scheme not in {"smtp", "smtp+tls", "smtps", "smtp+ssl"}:
        raise ConfigError(name, f"expected smtp://, smtp+tls:// or smtps://, got scheme {parts.scheme!r}")
    try:
        port = parts.port
    except ValueError:
        raise ConfigError(name, "the port is not a number") from None
    if not parts.hostname:
        raise ConfigError(name, "the URL names no host (smtp://host:port)")
    ssl = parts.scheme in {"smtps", "smtp+ssl"}
    return {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {
            "host": parts.hostname,
            "port": port or (465 if ssl else 587 if parts.scheme == "smtp+tls" else 25),
            "username": unquote(parts.username or ""),
            "password": unquote(parts.password or ""),
            "use_tls": parts.scheme == "smtp+tls",
            "use_ssl": ssl,
            "timeout": 10,
        },
    }


def _s3(env: Mapping[str, str]) -> dict[str, Any] | None:
    bucket = env.get("S3_BUCKET", "").strip()
    if not bucket:
        for name in ("S3_ENDPOINT_URL", "S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY", "S3_PUBLIC_URL"):
            if env.get(name):
                raise ConfigError(name, "is set but S3_BUCKET is not; set S3_BUCKET to use S3 storage")
        return None
    endpoint = env.get("S3_ENDPOINT_URL", "").strip()
    public = env.get("S3_PUBLIC_URL", "").strip()
    return {
        "bucket": bucket,
        "endpoint_url": _http_url("S3_ENDPOINT_URL", endpoint) if endpoint else None,
        "access_key": env.get("S3_ACCESS_KEY_ID") or None,
        "secret_key": env.get("S3_SECRET_ACCESS_KEY") or None,
        "region": env.get("S3_REGION") or "us-east-1",
        "public_url": _http_url("S3_PUBLIC_URL", public) if public else None,
    }


def _service_urls(env: Mapping[str, str]) -> dict[str, str]:
    urls: dict[str, str] = {}
    for item in _list(env, "GAU_SERVICE_URLS", []):
        app, sep, url = item.partition("=")
        app = app.strip()
        if not sep:
            raise ConfigError("GAU_SERVICE_URLS", f"expected app=url pairs, got {item!r}")
        if app not in APP_NAMES:
            raise ConfigError("GAU_SERVICE_URLS", f"unknown app {app!r} (known: {', '.join(APP_NAMES)})")
        urls[app] = _http_url("GAU_SERVICE_URLS", url.strip())
    return urls


#: Email pipeline tunables (apps/email/conf.py has the defaults): variable suffix -> (low, high).
EMAIL_OUTBOX_INTS = {
    "MAX_ATTEMPTS": (1, 100),
    "STUCK_AFTER": (1, 7 * 86400),
    "SENDING_LEASE": (1, 86400),
    "SWEEP_INTERVAL": (1, 86400),
    "SUPPRESSION_DAYS": (1, 3650),
    "BATCH_SIZE": (1, 1000),
    "SEND_THREADS": (1, 32),
}


def _email_outbox(env: Mapping[str, str]) -> dict[str, Any]:
    outbox: dict[str, Any] = {}
    raw = env.get("EMAIL_RETRY_DELAYS", "").strip()
    if raw:
        try:
            delays = [int(x) for x in raw.split(",") if x.strip()]
        except ValueError:
            raise ConfigError("EMAIL_RETRY_DELAYS", f"expected comma-separated seconds, got {raw!r}") from None
        if not delays or any(d < 0 for d in delays):
            raise ConfigError("EMAIL_RETRY_DELAYS", f"expected non-negative seconds, got {raw!r}")
        outbox["RETRY_DELAYS"] = delays
    for key, (low, high) in EMAIL_OUTBOX_INTS.items():
        name = f"EMAIL_{key}"
        if env.get(name, "").strip():
            outbox[key] = _int(env, name, 0, low=low, high=high)
    return outbox


def load(env: Mapping[str, str] | None = None) -> Config:
    """Read and validate the configuration from ``env`` (default: ``os.environ``)."""
    env = os.environ if env is None else env

    unknown = sorted(k for k in env if k.startswith("GAU_") and k not in KNOWN_GAU_VARIABLES)
    if unknown:
        raise ConfigError(unknown[0], f"unknown variable (known: {', '.join(sorted(KNOWN_GAU_VARIABLES))})")

    debug = _bool(env, "DEBUG", False)
    secret_key = env.get("SECRET_KEY", "")
    if not secret_key:
        if not debug:
            raise ConfigError("SECRET_KEY", "is required when DEBUG is off (make run sets DEBUG=true)")
        secret_key = DEV_SECRET_KEY
    elif len(secret_key) < 32:
        raise ConfigError("SECRET_KEY", "must be at least 32 characters")
    fallbacks = tuple(_list(env, "SECRET_KEY_FALLBACKS", []))
    if any(len(old) < 32 for old in fallbacks):
        raise ConfigError("SECRET_KEY_FALLBACKS", "every key must be at least 32 characters")

    port = _int(env, "PORT", 8000, low=1, high=65535)

    served = _list(env, "GAU_SERVED_APPS", list(APP_NAMES))
    for app in served:
        if app not in APP_NAMES:
            raise ConfigError("GAU_SERVED_APPS", f"unknown app {app!r} (known: {', '.join(APP_NAMES)})")

    service_urls = _service_urls(env)
    keys = tuple(_list(env, "GAU_INTERNAL_KEYS", []))
    for key in keys:
        if len(key) < MIN_INTERNAL_KEY_LENGTH:
            raise ConfigError("GAU_INTERNAL_KEYS", f"every key must be at least {MIN_INTERNAL_KEY_LENGTH} characters")
    if service_urls and not keys:
        raise ConfigError("GAU_INTERNAL_KEYS", "is required when GAU_SERVICE_URLS names a remote app")

    replica_raw = env.get("DATABASE_REPLICA_URL", "").strip()
    redis_url = env.get("REDIS_URL", "").strip() or None
    if redis_url and urlsplit(redis_url).scheme not in {"redis", "rediss", "unix"}:
        raise ConfigError("REDIS_URL", f"expected redis://host:port/db, got {redis_url!r}")
    if service_urls and not redis_url:
        raise ConfigError(
            "REDIS_URL",
            "is required when GAU_SERVICE_URLS names a remote app "
            "(session revocations and internal-call nonces must be shared by every process)",
        )
    broker = env.get("CELERY_BROKER_URL", "").strip() or None
    if broker and urlsplit(broker).scheme not in {"amqp", "amqps", "pyamqp", "redis", "rediss"}:
        raise ConfigError("CELERY_BROKER_URL", f"expected amqp://user:pass@host:5672/vhost, got {broker!r}")

    log_level = env.get("GAU_LOG_LEVEL", "INFO").upper()
    if log_level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        raise ConfigError("GAU_LOG_LEVEL", f"expected DEBUG, INFO, WARNING or ERROR, got {log_level!r}")
    log_format = env.get("GAU_LOG_FORMAT", "text").lower()
    if log_format not in {"text", "json"}:
        raise ConfigError("GAU_LOG_FORMAT", f"expected text or json, got {log_format!r}")

    public_base = env.get("PUBLIC_BASE_URL", "").strip()
    return Config(
        secret_key=secret_key,
        debug=debug,
        allowed_hosts=_list(env, "ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"]),
        database=_database("DATABASE_URL", env.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'var' / 'gau.sqlite3'}"),
        database_replica=_database("DATABASE_REPLICA_URL", replica_raw) if replica_raw else None,
        redis_url=redis_url,
        celery_broker_url=broker,
        email=_email("EMAIL_URL", env.get("EMAIL_URL")),
        s3=_s3(env),
        served_apps=tuple(served),
        service_urls=service_urls,
        internal_keys=keys,
        rpc_timeout=_float(env, "GAU_RPC_TIMEOUT", 5.0, low=0.1, high=120),
        rpc_max_body=_int(env, "GAU_RPC_MAX_BODY", DEFAULT_RPC_MAX_BODY, low=MiB, high=1024 * MiB),
        rpc_validate_local=_bool(env, "GAU_RPC_VALIDATE_LOCAL", debug),
        revocation_subscribe=_bool(env, "GAU_REVOCATION_SUBSCRIBE", True),
        public_base_url=_http_url("PUBLIC_BASE_URL", public_base) if public_base else f"http://127.0.0.1:{port}",
        port=port,
        log_level=log_level,
        log_format=log_format,
        otel=_otel(env),
        email_outbox=_email_outbox(env),
        account=load_account(env),
        upload_quota_bytes=_int(env, "UPLOAD_QUOTA_BYTES", 1024**3, low=0, high=2**50),
        secret_key_fallbacks=fallbacks,
        kanban_webhook_allow_private=_bool(env, "KANBAN_WEBHOOK_ALLOW_PRIVATE", False),
        kanban_events=_kanban_events(env),
        metrics=load_metrics(env, debug=debug),
    )


# --- Prometheus metrics (gau/metrics, README "Operations"): a block of its own, like the account one ----


@dataclass(frozen=True)
class MetricsConfig:
    """``GAU_METRICS*``: whether processes record metrics, the scrape's bearer token, the worker's port."""

    enabled: bool = False
    token: str | None = None
    #: The Celery worker's own scrape endpoint (its main process); 0: none.
    worker_port: int = 9100


def load_metrics(env: Mapping[str, str], *, debug: bool) -> MetricsConfig:
    enabled = _bool(env, "GAU_METRICS", False)
    token = env.get("GAU_METRICS_TOKEN", "").strip() or None
    if token is not None and len(token) < MIN_INTERNAL_KEY_LENGTH:
        raise ConfigError("GAU_METRICS_TOKEN", f"must be at least {MIN_INTERNAL_KEY_LENGTH} characters")
    if enabled and token is None and not debug:
        raise ConfigError(
            "GAU_METRICS_TOKEN", "is required when GAU_METRICS is on and DEBUG is off (the scrape's bearer)"
        )
    return MetricsConfig(
        enabled=enabled, token=token, worker_port=_int(env, "GAU_METRICS_WORKER_PORT", 9100, low=0, high=65535)
    )


def _kanban_events(env: Mapping[str, str]) -> dict[str, Any]:
    """``KANBAN_EVENTS_*``: the SSE heartbeat, the stream token's lifetime and the resume backlog's bounds."""
    return {
        "HEARTBEAT": _float(env, "KANBAN_EVENTS_HEARTBEAT", 15.0, low=0.05, high=300),
        "TOKEN_TTL": _int(env, "KANBAN_EVENTS_TOKEN_TTL", 60, low=1, high=3600),
        "BACKLOG_SIZE": _int(env, "KANBAN_EVENTS_BACKLOG_SIZE", 1000, low=1, high=100_000),
        "BACKLOG_SECONDS": _int(env, "KANBAN_EVENTS_BACKLOG_SECONDS", 600, low=1, high=86_400),
    }


# --- Account (identity) settings: a separate block so parallel edits to load() do not collide ------


@dataclass(frozen=True)
class AccountConfig:
    """Sign-in settings of the account app (``ACCOUNT_*`` and ``GOOGLE_*`` variables)."""

    require_verified_email: bool
    google_discovery_url: str | None
    google_client_id: str | None
    google_client_secret: str | None
    link_base_url: str | None = None
    cookie_samesite: str = "Strict"
    cookie_domain: str | None = None
    #: ``ACCOUNT_DELETION_RETRY_DELAYS``: seconds between passes of a pending ``DELETE me`` (last repeats).
    deletion_retry_delays: tuple[int, ...] = (10, 60, 300, 1800, 3600)


def load_account(env: Mapping[str, str] | None = None) -> AccountConfig:
    """Read ``ACCOUNT_REQUIRE_VERIFIED_EMAIL`` and the Google (any OpenID provider) client settings."""
    env = os.environ if env is None else env
    discovery = env.get("GOOGLE_OIDC_DISCOVERY_URL", "").strip()
    client_id = env.get("GOOGLE_CLIENT_ID", "").strip() or None
    secret = env.get("GOOGLE_CLIENT_SECRET", "").strip() or None
    if (client_id is None) != (secret is None):
        raise ConfigError("GOOGLE_CLIENT_ID", "GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET are set together")
    link_base = env.get("ACCOUNT_LINK_BASE_URL", "").strip()
    samesite = env.get("ACCOUNT_COOKIE_SAMESITE", "").strip().capitalize() or "Strict"
    if samesite not in {"Strict", "Lax", "None"}:
        raise ConfigError("ACCOUNT_COOKIE_SAMESITE", f"expected Strict, Lax or None, got {samesite!r}")
    domain = env.get("ACCOUNT_COOKIE_DOMAIN", "").strip() or None
    if domain is not None and ("/" in domain or ":" in domain or " " in domain):
        raise ConfigError("ACCOUNT_COOKIE_DOMAIN", f"expected a domain such as .example.com, got {domain!r}")
    delays_raw = env.get("ACCOUNT_DELETION_RETRY_DELAYS", "").strip()
    try:
        delays = tuple(int(x) for x in delays_raw.split(",") if x.strip()) or (10, 60, 300, 1800, 3600)
    except ValueError:
        raise ConfigError(
            "ACCOUNT_DELETION_RETRY_DELAYS", f"expected comma-separated seconds, got {delays_raw!r}"
        ) from None
    if any(d < 0 for d in delays):
        raise ConfigError("ACCOUNT_DELETION_RETRY_DELAYS", f"expected non-negative seconds, got {delays_raw!r}")
    return AccountConfig(
        require_verified_email=_bool(env, "ACCOUNT_REQUIRE_VERIFIED_EMAIL", True),
        google_discovery_url=_http_url("GOOGLE_OIDC_DISCOVERY_URL", discovery)
        if discovery
        else "https://accounts.google.com/.well-known/openid-configuration",
        google_client_id=client_id,
        google_client_secret=secret,
        link_base_url=_http_url("ACCOUNT_LINK_BASE_URL", link_base) if link_base else None,
        cookie_samesite=samesite,
        cookie_domain=domain,
        deletion_retry_delays=delays,
    )


# --- CORS (browser apps on other origins): its own block for the same reason -------------------------


def load_cors_origins(env: Mapping[str, str] | None = None) -> list[str]:
    """``CORS_ALLOWED_ORIGINS``: a comma list of exact origins (``https://app.example.com``), none by
    default. Credentials are allowed for these origins, so ``*`` (any origin) is refused."""
    env = os.environ if env is None else env
    origins: list[str] = []
    for item in _list(env, "CORS_ALLOWED_ORIGINS", []):
        if "*" in item or item == "null":
            raise ConfigError(
                "CORS_ALLOWED_ORIGINS", f"{item!r} is not allowed: name each origin (credentials are allowed)"
            )
        parts = urlsplit(item)
        try:
            parts.port  # noqa: B018  # raises on a malformed port
        except ValueError:
            raise ConfigError("CORS_ALLOWED_ORIGINS", f"malformed port in {item!r}") from None
        if parts.scheme not in {"http", "https"} or not parts.hostname or parts.path not in {"", "/"}:
            raise ConfigError("CORS_ALLOWED_ORIGINS", f"expected origins such as https://app.example.com, got {item!r}")
        if parts.query or parts.fragment or parts.username:
            raise ConfigError("CORS_ALLOWED_ORIGINS", f"an origin has no path, query or user: {item!r}")
        origins.append(f"{parts.scheme}://{parts.netloc}")
    return origins
