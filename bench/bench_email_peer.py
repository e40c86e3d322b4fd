"""``email_peer``: Gau's email pipeline against django-post-office, the queued-mail app a Django user would
pick instead, both sending the same templated email to the same SMTP sink through one Celery worker
process on the same RabbitMQ and PostgreSQL.

    python -m bench.bench_email_peer        (or: make bench BENCH_ARGS=email_peer)

Each round, each side gets ``BENCH_PEER_EMAILS`` (default 1,000) requests, one transaction and one
email each, and is timed from the first request to the last message in the sink; the sides alternate
(ABBA...), and the medians are compared. post_office runs as its docs recommend for production with
Celery (``bench/settings_peer_email.py``): ``mail.send(..., template=<EmailTemplate>)`` queues the
rendered email and publishes ``send_queued_mail`` after the commit; its worker sends queued mail in
batches of 100 with 5 threads. Its template is built from the same files as Gau's ``verify_email``
(subject, text and HTML, same base layouts), so both render the same Django templates; Gau also inlines
the CSS. Gau keeps its exactly-once guarantee (dot marker per message); post_office records ``sent``
after the batch (a worker killed mid-batch resends the whole batch, unflagged).

Prints ``BENCH email_peer: post_office=<x> emails/s; gau=<y> emails/s; ... ratio=<y/x> (target >= 1)``.
Uses ``DATABASE_URL`` / ``CELERY_BROKER_URL`` like ``bench_email``, on queues of its own
(``bench_email``, ``bench_email_peer``: see ``bench/settings_email.py``), which it purges.
"""

from __future__ import annotations

import os
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
from bench.email_common import (  # noqa: E402
    CONTEXT,
    Children,
    base_env,
    clear,
    purge,
    start_sink,
    start_worker,
    wait_count,
    wait_idle,
)

TARGET = 1.0
N = int(lib.knob("peer_emails", 1000))
ROUNDS = int(lib.knob("rounds", 3))
PEER_SETTINGS = "bench.settings_peer_email"
TEMPLATE_DIR = ROOT / "apps" / "email" / "templates" / "email" / "en" / "account" / "verify_email"


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="gau-bench-email-peer-"))
    children = Children()
    try:
        run(children, tmp)
    finally:
        children.stop_all()


def run(children: Children, tmp: Path) -> None:
    smtp_port, maildir = start_sink(children, tmp)
    ours_env = base_env(smtp_port)
    peer_env = base_env(smtp_port, settings=PEER_SETTINGS)
    os.environ.update(peer_env)  # this process queues for both sides: the peer's settings are a superset
    lib.ensure_database(peer_env["DATABASE_URL"])
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=os.environ, check=True)

    import django

    django.setup()
    from django.conf import settings
    from django.db import transaction
    from django.utils import timezone
    from post_office import mail
    from post_office.models import Email, EmailTemplate

    from apps.email.models import OutboundEmail
    from apps.email.rendering import absolute_url
    from apps.email.services import email_service

    purge("bench_email", "bench_email_peer")
    ours = start_worker(children, env=ours_env, queue="bench_email", name="gau", log_path=tmp / "gau-worker.log")
    peer = start_worker(children, env=peer_env, queue="bench_email_peer", name="peer", log_path=tmp / "peer-worker.log")

    template, _ = EmailTemplate.objects.update_or_create(
        name="bench/verify_email",
        language="",
        defaults={
            "subject": (TEMPLATE_DIR / "subject.txt").read_text().strip(),
            "content": (TEMPLATE_DIR / "body.txt").read_text(),
            "html_content": (TEMPLATE_DIR / "body.html").read_text(),
        },
    )
    # The context Gau's renderer builds from CONTEXT (absolute link, base URL, locale, year, subject).
    peer_context = {
        **{k: absolute_url(v) if k.endswith("_url") else v for k, v in CONTEXT.items()},
        "base_url": settings.PUBLIC_BASE_URL.rstrip("/"),
        "locale": "en",
        "year": timezone.now().year,
        "subject": template.subject,
    }

    def gau_round(n: int, prefix: str = "gau") -> float:
        clear(maildir)
        started = time.perf_counter()
        for i in range(n):
            with transaction.atomic():  # one request = one transaction
                email_service.send(template="account/verify_email", to=f"{prefix}{i}@example.com", context=CONTEXT)
        wait_count(maildir, n, workers=(ours,))
        return n / (time.perf_counter() - started)

    def peer_round(n: int, prefix: str = "peer") -> float:
        clear(maildir)
        started = time.perf_counter()
        for i in range(n):
            with transaction.atomic():
                mail.send(
                    [f"{prefix}{i}@example.com"],
                    settings.DEFAULT_FROM_EMAIL,
                    template=template,
                    context=peer_context,
                )
        wait_count(maildir, n, workers=(peer,))
        return n / (time.perf_counter() - started)

    queues = {"gau": "bench_email", "peer": "bench_email_peer"}
    gau_round(20, "warm-gau")  # connections, template caches, worker imports
    peer_round(20, "warm-peer")
    wait_idle(queues["gau"])
    wait_idle(queues["peer"])
    gau_rates: list[float] = []
    peer_rates: list[float] = []
    for index in range(ROUNDS):
        order = (("gau", gau_round), ("peer", peer_round))
        leftovers = []
        for name, measure in order if index % 2 == 0 else reversed(order):
            (gau_rates if name == "gau" else peer_rates).append(measure(N))
            # The side's tasks still queued once its emails arrived (post_office publishes one per
            # email) run now, untimed, not during the other side's round.
            leftovers.append(f"{name} {wait_idle(queues[name]):.1f}s")
        print(
            f"  round {index + 1}: gau {gau_rates[-1]:.0f}/s  post_office {peer_rates[-1]:.0f}/s"
            f"  (leftover tasks drained after the round: {', '.join(leftovers)})",
            flush=True,
        )
    ours_sent = OutboundEmail.objects.filter(status="sent").count()
    peer_sent = Email.objects.filter(status=0).count()  # post_office STATUS.sent
    OutboundEmail.objects.all().delete()
    Email.objects.all().delete()
    p, q = statistics.median(peer_rates), statistics.median(gau_rates)
    print(
        f"BENCH email_peer: post_office={p:.0f} emails/s; gau={q:.0f} emails/s; n={N} rounds={ROUNDS} "
        f"rows_sent={ours_sent}/{peer_sent} ratio={q / p:.2f} (target >= {TARGET:g})",
        flush=True,
    )


if __name__ == "__main__":
    main()
