"""Baselines for the account benchmarks: raw Argon2 verification (production hasher parameters)."""

from __future__ import annotations

from django.contrib.auth.hashers import check_password, make_password
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

#: The password the login benchmark signs in with; the raw view verifies it against a hash made the same way.
PASSWORD = "bench correct horse battery staple"  # noqa: S105
_ENCODED: list[str] = []


@csrf_exempt
def raw_argon2(request: HttpRequest) -> HttpResponse:
    """Baseline: one password verification with the first PASSWORD_HASHERS entry (Argon2), nothing else."""
    if not _ENCODED:
        _ENCODED.append(make_password(PASSWORD))
    ok = check_password(PASSWORD, _ENCODED[0])
    return HttpResponse(b'{"ok":true}' if ok else b'{"ok":false}', content_type="application/json")
