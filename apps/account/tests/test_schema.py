"""Every account endpoint is in the OpenAPI schema, with its error responses in the one error shape."""

from __future__ import annotations

from typing import Any

import pytest
from drf_spectacular.generators import SchemaGenerator

P = "/api/v2/account/"
EXPECTED: dict[tuple[str, str], set[str]] = {
    ("register", "post"): {"201", "400"},
    ("verify-email", "post"): {"200", "400"},
    ("verify-email/resend", "post"): {"202", "400", "429"},
    ("login", "post"): {"200", "400", "401", "403", "429"},
    ("login/mfa", "post"): {"200", "400", "401", "429"},
    ("unlock", "post"): {"200", "400"},
    ("token/refresh", "post"): {"200", "401", "403"},
    ("me", "get"): {"200", "401", "403"},
    ("me", "patch"): {"200", "400", "401", "403", "409"},
    ("me", "delete"): {"204", "401", "403"},
    ("me/avatar", "post"): {"200", "400", "401", "403", "413", "415"},
    ("me/export", "get"): {"200", "401", "403"},
    ("password/change", "post"): {"200", "400", "401", "403", "429"},
    ("password/forgot", "post"): {"202", "400"},
    ("password/reset", "post"): {"200", "400"},
    ("email/change", "post"): {"202", "400", "401", "403", "429"},
    ("email/change/confirm", "post"): {"200", "400", "409"},
    ("sessions", "get"): {"200", "401", "403"},
    ("sessions/{session_id}", "delete"): {"204", "401", "403", "404"},
    ("logout", "post"): {"204", "401", "403"},
    ("logout-all", "post"): {"200", "401", "403"},
    ("mfa/totp/setup", "post"): {"200", "401", "403", "409"},
    ("mfa/totp/enable", "post"): {"200", "400", "401", "403", "409"},
    ("mfa/totp/disable", "post"): {"204", "400", "401", "403", "409"},
    ("oauth/google/login", "get"): {"302", "503"},
    ("oauth/google/callback", "get"): {"200", "401", "403", "503"},
    ("oauth/google/token", "post"): {"200", "400", "401", "403", "503"},
}


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)  # type: ignore[no-untyped-call]


@pytest.mark.parametrize(("path", "method"), sorted(EXPECTED))
def test_endpoint_documented_with_errors(schema: dict[str, Any], path: str, method: str) -> None:
    operation = schema["paths"][P + path][method]
    responses = operation["responses"]
    assert EXPECTED[(path, method)] <= set(responses), sorted(responses)
    for status, response in responses.items():
        if int(status) >= 400:
            assert response["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}


def test_no_undocumented_account_endpoints(schema: dict[str, Any]) -> None:
    documented = {(p.removeprefix(P), m) for p, ops in schema["paths"].items() if p.startswith(P) for m in ops}
    assert documented == set(EXPECTED)
