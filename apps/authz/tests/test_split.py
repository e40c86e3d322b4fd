"""authz in its own server process: this process verifies its tokens locally with keys fetched over
signed HTTP, and sees its revocations at once through the shared Redis."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from apps.authz.services import InvalidTokenError, authz_service
from conftest import ServerFactory
from gau.rpc import client as rpc_client

pytestmark = [pytest.mark.live, pytest.mark.urls("apps.authz.tests.urls")]


@pytest.fixture
def real_http() -> Iterator[None]:
    previous = rpc_client.set_transport(rpc_client.HttpxTransport())
    yield
    rpc_client.set_transport(previous)


def test_tokens_across_processes(gau_server: ServerFactory, settings: Any, real_http: None, api_client: Any) -> None:
    authz_url = gau_server(GAU_SERVED_APPS="authz")
    settings.GAU_SERVICE_URLS = {"authz": authz_url}
    assert type(authz_service.target()).__name__ == "RemoteAuthzService"  # type: ignore[attr-defined]
    user_id = uuid.uuid4()

    pair = authz_service.issue_tokens(user_id=user_id, device_id="split")
    # this process verifies with the JWKS it fetched from the authz process
    assert httpx.get(f"{authz_url}/.well-known/jwks.json").json() == authz_service.get_jwks()
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {pair.access_token}")
    assert api_client.get("/probe/kanban").json()["user_id"] == str(user_id)

    # the public refresh endpoint of the authz process rotates, and detects reuse
    refreshed = httpx.post(f"{authz_url}/api/v2/authz/token/refresh", json={"refresh_token": pair.refresh_token})
    assert refreshed.status_code == 200, refreshed.text
    reused = httpx.post(f"{authz_url}/api/v2/authz/token/refresh", json={"refresh_token": pair.refresh_token})
    assert reused.status_code == 401
    assert reused.json()["error"]["code"] == "authz.token_reused"
    # ... and the revocation it published is seen here at once
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {refreshed.json()['access_token']}")
    assert api_client.get("/probe/kanban").status_code == 401
    with pytest.raises(InvalidTokenError):
        authz_service.refresh_tokens(refresh_token=refreshed.json()["refresh_token"])

    other = authz_service.issue_tokens(user_id=user_id)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {other.access_token}")
    assert api_client.get("/probe/kanban").status_code == 200
    authz_service.revoke_session(user_id=user_id, session_id=other.session_id, reason="logout")
    assert api_client.get("/probe/kanban").status_code == 401
