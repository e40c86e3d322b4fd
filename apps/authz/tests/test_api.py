"""The authz REST API and the DRF classes, through HTTP: JWKS, refresh, API keys, scopes, permissions."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from apps.authz.services import TokenPairData, authz_service

pytestmark = [pytest.mark.django_db, pytest.mark.urls("apps.authz.tests.urls")]


def bearer(client: Any, pair: TokenPairData) -> Any:
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {pair.access_token}")
    return client


def error_code(response: Any) -> str:
    return str(response.json()["error"]["code"])


def test_jwks_endpoint_serves_the_key_set(api_client: Any, user_id: uuid.UUID) -> None:
    authz_service.issue_tokens(user_id=user_id)
    response = api_client.get("/.well-known/jwks.json")
    assert response.status_code == 200
    assert response.json() == authz_service.get_jwks()
    assert "max-age" in response["Cache-Control"]
    assert "d" not in response.json()["keys"][0]  # never the private part


def test_refresh_endpoint(api_client: Any, user_id: uuid.UUID) -> None:
    pair = authz_service.issue_tokens(user_id=user_id)
    response = api_client.post("/api/v2/authz/token/refresh", {"refresh_token": pair.refresh_token})
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"access_token", "refresh_token", "token_type", "expires_in"}
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 600
    assert response["Cache-Control"] == "no-store"
    again = api_client.post("/api/v2/authz/token/refresh", {"refresh_token": pair.refresh_token})
    assert again.status_code == 401
    assert error_code(again) == "authz.token_reused"
    dead = api_client.post("/api/v2/authz/token/refresh", {"refresh_token": body["refresh_token"]})
    assert dead.status_code == 401
    assert error_code(dead) == "authz.invalid_token"
    bad = api_client.post("/api/v2/authz/token/refresh", {})
    assert bad.status_code == 400
    assert error_code(bad) == "invalid_input"


def test_bearer_authentication_sets_a_principal(api_client: Any, user_id: uuid.UUID) -> None:
    pair = authz_service.issue_tokens(user_id=user_id)
    assert api_client.get("/probe/kanban").status_code == 401
    response = bearer(api_client, pair).get("/probe/kanban")
    assert response.status_code == 200
    assert response.json() == {"user_id": str(user_id), "kind": "user"}


def test_invalid_or_revoked_bearer_is_401_in_the_error_shape(api_client: Any, user_id: uuid.UUID) -> None:
    pair = authz_service.issue_tokens(user_id=user_id)
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not.a.token")
    response = api_client.get("/probe/kanban")
    assert response.status_code == 401
    assert error_code(response) == "authz.invalid_token"
    assert response["WWW-Authenticate"].startswith("Bearer")
    authz_service.revoke_session(user_id=user_id, session_id=pair.session_id, reason="logout")
    response = bearer(api_client, pair).get("/probe/kanban")
    assert response.status_code == 401
    assert error_code(response) == "authz.invalid_token"


def test_redis_down_answers_503_with_retry_after(api_client: Any, user_id: uuid.UUID, settings: Any) -> None:
    pair = authz_service.issue_tokens(user_id=user_id)
    settings.CACHES = {
        **settings.CACHES,
        "down": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5},
        },
    }
    settings.AUTHZ_REVOCATION_CACHE = "down"
    response = bearer(api_client, pair).get("/probe/kanban")
    assert response.status_code == 503
    assert error_code(response) == "authz.revocation_unavailable"
    assert response["Retry-After"] == "5"


def test_token_verification_makes_no_database_query(
    api_client: Any, user_id: uuid.UUID, django_assert_num_queries: Any
) -> None:
    pair = authz_service.issue_tokens(user_id=user_id)
    bearer(api_client, pair).get("/probe/kanban")  # warms the in-process JWKS cache
    with django_assert_num_queries(0):
        assert api_client.get("/probe/kanban").status_code == 200


class TestApiKeys:
    def create(self, client: Any, pair: TokenPairData, **body: Any) -> Any:
        return bearer(client, pair).post("/api/v2/authz/api-keys", {"name": "ci", **body})

    def test_create_list_use_delete(self, api_client: Any, user_id: uuid.UUID) -> None:
        pair = authz_service.issue_tokens(user_id=user_id)
        created = self.create(api_client, pair, scopes=["kanban:read"])
        assert created.status_code == 201, created.content
        body = created.json()
        key = body["key"]
        assert key.startswith(body["prefix"])
        assert len(key) > 40
        assert created["Cache-Control"] == "no-store"

        listed = api_client.get("/api/v2/authz/api-keys").json()["results"]
        assert [k["id"] for k in listed] == [body["id"]]
        assert "key" not in listed[0]
        assert listed[0]["last_used_at"] is None

        api_client.credentials(HTTP_X_API_KEY=key)
        used = api_client.get("/probe/kanban")
        assert used.status_code == 200
        assert used.json() == {"user_id": str(user_id), "kind": "api_key"}
        bearer(api_client, pair)
        assert api_client.get("/api/v2/authz/api-keys").json()["results"][0]["last_used_at"] is not None

        assert api_client.delete(f"/api/v2/authz/api-keys/{body['id']}").status_code == 204
        api_client.credentials(HTTP_X_API_KEY=key)
        refused = api_client.get("/probe/kanban")
        assert refused.status_code == 401
        assert error_code(refused) == "authz.invalid_token"

    def test_scopes_are_enforced(self, api_client: Any, user_id: uuid.UUID) -> None:
        pair = authz_service.issue_tokens(user_id=user_id)
        read_key = self.create(api_client, pair, scopes=["kanban:read"]).json()["key"]
        write_key = self.create(api_client, pair, scopes=["kanban:write"]).json()["key"]
        other_key = self.create(api_client, pair, scopes=["account:write"]).json()["key"]

        api_client.credentials(HTTP_X_API_KEY=read_key)
        assert api_client.get("/probe/kanban").status_code == 200
        denied = api_client.post("/probe/kanban", {})
        assert denied.status_code == 403
        assert error_code(denied) == "authz.insufficient_scope"

        api_client.credentials(HTTP_X_API_KEY=write_key)
        assert api_client.post("/probe/kanban", {}).status_code == 201
        assert api_client.get("/probe/kanban").status_code == 200  # write implies read

        api_client.credentials(HTTP_X_API_KEY=other_key)
        assert api_client.get("/probe/kanban").status_code == 403

    def test_keys_cannot_create_keys(self, api_client: Any, user_id: uuid.UUID) -> None:
        pair = authz_service.issue_tokens(user_id=user_id)
        key = self.create(api_client, pair, scopes=["authz:write"]).json()["key"]
        api_client.credentials(HTTP_X_API_KEY=key)
        response = api_client.post("/api/v2/authz/api-keys", {"name": "x", "scopes": ["authz:write"]})
        assert response.status_code == 403
        assert error_code(response) == "authz.api_key_not_allowed"
        assert api_client.get("/api/v2/authz/api-keys").status_code == 200  # authz:write covers reading

    def test_bad_input(self, api_client: Any, user_id: uuid.UUID) -> None:
        pair = authz_service.issue_tokens(user_id=user_id)
        for scopes in (["kanban:admin"], ["nosuchapp:read"], ["*"], []):
            response = self.create(api_client, pair, scopes=scopes)
            assert response.status_code == 400, scopes
        past = (timezone.now() - timedelta(days=1)).isoformat()
        assert self.create(api_client, pair, scopes=["kanban:read"], expires_at=past).status_code == 400

    def test_expired_key_is_refused(self, api_client: Any, user_id: uuid.UUID) -> None:
        from apps.authz.models import ApiKey

        pair = authz_service.issue_tokens(user_id=user_id)
        key = self.create(api_client, pair, scopes=["kanban:read"]).json()["key"]
        ApiKey.objects.update(expires_at=timezone.now())
        api_client.credentials(HTTP_X_API_KEY=key)
        assert api_client.get("/probe/kanban").status_code == 401

    def test_strangers_cannot_see_or_delete_keys(self, api_client: Any, user_id: uuid.UUID) -> None:
        owner = authz_service.issue_tokens(user_id=user_id)
        key_id = self.create(api_client, owner, scopes=["kanban:read"]).json()["id"]
        stranger = authz_service.issue_tokens(user_id=uuid.uuid4())
        bearer(api_client, stranger)
        assert api_client.get("/api/v2/authz/api-keys").json()["results"] == []
        response = api_client.delete(f"/api/v2/authz/api-keys/{key_id}")
        assert response.status_code == 404
        assert error_code(response) == "authz.api_key_not_found"
        bearer(api_client, owner)
        assert len(api_client.get("/api/v2/authz/api-keys").json()["results"]) == 1

    def test_anonymous_is_401(self, api_client: Any) -> None:
        assert api_client.get("/api/v2/authz/api-keys").status_code == 401
        assert api_client.post("/api/v2/authz/api-keys", {"name": "x", "scopes": ["kanban:read"]}).status_code == 401


class TestPermissions:
    def test_has_permission_follows_roles(self, api_client: Any, user_id: uuid.UUID) -> None:
        plain = authz_service.issue_tokens(user_id=user_id)
        response = bearer(api_client, plain).get("/probe/staff")
        assert response.status_code == 403
        assert error_code(response) == "authz.permission_denied"

        assert authz_service.set_roles(user_id=user_id, roles=frozenset({"staff"})) == {"user", "staff"}
        staff = authz_service.issue_tokens(user_id=user_id)  # roles travel in the token
        assert bearer(api_client, staff).get("/probe/staff").status_code == 200

    def test_check_permission_and_wildcards(self, user_id: uuid.UUID) -> None:
        from apps.authz.services import MissingPermissionError, UnknownRoleError

        assert authz_service.get_roles(user_id=user_id) == {"user"}
        assert not authz_service.check_permission(user_id=user_id, permission="authz.view_sessions")
        with pytest.raises(MissingPermissionError):
            authz_service.require_permission(user_id=user_id, permission="authz.view_sessions")
        authz_service.set_roles(user_id=user_id, roles=frozenset({"admin"}))
        assert authz_service.check_permission(user_id=user_id, permission="kanban.delete_any_board")
        authz_service.require_permission(user_id=user_id, permission="anything.at_all")
        with pytest.raises(UnknownRoleError):
            authz_service.set_roles(user_id=user_id, roles=frozenset({"emperor"}))
        authz_service.set_roles(user_id=user_id, roles=frozenset())
        assert authz_service.get_roles(user_id=user_id) == {"user"}
        assert set(authz_service.list_role_permissions()) >= {"user", "staff", "admin"}


def test_user_data_export_and_delete(api_client: Any, user_id: uuid.UUID) -> None:
    pair = authz_service.issue_tokens(user_id=user_id, device_id="d1")
    authz_service.create_api_key(user_id=user_id, name="ci", scopes=frozenset({"kanban:read"}))
    exported = authz_service.export_user_data(user_id=user_id)
    assert exported["roles"] == ["user"]
    assert len(exported["sessions"]) == 1
    assert len(exported["api_keys"]) == 1
    assert "key_hash" not in str(exported)
    authz_service.delete_user_data(user_id=user_id)
    assert authz_service.list_sessions(user_id=user_id) == []
    assert authz_service.list_api_keys(user_id=user_id) == []
    assert bearer(api_client, pair).get("/probe/kanban").status_code == 401


def test_api_key_limit(user_id: uuid.UUID, api_client: Any) -> None:
    from apps.authz.services.local import MAX_API_KEYS

    for i in range(MAX_API_KEYS):
        authz_service.create_api_key(user_id=user_id, name=f"k{i}", scopes=frozenset({"kanban:read"}))
    pair = authz_service.issue_tokens(user_id=user_id)
    response = bearer(api_client, pair).post("/api/v2/authz/api-keys", {"name": "one more", "scopes": ["kanban:read"]})
    assert response.status_code == 409
    assert error_code(response) == "authz.api_key_limit"
    page = api_client.get("/api/v2/authz/api-keys?page_size=20").json()
    assert len(page["results"]) == 20
    assert page["next"]
