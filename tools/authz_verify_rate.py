"""Measure access-token verification in-process: signature + claims only, and with the Redis revocation read.

Run: DATABASE_URL=... REDIS_URL=... DEBUG=true .venv/bin/python tools/authz_verify_rate.py
"""

from __future__ import annotations

import os
import time
import uuid

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gau.settings")
django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from apps.authz.services import authz_service  # noqa: E402
from apps.authz.services.verifier import decode_access_token, verify_access_token  # noqa: E402


def rate(fn: object, n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        fn()  # type: ignore[operator]
    return n / (time.perf_counter() - start)


def main() -> None:
    user_id = uuid.uuid4()
    pair = authz_service.issue_tokens(user_id=user_id, user_agent="bench")
    token = pair.access_token
    verify_access_token(token)  # warm the JWKS cache
    with CaptureQueriesContext(connection) as queries:
        decode = rate(lambda: decode_access_token(token), 5000)
        full = rate(lambda: verify_access_token(token), 5000)
    print(
        f"BENCH authz_verify: decode+signature {decode:.0f}/s, with Redis revocation check {full:.0f}/s, "
        f"database queries during {10000} verifications: {len(queries)}"
    )
    authz_service.delete_user_data(user_id=user_id)


if __name__ == "__main__":
    main()
