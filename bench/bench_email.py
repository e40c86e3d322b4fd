"""Email pipeline throughput: interface → outbox → RabbitMQ → one worker process → SMTP sink, against a
plain smtplib loop sending the same rendered messages to the same sink over one connection.

    python -m bench.bench_email          (or: make bench BENCH_ARGS=email)

Uses the real services from DATABASE_URL and CELERY_BROKER_URL (defaults: the test suite's local
ones); migrates the database first. The email tasks go to a queue of the benchmark's own
(``bench_email``, see ``bench/settings_email.py``), which it purges, so it can run beside a test session
on the same vhost. Child processes never outlive it (``bench/email_common.py``). Knobs: BENCH_EMAILS
(messages per run, default 400), BENCH_ROUNDS (runs per side, default 3), BENCH_EMAIL_POOL
(prefork|solo), BENCH_EMAIL_PREFETCH (worker --prefetch-multiplier).
Prints ``BENCH email: ... ratio=<x.xx> (target >= 0.50)``,
ratio = pipeline rate / plain-loop rate (medians of interleaved runs).
"""

from __future__ import annotations

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
from bench.email_common import CONTEXT, Children, base_env, clear, purge, start_sink, start_worker, wait_count  # noqa: E402

TARGET = 0.5
N = int(lib.knob("emails", 400))
ROUNDS = int(lib.knob("rounds", 3))


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="gau-bench-email-"))
    children = Children()
    try:
        run(children, tmp)
    finally:
        children.stop_all()


def run(children: Children, tmp: Path) -> None:
    smtp_port, maildir = start_sink(children, tmp)
    env = base_env(smtp_port)
    os.environ.update(env)
    lib.ensure_database(env["DATABASE_URL"])
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=os.environ, check=True)

    import django

    django.setup()
    from django.conf import settings
    from django.db import transaction

    from apps.email.delivery import build_message
    from apps.email.models import OutboundEmail
    from apps.email.rendering import render
    from apps.email.services import email_service

    purge("bench_email")
    worker = start_worker(children, env=env, queue="bench_email", name="bench", log_path=tmp / "worker.log")

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
        wait_count(maildir, N, workers=(worker,))
        elapsed = time.perf_counter() - started
        print(f"  pipeline: {N} sends in {enqueued:.2f}s, all delivered after {elapsed:.2f}s", flush=True)
        return N / elapsed

    # Warm-up (connections, template cache, worker imports).
    for i in range(20):
        with transaction.atomic():
            email_service.send(template="account/verify_email", to=f"warm{i}@example.com", context=CONTEXT)
    wait_count(maildir, 20, workers=(worker,))
    plains, pipes = [], []
    for _ in range(ROUNDS):
        plains.append(plain())
        pipes.append(pipeline())
        print(f"  round: plain {plains[-1]:.0f}/s  pipeline {pipes[-1]:.0f}/s", flush=True)
    sent = OutboundEmail.objects.filter(status="sent").count()
    OutboundEmail.objects.all().delete()
    p, q = statistics.median(plains), statistics.median(pipes)
    print(
        f"BENCH email: plain_smtplib={p:.0f} emails/s; pipeline={q:.0f} emails/s; n={N} rounds={ROUNDS} "
        f"rows_sent={sent} ratio={q / p:.2f} (target >= {TARGET:.2f})",
        flush=True,
    )


if __name__ == "__main__":
    main()
