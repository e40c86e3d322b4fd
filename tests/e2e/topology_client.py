"""A small black-box API client for the topology suite (HTTP only; no imports from ``apps/`` or ``gau/``).

Same style as ``tests/e2e/client.py``'s ``GauClient`` (one of the two can absorb the other): it records
every response so :meth:`ApiClient.assert_no_5xx` can name each request that answered a 5xx.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

#: A password the default validators accept.
PASSWORD = "correct horse battery staple 12"


@dataclass
class Seen:
    method: str
    path: str
    status: int
    body: str


@dataclass
class ApiClient:
    """The public API at ``base_url``. Sign in with :meth:`login`; requests then carry the bearer token."""

    base_url: str
    timeout: float = 30
    access_token: str | None = None
    refresh_token: str | None = None
    seen: list[Seen] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.http = httpx.Client(base_url=self.base_url, timeout=self.timeout)

    def close(self) -> None:
        self.http.close()

    def request(self, method: str, path: str, *, auth: bool = True, **kwargs: Any) -> httpx.Response:
        headers = dict(kwargs.pop("headers", None) or {})
        if auth and self.access_token and "Authorization" not in headers:
            headers["Authorization"] = f"Bearer {self.access_token}"
        response = self.http.request(method, path.removeprefix(self.base_url), headers=headers, **kwargs)
        self.seen.append(Seen(method, path, response.status_code, response.text[:500]))
        return response

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("DELETE", path, **kwargs)

    def expect(self, response: httpx.Response, status: int) -> Any:
        """Assert ``status`` (naming the request on failure) and return the JSON body, if any."""
        assert response.status_code == status, (
            f"{response.request.method} {response.request.url.path}: expected {status}, "
            f"got {response.status_code}: {response.text[:1000]}"
        )
        return response.json() if response.content and "json" in response.headers.get("content-type", "") else None

    def assert_no_5xx(self, *, expected: int = 0) -> None:
        """No request answered a 5xx, except the first ``expected`` ones a fault test provoked on purpose."""
        failures = [f"{s.method} {s.path} -> {s.status}: {s.body}" for s in self.seen if s.status >= 500]
        assert len(failures) == expected, "5xx answers:\n" + "\n".join(failures)

    # steps

    def register(self, email: str, password: str = PASSWORD) -> dict[str, Any]:
        body = {"email": email, "password": password}
        result: dict[str, Any] = self.expect(self.post("/api/v2/account/register", json=body, auth=False), 201)
        return result

    def verify(self, token: str) -> None:
        self.expect(self.post("/api/v2/account/verify-email", json={"token": token}, auth=False), 200)

    def login(self, email: str, password: str = PASSWORD) -> dict[str, Any]:
        body = {"email": email, "password": password}
        result: dict[str, Any] = self.expect(self.post("/api/v2/account/login", json=body, auth=False), 200)
        self.access_token, self.refresh_token = result["access_token"], result["refresh_token"]
        return result

    def refresh(self) -> dict[str, Any]:
        body = {"refresh_token": self.refresh_token}
        result: dict[str, Any] = self.expect(self.post("/api/v2/authz/token/refresh", json=body, auth=False), 200)
        self.access_token, self.refresh_token = result["access_token"], result["refresh_token"]
        return result
