"""Email pipeline throughput: interface → outbox → RabbitMQ → one worker process → SMTP sink, against a
plain smtplib loop sending the same rendered messages to the same sink over one connection.

    python -m bench.bench_email          (or: make bench BENCH_ARGS=email)

Uses the real services from DATABASE_URL and CELERY_BROKER_URL (defaults: the test suite's local
ones); migrates the database first. It purges and consumes the ``email`` queue of that vhost: do not
run it while a test session uses the same vhost. Knobs: BENCH_EMAILS (messages per run, default 400),
BENCH_ROUNDS (runs per side, default 3), BENCH_EMAIL_POOL (prefork|solo), BENCH_EMAIL_PREFETCH (worker
--prefetch-multiplier). Prints ``BENCH email: ... ratio=<x.xx> (target >= 0.50)``,
ratio = pipeline rate / plain-loop rate (medians of interleaved runs).
"""

from __future__ import annotations

import atexit
import contextlib
import email.policy
import os
import smtplib
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import lib  # noqa: E402
from tests.support import processes  # noqa: E402

TARGET = 0.5
N = int(lib.knob("emails", 400))
ROUNDS = int(lib.knob("rounds", 3))
#: One worker process: prefork with -c 1 (what production runs) or solo (BENCH_EMAIL_POOL=solo).
POOL = os.environ.get("BENCH_EMAIL_POOL", "prefork")
CONTEXT = {"display_name": "Ana", "verify_url": "/account/verify?token=abcdef0123456789"}


def base_env(smtp_port: int) -> dict[str, str]:
    env = {
        "DJANGO_SETTINGS_MODULE": "gau.settings",
        "SECRET_KEY": "gau-bench-secret-key-loopback-only-000000000000000",
        "DEBUG": "false",
        "DATABASE_URL": os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/gau"),
        "CELERY_BROKER_URL": os.environ.get("CELERY_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672//"),
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
        "PUBLIC_BASE_URL": "https://gau.example",
        "GAU_LOG_LEVEL": "INFO",
    }
    for name in ("REDIS_URL",):
        if os.environ.get(name):
            env[name] = os.environ[name]
    return env


def ensure_database(url: str) -> None:
    """Create the PostgreSQL database named by ``url`` if it does not exist."""
    import psycopg
    from psycopg import sql

    name = url.rsplit("/", 1)[-1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def count(maildir: Path) -> int:
    # os.scandir, not Path.glob: this runs in a polling loop on the same cores as the worker.
    with os.scandir(maildir) as entries:
        return sum(1 for entry in entries if entry.name.endswith(".eml"))


def wait_count(maildir: Path, n: int, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while count(maildir) < n:
        if time.monotonic() > deadline:
            raise TimeoutError(f"only {count(maildir)} of {n} emails arrived")
        time.sleep(0.02)  # a tighter loop steals CPU from the worker being measured (2-core box)


def clear(maildir: Path) -> None:
    for path in maildir.glob("*.eml"):
        path.unlink()


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="gau-bench-email-"))
    maildir = tmp / "maildir"
    smtp_port = processes.free_port()
    sink = processes.start(
        [processes.PYTHON, "-m", "tests.support.smtp_sink", "--port", str(smtp_port), "--maildir", str(maildir)],
        log_path=tmp / "smtp.log",
    )
    atexit.register(processes.stop, sink)  # also when the run fails half-way
    processes.wait_until(lambda: processes.port_open("127.0.0.1", smtp_port), timeout=20, what="SMTP sink", proc=sink)
    env = base_env(smtp_port)
    os.environ.update(env)
    ensure_database(env["DATABASE_URL"])
    subprocess.run([processes.PYTHON, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=os.environ, check=True)

    import django

    django.setup()
    from django.conf import settings
    from django.db import transaction

    from apps.email.delivery import build_message
    from apps.email.models import OutboundEmail
    from apps.email.rendering import render
    from apps.email.services import email_service
    from gau.celery import app

    with app.connection_for_write() as conn, contextlib.suppress(Exception):  # not declared yet: nothing to purge
        conn.default_channel.queue_purge("email")  # type: ignore[attr-defined]

    worker = processes.start(
        [
            processes.PYTHON,
            "-m",
            "celery",
            "-A",
            "gau",
            "worker",
            "-Q",
            "email",
            "-P",
            POOL,
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-l",
            "info",
            "-n",
            f"bench-{os.getpid()}@%h",
            "-c",
            "1",
            *(
                ["--prefetch-multiplier", os.environ["BENCH_EMAIL_PREFETCH"]]
                if os.environ.get("BENCH_EMAIL_PREFETCH")
                else []
            ),
        ],
        env=env,
        log_path=tmp / "worker.log",
    )
    atexit.register(processes.stop, worker)
    processes.wait_until(lambda: b"ready." in (tmp / "worker.log").read_bytes(), timeout=60, what="worker", proc=worker)

    # The same rendered messages for the plain loop (rendering is not timed on that side).
    template_row = OutboundEmail(template="account/verify_email", to="bench@example.com", context=CONTEXT)
    message = build_message(template_row, render("account/verify_email", CONTEXT, "en"))
    data = message.message(policy=email.policy.SMTP).as_bytes()
    sender = settings.DEFAULT_FROM_EMAIL

    def plain() -> float:
        clear(maildir)
        started = time.perf_counter()
        with smtplib.SMTP("127.0.0.1", smtp_port) as smtp:
            for i in range(N):
                smtp.sendmail(sender, [f"user{i}@example.com"], data)
        wait_count(maildir, N)
        return N / (time.perf_counter() - started)

    def pipeline() -> float:
        clear(maildir)
        started = time.perf_counter()
        for i in range(N):
            with transaction.atomic():  # one request = one transaction, as a caller would
                email_service.send(template="account/verify_email", to=f"user{i}@example.com", context=CONTEXT)
        enqueued = time.perf_counter() - started
        wait_count(maildir, N)
        elapsed = time.perf_counter() - started
        print(f"  pipeline: {N} sends in {enqueued:.2f}s, all delivered after {elapsed:.2f}s", flush=True)
        return N / elapsed

    try:
        # Warm-up (connections, template cache, worker imports).
        for i in range(20):
            with transaction.atomic():
                email_service.send(template="account/verify_email", to=f"warm{i}@example.com", context=CONTEXT)
        wait_count(maildir, 20)
        plains, pipes = [], []
        for _ in range(ROUNDS):
            plains.append(plain())
            pipes.append(pipeline())
            print(f"  round: plain {plains[-1]:.0f}/s  pipeline {pipes[-1]:.0f}/s", flush=True)
        sent = OutboundEmail.objects.filter(status="sent").count()
        OutboundEmail.objects.all().delete()
    finally:
        processes.stop(worker)
        processes.stop(sink)
    p, q = statistics.median(plains), statistics.median(pipes)
    print(
        f"BENCH email: plain_smtplib={p:.0f} emails/s; pipeline={q:.0f} emails/s; n={N} rounds={ROUNDS} "
        f"rows_sent={sent} ratio={q / p:.2f} (target >= {TARGET:.2f})",
        flush=True,
    )


if __name__ == "__main__":
    main()
