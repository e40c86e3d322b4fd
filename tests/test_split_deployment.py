"""Two real server processes, each serving a different subset of apps, calling across over signed HTTP."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest

from apps.account.services import EmailTakenError, account_service
from conftest import ServerFactory
from gau.config import APP_NAMES
from gau.rpc import ServiceUnavailableError
from gau.rpc import client as rpc_client

pytestmark = pytest.mark.live

OTHERS = ",".join(app for app in APP_NAMES if app != "account")


@pytest.fixture
def real_http() -> Iterator[None]:
    """Use the production transport (pooled httpx client) in this process."""
    previous = rpc_client.set_transport(rpc_client.HttpxTransport())
    yield
    rpc_client.set_transport(previous)


def test_call_crosses_between_two_processes(gau_server: ServerFactory, settings, real_http: None) -> None:
    account_url = gau_server(GAU_SERVED_APPS="account")
    rest_url = gau_server(GAU_SERVED_APPS=OTHERS, GAU_SERVICE_URLS=f"account={account_url}")

    # The account process serves account's internal endpoint and nothing else's.
    assert httpx.post(f"{account_url}/internal/rpc/authz/ping/").status_code == 404
    assert httpx.post(f"{rest_url}/internal/rpc/account/ping/").status_code == 404

    # The second process reaches account through the interface (its readiness pings it over HTTP).
    ready = httpx.get(f"{rest_url}/readyz", timeout=10)
    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"]["service:account"]["ok"] is True

    # This process, configured like a third deployment, calls the account process over real HTTP:
    # same results as in-process, same error classes.
    local = account_service.create_user(email="split@example.com", password="correct horse battery")
    settings.GAU_SERVICE_URLS = {"account": account_url}
    assert type(account_service.target()).__name__ == "RemoteAccountService"  # type: ignore[attr-defined]
    assert account_service.get_user(user_id=local.id) == local
    assert account_service.get_user(user_id=uuid.uuid4()) is None
    with pytest.raises(EmailTakenError):
        account_service.create_user(email="SPLIT@example.com", password="correct horse battery")
    remote_created = account_service.create_user(email="remote@example.com", password="correct horse battery")
    settings.GAU_SERVICE_URLS = {}
    assert account_service.get_user(user_id=remote_created.id) == remote_created


def test_remote_app_down_is_a_typed_503(gau_server: ServerFactory, settings, real_http: None) -> None:
    account_url = gau_server(GAU_SERVED_APPS="account")
    rest_url = gau_server(GAU_SERVED_APPS=OTHERS, GAU_SERVICE_URLS=f"account={account_url}")
    gau_server.stop(account_url)

    ready = httpx.get(f"{rest_url}/readyz", timeout=20)
    assert ready.status_code == 503
    assert ready.headers["Retry-After"]
    body = ready.json()["error"]
    assert body["code"] == "not_ready"
    assert "service:account" in body["message"]

    settings.GAU_SERVICE_URLS = {"account": account_url}
    with pytest.raises(ServiceUnavailableError) as caught:
        account_service.get_user(user_id=uuid.uuid4())
    assert caught.value.http_status == 503
