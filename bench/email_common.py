"""What the email benchmarks share (``bench_email``, ``bench_email_peer``): the SMTP sink, Celery worker
processes that can never outlive the benchmark, and the maildir polling.

Every child process is started in its own session *and* with ``PR_SET_PDEATHSIG`` (Linux): it gets
SIGTERM when the benchmark process dies, even by SIGKILL (a smoke test's timeout), so a failed or
killed run leaves no worker or sink behind. :class:`Children` also stops them in ``finally`` and at exit.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from bench import lib
from tests.support import processes

ROOT = Path(__file__).resolve().parent.parent
#: Seconds to wait for the emails of one round (a smoke run sends ~20: a stuck run fails quickly).
ROUND_TIMEOUT = 60.0 if lib.smoke() else 300.0
CONTEXT = {"display_name": "Ana", "verify_url": "/account/verify?token=abcdef0123456789"}


def _die_with_parent() -> None:  # runs in the child between fork and exec
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class Children:
    """The processes a benchmark started; :meth:`stop_all` (also at exit) stops each process group."""

    def __init__(self) -> None:
        self.procs: list[subprocess.Popen[bytes]] = []
        atexit.register(self.stop_all)

    def start(self, args: list[str], *, env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
        with open(log_path, "ab") as log:
            proc = subprocess.Popen(
                args,
                cwd=ROOT,
                env={**os.environ, **env},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with_parent if sys.platform == "linux" else None,  # noqa: PLW1509
            )
        proc.log_path = log_path  # type: ignore[attr-defined]
        self.procs.append(proc)
        return proc

    def stop_all(self) -> None:
        while self.procs:
            processes.stop(self.procs.pop(), timeout=5)


def base_env(smtp_port: int, *, settings: str = "bench.settings_email") -> dict[str, str]:
    """Production settings (with the bench's own queues) on the shell's services (the test suite's
    local ones by default)."""
    env = {
        "DJANGO_SETTINGS_MODULE": settings,
        "SECRET_KEY": lib.BENCH_SECRET_KEY,
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


def start_sink(children: Children, tmp: Path) -> tuple[int, Path]:
    """Start the SMTP sink (aiosmtpd, one ``.eml`` per message); return its port and maildir."""
    maildir = tmp / "maildir"
    port = processes.free_port()
    sink = children.start(
        [processes.PYTHON, "-m", "tests.support.smtp_sink", "--port", str(port), "--maildir", str(maildir)],
        env={},
        log_path=tmp / "smtp.log",
    )
    processes.wait_until(lambda: processes.port_open("127.0.0.1", port), timeout=20, what="SMTP sink", proc=sink)
    return port, maildir


def start_worker(
    children: Children, *, env: dict[str, str], queue: str, name: str, log_path: Path
) -> subprocess.Popen[bytes]:
    """One Celery worker process (prefork ``-c 1``, or ``BENCH_EMAIL_POOL=solo``) consuming ``queue``."""
    args = [processes.PYTHON, "-m", "celery", "-A", "gau", "worker", "-Q", queue]
    args += ["-P", os.environ.get("BENCH_EMAIL_POOL", "prefork"), "-c", "1", "-n", f"{name}-{os.getpid()}@%h"]
    args += ["--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "info"]
    if os.environ.get("BENCH_EMAIL_PREFETCH"):
        args += ["--prefetch-multiplier", os.environ["BENCH_EMAIL_PREFETCH"]]
    worker = children.start(args, env=env, log_path=log_path)
    processes.wait_until(lambda: b"ready." in log_path.read_bytes(), timeout=90, what=f"{name} worker", proc=worker)
    return worker


def purge(*queues: str) -> None:
    """Empty ``queues`` on the broker (a queue not declared yet has nothing to purge)."""
    from gau.celery import app

    with app.connection_for_write() as conn:
        for queue in queues:
            with contextlib.suppress(Exception):
                conn.default_channel.queue_purge(queue)  # type: ignore[attr-defined]


def backlog(queue: str) -> int:
    """Messages ready in ``queue`` (not counting the one a worker holds)."""
    from gau.celery import app

    with app.connection_for_write() as conn:
        try:
            return int(conn.default_channel.queue_declare(queue, passive=True).message_count)  # type: ignore[attr-defined]
        except Exception:  # not declared (yet): nothing waiting
            return 0


def wait_idle(queue: str, *, timeout: float = ROUND_TIMEOUT) -> float:
    """Wait (untimed by the caller) until ``queue`` is empty, so a side's leftover tasks never run during
    the other side's round; return the seconds it took."""
    started = time.monotonic()
    while backlog(queue) > 0 and time.monotonic() - started < timeout:
        time.sleep(0.1)
    return time.monotonic() - started


def count(maildir: Path) -> int:
    # os.scandir, not Path.glob: this runs in a polling loop on the same cores as the worker.
    with os.scandir(maildir) as entries:
        return sum(1 for entry in entries if entry.name.endswith(".eml"))


def wait_count(
    maildir: Path, n: int, *, timeout: float = ROUND_TIMEOUT, workers: tuple[subprocess.Popen[bytes], ...] = ()
) -> None:
    """Wait until ``n`` messages arrived; fail early if a worker died."""
    deadline = time.monotonic() + timeout
    while count(maildir) < n:
        for worker in workers:
            if worker.poll() is not None:
                raise RuntimeError(f"worker exited with {worker.returncode}: {processes.read_log(worker)}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"only {count(maildir)} of {n} emails arrived within {timeout:.0f}s")
        time.sleep(0.02)  # a tighter loop steals CPU from the worker being measured (2-core box)


def clear(maildir: Path) -> None:
    for path in maildir.glob("*.eml"):
        path.unlink()
