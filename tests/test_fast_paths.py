"""The request fast paths of issue 11 keep behaviour: page-only middleware, JSON negotiation shortcut,
the verified-token cache, and the database pool configuration."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.test import RequestFactory

from apps.authz.services import InvalidTokenError, authz_service, clear_local_caches
from apps.authz.services.verifier import verified_tokens
from gau import middleware
from gau.config import load

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("path", "skipped"),
    [
        ("/api/v2/account/me", True),
        ("/internal/rpc/authz/get_jwks/", True),
        ("/images/abc", True),
        ("/.well-known/jwks.json", True),
        ("/healthz", True),
        ("/admin/", False),
        ("/admin/login/", False),
        ("/password/forgot", False),
        ("/verify-email", False),
        ("/api/docs/", False),
    ],
)
def test_session_auth_messages_run_for_pages_only(path: str, skipped: bool) -> None:
    seen: list[Any] = []

    def view(request: Any) -> Any:
        seen.append(request)
        return _ok()

    chain = middleware.PageSessionMiddleware(
        middleware.PageAuthenticationMiddleware(middleware.PageMessageMiddleware(view))
    )
    chain(RequestFactory().get(path))
    request = seen[0]
    assert hasattr(request, "session") is not skipped
    assert hasattr(request, "user") is not skipped
    assert hasattr(request, "_messages") is not skipped


def _ok() -> Any:
    from django.http import HttpResponse

    return HttpResponse(b"ok")


def test_admin_and_hosted_pages_still_have_sessions_and_csrf(client: Any) -> None:
    response = client.get("/admin/login/")
    assert response.status_code == 200
    assert "csrftoken" in response.cookies
    page = client.get("/password/forgot")
    assert page.status_code == 200


def test_json_api_negotiation(api_client: Any) -> None:
    pair = authz_service.issue_tokens(user_id=uuid.uuid4())
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {pair.access_token}")
    for accept in ("", "*/*", "application/json", "application/json;q=0.9, */*;q=0.1"):
        response = api_client.get("/api/v2/authz/api-keys", HTTP_ACCEPT=accept)
        assert response.status_code == 200, accept
        assert response["Content-Type"].startswith("application/json")
    refused = api_client.get("/api/v2/authz/api-keys", HTTP_ACCEPT="text/csv")
    assert refused.status_code == 406
    assert refused.json()["error"]["code"]


def test_verified_token_cache_never_skips_revocation_or_expiry(settings: Any) -> None:
    clear_local_caches()
    user_id = uuid.uuid4()
    pair = authz_service.issue_tokens(user_id=user_id)
    assert authz_service.authenticate_token(access_token=pair.access_token).user_id == user_id
    assert verified_tokens.get(pair.access_token) is not None  # cached after the first verification
    authz_service.revoke_session(user_id=user_id, session_id=pair.session_id, reason="logout")
    with pytest.raises(InvalidTokenError):
        authz_service.authenticate_token(access_token=pair.access_token)
    # an entry past exp + leeway is dropped, never served
    other = authz_service.issue_tokens(user_id=user_id)
    authz_service.authenticate_token(access_token=other.access_token)
    claims, kid, _ = verified_tokens._entries[other.access_token]
    verified_tokens._entries[other.access_token] = (claims, kid, 0.0)
    assert verified_tokens.get(other.access_token) is None
    # a token whose key left the JWKS is not served from the cache
    verified_tokens._entries[other.access_token] = (claims, "gone-kid", 9e18)
    assert verified_tokens.get(other.access_token) is None
    tampered = other.access_token[:-2] + ("A" if other.access_token[-2] != "A" else "B") + other.access_token[-1]
    with pytest.raises(InvalidTokenError):
        authz_service.authenticate_token(access_token=tampered)
    settings.AUTHZ_VERIFIED_TOKEN_CACHE_SIZE = 1
    third = authz_service.issue_tokens(user_id=user_id)
    authz_service.authenticate_token(access_token=other.access_token)
    authz_service.authenticate_token(access_token=third.access_token)
    assert len(verified_tokens._entries) == 1  # bounded
    clear_local_caches()


def test_postgres_uses_the_native_pool_without_persistent_connections() -> None:
    config = load({"DATABASE_URL": "postgres://u@db:5432/gau", "SECRET_KEY": "k" * 40})
    db = config.database
    assert db["OPTIONS"]["pool"]["max_size"] >= 4
    assert db["CONN_MAX_AGE"] == 0  # Django refuses pooling with persistent connections
    assert db["CONN_HEALTH_CHECKS"] is False
