"""Google sign-in end to end against a real OpenID provider (oidc-provider from npm) on loopback. No mocks."""

from __future__ import annotations

import base64
import hashlib
import secrets
from typing import Any
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import httpx

from apps.account.models import ExternalIdentity, User
from apps.account.tests.conftest import CALLBACK, PASSWORD

LOGIN = "/api/v2/account/oauth/google/login"
TOKEN = "/api/v2/account/oauth/google/token"
OTHER_APP_CALLBACK = "http://127.0.0.1/other-app/callback"


def browse_provider(url: str, *, until: str) -> str:
    """Follow the provider's redirects like a browser (it signs in the login_hint account at once)."""
    with httpx.Client(timeout=10) as browser:
        for _ in range(12):
            response = browser.get(url)
            assert response.status_code in {302, 303}, response.text[:500]
            url = urljoin(url, response.headers["location"])
            if url.startswith(until):
                return url
    raise AssertionError("the provider never redirected back")


def provider_id_token(
    provider: Any,
    hint: str,
    *,
    client_id: str = "gau-test",
    secret: str = "gau-test-secret",  # noqa: S107
) -> str:
    """An ID token from the provider, fetched by the test acting as an app (PKCE code flow)."""
    redirect_uri = CALLBACK if client_id == "gau-test" else OTHER_APP_CALLBACK
    meta = httpx.get(provider.discovery_url).json()
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    query = urlencode(
        {
            "client_id": client_id,
            "response_type": "code",
            "scope": "openid email profile",
            "redirect_uri": redirect_uri,
            "state": "s",
            "nonce": "n",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            "login_hint": hint,
        }
    )
    back = browse_provider(f"{meta['authorization_endpoint']}?{query}", until=redirect_uri)
    code = parse_qs(urlsplit(back).query)["code"][0]
    token = httpx.post(
        meta["token_endpoint"],
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
        },
        auth=(client_id, secret),
    )
    assert token.status_code == 200, token.text
    return str(token.json()["id_token"])


def code_flow(client: Any, hint: str) -> Any:
    start = client.get(LOGIN, {"login_hint": hint})
    assert start.status_code == 302
    back = browse_provider(start["Location"], until="http://testserver/")
    return client.get(back.removeprefix("http://testserver"))


def test_code_flow_with_pkce_state_nonce(api_client, oidc_provider, db) -> None:
    start = api_client.get(LOGIN, {"login_hint": "alice@example.com"})
    assert start.status_code == 302
    params = parse_qs(urlsplit(start["Location"]).query)
    assert start["Location"].startswith(oidc_provider.issuer)
    assert params["code_challenge_method"] == ["S256"]
    assert params["client_id"] == ["gau-test"]
    assert params["redirect_uri"] == [CALLBACK]
    assert params["state"][0]
    assert params["nonce"][0]
    cookie = start.cookies["gau_oauth_state"]
    assert cookie.value == params["state"][0]
    assert cookie["httponly"]

    back = browse_provider(start["Location"], until="http://testserver/")
    callback = back.removeprefix("http://testserver")
    response = api_client.get(callback)
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["access_token"]
    assert body["refresh_token"]
    user = User.objects.get(email="alice@example.com")
    assert user.email_verified is True
    assert not user.has_usable_password()
    assert ExternalIdentity.objects.filter(user=user, issuer=oidc_provider.issuer).exists()
    me = api_client.get("/api/v2/account/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.json()["email"] == "alice@example.com"

    replay = api_client.get(callback)  # state is single-use
    assert replay.status_code == 401
    assert replay.json()["error"]["code"] == "account.oauth_failed"


def test_callback_refuses_a_state_from_another_browser(api_client, oidc_provider, db) -> None:
    from rest_framework.test import APIClient

    start = api_client.get(LOGIN, {"login_hint": "carol@example.com"})
    back = browse_provider(start["Location"], until="http://testserver/")
    victim_browser = APIClient()  # login CSRF: the attacker's callback URL opened in another browser
    response = victim_browser.get(back.removeprefix("http://testserver"))
    assert response.status_code == 401
    assert not User.objects.filter(email="carol@example.com").exists()


def test_second_sign_in_uses_the_linked_identity(api_client, oidc_provider, db) -> None:
    assert code_flow(api_client, "dave@example.com").status_code == 200
    assert code_flow(api_client, "dave@example.com").status_code == 200
    assert User.objects.filter(email="dave@example.com").count() == 1
    assert ExternalIdentity.objects.filter(email="dave@example.com").count() == 1


def test_links_to_existing_account_only_when_provider_verified(api_client, oidc_provider, make_user) -> None:
    owner = make_user("bob@example.com")
    refused = code_flow(api_client, "unverified:bob@example.com")
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "account.oauth_failed"
    assert not ExternalIdentity.objects.filter(user=owner).exists()

    linked = code_flow(api_client, "bob@example.com")
    assert linked.status_code == 200
    assert ExternalIdentity.objects.get(email="bob@example.com").user_id == owner.id
    owner.refresh_from_db()
    assert owner.check_password(PASSWORD)  # a verified owner keeps their password


def test_linking_wipes_the_password_of_an_unverified_squatter(api_client, oidc_provider, make_user) -> None:
    squatted = make_user("erin@example.com", verified=False)  # registered by someone else, never verified
    assert code_flow(api_client, "erin@example.com").status_code == 200
    squatted.refresh_from_db()
    assert squatted.email_verified is True
    assert not squatted.has_usable_password()


def test_id_token_endpoint_checks_signature_issuer_audience(api_client, oidc_provider, db) -> None:
    good = provider_id_token(oidc_provider, "frank@example.com")
    response = api_client.post(TOKEN, {"id_token": good}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["access_token"]
    assert User.objects.filter(email="frank@example.com", email_verified=True).exists()

    other = provider_id_token(oidc_provider, "frank@example.com", client_id="other-app", secret="other-app-secret")
    refused = api_client.post(TOKEN, {"id_token": other}, format="json")
    assert refused.status_code == 401  # issued to another app: wrong audience
    assert refused.json()["error"]["code"] == "account.oauth_failed"

    header, payload, signature = good.split(".")
    forged_payload = base64.urlsafe_b64encode(
        base64.urlsafe_b64decode(payload + "==").replace(b"frank@example.com", b"admin@example.com")
    ).rstrip(b"=")
    forged = f"{header}.{forged_payload.decode()}.{signature}"
    assert api_client.post(TOKEN, {"id_token": forged}, format="json").status_code == 401
    unsigned = f"{base64.urlsafe_b64encode(b'{"alg":"none"}').rstrip(b'=').decode()}.{payload}."
    assert api_client.post(TOKEN, {"id_token": unsigned}, format="json").status_code == 401
    assert api_client.post(TOKEN, {"id_token": "garbage"}, format="json").status_code == 401


def test_not_configured_is_503(api_client, settings, db) -> None:
    settings.GOOGLE_CLIENT_ID = None
    response = api_client.get(LOGIN)
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "account.oauth_not_configured"


def test_expired_id_token_is_refused(api_client, oidc_provider, settings, db) -> None:
    import time

    settings.ACCOUNT_OIDC_LEEWAY = 0
    token = provider_id_token(oidc_provider, "shortlived:hank@example.com")
    time.sleep(2.1)
    response = api_client.post(TOKEN, {"id_token": token}, format="json")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "account.oauth_failed"
    assert not User.objects.filter(email="hank@example.com").exists()
