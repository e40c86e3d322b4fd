"""Sign-in: identifiers, device sessions, verification gate, enumeration resistance, throttling, cookie mode,
sessions and logout through authz, MFA, password change; also with authz called over HTTP (remote mode)."""

from __future__ import annotations

import statistics
import time
import uuid
from typing import Any

import pyotp
import pytest
from django.test import Client

from apps.account import throttle
from apps.account.models import TotpDevice
from apps.account.tests.conftest import PASSWORD
from apps.authz.services import authz_service
from gau.rpc.testing import remote_mode

# Committed transactions: authz publishes revocations to Redis on commit, as in production.
pytestmark = pytest.mark.django_db(transaction=True)

LOGIN = "/api/v2/account/login"
ME = "/api/v2/account/me"


@pytest.fixture(params=["local", "remote"])
def mode(request: pytest.FixtureRequest) -> Any:
    """Each test runs with authz in-process, then with authz behind the signed HTTP RPC endpoint."""
    if request.param == "local":
        yield None
    else:
        with remote_mode("authz") as transport:
            yield transport


def login(client: Any, email: str, password: str = PASSWORD, **extra: Any) -> Any:
    headers = extra.pop("headers", {})
    return client.post(LOGIN, {"email": email, "password": password, **extra}, format="json", headers=headers)


def bearer(client: Any, token: str) -> Any:
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def test_login_by_email_username_phone(api_client, make_user, mode) -> None:
    user = make_user("Ann@Example.com", username="ann", phone="+84901234567")
    for identifier in ("ann@example.com", "ANN@example.COM", "Ann", "+84901234567"):
        response = login(api_client, identifier)
        assert response.status_code == 200, (identifier, response.json())
        body = response.json()
        assert body["token_type"] == "Bearer"
        assert body["expires_in"] > 0
        assert body["refresh_token"]
    token = body["access_token"]
    me = bearer(api_client, token).get(ME)
    assert me.status_code == 200
    assert me.json()["id"] == str(user.id)
    if mode is not None:
        assert any("/internal/rpc/authz/issue_tokens/" in c for c in mode.calls)


def test_same_device_replaces_its_session(api_client, make_user, mode) -> None:
    user = make_user()
    for _ in range(2):
        assert login(api_client, user.email, headers={"X-Device-ID": "phone-1"}).status_code == 200
    assert login(api_client, user.email, headers={"X-Device-ID": "laptop"}).status_code == 200
    live = [s for s in authz_service.list_sessions(user_id=user.id) if s.revoked_at is None]
    assert sorted(s.device_id or "" for s in live) == ["laptop", "phone-1"]


def test_unverified_cannot_log_in(api_client, make_user, settings) -> None:
    user = make_user(verified=False)
    response = login(api_client, user.email)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "account.email_not_verified"
    settings.ACCOUNT_REQUIRE_VERIFIED_EMAIL = False
    assert login(api_client, user.email).status_code == 200


def test_no_enumeration_by_response(api_client, make_user) -> None:
    user = make_user()
    inactive = make_user(is_active=False)
    answers = [
        login(api_client, user.email, "wrong password 1"),
        login(api_client, "nobody@example.com", "wrong password 1"),
        login(api_client, inactive.email),
        login(api_client, "no_such_username", "x"),
    ]
    bodies = {(r.status_code, str(r.json())) for r in answers}
    assert bodies == {(401, str(answers[0].json()))}
    assert answers[0].json()["error"]["code"] == "account.invalid_credentials"


@pytest.mark.usefixtures("argon2")
def test_no_enumeration_by_timing(api_client, make_user) -> None:
    """With Argon2 on, a wrong password for a real account and for no account cost the same hashing."""
    user = make_user()
    assert user.password.startswith("argon2")

    def timed(email: str) -> float:
        start = time.perf_counter()
        assert login(api_client, email, "wrong password!").status_code == 401
        return time.perf_counter() - start

    timed(user.email), timed("warm-up@example.com")  # the dummy hash is made on first use
    known, unknown = [], []
    for n in range(4):
        throttle.record_success(account_key=str(user.id), ip="127.0.0.1")
        known.append(timed(user.email))
        unknown.append(timed(f"ghost{n}@example.com"))
    ratio = statistics.median(known) / statistics.median(unknown)
    assert 0.5 < ratio < 2.0, (known, unknown)  # wide: the box is shared; the point is both pay Argon2
    # Both paths really ran Argon2 (tens of ms), not a cheap shortcut for unknown accounts.
    assert min(unknown) > 0.01


def test_throttling_growing_delay_and_unlock(api_client, make_user, mode) -> None:
    user = make_user()
    for _ in range(throttle.ACCOUNT_FREE_FAILURES):
        assert login(api_client, user.email, "nope").status_code == 401
    assert login(api_client, user.email, "nope").status_code == 401  # this one sets the first delay
    locked = login(api_client, user.email)  # even the right password waits
    assert locked.status_code == 429
    assert locked.json()["error"]["code"] == "account.login_throttled"
    assert 1 <= int(locked["Retry-After"]) <= throttle.BASE_DELAY
    # The same answer for an unknown account hammered the same way.
    for _ in range(throttle.ACCOUNT_FREE_FAILURES + 1):
        login(api_client, "ghost@example.com", "nope")
    ghost = login(api_client, "ghost@example.com", "nope")
    assert ghost.status_code == 429
    assert ghost.json()["error"]["code"] == "account.login_throttled"
    # Another IP is not locked out by the attacker's failures.
    other = Client(REMOTE_ADDR="10.9.8.7")
    response = other.post(LOGIN, {"email": user.email, "password": PASSWORD}, content_type="application/json")
    assert response.status_code == 200
    # The emailed unlock link lifts the lock.
    throttle.unlock(account_key=str(user.id))
    assert login(api_client, user.email).status_code == 200


def test_cookie_mode_and_csrf(api_client, make_user, mode) -> None:
    user = make_user()
    response = login(api_client, user.email, cookie=True)
    assert response.status_code == 200
    body = response.json()
    assert "refresh_token" not in body
    cookie = response.cookies["gau_refresh"]
    assert cookie["httponly"]
    assert cookie["secure"]
    assert cookie["samesite"] == "Strict"
    assert cookie["path"] == "/api/v2/account/"
    csrf = body["csrf_token"]
    assert response.cookies["gau_csrf"].value == csrf
    refresh = "/api/v2/account/token/refresh"
    no_header = api_client.post(refresh)
    assert no_header.status_code == 403
    assert no_header.json()["error"]["code"] == "account.csrf_failed"
    assert api_client.post(refresh, headers={"X-CSRF-Token": "forged"}).status_code == 403
    rotated = api_client.post(refresh, headers={"X-CSRF-Token": csrf})
    assert rotated.status_code == 200, rotated.json()
    assert rotated.cookies["gau_refresh"].value != cookie.value
    assert bearer(api_client, rotated.json()["access_token"]).get(ME).status_code == 200


def test_sessions_list_revoke_logout(api_client, make_user, mode) -> None:
    user = make_user()
    a = login(api_client, user.email, headers={"X-Device-ID": "a"}).json()
    b = login(api_client, user.email, headers={"X-Device-ID": "b"}).json()
    client = bearer(api_client, a["access_token"])
    sessions = client.get("/api/v2/account/sessions").json()["results"]
    assert len(sessions) == 2
    current = [s for s in sessions if s["current"]]
    assert len(current) == 1
    assert current[0]["device_id"] == "a"
    other_id = next(s["id"] for s in sessions if not s["current"])

    # A stranger cannot end my session.
    stranger = make_user()
    s_token = login(Client_(), stranger.email).json()["access_token"]
    response = Client_().delete(f"/api/v2/account/sessions/{other_id}", headers={"Authorization": f"Bearer {s_token}"})
    assert response.status_code == 404
    assert Client_().get(ME, headers={"Authorization": f"Bearer {b['access_token']}"}).status_code == 200

    assert client.delete(f"/api/v2/account/sessions/{other_id}").status_code == 204
    assert Client_().get(ME, headers={"Authorization": f"Bearer {b['access_token']}"}).status_code == 401
    assert client.post("/api/v2/account/logout").status_code == 204
    assert client.get(ME).status_code == 401  # revocation takes effect at once


def test_session_list_is_one_bounded_page(api_client, make_user, mode, settings) -> None:
    settings.AUTHZ_MAX_SESSIONS_PER_USER = 3
    user = make_user()
    tokens = [login(api_client, user.email, headers={"X-Device-ID": f"d{n}"}).json() for n in range(5)]
    client = bearer(api_client, tokens[-1]["access_token"])
    body = client.get("/api/v2/account/sessions").json()
    assert body["next"] is None
    assert body["previous"] is None
    assert [s["device_id"] for s in body["results"]] == ["d4", "d3", "d2"]  # newest first, the limit holds
    assert [s["current"] for s in body["results"]] == [True, False, False]
    # The two oldest sign-ins were ended by the limit, at once.
    assert Client_().get(ME, headers={"Authorization": f"Bearer {tokens[0]['access_token']}"}).status_code == 401
    reasons = {s.revoked_reason for s in authz_service.list_sessions(user_id=user.id) if s.revoked_at is not None}
    assert reasons == {"session_limit"}


def test_logout_all(api_client, make_user, mode) -> None:
    user = make_user()
    tokens = [login(api_client, user.email, headers={"X-Device-ID": f"d{n}"}).json() for n in range(3)]
    client = bearer(api_client, tokens[0]["access_token"])
    response = client.post("/api/v2/account/logout-all")
    assert response.status_code == 200
    assert response.json()["revoked"] == 3
    for t in tokens:
        assert Client_().get(ME, headers={"Authorization": f"Bearer {t['access_token']}"}).status_code == 401


def Client_() -> Any:
    from rest_framework.test import APIClient

    return APIClient()


def test_stranger_token_cannot_touch_my_data(api_client, make_user) -> None:
    me = make_user(display_name="Owner")
    stranger = make_user(display_name="Stranger")
    token = login(api_client, stranger.email).json()["access_token"]
    client = bearer(api_client, token)
    # Every account endpoint acts on the caller's own account only.
    assert client.get(ME).json()["id"] == str(stranger.id)
    client.patch(ME, {"display_name": "hacked"})
    me.refresh_from_db()
    assert me.display_name == "Owner"
    forged = Client_().get(ME, headers={"Authorization": f"Bearer {token[:-6]}AAAAAA"})
    assert forged.status_code == 401


def test_mfa_login(api_client, make_user, mode) -> None:
    user = make_user()
    client = bearer(api_client, login(api_client, user.email).json()["access_token"])
    secret = client.post("/api/v2/account/mfa/totp/setup").json()["secret"]
    codes = client.post("/api/v2/account/mfa/totp/enable", {"code": pyotp.TOTP(secret).now()}).json()["recovery_codes"]
    anon = Client_()
    step = anon.post(LOGIN, {"email": user.email, "password": PASSWORD}, format="json").json()
    assert step["mfa_required"] is True
    assert "access_token" not in step
    bad = anon.post("/api/v2/account/login/mfa", {"mfa_token": step["mfa_token"], "code": "000000"}, format="json")
    assert bad.status_code == 401
    device = TotpDevice.objects.get(user=user)
    code = pyotp.TOTP(secret).at((device.last_used_step + 1) * 30)
    ok = anon.post("/api/v2/account/login/mfa", {"mfa_token": step["mfa_token"], "code": code}, format="json")
    assert ok.status_code == 200, ok.json()
    assert ok.json()["access_token"]
    # The mfa_token is single-use, and so is the code.
    again = anon.post("/api/v2/account/login/mfa", {"mfa_token": step["mfa_token"], "code": code}, format="json")
    assert again.status_code == 400
    step2 = anon.post(LOGIN, {"email": user.email, "password": PASSWORD}, format="json").json()
    reuse = anon.post("/api/v2/account/login/mfa", {"mfa_token": step2["mfa_token"], "code": code}, format="json")
    assert reuse.status_code == 401
    recovered = anon.post(
        "/api/v2/account/login/mfa", {"mfa_token": step2["mfa_token"], "code": codes[0]}, format="json"
    )
    assert recovered.status_code == 200


def test_password_change_revokes_other_sessions(api_client, make_user, mode) -> None:
    user = make_user()
    mine = login(api_client, user.email, headers={"X-Device-ID": "mine"}).json()
    other = login(api_client, user.email, headers={"X-Device-ID": "other"}).json()
    client = bearer(api_client, mine["access_token"])
    wrong = client.post(
        "/api/v2/account/password/change", {"current_password": "nope", "new_password": "An0ther long pass!"}
    )
    assert wrong.status_code == 400
    assert wrong.json()["error"]["code"] == "account.wrong_password"
    weak = client.post("/api/v2/account/password/change", {"current_password": PASSWORD, "new_password": "123"})
    assert weak.status_code == 400
    assert weak.json()["error"]["code"] == "account.invalid_password"
    ok = client.post(
        "/api/v2/account/password/change", {"current_password": PASSWORD, "new_password": "An0ther long pass!"}
    )
    assert ok.status_code == 200, ok.json()
    assert ok.json()["revoked"] == 1
    assert client.get(ME).status_code == 200
    assert Client_().get(ME, headers={"Authorization": f"Bearer {other['access_token']}"}).status_code == 401
    assert login(Client_(), user.email, "An0ther long pass!").status_code == 200


def test_delete_me(api_client, make_user, mode) -> None:
    user = make_user()
    client = bearer(api_client, login(api_client, user.email).json()["access_token"])
    assert client.delete(ME).status_code == 204
    user.refresh_from_db()
    assert user.is_active is False
    assert user.email.endswith("@deleted.invalid")
    assert not user.has_usable_password()
    assert client.get(ME).status_code == 401
    assert login(Client_(), user.email).status_code == 401
    assert authz_service.list_sessions(user_id=user.id) == [] or all(
        s.revoked_at is not None for s in authz_service.list_sessions(user_id=user.id)
    )


def test_export(api_client, make_user, mode) -> None:
    user = make_user(display_name="Exporter")
    client = bearer(api_client, login(api_client, user.email).json()["access_token"])
    body = client.get("/api/v2/account/me/export").json()
    assert body["user_id"] == str(user.id)
    assert body["account"]["display_name"] == "Exporter"
    assert "authz" in body
    assert str(uuid.UUID(body["user_id"])) == str(user.id)


def test_me_costs_one_query_on_a_miss_and_none_on_a_hit(api_client, make_user, django_assert_num_queries) -> None:
    """Bearer verification is local (public key in memory, no query): a miss's only query is the user
    row, and a hit of the me cache (apps/account/me_cache.py) has none."""
    from apps.account import me_cache

    user = make_user()
    token = login(api_client, user.email).json()["access_token"]
    client = bearer(Client_(), token)
    assert client.get(ME).status_code == 200  # warms the JWKS cache and the me cache
    with django_assert_num_queries(0):
        assert client.get(ME).status_code == 200
    me_cache.bump([user.id])  # what every write does
    with django_assert_num_queries(1):
        assert client.get(ME).status_code == 200
