"""Profile one authenticated GET in-process (Django test client, a real access token, no server).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/gau_bench REDIS_URL=redis://127.0.0.1:6379/4 \
        .venv/bin/python tools/profile_request.py /api/v2/account/me [N]

Prints ms/request for the path and for /healthz (the floor), then the top functions by own time.
"""

from __future__ import annotations

import cProfile
import os
import pstats
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gau.settings_test")


def main() -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    from apps.account.services import account_service
    from apps.authz.services import authz_service

    path = sys.argv[1] if len(sys.argv) > 1 else "/api/v2/account/me"
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    call_command("migrate", verbosity=0)
    user = account_service.create_user(
        email=f"profile-{uuid.uuid4().hex[:8]}@example.com", password=uuid.uuid4().hex + "Aa!"
    )
    token = authz_service.issue_tokens(user_id=user.id).access_token
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert client.get(path).status_code == 200, client.get(path).content
    for _ in range(50):
        client.get(path)
    for target in (path, "/healthz"):
        started = time.perf_counter()
        for _ in range(n):
            client.get(target)
        print(f"{target}: {(time.perf_counter() - started) / n * 1000:.2f} ms/request")
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(n):
        client.get(path)
    profiler.disable()
    pstats.Stats(profiler).sort_stats("tottime").print_stats(20)


if __name__ == "__main__":
    main()
