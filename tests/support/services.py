"""Are the real services the test suite needs reachable? Says which are not and how to start them.

Used by ``make test`` before anything else (``python -m tests.support.services``) and by the test
session itself, so a missing service fails fast and clearly instead of falling back.
"""

from __future__ import annotations

import os
import sys
from urllib.parse import urlsplit

from tests.support.processes import port_open

HOW_TO_START = {
    "PostgreSQL": "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"
    "  (or: docker run -p 5432:5432 -e POSTGRES_HOST_AUTH_METHOD=trust postgres:16)",
    "Redis": "redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save '' --appendonly no"
    "  (or: docker run -p 6379:6379 redis:7)",
    "RabbitMQ": "rabbitmq-server -detached  (or: docker run -p 5672:5672 rabbitmq:3)",
}


def _test_env() -> dict[str, str]:
    from gau.settings_test import TEST_DEFAULTS

    return {name: os.environ.get(name, default) for name, default in TEST_DEFAULTS.items()}


def endpoints() -> dict[str, tuple[str, int]]:
    env = _test_env()
    found = {}
    for name, var, port in (
        ("PostgreSQL", "DATABASE_URL", 5432),
        ("Redis", "REDIS_URL", 6379),
        ("RabbitMQ", "CELERY_BROKER_URL", 5672),
    ):
        parts = urlsplit(env[var])
        found[name] = (parts.hostname or "127.0.0.1", parts.port or port)
    return found


def missing() -> list[str]:
    """One line per unreachable service: what, where, and the command that starts it."""
    return [
        f"  - {name} is not reachable at {host}:{port}; start it with: {HOW_TO_START[name]}"
        for name, (host, port) in endpoints().items()
        if not port_open(host, port)
    ]


def main() -> int:
    lines = missing()
    if lines:
        print("The test suite runs against real services, and these are not running:", file=sys.stderr)
        print("\n".join(lines), file=sys.stderr)
        return 4
    print("services: " + ", ".join(f"{n} {h}:{p}" for n, (h, p) in endpoints().items()) + " reachable")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
