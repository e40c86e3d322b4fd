"""The cached ``GET me`` document: hits without a query, and every write visible on the next GET."""

from __future__ import annotations

import io
import uuid
from collections.abc import Callable
from typing import Any

import pyotp
import pytest
from django.contrib.admin.sites import site
from django.contrib.messages.storage.cookie import CookieStorage
from django.http import HttpRequest
from django.test import Client, RequestFactory
from PIL import Image

from apps.account import me_cache
from apps.account.admin import UserAdmin
from apps.account.models import User
from apps.authz.services import authz_service
from apps.upload.services import upload_service

ME = "/api/v2/account/me"
#: What a write makes true of the next GET's body.
Check = Callable[[dict[str, Any]], bool]


@pytest.fixture
def signed_in(make_user: Callable[..., User]) -> tuple[User, Client]:
    """A user and a test client sending a real bearer access token (the fast path's case)."""
    user = make_user(display_name="Before")
    token = authz_service.issue_tokens(user_id=user.id, user_agent="pytest", ip="127.0.0.1").access_token
    return user, Client(headers={"Authorization": f"Bearer {token}"})


def _primed(client: Client) -> dict[str, Any]:
    """GET me twice: the second answer comes from the cache (checked by the caller where it matters)."""
    first = client.get(ME)
    assert first.status_code == 200, first.content
    second = client.get(ME)
    assert second.content == first.content
    body: dict[str, Any] = second.json()
    return body


def test_a_hit_needs_no_query_and_answers_what_drf_answers(signed_in, django_assert_num_queries) -> None:
    user, client = signed_in
    first = client.get(ME)  # a miss: DRF view, database, fills the cache
    assert first.status_code == 200
    with django_assert_num_queries(0):
        second = client.get(ME)
    assert second.status_code == 200
    assert second.content == first.content
    for header in ("Content-Type", "Allow", "Vary"):
        assert second[header] == first[header]
    assert second.json()["id"] == str(user.id)


def test_the_fast_path_keeps_authentication_and_errors(signed_in, make_user) -> None:
    _, client = signed_in
    _primed(client)
    # Another user's token never gets this user's document.
    other = make_user()
    token = authz_service.issue_tokens(user_id=other.id, user_agent="pytest", ip="127.0.0.1").access_token
    assert Client(headers={"Authorization": f"Bearer {token}"}).get(ME).json()["id"] == str(other.id)
    # No token, a bad token, a non-JSON Accept: the DRF view's answers, in the error shape.
    assert Client().get(ME).status_code == 401
    bad = Client(headers={"Authorization": "Bearer not-a-token"}).get(ME)
    assert bad.status_code == 401
    assert bad.json()["error"]["code"]
    assert client.get(ME, headers={"Accept": "text/html"}).status_code == 406


def test_revocation_applies_to_cached_documents(signed_in) -> None:
    user, client = signed_in
    _primed(client)
    authz_service.revoke_all_sessions(user_id=user.id, reason="test")
    assert client.get(ME).status_code == 401


def _png() -> io.BytesIO:
    buf = io.BytesIO()
    Image.new("RGB", (16, 16), "red").save(buf, format="PNG")
    buf.seek(0)
    buf.name = "a.png"
    return buf


def _patch(user: User, client: Client) -> Check:
    response = client.patch(ME, {"display_name": "After"}, content_type="application/json")
    assert response.status_code == 200, response.content
    return lambda body: body["display_name"] == "After"


def _model_save(user: User, client: Client) -> Check:
    user.display_name = "Saved elsewhere"  # an admin edit, a service, a management command
    user.save()
    return lambda body: body["display_name"] == "Saved elsewhere"


def _admin_mark_verified(user: User, client: Client) -> Check:
    User.objects.filter(id=user.id).update(email_verified=False)  # behind the cache's back on purpose
    me_cache.bump([user.id])
    assert client.get(ME).json()["email_verified"] is False
    UserAdmin(User, site).mark_verified(_admin_request(), User.objects.filter(id=user.id))
    return lambda body: body["email_verified"] is True


def _mfa(user: User, client: Client) -> Check:
    secret = client.post("/api/v2/account/mfa/totp/setup", {}, content_type="application/json").json()["secret"]
    enabled = client.post(
        "/api/v2/account/mfa/totp/enable", {"code": pyotp.TOTP(secret).now()}, content_type="application/json"
    )
    assert enabled.status_code == 200, enabled.content
    return lambda body: body["mfa_enabled"] is True


def _avatar(user: User, client: Client) -> Check:
    response = client.post(f"{ME}/avatar", {"file": _png()})
    assert response.status_code == 200, response.content
    url = response.json()["avatar_url"]
    return lambda body: body["avatar_url"] == url


def _avatar_deleted_in_upload(user: User, client: Client) -> Check:
    response = client.post(f"{ME}/avatar", {"file": _png()})
    assert response.status_code == 200
    assert _primed(client)["avatar_url"] == response.json()["avatar_url"]
    user.refresh_from_db()
    assert user.avatar_file_id is not None
    upload_service.delete_file(file_id=user.avatar_file_id, owner_id=user.id)  # not through account
    return lambda body: body["avatar_url"] is None


def _admin_request() -> HttpRequest:
    """A request the admin actions can report to (messages in a cookie; not under test)."""
    request = RequestFactory().post("/admin/account/user/")
    request._messages = CookieStorage(request)  # type: ignore[attr-defined]
    return request


@pytest.mark.parametrize(
    "write",
    [_patch, _model_save, _admin_mark_verified, _mfa, _avatar, _avatar_deleted_in_upload],
    ids=lambda f: f.__name__.strip("_"),
)
def test_every_write_is_visible_on_the_next_get(signed_in, s3, write) -> None:
    user, client = signed_in
    before = _primed(client)
    check = write(user, client)
    after = client.get(ME)
    assert after.status_code == 200
    assert check(after.json()), (before, after.json())
    assert client.get(ME).content == after.content  # and cached again


def test_deactivation_and_deletion_end_access_at_once(signed_in, make_user) -> None:
    user, client = signed_in
    _primed(client)
    UserAdmin(User, site).deactivate(_admin_request(), User.objects.filter(id=user.id))
    assert client.get(ME).status_code == 401

    other = make_user()
    token = authz_service.issue_tokens(user_id=other.id, user_agent="pytest", ip="127.0.0.1").access_token
    other_client = Client(headers={"Authorization": f"Bearer {token}"})
    _primed(other_client)
    User.objects.filter(id=other.id).update(is_active=False)  # a raw update: no signal, no bump...
    assert other_client.get(ME).status_code == 200  # ...so the cache still answers (why writes bump)
    other.is_active = False
    other.save()  # the same change through the model bumps
    assert other_client.get(ME).status_code == 401


def test_an_entry_read_before_a_write_is_never_served(make_user) -> None:
    user = make_user()
    version, body = me_cache.lookup(user.id)  # a reader takes the version (none yet), then reads the row
    assert version is None
    assert body is None
    user.display_name = "Newer"
    user.save()  # a writer commits in between
    me_cache.store(user.id, version, b'{"stale":true}', None, None)  # the reader stores what it read
    assert me_cache.lookup(user.id)[1] is None

    version = me_cache.lookup(user.id)[0]
    assert version is not None
    me_cache.store(user.id, version, b'{"fresh":true}', None, None)
    assert me_cache.lookup(user.id)[1] == b'{"fresh":true}'
    stale_version = version
    User.objects.get(id=user.id).save()
    me_cache.store(user.id, stale_version, b'{"stale":true}', None, None)
    assert me_cache.lookup(user.id)[1] is None
    assert me_cache.lookup(uuid.uuid4()) == (None, None)


@pytest.mark.live
def test_a_write_in_one_process_is_visible_on_the_next_get_in_another(gau_server) -> None:
    """Two server processes sharing PostgreSQL and Redis: GET me cached in A, PATCH in B, GET in A."""
    import httpx

    a, b = gau_server(), gau_server()
    user = User.objects.create_user(email=f"x{uuid.uuid4().hex[:8]}@example.com", password="x" * 20, display_name="A")
    token = authz_service.issue_tokens(user_id=user.id, user_agent="pytest", ip="127.0.0.1").access_token
    headers = {"Authorization": f"Bearer {token}"}
    for _ in range(2):  # the second answer is A's cached document
        assert httpx.get(a + ME, headers=headers, timeout=30).json()["display_name"] == "A"
    for name in ("B", "C", "D"):
        patched = httpx.patch(b + ME, json={"display_name": name}, headers=headers, timeout=30)
        assert patched.status_code == 200, patched.text
        assert httpx.get(a + ME, headers=headers, timeout=30).json()["display_name"] == name
        assert httpx.get(b + ME, headers=headers, timeout=30).json()["display_name"] == name
