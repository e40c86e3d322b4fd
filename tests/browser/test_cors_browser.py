"""A web app on another origin calls Gau from a real browser: the cookie mode (credentials, the HttpOnly
refresh cookie and the double-submit CSRF token from the login body) works from an allowed origin, and
the browser blocks every call from an origin that is not allowed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from apps.account.models import User
from tests.browser.conftest import PASSWORD, quick_stop
from tests.support import processes

# Runs in the web app's page: sign in in cookie mode, then refresh with the cookie and the CSRF header.
COOKIE_MODE = """
const [api, email, password, done] = arguments;
(async () => {
  const out = {};
  try {
    let r = await fetch(api + "/api/v2/account/login", {
      method: "POST", credentials: "include", headers: {"Content-Type": "application/json"},
      body: JSON.stringify({email, password, cookie: true}),
    });
    const body = await r.json();
    out.login = r.status;
    out.refreshInBody = "refresh_token" in body;
    out.cookieVisible = document.cookie.includes("gau_refresh");
    r = await fetch(api + "/api/v2/account/token/refresh", {
      method: "POST", credentials: "include", headers: {"X-CSRF-Token": body.csrf_token},
    });
    out.refresh = r.status;
    out.access = Boolean((await r.json()).access_token);
    r = await fetch(api + "/api/v2/account/token/refresh", {method: "POST", credentials: "include"});
    out.refreshWithoutCsrf = r.status;
  } catch (e) {
    out.error = String(e);
  }
  done(out);
})();
"""


def web_app(tmp_path: Path, name: str) -> Iterator[str]:
    """A static web server on its own loopback port: another origin than Gau's."""
    root = tmp_path / name
    root.mkdir()
    (root / "index.html").write_text("<!DOCTYPE html><title>web app</title><p>app</p>")
    port = processes.free_port()
    proc = processes.start(
        [processes.PYTHON, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", str(root)],
        log_path=tmp_path / f"{name}.log",
    )
    try:
        processes.wait_until(lambda: processes.port_open("127.0.0.1", port), timeout=20, what=name, proc=proc)
        yield f"http://127.0.0.1:{port}"
    finally:
        processes.stop(proc)


@pytest.fixture
def app_origin(tmp_path: Path) -> Iterator[str]:
    yield from web_app(tmp_path, "allowed-app")


@pytest.fixture
def other_origin(tmp_path: Path) -> Iterator[str]:
    yield from web_app(tmp_path, "other-app")


def test_cookie_mode_from_an_allowed_origin_and_nothing_from_another(
    gau_server: Any, browser: Any, app_origin: str, other_origin: str
) -> None:
    api = gau_server(CORS_ALLOWED_ORIGINS=app_origin)
    User.objects.create_user(email="web@example.com", password=PASSWORD, email_verified=True)
    browser.set_script_timeout(30)

    browser.get(f"{app_origin}/")
    result = browser.execute_async_script(COOKIE_MODE, api, "web@example.com", PASSWORD)
    assert result == {
        "login": 200,
        "refreshInBody": False,  # cookie mode: the refresh token is only in the HttpOnly cookie
        "cookieVisible": False,
        "refresh": 200,
        "access": True,
        "refreshWithoutCsrf": 403,  # the double-submit header is still required
    }

    browser.get(f"{other_origin}/")
    blocked = browser.execute_async_script(COOKIE_MODE, api, "web@example.com", PASSWORD)
    assert blocked == {"error": "TypeError: Failed to fetch"}  # the browser refused: no CORS answer
    quick_stop(gau_server, api)
