"""Load with faults: a mixed workload against the real stack while the worker and Redis fail.

    make bench BENCH_ARGS=load                               # 64 clients, 60 s
    BENCH_LOAD_SMOKE=1 make bench BENCH_ARGS=load            # 4 clients, 6 s (a quick check)
    .venv/bin/python -m bench.bench_load --clients 64 --duration 30

Stack: real gunicorn (production settings, 2 workers x 8 threads), a real Celery worker (queues
default,email) and beat, PostgreSQL (``DATABASE_URL`` of the shell with ``_load`` appended to the
database name, created and migrated), RabbitMQ (``CELERY_BROKER_URL``'s server, on a vhost of the run's own
made with ``rabbitmqctl`` and deleted afterwards, so no other worker on the machine takes the run's tasks;
without ``rabbitmqctl`` the configured vhost's queues are purged and nothing else may consume them during
the run), S3 (a moto server), an SMTP sink (tests/support/smtp_sink.py)
and **its own** ``redis-server`` on a free port (``--save '' --appendonly no``): the shared Redis on
6379 is never touched.

Workload, per client (asyncio + httpx, one signed-in user per client), weighted: GET me (38 %), CDN hit
(a hot variant, 28 %), upload a small unique JPEG (10 %), CDN miss (a new width, 5 %), login (4 %, a new
device every third time, which queues the new sign-in email), password/forgot (3 %, queues an email),
list my files (12 %), a kanban board read (8 %) and a task move (4 %) on the client's own board (made on
its first kanban step: a project, a board, two columns and five tasks).

Faults: at 30 % of the run the worker is SIGKILLed (its whole process group) and restarted 3 s later; at
60 % Redis is stopped and restarted 2 s later (empty: cache, throttles, nonces and revocations are gone).

Checks (the run fails when one does not hold):
- no 5xx other than the documented fail-closed 503s (``authz.revocation_unavailable`` and the typed
  ``service_unavailable``, both with ``Retry-After``); connection errors/timeouts count as failures too;
- zero lost emails: every outbox row created during the run ends ``sent`` and its Message-ID reached the
  SMTP sink exactly once, or more than once only when the row is flagged ``possible_duplicate``;
- zero lost uploads: every upload answered 201 has its file record and its object in S3.

Prints throughput and latency (p50/p99) overall and per operation, then
``BENCH load: ... ratio=<x> (target >= 1)`` with ratio = 1 - (unexpected 5xx + lost emails + lost
uploads) / requests, i.e. 1.00 exactly when every check holds.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import email
import email.policy
import io
import os
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from PIL import Image  # noqa: E402

from bench import lib  # noqa: E402
from bench.s3server import client as s3_client  # noqa: E402
from bench.s3server import moto_server  # noqa: E402
from tests.support import processes  # noqa: E402

PASSWORD = "correct horse battery staple load"  # noqa: S105  # throwaway bench users
ALLOWED_503 = {"authz.revocation_unavailable", "service_unavailable"}
WEIGHTS = {
    "me": 38,
    "cdn_hit": 28,
    "files": 12,
    "upload": 10,
    "login": 4,
    "cdn_miss": 5,
    "forgot": 3,
    "board": 8,
    "move": 4,
}
K = "/api/v2/kanban"


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[str, Counter[int]] = field(default_factory=lambda: defaultdict(Counter))
    unexpected: list[str] = field(default_factory=list)
    allowed_503: Counter[str] = field(default_factory=Counter)
    allowed_503_at: list[float] = field(default_factory=list)
    uploads: list[tuple[str, str]] = field(default_factory=list)  # (file id, url)
    events: list[str] = field(default_factory=list)
    started: float = 0.0

    def record(self, op: str, seconds: float, response: httpx.Response | None, error: str | None = None) -> None:
        self.latencies[op].append(seconds)
        at = time.monotonic() - self.started
        if response is None:
            self.statuses[op][0] += 1
            self.unexpected.append(f"{at:6.1f}s {op}: {error}")
            return
        self.statuses[op][response.status_code] += 1
        if response.status_code >= 500:
            code = ""
            with contextlib.suppress(Exception):
                code = response.json()["error"]["code"]
            if response.status_code == 503 and code in ALLOWED_503 and response.headers.get("Retry-After"):
                self.allowed_503[code] += 1
                self.allowed_503_at.append(at)
            else:
                self.unexpected.append(f"{at:6.1f}s {op}: {response.status_code} {response.text[:200]}")


def jpeg(seed: int) -> bytes:
    """A small JPEG whose content is unique to ``seed`` (identical content would be stored once)."""
    rnd = random.Random(seed)
    img = Image.new("RGB", (48, 32), (rnd.randrange(256), rnd.randrange(256), rnd.randrange(256)))
    for _ in range(40):
        img.putpixel((rnd.randrange(48), rnd.randrange(32)), (rnd.randrange(256), 0, rnd.randrange(256)))
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=90)
    return buf.getvalue()


def photo() -> bytes:
    """The CDN source image (a 1200x800 photo-like JPEG)."""
    img = Image.merge(
        "RGB",
        (
            Image.effect_noise((1200, 800), 50),
            Image.linear_gradient("L").resize((1200, 800)),
            Image.effect_mandelbrot((1200, 800), (-2.2, -1.2, 1.0, 1.2), 40),
        ),
    )
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=88)
    return buf.getvalue()


# --- processes ----------------------------------------------------------------------------------


class Proc:
    """A restartable child process (its own process group)."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], ready: Any) -> None:
        self.name, self.args, self.env, self.ready = name, args, env, ready
        self.log = lib.scratch_dir() / f"{name}.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.offset = 0

    def start(self) -> None:
        self.launch()
        self.wait_ready()

    def launch(self) -> None:
        """Start the process without waiting for it (see :meth:`wait_ready`)."""
        self.offset = self.log.stat().st_size if self.log.exists() else 0
        self.proc = processes.start(self.args, env=self.env, log_path=self.log)

    def wait_ready(self) -> None:
        processes.wait_until(lambda: self.ready(self, self.offset), timeout=90, what=self.name, proc=self.proc)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None:
            processes.stop(self.proc, timeout=5)


def _log_has(marker: bytes) -> Any:
    return lambda p, offset: marker in p.log.read_bytes()[offset:]


def _port_open(port: int) -> Any:
    return lambda p, offset: processes.port_open(lib.HOST, port)


def load_database_url() -> str:
    raw = os.environ.get("DATABASE_URL") or lib.SERVICE_DEFAULTS["DATABASE_URL"]
    parts = urlsplit(raw)
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + "_load"))


# --- the clients ----------------------------------------------------------------------------------


class Client:
    def __init__(self, index: int, http: httpx.AsyncClient, user: tuple[str, str], ctx: dict[str, Any]) -> None:
        self.index, self.http, self.ctx = index, http, ctx
        self.email, token = user
        self.token: str | None = token
        self.rnd = random.Random(index)
        self.logins = 0
        self.uploads = 0
        self.board: dict[str, Any] | None = None

    async def call(self, op: str, method: str, url: str, **kwargs: Any) -> httpx.Response | None:
        stats: Stats = self.ctx["stats"]
        headers = kwargs.pop("headers", {})
        if self.token and op not in {"login", "forgot", "cdn_hit", "cdn_miss"}:
            headers["Authorization"] = f"Bearer {self.token}"
        started = time.perf_counter()
        try:
            response = await self.http.request(method, url, headers=headers, **kwargs)
        except httpx.HTTPError as exc:
            stats.record(op, time.perf_counter() - started, None, f"{type(exc).__name__}: {exc}")
            return None
        stats.record(op, time.perf_counter() - started, response)
        return response

    async def login(self) -> None:
        self.logins += 1
        device = f"load-{self.index}-{self.logins // 3}"  # a new device every third sign-in: a notice email
        response = await self.call(
            "login",
            "POST",
            "/api/v2/account/login",
            json={"email": self.email, "password": PASSWORD},
            headers={"X-Device-ID": device},
        )
        if response is not None and response.status_code == 200:
            self.token = response.json()["access_token"]

    async def kanban(self) -> dict[str, Any] | None:
        """The client's own board (created on first use through the API: project, board, 2 columns, 5 tasks)."""
        if self.board is not None:
            return self.board

        async def made(path: str, body: dict[str, Any]) -> dict[str, Any] | None:
            response = await self.call("kanban_setup", "POST", path, json=body)
            return response.json() if response is not None and response.status_code == 201 else None

        project = await made(f"{K}/projects", {"name": f"Load {self.index}", "key": "LOAD"})
        board = project and await made(f"{K}/projects/{project['id']}/boards", {"name": "Main"})
        if not board:
            return None
        columns = [await made(f"{K}/boards/{board['id']}/columns", {"name": n}) for n in ("Doing", "Done")]
        if not all(columns):
            return None
        tasks = [
            await made(f"{K}/boards/{board['id']}/tasks", {"column_id": columns[0]["id"], "title": f"Task {i}"})  # type: ignore[index]
            for i in range(5)
        ]
        self.board = {
            "id": board["id"],
            "columns": [c["id"] for c in columns if c],
            "tasks": [t["id"] for t in tasks if t],
        }
        return self.board

    async def step(self) -> None:
        if self.token is None:
            await self.login()
            return
        op = self.rnd.choices(list(WEIGHTS), weights=list(WEIGHTS.values()))[0]
        key = self.ctx["image_key"]
        response: httpx.Response | None
        if op == "me":
            response = await self.call(op, "GET", "/api/v2/account/me")
        elif op == "files":
            response = await self.call(op, "GET", "/api/v2/upload/files")
        elif op == "cdn_hit":
            response = await self.call(op, "GET", f"/images/{key}?w=320&format=webp")
        elif op == "cdn_miss":
            # A variant not made yet (mostly: the allowed widths x qualities x formats are finite).
            width = self.rnd.choice([w for w in self.ctx["widths"] if 64 <= w <= 1200])
            quality = self.rnd.choice(self.ctx["qualities"])
            fmt = self.rnd.choice(("webp", "jpeg"))
            response = await self.call(op, "GET", f"/images/{key}?w={width}&q={quality}&format={fmt}")
        elif op == "upload":
            self.uploads += 1
            data = jpeg(self.index * 1_000_000 + self.uploads)
            response = await self.call(
                op,
                "POST",
                "/api/v2/upload/files?purpose=image",
                files={"file": (f"load-{self.uploads}.jpg", data, "image/jpeg")},
            )
            if response is not None and response.status_code == 201:
                body = response.json()
                self.ctx["stats"].uploads.append((body["id"], body["url"]))
        elif op in {"board", "move"}:
            board = await self.kanban()
            if board is None or not board["tasks"]:
                return
            if op == "board":
                response = await self.call(op, "GET", f"{K}/boards/{board['id']}")
            else:
                task = self.rnd.choice(board["tasks"])
                column = self.rnd.choice(board["columns"])
                response = await self.call(op, "POST", f"{K}/tasks/{task}/move", json={"column_id": column})
        elif op == "login":
            await self.login()
            return
        else:  # forgot
            response = await self.call(op, "POST", "/api/v2/account/password/forgot", json={"email": self.email})
        if response is not None and response.status_code == 401 and op in {"me", "files", "upload", "board", "move"}:
            self.token = None  # signed out (e.g. revoked): sign in again

    async def run(self, deadline: float) -> None:
        # Until the deadline, and at least 3 s past the last fault (a slow worker start-up on a loaded
        # machine must not leave the Redis restart without traffic).
        while True:
            now = time.monotonic()
            done_at = self.ctx.get("faults_done_at")
            if now >= deadline and done_at is not None and now >= done_at + 3:
                return
            await self.step()


async def faults(ctx: dict[str, Any], duration: float) -> None:
    stats: Stats = ctx["stats"]
    worker: Proc = ctx["worker"]
    redis: Proc = ctx["redis"]

    def note(text: str) -> None:
        stats.events.append(f"{time.monotonic() - stats.started:6.1f}s {text}")
        print(f"  fault: {stats.events[-1]}", flush=True)

    await asyncio.sleep(duration * 0.3)
    worker.kill()
    note("celery worker SIGKILLed")
    await asyncio.sleep(3)
    await asyncio.to_thread(worker.start)
    note("celery worker restarted")
    await asyncio.sleep(max(0.0, duration * 0.6 - (time.monotonic() - stats.started)))
    redis.stop()
    note("redis stopped")
    await asyncio.sleep(2)
    await asyncio.to_thread(redis.start)
    note("redis restarted (empty)")
    ctx["faults_done_at"] = time.monotonic()


async def drive(base_url: str, users: list[tuple[str, str]], ctx: dict[str, Any], duration: float) -> None:
    # Idle connections are dropped by the client (2 s) before the server's keep-alive (5 s) closes them,
    # so a request never races the server's close.
    limits = httpx.Limits(max_connections=len(users), max_keepalive_connections=len(users), keepalive_expiry=2)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=30) as http:
        clients = [Client(i, http, user, ctx) for i, user in enumerate(users)]
        ctx["stats"].started = time.monotonic()
        deadline = ctx["stats"].started + duration
        await asyncio.gather(faults(ctx, duration), *(c.run(deadline) for c in clients))


# --- checks -----------------------------------------------------------------------------------------


def sink_message_ids(maildir: Path) -> Counter[str]:
    found: Counter[str] = Counter()
    for path in maildir.glob("*.eml"):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        found[str(message["Message-ID"]).strip()] += 1
    return found


def check_emails(since: Any, maildir: Path, timeout: float) -> tuple[int, int, int, list[str]]:
    """(rows, lost, flagged duplicates, problems) for the outbox rows created since ``since``."""
    from apps.email.delivery import message_id_for
    from apps.email.models import OutboundEmail

    deadline = time.monotonic() + timeout
    while True:
        rows = list(OutboundEmail.objects.filter(created_at__gte=since))
        pending = [r for r in rows if r.status in ("queued", "sending")]
        if not pending or time.monotonic() > deadline:
            break
        time.sleep(1)
    ids = sink_message_ids(maildir)
    problems: list[str] = []
    lost = flagged = 0
    for row in rows:
        if row.status != "sent":
            lost += 1
            problems.append(f"email {row.pk} ({row.template}) ended {row.status}: {row.last_error[:120]}")
            continue
        seen = ids.get(message_id_for(row).strip(), 0)
        if seen == 0:
            lost += 1
            problems.append(f"email {row.pk} ({row.template}) marked sent but never reached the sink")
        elif seen > 1:
            if row.possible_duplicate:
                flagged += 1
            else:
                lost += 1
                problems.append(f"email {row.pk} delivered {seen} times without the duplicate flag")
    return len(rows), lost, flagged, problems


def check_uploads(uploads: list[tuple[str, str]], s3env: dict[str, str]) -> tuple[int, list[str]]:
    from apps.upload.services import upload_service

    s3 = s3_client(s3env)
    problems: list[str] = []
    for file_id, url in uploads:
        file = upload_service.get_file(file_id=uuid.UUID(file_id))
        if file is None:
            problems.append(f"upload {file_id}: answered 201, no file record")
            continue
        stored = upload_service.get_object(key=url.rsplit("/", 1)[-1].split("?")[0])
        if stored is None:
            problems.append(f"upload {file_id}: no stored object record")
            continue
        try:
            s3.head_object(Bucket=s3env["S3_BUCKET"], Key=stored.path)
        except Exception as exc:
            problems.append(f"upload {file_id}: object {stored.path} missing in S3 ({type(exc).__name__})")
    return len(problems), problems


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] * 1000


# --- main ---------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench_load")
    smoke_default = lib.smoke() or os.environ.get("BENCH_LOAD_SMOKE", "") not in ("", "0", "false")
    parser.add_argument("--smoke", action="store_true", default=smoke_default, help="4 clients for 6 s")
    parser.add_argument("--clients", type=int, default=int(os.environ.get("BENCH_LOAD_CLIENTS", "0")) or None)
    parser.add_argument("--duration", type=float, default=float(os.environ.get("BENCH_LOAD_DURATION", "0")) or None)
    args = parser.parse_args(argv)
    clients = args.clients or (4 if args.smoke else 64)
    duration = args.duration or (6.0 if args.smoke else 60.0)
    scratch = lib.scratch_dir()
    started_children: list[Proc] = []
    try:
        return run(clients, duration, scratch, started_children, smoke=args.smoke)
    finally:
        stop_children(started_children)


def stop_children(children: list[Proc]) -> None:
    """Stop the processes started so far, side by side (each is given 5 s, then SIGKILLed)."""
    stopping = [threading.Thread(target=child.stop) for child in children]
    children.clear()
    for thread in stopping:
        thread.start()
    for thread in stopping:
        thread.join()


def run(clients: int, duration: float, scratch: Path, children: list[Proc], *, smoke: bool = False) -> int:
    redis_port, smtp_port = lib.free_port(), lib.free_port()
    redis = Proc(
        "redis",
        ["redis-server", "--port", str(redis_port), "--bind", lib.HOST, "--save", "", "--appendonly", "no"],
        {},
        _port_open(redis_port),
    )
    redis.start()
    children.append(redis)
    maildir = scratch / "maildir"
    sink = Proc(
        "smtp",
        [lib.PYTHON, "-m", "tests.support.smtp_sink", "--port", str(smtp_port), "--maildir", str(maildir)],
        {},
        _port_open(smtp_port),
    )
    sink.start()
    children.append(sink)

    shell_broker = os.environ.get("CELERY_BROKER_URL") or lib.SERVICE_DEFAULTS["CELERY_BROKER_URL"]
    with contextlib.ExitStack() as stack:
        own_broker = stack.enter_context(lib.own_vhost(shell_broker, "load"))
        s3env = stack.enter_context(moto_server())
        stack.callback(stop_children, children)  # first out: nothing holds the vhost or S3 once they go
        env = lib.server_env(
            services=True,
            extra={
                **s3env,
                "DATABASE_URL": load_database_url(),
                "CELERY_BROKER_URL": own_broker or shell_broker,
                "REDIS_URL": f"redis://{lib.HOST}:{redis_port}/0",
                "EMAIL_URL": f"smtp://{lib.HOST}:{smtp_port}",
                "PUBLIC_BASE_URL": "http://127.0.0.1",
                # Fast outbox recovery for a short run: a killed worker's lease and stuck rows expire soon
                # (sooner still in a smoke run, against a local sink).
                "EMAIL_SENDING_LEASE": "6" if smoke else "15",
                "EMAIL_STUCK_AFTER": "4" if smoke else "10",
                "EMAIL_SWEEP_INTERVAL": "2" if smoke else "5",
                "EMAIL_RETRY_DELAYS": "1,2,5" if smoke else "2,5,10",
            },
        )
        lib.migrate(env)
        os.environ.update(env)
        os.environ["DJANGO_SETTINGS_MODULE"] = "gau.settings"
        import django

        django.setup()
        from django.utils import timezone

        from apps.account.models import User
        from apps.authz.services import authz_service
        from apps.cdn.imaging import allowed_dimensions, allowed_qualities
        from apps.upload.services import upload_service
        from gau.celery import app as celery_app

        if own_broker is None:  # the shared vhost: drop what an earlier run left behind
            print("  load: rabbitmqctl could not make a vhost; purging the configured one's queues", flush=True)
            with celery_app.connection_for_write() as conn:
                for queue in ("default", "email"):
                    with contextlib.suppress(Exception):  # not declared yet: nothing to purge
                        conn.default_channel.queue_purge(queue)  # type: ignore[attr-defined]

        run_id = uuid.uuid4().hex[:8]
        # Users and their first sign-in are made here: 64 Argon2 logins at once would only measure Argon2
        # on this small machine; logins stay in the mix.
        users: list[tuple[str, str]] = []
        for i in range(clients):
            address = f"load-{run_id}-{i}@example.com"
            user = User.objects.create_user(email=address, password=PASSWORD, email_verified=True, display_name="L")
            tokens = authz_service.issue_tokens(user_id=user.id, user_agent="bench", ip="127.0.0.1")
            users.append((address, tokens.access_token))
        owner = User.objects.get(email=users[0][0])
        source = upload_service.create_file(owner_id=owner.id, purpose="image", filename="p.jpg", data=photo())
        image_key = source.url.rsplit("/", 1)[-1]

        worker = Proc(
            "worker",
            [
                lib.PYTHON,
                "-m",
                "celery",
                "-A",
                "gau",
                "worker",
                "-Q",
                "default,email",
                "-c",
                "2",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-l",
                "info",
                "-n",
                f"load-{run_id}@%h",
            ],
            {**env, "DJANGO_SETTINGS_MODULE": "gau.settings", "GAU_LOG_LEVEL": "INFO"},
            _log_has(b"ready."),
        )
        worker.launch()
        children.append(worker)
        beat = Proc(
            "beat",
            [lib.PYTHON, "-m", "celery", "-A", "gau", "beat", "-s", str(scratch / "beat-schedule"), "-l", "info"],
            {**env, "DJANGO_SETTINGS_MODULE": "gau.settings"},
            _log_has(b"beat: Starting"),
        )
        beat.launch()  # worker, beat and gunicorn start side by side; each is waited for below
        children.append(beat)
        # The Dockerfile's gunicorn settings (timeout, keep-alive, heartbeat files in /dev/shm).
        production = ["--timeout", "30", "--graceful-timeout", "25", "--keep-alive", "5"]
        shm = "/dev/shm"  # noqa: S108  # gunicorn's heartbeat files, as in the Dockerfile
        if Path(shm).is_dir():
            production += ["--worker-tmp-dir", shm]
        server = lib.start_server("load", env=env, workers=2, threads=8, extra_args=production)
        gunicorn = Proc("gunicorn", [], {}, None)
        gunicorn.proc = server.proc
        children.append(gunicorn)
        worker.wait_ready()
        beat.wait_ready()

        since = timezone.now()
        stats = Stats()
        ctx: dict[str, Any] = {
            "stats": stats,
            "image_key": image_key,
            "worker": worker,
            "redis": redis,
            "widths": allowed_dimensions(),
            "qualities": allowed_qualities(),
        }
        print(f"  load: {clients} clients for {duration:.0f}s against {server.url}", flush=True)
        asyncio.run(drive(server.url, users, ctx, duration))
        elapsed = time.monotonic() - stats.started

        email_rows, lost_emails, flagged, email_problems = check_emails(since, maildir, timeout=180)
        lost_uploads, upload_problems = check_uploads(stats.uploads, s3env)
        checked = time.monotonic() - stats.started

    all_latencies = [x for values in stats.latencies.values() for x in values]
    total = len(all_latencies)
    throughput = total / elapsed if elapsed else 0.0
    print(f"  faults: {'; '.join(stats.events)}; checks done at {checked:.1f}s", flush=True)
    if stats.allowed_503_at:
        print(
            f"  fail-closed 503s between {min(stats.allowed_503_at):.1f}s and {max(stats.allowed_503_at):.1f}s",
            flush=True,
        )
    print(f"  {'op':<9} {'count':>6} {'p50 ms':>8} {'p99 ms':>8}  statuses", flush=True)
    for op in sorted(stats.latencies):
        values = stats.latencies[op]
        codes = " ".join(f"{code or 'conn-err'}:{n}" for code, n in sorted(stats.statuses[op].items()))
        print(f"  {op:<9} {len(values):>6} {pct(values, 50):>8.1f} {pct(values, 99):>8.1f}  {codes}", flush=True)
    for line in stats.unexpected[:20]:
        print(f"  UNEXPECTED {line}", flush=True)
    if stats.unexpected:  # what the server logged for them: the distinct exception lines
        log = server.log_path.read_text(errors="replace").splitlines()
        notable = ("Error", "WORKER TIMEOUT", "SIGKILL", "Booting worker", "exited")
        causes = Counter(
            x.strip()[24:] if x[:4].isdigit() or x.startswith("[") else x.strip()
            for x in log
            if x and not x.startswith((" ", "Traceback")) and any(n in x for n in notable)
        )
        for cause, n in causes.most_common(8):
            print(f"  SERVER LOG ({n}x) {cause[:300]}", flush=True)
    for line in (email_problems + upload_problems)[:20]:
        print(f"  LOST {line}", flush=True)
    failures = len(stats.unexpected) + lost_emails + lost_uploads
    ratio = 1 - failures / total if total else 0.0
    allowed = ",".join(f"{k}:{v}" for k, v in sorted(stats.allowed_503.items())) or "0"
    print(
        lib.bench_line(
            "load",
            f"clients={clients} duration={elapsed:.0f}s requests={total} throughput={throughput:.1f} req/s "
            f"p50={pct(all_latencies, 50):.0f}ms p99={pct(all_latencies, 99):.0f}ms "
            f"unexpected_5xx_or_errors={len(stats.unexpected)} fail_closed_503={allowed} "
            f"emails={email_rows} lost_emails={lost_emails} flagged_duplicates={flagged} "
            f"uploads={len(stats.uploads)} lost_uploads={lost_uploads}",
            ratio,
            1.0,
        ),
        flush=True,
    )
    return 0 if failures == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
