"""CORS for browser apps on other origins: real preflights against a real server (gunicorn), allowed
origins only, credentials, never on /internal/ or /admin/; the configuration refuses ``*``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from gau.config import ConfigError, load, load_account, load_cors_origins

ROOT = Path(__file__).resolve().parents[1]
APP = "https://app.example.com"
DEV = "http://localhost:5173"


def preflight(base: str, path: str, origin: str, method: str = "POST", headers: str = "content-type") -> httpx.Response:
    return httpx.options(
        f"{base}{path}",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": headers,
        },
        timeout=10,
    )


@pytest.fixture
def cors_server(gau_server: Any) -> str:
    url: str = gau_server(CORS_ALLOWED_ORIGINS=f"{APP}, {DEV}")
    return url


def test_preflight_answers_allowed_origins_with_credentials(cors_server: str) -> None:
    for origin in (APP, DEV):
        response = preflight(cors_server, "/api/v2/account/login", origin, headers="content-type,x-csrf-token")
        assert response.status_code == 200
        assert response.headers["access-control-allow-origin"] == origin  # the origin, never "*"
        assert response.headers["access-control-allow-credentials"] == "true"
        assert "POST" in response.headers["access-control-allow-methods"]
        allowed = response.headers["access-control-allow-headers"].lower()
        assert "x-csrf-token" in allowed
        assert "authorization" in allowed
        assert "x-device-id" in allowed
        assert "origin" in response.headers.get("vary", "").lower()
    # the cookie-mode refresh with its double-submit header, and the tus upload headers
    refresh = preflight(cors_server, "/api/v2/account/token/refresh", APP, headers="x-csrf-token")
    assert refresh.headers["access-control-allow-origin"] == APP
    tus = preflight(cors_server, "/api/v2/upload/tus", APP, method="PATCH", headers="upload-offset,tus-resumable")
    assert tus.headers["access-control-allow-origin"] == APP


def test_preflight_ignores_other_origins(cors_server: str) -> None:
    for origin in ("https://evil.example", "https://app.example.com.evil.example", "http://app.example.com", "null"):
        response = preflight(cors_server, "/api/v2/account/login", origin)
        assert "access-control-allow-origin" not in response.headers, origin
        assert "access-control-allow-credentials" not in response.headers


def test_never_on_internal_or_admin(cors_server: str) -> None:
    for path in ("/internal/rpc/account/get_user/", "/admin/login/", "/admin/"):
        response = preflight(cors_server, path, APP)
        assert "access-control-allow-origin" not in response.headers, path
        actual = httpx.get(f"{cors_server}{path}", headers={"Origin": APP}, timeout=10)
        assert "access-control-allow-origin" not in actual.headers, path


def test_actual_requests_carry_the_headers(cors_server: str) -> None:
    ok = httpx.get(f"{cors_server}/api/schema/", headers={"Origin": APP}, timeout=30)
    assert ok.headers["access-control-allow-origin"] == APP
    assert ok.headers["access-control-allow-credentials"] == "true"
    # Only the API: health checks, pages and public images stay free of CORS (and of "Vary: Origin").
    outside = httpx.get(f"{cors_server}/healthz", headers={"Origin": APP}, timeout=10)
    assert "access-control-allow-origin" not in outside.headers
    assert "origin" not in outside.headers.get("vary", "").lower()
    denied = httpx.post(
        f"{cors_server}/api/v2/account/login", json={"email": "x@example.com", "password": "y"}, headers={"Origin": APP}
    )
    assert denied.status_code == 401
    assert denied.headers["access-control-allow-origin"] == APP
    assert "retry-after" in denied.headers.get("access-control-expose-headers", "").lower()


def test_no_origin_is_allowed_by_default(gau_server: Any) -> None:
    url = gau_server()
    response = preflight(url, "/api/v2/account/login", APP)
    assert "access-control-allow-origin" not in response.headers


@pytest.mark.parametrize(
    "value",
    ["*", "https://*.example.com", "null", "app.example.com", "https://app.example.com/path", "ftp://x.example"],
)
def test_config_refuses_wildcards_and_non_origins(value: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_cors_origins({"CORS_ALLOWED_ORIGINS": value})
    assert caught.value.variable == "CORS_ALLOWED_ORIGINS"


def test_config_reads_origins_and_link_settings() -> None:
    assert load_cors_origins({}) == []
    assert load_cors_origins({"CORS_ALLOWED_ORIGINS": f"{APP}/, {DEV}"}) == [APP, DEV]
    account = load_account({"ACCOUNT_LINK_BASE_URL": "https://app.example.com/account/"})
    assert account.link_base_url == "https://app.example.com/account"
    assert account.cookie_samesite == "Strict"
    assert account.cookie_domain is None
    assert load_account({"ACCOUNT_COOKIE_SAMESITE": "none"}).cookie_samesite == "None"
    for name, bad in (
        ("ACCOUNT_LINK_BASE_URL", "app.example.com"),
        ("ACCOUNT_COOKIE_SAMESITE", "sometimes"),
        ("ACCOUNT_COOKIE_DOMAIN", "https://example.com"),
    ):
        with pytest.raises(ConfigError) as caught:
            load_account({name: bad})
        assert caught.value.variable == name
    assert load({"DEBUG": "true"}).account.link_base_url is None


def test_start_up_refuses_a_wildcard_origin() -> None:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update({"DJANGO_SETTINGS_MODULE": "gau.settings", "SECRET_KEY": "x" * 40, "CORS_ALLOWED_ORIGINS": "*"})
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert result.stderr.startswith("gau: configuration error: CORS_ALLOWED_ORIGINS: '*' is not allowed")
