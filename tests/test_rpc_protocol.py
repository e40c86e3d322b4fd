"""Failures of the internal-call protocol itself (misrouting, version skew, oversized bodies) are 503-class
``rpc.*`` errors, logged at ERROR, and never look like a domain answer such as "not found"; internal calls
have their own body limit, sized for the largest payload an interface takes."""

from __future__ import annotations

import io
import logging
import os
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from PIL import Image

from apps.account.services import AccountService, UserData, account_service
from apps.authz.services import authz_service
from apps.upload.services import upload_service
from conftest import LoggedIn, ServerFactory
from gau.config import APP_NAMES
from gau.rpc import NotFoundError, ServiceUnavailableError
from gau.rpc import client as rpc_client
from gau.rpc.service import _build_spec, rpc_method
from gau.rpc.testing import DjangoClientTransport, remote_mode

MiB = 1024 * 1024


def _big_png(min_bytes: int) -> bytes:
    """A PNG of random pixels (incompressible) of at least ``min_bytes``."""
    side = int((min_bytes / 3) ** 0.5) + 8
    buf = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(buf, format="PNG", compress_level=1)
    data = buf.getvalue()
    assert len(data) >= min_bytes
    return data


def _post_avatar(client: Any, data: bytes) -> Any:
    upload = io.BytesIO(data)
    upload.name = "me.png"
    return client.post("/api/v2/account/me/avatar", {"file": upload}, format="multipart")


def _rpc_errors(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "gau.rpc" and r.levelno >= logging.ERROR]


# --- 1. Large internal calls -----------------------------------------------------------------------


@pytest.mark.django_db
def test_four_mib_avatar_with_upload_remote(user_client: LoggedIn) -> None:
    data = _big_png(4 * MiB)
    assert 4 * MiB <= len(data) < 5 * MiB  # under the avatar limit, but > 2 MiB once base64 in JSON
    with remote_mode("upload") as transport:
        response = _post_avatar(user_client.client, data)
    assert response.status_code == 200, response.json()
    assert "/internal/rpc/upload/create_file/" in transport.calls
    stored = upload_service.get_file(file_id=_avatar_id(user_client))
    assert stored is not None
    assert stored.size == len(data)
    assert stored.purpose == "avatar"


def _avatar_id(login: LoggedIn) -> uuid.UUID:
    from apps.account.models import User

    avatar = User.objects.get(pk=login.user_id).avatar_file_id
    assert avatar is not None
    return avatar


@pytest.mark.django_db
def test_body_over_the_rpc_limit_is_a_protocol_error(
    user_client: LoggedIn, settings, caplog: pytest.LogCaptureFixture
) -> None:
    settings.GAU_RPC_MAX_BODY = 1 * MiB
    with remote_mode("upload"):
        response = _post_avatar(user_client.client, _big_png(MiB))
    assert response.status_code == 503, response.json()
    assert response.json()["error"]["code"] == "rpc.body_too_large"
    assert response["Retry-After"]
    assert _rpc_errors(caplog)


def test_default_rpc_limit_covers_the_largest_in_memory_payload(settings) -> None:
    from apps.upload.models import IMAGE_PURPOSES
    from apps.upload.services.local import size_limit

    largest = max(size_limit(p) for p in IMAGE_PURPOSES)
    assert largest * 4 / 3 + 64 * 1024 <= settings.GAU_RPC_MAX_BODY
    assert settings.GAU_RPC_MAX_BODY > settings.DATA_UPLOAD_MAX_MEMORY_SIZE


# --- 2. Misrouted calls and version skew ------------------------------------------------------------


@pytest.mark.django_db
def test_app_not_served_is_unavailable_not_missing(settings, caplog: pytest.LogCaptureFixture) -> None:
    settings.GAU_SERVED_APPS = tuple(app for app in APP_NAMES if app != "upload")
    with remote_mode("upload"), pytest.raises(ServiceUnavailableError) as caught:
        upload_service.get_file(file_id=uuid.uuid4())
    assert not isinstance(caught.value, NotFoundError)
    assert caught.value.code == "rpc.app_not_served"
    assert caught.value.http_status == 503
    assert any("rpc.app_not_served" in r.getMessage() for r in _rpc_errors(caplog))


@pytest.mark.django_db
def test_misrouted_call_reaches_api_users_as_503(user_client: LoggedIn, settings) -> None:
    settings.GAU_SERVED_APPS = tuple(app for app in APP_NAMES if app != "upload")
    with remote_mode("upload"):
        response = _post_avatar(user_client.client, _big_png(1024))
    assert response.status_code == 503, response.json()
    assert response.json()["error"]["code"] == "rpc.app_not_served"


def _newer_get_user(self: Any, *, user_id: uuid.UUID, include_deleted: bool = False) -> UserData | None:
    """``get_user`` as a newer caller knows it: one more argument than this server accepts."""
    raise NotImplementedError


@pytest.mark.django_db
def test_arguments_from_another_version_are_a_protocol_error(caplog: pytest.LogCaptureFixture) -> None:
    spec = _build_spec(AccountService, "get_user", rpc_method(idempotent=True)(_newer_get_user))
    with remote_mode("account"), pytest.raises(ServiceUnavailableError) as caught:
        rpc_client._call(AccountService, "http://testserver", spec, {"user_id": uuid.uuid4(), "include_deleted": True})
    assert caught.value.code == "rpc.bad_arguments"
    assert caught.value.http_status == 503
    assert _rpc_errors(caplog)


@pytest.mark.django_db
def test_unknown_method_is_a_protocol_error() -> None:
    spec = _build_spec(AccountService, "get_user_v2", rpc_method(idempotent=True)(_newer_get_user))
    with remote_mode("account"), pytest.raises(ServiceUnavailableError) as caught:
        rpc_client._call(AccountService, "http://testserver", spec, {"user_id": uuid.uuid4()})
    assert caught.value.code == "rpc.unknown_method"


@pytest.mark.django_db
def test_not_an_rpc_answer_is_not_a_domain_error(settings) -> None:
    """A URL that reaches something other than an RPC endpoint (here Django's own 404 in the error shape,
    e.g. a proxy path missing its prefix) is a protocol failure, not the domain's "not found"."""
    settings.GAU_SERVICE_URLS = {"account": "http://testserver/not-gau"}
    previous = rpc_client.set_transport(DjangoClientTransport())
    try:
        with pytest.raises(ServiceUnavailableError) as caught:
            account_service.get_user(user_id=uuid.uuid4())
    finally:
        rpc_client.set_transport(previous)
    assert caught.value.code == "rpc.bad_response"


@pytest.fixture
def real_http() -> Iterator[None]:
    previous = rpc_client.set_transport(rpc_client.HttpxTransport())
    yield
    rpc_client.set_transport(previous)


@pytest.mark.live
def test_bad_service_urls_with_real_processes(
    gau_server: ServerFactory, settings, real_http: None, caplog: pytest.LogCaptureFixture
) -> None:
    """GAU_SERVICE_URLS points upload at a process that serves only account."""
    account_url = gau_server(GAU_SERVED_APPS="account")
    settings.GAU_SERVICE_URLS = {"upload": account_url}
    with pytest.raises(ServiceUnavailableError) as caught:
        upload_service.get_file(file_id=uuid.uuid4())
    assert caught.value.code == "rpc.app_not_served"
    assert _rpc_errors(caplog)

    # The same mistake in a serving process reaches its API users as a 503, not as "not found".
    others = ",".join(app for app in APP_NAMES if app != "upload")
    front = gau_server(GAU_SERVED_APPS=others, GAU_SERVICE_URLS=f"upload={account_url}")
    settings.GAU_SERVICE_URLS = {}
    user = account_service.create_user(email=f"mis-{uuid.uuid4().hex[:8]}@example.com", password="correct horse 42")
    tokens = authz_service.issue_tokens(user_id=user.id, user_agent="pytest", ip="127.0.0.1")
    response = httpx.post(
        f"{front}/api/v2/account/me/avatar",
        files={"file": ("me.png", _big_png(1024), "image/png")},
        headers={"Authorization": f"Bearer {tokens.access_token}"},
        timeout=20,
    )
    assert response.status_code == 503, response.text
    assert response.json()["error"]["code"] == "rpc.app_not_served"
