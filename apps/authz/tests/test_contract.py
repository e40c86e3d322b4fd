"""The authz interface gives the same results and errors in-process and over the signed RPC endpoint;
DRF verification works locally with keys fetched through the interface when authz is remote."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from apps.authz.services import (
    ApiKeyNotFoundError,
    AuthzService,
    InvalidScopeError,
    InvalidTokenError,
    SessionNotFoundError,
    TokenReusedError,
    authz_service,
)
from gau.rpc.testing import DjangoClientTransport, remote_mode, transport_modes

pytestmark = pytest.mark.django_db


mode = transport_modes("authz")


def test_handle_resolves_to_the_transport(mode: DjangoClientTransport | None) -> None:
    target = authz_service.target()  # type: ignore[attr-defined]
    assert isinstance(target, AuthzService)
    assert type(target).__name__ == ("LocalAuthzService" if mode is None else "RemoteAuthzService")


def test_token_lifecycle(mode: DjangoClientTransport | None, user_id: uuid.UUID) -> None:
    pair = authz_service.issue_tokens(user_id=user_id, device_id="phone", user_agent="UA", ip="192.0.2.1")
    principal = authz_service.authenticate_token(access_token=pair.access_token)
    assert principal.user_id == user_id
    assert principal.session_id == pair.session_id
    rotated = authz_service.refresh_tokens(refresh_token=pair.refresh_token)
    with pytest.raises(TokenReusedError):
        authz_service.refresh_tokens(refresh_token=pair.refresh_token)
    with pytest.raises(InvalidTokenError):
        authz_service.authenticate_token(access_token=rotated.access_token)
    (session,) = authz_service.list_sessions(user_id=user_id)
    assert session.revoked_reason == "refresh_token_reused"
    assert session.device_id == "phone"
    if mode is not None:
        assert "/internal/rpc/authz/refresh_tokens/" in mode.calls


def test_sessions_and_errors(mode: DjangoClientTransport | None, user_id: uuid.UUID) -> None:
    a = authz_service.issue_tokens(user_id=user_id)
    authz_service.issue_tokens(user_id=user_id)
    with pytest.raises(SessionNotFoundError):
        authz_service.revoke_session(user_id=uuid.uuid4(), session_id=a.session_id, reason="logout")
    authz_service.revoke_session(user_id=user_id, session_id=a.session_id, reason="logout")
    assert authz_service.revoke_all_sessions(user_id=user_id, reason="password_changed") == 1
    assert all(s.revoked_at for s in authz_service.list_sessions(user_id=user_id))


def test_api_keys_and_roles(mode: DjangoClientTransport | None, user_id: uuid.UUID) -> None:
    created = authz_service.create_api_key(user_id=user_id, name="ci", scopes=frozenset({"kanban:read"}))
    principal = authz_service.authenticate_api_key(api_key=created.key)
    assert principal.kind == "api_key"
    assert principal.scopes == frozenset({"kanban:read"})
    assert principal.api_key_id == created.api_key.id
    assert [k.id for k in authz_service.list_api_keys(user_id=user_id)] == [created.api_key.id]
    with pytest.raises(ApiKeyNotFoundError):
        authz_service.revoke_api_key(user_id=uuid.uuid4(), api_key_id=created.api_key.id)
    with pytest.raises(InvalidScopeError):
        authz_service.create_api_key(user_id=user_id, name="x", scopes=frozenset({"kanban:own"}))
    authz_service.revoke_api_key(user_id=user_id, api_key_id=created.api_key.id)
    with pytest.raises(InvalidTokenError):
        authz_service.authenticate_api_key(api_key=created.key)
    assert authz_service.get_roles(user_id=user_id) == {"user"}
    assert authz_service.check_permission(user_id=user_id, permission="authz.view_sessions") is False
    assert "keys" in authz_service.get_jwks()
    assert authz_service.export_user_data(user_id=user_id)["roles"] == ["user"]
    authz_service.delete_user_data(user_id=user_id)


def test_local_and_remote_results_are_identical(user_id: uuid.UUID) -> None:
    authz_service.issue_tokens(user_id=user_id, device_id="x")
    local = (
        authz_service.list_sessions(user_id=user_id),
        authz_service.get_jwks(),
        authz_service.list_role_permissions(),
    )
    with remote_mode("authz"):
        remote = (
            authz_service.list_sessions(user_id=user_id),
            authz_service.get_jwks(),
            authz_service.list_role_permissions(),
        )
    assert local == remote


@pytest.mark.urls("apps.authz.tests.urls")
def test_bearer_verification_with_remote_authz_fetches_jwks_once(api_client: Any, user_id: uuid.UUID) -> None:
    pair = authz_service.issue_tokens(user_id=user_id)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {pair.access_token}")
    with remote_mode("authz") as transport:
        for _ in range(3):
            assert api_client.get("/probe/kanban").status_code == 200
        assert transport.calls == ["/internal/rpc/authz/get_jwks/"]
        api_client.credentials(HTTP_X_API_KEY="gau_ak_nonsense")
        assert api_client.get("/probe/kanban").status_code == 401
        assert transport.calls[-1] == "/internal/rpc/authz/authenticate_api_key/"
