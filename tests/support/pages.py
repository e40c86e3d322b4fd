"""Shared checks for the hosted pages (``gau.pages``): every page app's tests use the same rules."""

from __future__ import annotations

import re
from typing import Any

from django.test import Client

#: The CSRF token in a rendered form.
CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def page_client() -> Client:
    """A test client that enforces CSRF, as a browser session would."""
    return Client(enforce_csrf_checks=True)


def assert_page_headers(response: Any) -> None:
    """The strict page headers (CSP without script or inline style, no framing, no referrer, no caching)
    and a body with no script and no inline style."""
    csp = response["Content-Security-Policy"]
    assert "default-src 'none'" in csp
    assert "script-src" not in csp
    assert "'unsafe-inline'" not in csp
    assert "frame-ancestors 'none'" in csp
    assert "form-action 'self'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "no-referrer"
    assert "no-store" in response["Cache-Control"]
    assert response["Content-Type"].startswith("text/html")
    body = response.content.decode()
    assert "<script" not in body
    assert "style=" not in body
    assert "<style" not in body
