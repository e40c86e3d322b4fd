"""Account and authz as two real server processes: sign-in, me, sessions and logout over real HTTP, with
account calling authz through the signed internal RPC endpoint."""

from __future__ import annotations

import httpx
import pytest

from apps.account.models import User
from apps.account.tests.conftest import PASSWORD
from gau.config import APP_NAMES

pytestmark = pytest.mark.live

CREDENTIALS = {"email": "split-login@example.com", "password": PASSWORD}
NOT_ACCOUNT = ",".join(app for app in APP_NAMES if app != "account")


def test_identity_flows_across_two_processes(gau_server) -> None:
    User.objects.create_user(email="split-login@example.com", password=PASSWORD, email_verified=True)
    authz_url = gau_server(GAU_SERVED_APPS=NOT_ACCOUNT)
    account_url = gau_server(GAU_SERVED_APPS="account", GAU_SERVICE_URLS=f"authz={authz_url}")
    api = f"{account_url}/api/v2/account"
    with httpx.Client(timeout=20) as http:
        # The account process does not serve authz's API or internal endpoint: tokens come over RPC.
        assert http.post(f"{account_url}/internal/rpc/authz/ping/").status_code == 404
        wrong = http.post(f"{api}/login", json={"email": "split-login@example.com", "password": "nope"})
        assert wrong.status_code == 401
        first = http.post(f"{api}/login", json=CREDENTIALS, headers={"X-Device-ID": "a"})
        assert first.status_code == 200, first.text
        second = http.post(f"{api}/login", json=CREDENTIALS, headers={"X-Device-ID": "b"})
        a = {"Authorization": f"Bearer {first.json()['access_token']}"}
        b = {"Authorization": f"Bearer {second.json()['access_token']}"}
        me = http.get(f"{api}/me", headers=a)
        assert me.status_code == 200
        assert me.json()["email"] == "split-login@example.com"
        sessions = http.get(f"{api}/sessions", headers=a).json()["results"]
        assert len(sessions) == 2
        assert sum(s["current"] for s in sessions) == 1
        # The refresh token works at authz's own endpoint, in the other process.
        refreshed = http.post(
            f"{authz_url}/api/v2/authz/token/refresh", json={"refresh_token": second.json()["refresh_token"]}
        )
        assert refreshed.status_code == 200, refreshed.text
        assert http.post(f"{api}/logout-all", headers=a).json()["revoked"] == 2
        assert http.get(f"{api}/me", headers=a).status_code == 401
        assert http.get(f"{api}/me", headers=b).status_code == 401
