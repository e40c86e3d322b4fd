"""The internal RPC endpoint refuses anything not signed for it, and validates what it dispatches."""

from __future__ import annotations

import time
import uuid
from typing import Any

import orjson
import pytest
from django.test import Client

from apps.account.services import account_service
from gau.rpc import signing

pytestmark = pytest.mark.django_db

PATH = "/internal/rpc/account/get_user/"


def body_for(user_id: uuid.UUID | str) -> bytes:
    return orjson.dumps({"user_id": str(user_id)})


def post(body: bytes, headers: dict[str, str], path: str = PATH) -> Any:
    return Client().generic("POST", path, data=body, content_type="application/json", headers=headers)


def signed(
    body: bytes, *, key: str | None = None, app: str = "account", path: str = PATH, now: float | None = None
) -> dict[str, str]:
    from django.conf import settings

    return signing.sign(key=key or settings.GAU_INTERNAL_KEYS[0], method="POST", path=path, app=app, body=body, now=now)


@pytest.fixture
def user_id() -> uuid.UUID:
    return account_service.create_user(email="rpc@example.com", password="correct horse battery").id


def test_signed_request_is_dispatched(user_id: uuid.UUID) -> None:
    body = body_for(user_id)
    response = post(body, signed(body))
    assert response.status_code == 200
    assert response.json()["result"]["email"] == "rpc@example.com"


def test_older_key_still_verifies_during_rotation(user_id: uuid.UUID, settings) -> None:
    body = body_for(user_id)
    response = post(body, signed(body, key=settings.GAU_INTERNAL_KEYS[1]))
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("missing", "missing signature headers"),
        ("wrong_key", "bad signature"),
        ("stale", "stale timestamp"),
        ("future", "stale timestamp"),
        ("other_app", "signature was made for another app"),
        ("tampered_body", "bad signature"),
        ("other_path", "bad signature"),
    ],
)
def test_bad_signatures_get_401_and_are_not_dispatched(case: str, reason: str, user_id: uuid.UUID) -> None:
    body = body_for(user_id)
    headers: dict[str, str]
    if case == "missing":
        headers = {}
    elif case == "wrong_key":
        headers = signed(body, key="not-one-of-the-configured-keys-0000000000")
    elif case == "stale":
        headers = signed(body, now=time.time() - 90)
    elif case == "future":
        headers = signed(body, now=time.time() + 90)
    elif case == "other_app":
        headers = signed(body, app="authz")
    elif case == "tampered_body":
        headers = signed(body)
        body = body_for(uuid.uuid4())
    else:
        headers = signed(body, path="/internal/rpc/account/get_user_by_email/")
    response = post(body, headers)
    assert response.status_code == 401
    error = response.json()["error"]
    assert error["code"] == "rpc.unauthenticated"
    assert reason in error["message"]
    assert "result" not in response.json()


def test_replayed_request_is_refused(user_id: uuid.UUID) -> None:
    body = body_for(user_id)
    headers = signed(body)
    assert post(body, headers).status_code == 200
    replay = post(body, headers)
    assert replay.status_code == 401
    assert "replayed" in replay.json()["error"]["message"]


def test_no_keys_configured_refuses_everything(user_id: uuid.UUID, settings) -> None:
    body = body_for(user_id)
    headers = signed(body)
    settings.GAU_INTERNAL_KEYS = ()
    assert post(body, headers).status_code == 401


def test_app_not_served_by_this_process_is_404(settings, user_id: uuid.UUID) -> None:
    settings.GAU_SERVED_APPS = ("authz",)
    body = body_for(user_id)
    response = post(body, signed(body))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "rpc.app_not_served"  # not the domain's "not_found"
    assert response.json()["rpc"] == {"app": "account"}


def test_body_over_the_rpc_limit_is_413_unread(settings, user_id: uuid.UUID) -> None:
    body = body_for(user_id)
    settings.GAU_RPC_MAX_BODY = len(body) - 1
    response = post(body, signed(body))
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "rpc.body_too_large"
    assert response.json()["error"]["details"] == {"limit": len(body) - 1}
    settings.GAU_RPC_MAX_BODY = len(body)
    assert post(body, signed(body)).status_code == 200


def test_bodies_over_django_limit_are_read(settings, user_id: uuid.UUID) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    body = orjson.dumps({"user_id": str(user_id)}).replace(b"{", b"{" + b" " * 4096, 1)
    response = post(body, signed(body))
    assert response.status_code == 200, response.json()


def test_unknown_method_is_404() -> None:
    path = "/internal/rpc/account/drop_everything/"
    body = b"{}"
    response = post(body, signed(body, path=path), path=path)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "rpc.unknown_method"


@pytest.mark.parametrize(
    "payload",
    [
        b"{not json",
        b'{"user_id": "not-a-uuid"}',
        b'{"user_id": "' + str(uuid.uuid4()).encode() + b'", "extra": 1}',
        b"{}",
    ],
)
def test_invalid_arguments_are_400(payload: bytes) -> None:
    response = post(payload, signed(payload))
    assert response.status_code == 400
    assert response.json()["error"]["code"] in {"rpc.malformed_body", "rpc.bad_arguments"}


def test_get_is_405() -> None:
    response = Client().get(PATH)
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"


def test_internal_endpoints_are_not_in_the_public_schema() -> None:
    schema = Client().get("/api/schema/", headers={"Accept": "application/json"})
    assert schema.status_code == 200
    assert not [p for p in schema.json()["paths"] if p.startswith("/internal/")]


@pytest.mark.parametrize(("skew", "accepted"), [(-60, True), (60, True), (-61, False), (61, False)])
def test_the_skew_window_is_sixty_seconds(skew: int, accepted: bool) -> None:
    body = b"{}"
    headers = signing.sign(key="k" * 40, method="POST", path=PATH, app="account", body=body, now=1_000_000)

    def verify() -> None:
        signing.verify(
            keys=["k" * 40],
            method="POST",
            path=PATH,
            app="account",
            body=body,
            headers=headers,
            max_skew=60,
            now=1_000_000 + skew,
        )

    if accepted:
        verify()
    else:
        with pytest.raises(signing.SignatureError, match="stale timestamp"):
            verify()
