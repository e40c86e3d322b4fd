"""GET/PATCH me: validation, API-key scopes, and no way to reach another user's data."""

from __future__ import annotations

import uuid

import pytest

ME = "/api/v2/account/me"


def test_unauthenticated_is_refused(api_client, db) -> None:
    response = api_client.get(ME)
    assert response.status_code in {401, 403}
    assert "error" in response.json()


def test_get_and_patch_me(make_user, as_principal) -> None:
    user = make_user("me@example.com", display_name="Me")
    client = as_principal(user)
    body = client.get(ME).json()
    assert body["email"] == "me@example.com"
    assert body["display_name"] == "Me"
    assert body["avatar_url"] is None
    assert body["mfa_enabled"] is False
    assert "password" not in body

    response = client.patch(
        ME,
        {
            "display_name": "New Name",
            "locale": "vi",
            "timezone": "Asia/Ho_Chi_Minh",
            "date_of_birth": "1990-05-17",
            "gender": "female",
            "profile_links": ["https://example.org/me"],
            "username": "me_1",
            "phone": "+84901234567",
        },
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["display_name"] == "New Name"
    assert body["timezone"] == "Asia/Ho_Chi_Minh"
    assert body["date_of_birth"] == "1990-05-17"
    assert body["profile_links"] == ["https://example.org/me"]
    user.refresh_from_db()
    assert user.locale == "vi"
    assert user.phone == "+84901234567"


@pytest.mark.parametrize(
    "patch",
    [
        {"timezone": "Mars/Olympus"},
        {"locale": "xx"},
        {"date_of_birth": "2999-01-01"},
        {"phone": "0901234567"},
        {"profile_links": ["javascript:alert(1)"]},
        {"profile_links": "https://x"},
        {"email_verified": "yes", "display_name": "x" * 151},
    ],
)
def test_patch_validation(make_user, as_principal, patch) -> None:
    client = as_principal(make_user())
    response = client.patch(ME, patch)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_input"


def test_patch_cannot_set_protected_fields(make_user, as_principal) -> None:
    user = make_user(verified=False)
    client = as_principal(user)
    response = client.patch(ME, {"email_verified": True, "email": "x@evil.test", "is_staff": True})
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.email_verified is False
    assert user.is_staff is False
    assert user.email != "x@evil.test"


def test_username_conflict_is_409(make_user, as_principal) -> None:
    make_user(username="taken")
    client = as_principal(make_user())
    response = client.patch(ME, {"username": "TAKEN"})
    assert response.status_code == 409


def test_api_key_scopes(make_user, as_principal) -> None:
    user = make_user()
    reader = as_principal(user, scopes=frozenset({"account:read"}))
    assert reader.get(ME).status_code == 200
    response = reader.patch(ME, {"display_name": "nope"})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    other = as_principal(user, scopes=frozenset({"kanban:write"}))
    assert other.get(ME).status_code == 403
    writer = as_principal(user, scopes=frozenset({"account:write"}))
    assert writer.patch(ME, {"display_name": "ok"}).status_code == 200
    # Keys cannot change credentials or delete the account, even with account:write.
    response = writer.post("/api/v2/account/password/change", {"current_password": "x", "new_password": "y"})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "account.session_required"
    assert writer.delete(ME).status_code == 403


def test_principal_of_missing_user_is_not_authenticated(as_principal, make_user, db) -> None:
    user = make_user()
    user.id = uuid.uuid4()  # a token for a user id that does not exist here
    response = as_principal(user).get(ME)
    assert response.status_code == 401


def test_time_zone_is_an_alias_of_timezone(make_user, as_principal) -> None:
    """``time_zone`` (kanban's issue) and ``timezone`` are one IANA field; other apps see it in UserData."""
    from apps.account.services import account_service

    user = make_user("tz@example.com")
    client = as_principal(user)
    body = client.patch(ME, {"time_zone": "Asia/Tokyo", "username": "tz_user"}).json()
    assert (body["timezone"], body["time_zone"]) == ("Asia/Tokyo", "Asia/Tokyo")
    assert client.patch(ME, {"time_zone": "Asia/Tokyo", "timezone": "Asia/Tokyo"}).status_code == 200
    clash = client.patch(ME, {"time_zone": "Europe/Paris", "timezone": "Asia/Tokyo"})
    assert clash.status_code == 400
    assert "time_zone" in str(clash.json()["error"])
    assert client.patch(ME, {"time_zone": "Mars/Olympus"}).status_code == 400
    [data] = account_service.get_users(user_ids=[user.id])
    assert (data.timezone, data.username) == ("Asia/Tokyo", "tz_user")
