"""Configuration comes from the environment; bad values fail at start-up with one line naming the variable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from gau.config import APP_NAMES, ConfigError, load

ROOT = Path(__file__).resolve().parents[1]
BASE = {"SECRET_KEY": "x" * 40}


def test_embedded_defaults() -> None:
    config = load({"DEBUG": "true"})
    assert config.database["ENGINE"] == "django.db.backends.sqlite3"
    assert config.redis_url is None
    assert config.celery_broker_url is None
    assert config.email["BACKEND"].endswith("console.EmailBackend")
    assert config.s3 is None
    assert config.served_apps == APP_NAMES
    assert config.service_urls == {}
    assert config.port == 8000
    assert config.public_base_url == "http://127.0.0.1:8000"


def test_real_parts_by_url() -> None:
    config = load(
        {
            **BASE,
            "DATABASE_URL": "postgres://gau:pw@db:5432/gau",
            "DATABASE_REPLICA_URL": "postgres://gau:pw@replica:5432/gau",
            "REDIS_URL": "redis://cache:6379/0",
            "CELERY_BROKER_URL": "amqp://guest:guest@mq:5672//",
            "EMAIL_URL": "smtp+tls://user%40x.com:p%40ss@mail:587",
            "S3_BUCKET": "media",
            "S3_ENDPOINT_URL": "http://minio:9000",
            "GAU_SERVED_APPS": "account,authz",
            "GAU_SERVICE_URLS": "upload=http://upload:8000, cdn=http://cdn:8000",
            "GAU_INTERNAL_KEYS": "k" * 32 + "," + "o" * 32,
            "PORT": "9000",
        }
    )
    assert config.database["ENGINE"] == "django.db.backends.postgresql"
    assert config.database["HOST"] == "db"
    assert config.database_replica is not None
    assert config.database_replica["HOST"] == "replica"
    assert config.email["OPTIONS"]["username"] == "user@x.com"
    assert config.email["OPTIONS"]["password"] == "p@ss"
    assert config.email["OPTIONS"]["use_tls"] is True
    assert config.s3 is not None
    assert config.s3["endpoint_url"] == "http://minio:9000"
    assert config.served_apps == ("account", "authz")
    assert config.service_urls == {"upload": "http://upload:8000", "cdn": "http://cdn:8000"}
    assert config.internal_keys == ("k" * 32, "o" * 32)
    assert config.port == 9000


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({}, "SECRET_KEY"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY"),
        ({**BASE, "DEBUG": "maybe"}, "DEBUG"),
        ({**BASE, "PORT": "eighty"}, "PORT"),
        ({**BASE, "PORT": "70000"}, "PORT"),
        ({**BASE, "DATABASE_URL": "mysql://db/gau"}, "DATABASE_URL"),
        ({**BASE, "DATABASE_URL": "postgres://db:5432/"}, "DATABASE_URL"),
        ({**BASE, "REDIS_URL": "http://cache"}, "REDIS_URL"),
        ({**BASE, "CELERY_BROKER_URL": "kafka://mq"}, "CELERY_BROKER_URL"),
        ({**BASE, "EMAIL_URL": "pop3://mail"}, "EMAIL_URL"),
        ({**BASE, "EMAIL_URL": "smtp://mail:port"}, "EMAIL_URL"),
        ({**BASE, "S3_ENDPOINT_URL": "http://minio:9000"}, "S3_ENDPOINT_URL"),
        ({**BASE, "S3_BUCKET": "b", "S3_ENDPOINT_URL": "minio:9000"}, "S3_ENDPOINT_URL"),
        ({**BASE, "GAU_SERVED_APPS": "account,billing"}, "GAU_SERVED_APPS"),
        ({**BASE, "GAU_SERVICE_URLS": "authz"}, "GAU_SERVICE_URLS"),
        ({**BASE, "GAU_SERVICE_URLS": "authz=ftp://x", "GAU_INTERNAL_KEYS": "k" * 32}, "GAU_SERVICE_URLS"),
        ({**BASE, "GAU_SERVICE_URLS": "authz=http://authz:8000"}, "GAU_INTERNAL_KEYS"),
        # Revocations and RPC nonces must be shared by every process of a split deployment.
        ({**BASE, "GAU_SERVICE_URLS": "authz=http://authz:8000", "GAU_INTERNAL_KEYS": "k" * 32}, "REDIS_URL"),
        ({**BASE, "SECRET_KEY_FALLBACKS": "short-old-key"}, "SECRET_KEY_FALLBACKS"),
        ({**BASE, "GAU_RPC_MAX_BODY": "lots"}, "GAU_RPC_MAX_BODY"),
        ({**BASE, "GAU_RPC_MAX_BODY": "1024"}, "GAU_RPC_MAX_BODY"),
        ({**BASE, "GAU_RPC_VALIDATE_LOCAL": "sometimes"}, "GAU_RPC_VALIDATE_LOCAL"),
        ({**BASE, "GAU_INTERNAL_KEYS": "too-short"}, "GAU_INTERNAL_KEYS"),
        ({**BASE, "GAU_SERVED_APP": "account"}, "GAU_SERVED_APP"),
        ({**BASE, "PUBLIC_BASE_URL": "gau.example.com"}, "PUBLIC_BASE_URL"),
        ({**BASE, "EMAIL_RETRY_DELAYS": "30,soon"}, "EMAIL_RETRY_DELAYS"),
        ({**BASE, "EMAIL_MAX_ATTEMPTS": "0"}, "EMAIL_MAX_ATTEMPTS"),
        ({**BASE, "UPLOAD_QUOTA_BYTES": "1GB"}, "UPLOAD_QUOTA_BYTES"),
        ({**BASE, "ACCOUNT_REQUIRE_VERIFIED_EMAIL": "perhaps"}, "ACCOUNT_REQUIRE_VERIFIED_EMAIL"),
        ({**BASE, "GOOGLE_CLIENT_ID": "abc"}, "GOOGLE_CLIENT_ID"),
        ({**BASE, "ACCOUNT_DELETION_RETRY_DELAYS": "10,later"}, "ACCOUNT_DELETION_RETRY_DELAYS"),
        ({**BASE, "ACCOUNT_DELETION_RETRY_DELAYS": "10,-1"}, "ACCOUNT_DELETION_RETRY_DELAYS"),
    ],
)
def test_bad_values_name_the_variable(env: dict[str, str], variable: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load(env)
    assert caught.value.variable == variable
    assert str(caught.value).startswith(f"{variable}: ")
    assert "\n" not in str(caught.value)


def test_secret_key_fallbacks_are_a_comma_list() -> None:
    assert load(BASE).secret_key_fallbacks == ()
    old, older = "o" * 40, "p" * 40
    config = load({**BASE, "SECRET_KEY_FALLBACKS": f"{old}, {older},"})
    assert config.secret_key_fallbacks == (old, older)


def test_split_deployment_requires_redis_with_one_line() -> None:
    env = {**BASE, "GAU_SERVICE_URLS": "authz=http://authz:8000", "GAU_INTERNAL_KEYS": "k" * 32}
    with pytest.raises(ConfigError) as caught:
        load(env)
    assert str(caught.value) == (
        "REDIS_URL: is required when GAU_SERVICE_URLS names a remote app "
        "(session revocations and internal-call nonces must be shared by every process)"
    )
    assert load({**env, "REDIS_URL": "redis://cache:6379/0"}).service_urls == {"authz": "http://authz:8000"}


def test_rpc_settings_defaults() -> None:
    from apps.upload.models import IMAGE_PURPOSES
    from apps.upload.services.local import DEFAULT_LIMITS

    config = load(BASE)
    # Internal calls carry the largest payload held in memory (an image), base64-encoded, plus JSON.
    largest = max(DEFAULT_LIMITS[p] for p in IMAGE_PURPOSES)
    assert config.rpc_max_body >= largest * 4 // 3 + 64 * 1024
    assert config.rpc_max_body <= largest * 2
    assert load({**BASE, "GAU_RPC_MAX_BODY": str(64 * 1024 * 1024)}).rpc_max_body == 64 * 1024 * 1024
    assert config.rpc_validate_local is False
    assert load({**BASE, "DEBUG": "true"}).rpc_validate_local is True
    assert load({**BASE, "DEBUG": "true", "GAU_RPC_VALIDATE_LOCAL": "false"}).rpc_validate_local is False


def test_start_up_fails_with_one_clear_line() -> None:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update({"DJANGO_SETTINGS_MODULE": "gau.settings", "SECRET_KEY": "x" * 40, "PORT": "eighty"})
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert result.stderr == "gau: configuration error: PORT: expected an integer, got 'eighty'\n"


def test_split_process_without_redis_refuses_to_start() -> None:
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "REDIS_URL"}}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "gau.settings",
            "SECRET_KEY": "x" * 40,
            "GAU_SERVICE_URLS": "authz=http://authz:8000",
            "GAU_INTERNAL_KEYS": "k" * 32,
        }
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert result.stderr == (
        "gau: configuration error: REDIS_URL: is required when GAU_SERVICE_URLS names a remote app "
        "(session revocations and internal-call nonces must be shared by every process)\n"
    )


def test_account_deletion_retry_delays() -> None:
    assert load(BASE).account.deletion_retry_delays == (10, 60, 300, 1800, 3600)
    assert load({**BASE, "ACCOUNT_DELETION_RETRY_DELAYS": "1, 5,60"}).account.deletion_retry_delays == (1, 5, 60)
