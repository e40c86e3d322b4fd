"""Reusable helpers for Gau's benchmarks: servers, load, interleaved measurement, the BENCH line.

A benchmark is a script ``bench/bench_<name>.py`` that measures a *candidate* against a *baseline* in the
same run and prints one line per result::

    BENCH <name>: <figures> ratio=<x.xx> (target >= <t>)

where ``ratio = candidate / baseline``. This machine is small and noisy (2 cores, other work running), so
absolute numbers are not comparable between runs; the ratio of two measurements taken side by side is.
:func:`interleave` measures A B A B ... and takes medians, so a burst of noise hits both sides.

Environment. Servers get :func:`server_env`: production settings (DEBUG off, a fixed bench SECRET_KEY,
loopback ALLOWED_HOSTS) on the *embedded* defaults (a throwaway SQLite file, local-memory cache, eager
tasks): the service URLs of the caller's shell are removed, so a framework figure never depends on
whatever PostgreSQL or Redis happens to be doing. A benchmark that needs the real services (identity,
CDN) passes ``services=True``: then ``DATABASE_URL``, ``REDIS_URL`` and ``CELERY_BROKER_URL`` are taken
from the environment (the same variables a test run uses), falling back to the local defaults, as are
``EMAIL_URL`` and the ``S3_*`` variables when set; it calls :func:`migrate` first (which creates the
PostgreSQL database if missing). Anything else (``GAU_SERVED_APPS``...) goes through ``extra``.

Knobs (set by ``bench/run.py`` options or by hand): ``BENCH_DURATION`` (seconds per wrk run),
``BENCH_ROUNDS`` (runs per side), ``BENCH_CONNECTIONS``, ``BENCH_WARMUP`` (seconds).
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
HOST = "127.0.0.1"

#: A fixed key for bench servers only (they listen on loopback and hold no data worth protecting).
BENCH_SECRET_KEY = "gau-bench-secret-key-loopback-only-000000000000000"  # noqa: S105
BENCH_INTERNAL_KEY = "gau-bench-internal-key-loopback-only-0000000000"
#: Local defaults for ``services=True`` when the shell does not set them (same as the test suite's).
SERVICE_DEFAULTS = {
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/gau",
    "REDIS_URL": "redis://127.0.0.1:6379/15",
    "CELERY_BROKER_URL": "amqp://guest:guest@127.0.0.1:5672//",
}
#: Variables that select a backing service; stripped for embedded runs so the shell cannot leak them in.
SERVICE_VARIABLES = (
    "DATABASE_URL",
    "DATABASE_REPLICA_URL",
    "REDIS_URL",
    "CELERY_BROKER_URL",
    "EMAIL_URL",
    "S3_ENDPOINT_URL",
    "S3_BUCKET",
    "S3_ACCESS_KEY_ID",
    "S3_SECRET_ACCESS_KEY",
    "S3_REGION",
    "S3_PUBLIC_URL",
    "GAU_SERVED_APPS",
    "GAU_SERVICE_URLS",
)


class BenchError(RuntimeError):
    """A benchmark could not be run (a tool is missing, a server did not start, wrk saw errors)."""


# --- knobs --------------------------------------------------------------------------------------


#: Knob values of a smoke run (``BENCH_SMOKE=1``): every benchmark runs end to end in seconds so CI keeps
#: it runnable; the figures mean nothing and ``bench/run.py`` does not enforce ratios.
SMOKE_KNOBS: dict[str, float] = {
    "duration": 1,
    "rounds": 1,
    "warmup": 1,
    "connections": 4,
    "login_connections": 1,
    "login_seconds": 1,
    "kanban_tasks": 40,
    "upload_mib": 8,
    "upload_rounds": 1,
    "emails": 20,
    "peer_emails": 20,
    "import_cards": 300,
    "import_sample": 20,
    "split_logins": 2,
    "split_reads": 10,
    "split_warmup_logins": 1,
    "split_warmup_reads": 5,
}


def smoke() -> bool:
    """Whether this is a smoke run (``BENCH_SMOKE`` set to anything but empty/0/false)."""
    return os.environ.get("BENCH_SMOKE", "").strip().lower() not in ("", "0", "false", "no")


def knob(name: str, default: float) -> float:
    """A numeric ``BENCH_<NAME>`` variable, or its smoke value in a smoke run, or ``default``."""
    raw = os.environ.get(f"BENCH_{name.upper()}", "").strip()
    if not raw:
        return SMOKE_KNOBS.get(name, default) if smoke() else default
    try:
        return float(raw)
    except ValueError:
        raise BenchError(f"BENCH_{name.upper()}: expected a number, got {raw!r}") from None


# --- tools --------------------------------------------------------------------------------------


def ensure_wrk(*, install: bool = True) -> str:
    """The path of ``wrk``; installs Debian's package when missing and running as root."""
    found = shutil.which("wrk")
    if found:
        return found
    if install and hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get"):
        print("bench: wrk is missing; installing Debian's package (apt-get install -y wrk)", flush=True)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}

        def apt(*args: str) -> int:
            done = subprocess.run(["apt-get", *args], env=env, check=False, capture_output=True)
            return done.returncode

        if apt("install", "-y", "wrk") != 0:  # the package lists may be missing or stale
            apt("update")
            apt("install", "-y", "wrk")
        found = shutil.which("wrk")
        if found:
            return found
    raise BenchError(
        "wrk (the HTTP load generator) is not installed. Install it with `sudo apt-get install wrk` "
        "(Debian/Ubuntu) or your system's package manager, then run `make bench` again."
    )


# --- ports and processes ------------------------------------------------------------------------


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def http_get(url: str, *, headers: Mapping[str, str] | None = None, timeout: float = 5) -> tuple[int, bytes]:
    """``GET url``: (status, body); HTTP errors are returned, not raised."""
    request = urllib.request.Request(url, headers=dict(headers or {}))  # noqa: S310  # loopback URLs we built
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return int(response.status), response.read()
    except urllib.error.HTTPError as exc:
        return int(exc.code), exc.read()


def server_env(*, services: bool = False, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for a bench server process (see the module docstring)."""
    env = {k: v for k, v in os.environ.items() if k not in SERVICE_VARIABLES and not k.startswith("BENCH_")}
    env.update(
        {
            "DEBUG": "false",
            "SECRET_KEY": BENCH_SECRET_KEY,
            "ALLOWED_HOSTS": f"{HOST},localhost",
            "GAU_LOG_LEVEL": "WARNING",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    if services:
        for name in SERVICE_VARIABLES:  # S3_*, EMAIL_URL... pass through when the shell sets them
            if os.environ.get(name) and not name.startswith("GAU_"):
                env[name] = os.environ[name]
        for name, default in SERVICE_DEFAULTS.items():
            env[name] = os.environ.get(name) or default
    else:
        env["DATABASE_URL"] = f"sqlite:///{scratch_dir() / 'bench.sqlite3'}"
    env.update(extra or {})
    return env


_SCRATCH: list[Path] = []


def scratch_dir() -> Path:
    """A temporary directory for this benchmark process (logs, SQLite file); removed at exit."""
    if not _SCRATCH:
        import atexit

        path = Path(tempfile.mkdtemp(prefix="gau-bench-"))
        atexit.register(shutil.rmtree, path, True)
        _SCRATCH.append(path)
    return _SCRATCH[0]


def ensure_database(url: str) -> None:
    """Create the PostgreSQL database ``url`` names if it does not exist (SQLite creates itself)."""
    parts = urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql"}:
        return
    import psycopg
    from psycopg import sql

    name = unquote(parts.path.lstrip("/"))
    admin_url = urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def migrate(env: Mapping[str, str], *, settings: str = "gau.settings") -> None:
    """Create the database if needed and apply migrations with ``env`` (for benchmarks that use it)."""
    ensure_database(env.get("DATABASE_URL", ""))
    result = subprocess.run(
        [PYTHON, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": settings},
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise BenchError(f"migrate failed: {(result.stdout + result.stderr)[-2000:]}")


def rabbitmqctl(*args: str) -> bool:
    """Run ``rabbitmqctl -q args``; False when the tool is missing or fails (e.g. not allowed)."""
    tool = shutil.which("rabbitmqctl") or ("/usr/sbin/rabbitmqctl" if Path("/usr/sbin/rabbitmqctl").exists() else None)
    if tool is None:
        return False
    with contextlib.suppress(OSError, subprocess.TimeoutExpired):
        return subprocess.run([tool, "-q", *args], capture_output=True, check=False, timeout=60).returncode == 0
    return False


@contextlib.contextmanager
def own_vhost(broker_url: str, name: str) -> Iterator[str | None]:
    """A RabbitMQ vhost of this run's own (``gau_bench_<name>_<random>``), deleted afterwards.

    Yields the broker URL on that vhost, or None when ``rabbitmqctl`` cannot make one (then the caller
    falls back to ``broker_url`` and must purge its queues). A vhost of its own means no other worker
    on the machine (a test session's, another benchmark's, a leaked one) takes the run's tasks.
    """
    parts = urlsplit(broker_url)
    vhost = f"gau_bench_{name}_{os.urandom(4).hex()}"
    user = unquote(parts.username or "guest")
    if not rabbitmqctl("add_vhost", vhost):
        yield None
        return
    try:
        if not rabbitmqctl("set_permissions", "-p", vhost, user, ".*", ".*", ".*"):
            yield None
            return
        yield urlunsplit(parts._replace(path="/" + vhost))
    finally:
        rabbitmqctl("delete_vhost", vhost)


_CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def process_group_cpu(pgid: int) -> float:
    """User + system CPU seconds of the live processes in process group ``pgid`` (Linux /proc)."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:  # the process exited while we looked
            continue
        fields = text[text.rindex(")") + 2 :].split()  # after "pid (comm) "
        if int(fields[2]) == pgid:  # pgrp
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / _CLK_TCK


@dataclass
class Server:
    """A running production server (gunicorn) started by :func:`start_server`."""

    name: str
    url: str
    proc: subprocess.Popen[bytes]
    log_path: Path

    def log_tail(self, chars: int = 3000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:] if self.log_path.exists() else ""

    def cpu_seconds(self) -> float:
        """CPU time (user + system) used so far by the server's live processes (master and workers).

        Per-request CPU is far steadier than req/s on a busy machine: contention from other work
        slows requests down but barely changes how much CPU each one needs.
        """
        return process_group_cpu(self.proc.pid)

    def stop(self, timeout: float = 10) -> None:
        """Stop the server's whole process group (master and workers)."""
        if self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=timeout)
        except ProcessLookupError:
            pass


def start_server(
    name: str,
    *,
    settings: str = "gau.settings",
    env: Mapping[str, str] | None = None,
    workers: int = 1,
    threads: int = 1,
    worker_class: str = "sync",
    app: str = "gau.wsgi",
    health_path: str = "/healthz",
    timeout: float = 60,
    extra_args: Sequence[str] = (),
) -> Server:
    """Start gunicorn with ``settings`` on a free loopback port and wait until ``health_path`` answers 200.

    ``worker_class`` is ``sync`` or ``gthread`` (``threads`` > 1 implies gthread, as in gunicorn).
    ``env`` defaults to :func:`server_env()`; ``extra_args`` go to gunicorn as they are.
    """
    port = free_port()
    log_path = scratch_dir() / f"{name}-{port}.log"
    args = [
        PYTHON,
        "-m",
        "gunicorn",
        app,
        "--bind",
        f"{HOST}:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        "gthread" if threads > 1 else worker_class,
        "--threads",
        str(threads),
        "--log-level",
        "warning",
        "--error-logfile",
        "-",
        "--backlog",
        "2048",
        *extra_args,
    ]
    full_env = {**(env if env is not None else server_env()), "DJANGO_SETTINGS_MODULE": settings, "PORT": str(port)}
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(
            args, cwd=ROOT, env=full_env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    server = Server(name=name, url=f"http://{HOST}:{port}", proc=proc, log_path=log_path)
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise BenchError(f"{name}: gunicorn exited with {proc.returncode}:\n{server.log_tail()}")
        with contextlib.suppress(OSError):
            status, _ = http_get(server.url + health_path, timeout=2)
            if status == 200:
                return server
        if time.monotonic() > deadline:
            server.stop()
            raise BenchError(f"{name}: {health_path} did not answer 200 within {timeout:.0f}s:\n{server.log_tail()}")
        time.sleep(0.1)


@contextlib.contextmanager
def running(name: str, **kwargs: Any) -> Iterator[Server]:
    """``with running("bare", settings=...) as server:`` starts a server and always stops it."""
    server = start_server(name, **kwargs)
    try:
        yield server
    finally:
        server.stop()


# --- load -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WrkResult:
    """What one wrk run measured."""

    requests_per_sec: float
    requests: int
    latency_ms: dict[int, float]  # percentile -> milliseconds (50, 75, 90, 99)
    errors: int  # socket errors (connect, read, write, timeout) + non-2xx/3xx responses
    raw: str = field(repr=False, default="")
    #: Server CPU milliseconds per request, when run_wrk was given the server.
    cpu_ms_per_request: float | None = None


_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _to_ms(value: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value.strip())
    if not match:
        raise BenchError(f"cannot parse wrk latency {value!r}")
    return float(match.group(1)) * _UNIT_MS[match.group(2)]


def parse_wrk(output: str) -> WrkResult:
    """Parse ``wrk --latency`` output."""
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    total = re.search(r"(\d+) requests in", output)
    if not rps or not total:
        raise BenchError(f"cannot parse wrk output:\n{output}")
    latency = {int(p): _to_ms(v) for p, v in re.findall(r"^\s+(50|75|90|99)%\s+(\S+)\s*$", output, re.MULTILINE)}
    errors = 0
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    if socket_errors:
        errors += sum(int(n) for n in socket_errors.groups())
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if non_2xx:
        errors += int(non_2xx.group(1))
    return WrkResult(
        requests_per_sec=float(rps.group(1)),
        requests=int(total.group(1)),
        latency_ms=latency,
        errors=errors,
        raw=output,
    )


def run_wrk(
    url: str,
    *,
    duration: float | None = None,
    connections: int | None = None,
    threads: int = 1,
    headers: Mapping[str, str] | None = None,
    script: Path | None = None,
    timeout_s: int = 5,
    allow_errors: bool = False,
    server: Server | None = None,
) -> WrkResult:
    """Load ``url`` with wrk for ``duration`` seconds over ``connections`` connections; parse the result.

    ``headers`` are sent with every request (e.g. ``{"Authorization": "Bearer ..."}``); ``script`` is a
    wrk Lua script for anything fancier (POST bodies, varying paths). Errors (non-2xx, socket errors)
    raise :class:`BenchError` unless ``allow_errors``. With ``server``, its CPU time per request is
    measured too.
    """
    wrk = ensure_wrk()
    seconds = max(1, round(duration if duration is not None else knob("duration", 6)))
    conns = int(connections if connections is not None else knob("connections", 16))
    args = [wrk, f"-t{threads}", f"-c{max(conns, threads)}", f"-d{seconds}s", f"--timeout={timeout_s}s", "--latency"]
    for key, value in (headers or {}).items():
        args += ["-H", f"{key}: {value}"]
    if script is not None:
        args += ["-s", str(script)]
    args.append(url)
    cpu_before = server.cpu_seconds() if server is not None else 0.0
    result = subprocess.run(args, capture_output=True, text=True, timeout=seconds + 60, check=False)
    cpu_used = server.cpu_seconds() - cpu_before if server is not None else 0.0
    if result.returncode != 0:
        raise BenchError(f"wrk failed ({result.returncode}): {result.stderr or result.stdout}")
    parsed = parse_wrk(result.stdout)
    if parsed.errors and not allow_errors:
        raise BenchError(f"wrk saw {parsed.errors} errors loading {url}:\n{result.stdout}")
    if server is not None and parsed.requests:
        parsed = dataclasses.replace(parsed, cpu_ms_per_request=cpu_used * 1000 / parsed.requests)
    return parsed


# --- interleaved measurement -----------------------------------------------------------------


@dataclass(frozen=True)
class Summary:
    """Medians over the rounds of one side."""

    label: str
    requests_per_sec: float
    p50_ms: float
    p99_ms: float
    rounds: list[float]
    cpu_ms_per_request: float | None = None

    def figures(self) -> str:
        cpu = f" cpu {self.cpu_ms_per_request:.3f}ms/req" if self.cpu_ms_per_request is not None else ""
        return f"{self.label}={self.requests_per_sec:.0f} req/s (p50 {self.p50_ms:.2f}ms p99 {self.p99_ms:.2f}ms{cpu})"


def summarise(label: str, results: Sequence[WrkResult]) -> Summary:
    """Median req/s and latency percentiles of ``results``."""
    return Summary(
        label=label,
        requests_per_sec=statistics.median(r.requests_per_sec for r in results),
        p50_ms=statistics.median(r.latency_ms.get(50, float("nan")) for r in results),
        p99_ms=statistics.median(r.latency_ms.get(99, float("nan")) for r in results),
        rounds=[round(r.requests_per_sec) for r in results],
        cpu_ms_per_request=(
            statistics.median(cpu) if (cpu := [r.cpu_ms_per_request for r in results if r.cpu_ms_per_request]) else None
        ),
    )


def wrk_ab(
    baseline_url: str,
    candidate_url: str,
    *,
    servers: tuple[Server | None, Server | None] = (None, None),
    labels: tuple[str, str] = ("baseline", "candidate"),
) -> tuple[Summary, Summary]:
    """wrk against two URLs: a short warm-up load on both, then :func:`interleave`d rounds (medians)."""

    def warmup() -> None:
        for url in (baseline_url, candidate_url):
            run_wrk(url, duration=knob("warmup", 2))

    return interleave(
        lambda: run_wrk(baseline_url, server=servers[0]),
        lambda: run_wrk(candidate_url, server=servers[1]),
        warmup=warmup,
        labels=labels,
    )


def interleave(
    baseline: Callable[[], WrkResult],
    candidate: Callable[[], WrkResult],
    *,
    rounds: int | None = None,
    warmup: Callable[[], object] | None = None,
    labels: tuple[str, str] = ("baseline", "candidate"),
    verbose: bool = True,
) -> tuple[Summary, Summary]:
    """Run ``baseline`` and ``candidate`` alternately (A B B A A B ...), ``rounds`` times each; medians.

    The order alternates per round (ABBA) so neither side always runs first after a pause.
    ``warmup`` runs once before measuring (e.g. a short load on both servers).
    """
    count = int(rounds if rounds is not None else knob("rounds", 3))
    if warmup is not None:
        warmup()
    measured: dict[str, list[WrkResult]] = {labels[0]: [], labels[1]: []}
    sides = {labels[0]: baseline, labels[1]: candidate}
    for index in range(count):
        order = labels if index % 2 == 0 else labels[::-1]
        for label in order:
            result = sides[label]()
            measured[label].append(result)
            if verbose:
                cpu = result.cpu_ms_per_request
                print(
                    f"  round {index + 1}/{count} {label:>10}: {result.requests_per_sec:9.0f} req/s  "
                    f"p50 {result.latency_ms.get(50, float('nan')):.2f}ms  "
                    f"p99 {result.latency_ms.get(99, float('nan')):.2f}ms"
                    + (f"  cpu {cpu:.3f}ms/req" if cpu is not None else ""),
                    flush=True,
                )
    return summarise(labels[0], measured[labels[0]]), summarise(labels[1], measured[labels[1]])


def bench_line(name: str, figures: str, ratio: float, target: float) -> str:
    """``BENCH <name>: <figures> ratio=<x.xx> (target >= <t>)``; ``ratio`` is candidate / baseline."""
    return f"BENCH {name}: {figures} ratio={ratio:.2f} (target >= {target:g})"


def report(name: str, baseline: Summary, candidate: Summary, *, target: float) -> str:
    """Print (and return) the BENCH line comparing ``candidate`` req/s with ``baseline`` req/s."""
    ratio = candidate.requests_per_sec / baseline.requests_per_sec if baseline.requests_per_sec else 0.0
    line = bench_line(name, f"{baseline.figures()}; {candidate.figures()};", ratio, target)
    print(line, flush=True)
    return line
