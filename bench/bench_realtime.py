"""Live board events fan-out: 1,000 SSE followers on one realtime process, a task move reaches them all.

Real PostgreSQL and Redis. The API is gunicorn (as shipped); the event streams are served by one ASGI
process (``BENCH_REALTIME_SERVERS``, default ``uvicorn``, the choice of docs/decisions/0004). A separate
client process (``bench/realtime_client.py``, raw asyncio sockets) opens ``BENCH_REALTIME_CLIENTS``
(1,000) streams of one board, then moves a task through the API ``BENCH_REALTIME_MOVES`` (10) times and
records, per stream, the time from sending the move to receiving its ``task.moved`` event: the whole
path (API commit, Redis script and PUBLISH, the realtime process's subscription thread, the hub, the
socket).

Printed per server: connect time, p50/p99/max delivery latency over every (move, client), missed
deliveries, and server RSS per open stream ((RSS with the streams open - RSS after one warm-up stream) /
clients). The BENCH line for the first server: ``ratio = 1000 ms / p99`` with target >= 1 (p99 <= 1 s,
the issue's goal), and 0 if any delivery is missing.

Several servers (``BENCH_REALTIME_SERVERS=uvicorn,granian,hypercorn,daphne``) are measured one after the
other for the ADR; servers not installed here are found on ``BENCH_REALTIME_EXTRA_PATH`` if set.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import lib

GOAL_MS = 1000.0
PROJECT_KEY = "RTBEN"


def server_args(name: str, port: int) -> list[str]:
    """The command of a candidate realtime server serving ``gau.asgi`` with one process."""
    host, app = lib.HOST, "gau.asgi:application"
    commands = {
        "uvicorn": ["uvicorn", app, "--host", host, "--port", str(port), "--no-access-log", "--log-level", "warning"],
        "uvicorn-h11": [
            "uvicorn",
            *(app, "--host", host, "--port", str(port), "--no-access-log", "--log-level", "warning"),
            *("--loop", "asyncio", "--http", "h11"),
        ],
        "granian": [
            "granian",
            *("--interface", "asgi", "--host", host, "--port", str(port), "--workers", "1"),
            *("--log-level", "warning", "--backlog", "2048", app),
        ],
        "hypercorn": ["hypercorn", "--bind", f"{host}:{port}", "--workers", "1", "--log-level", "warning", app],
        "daphne": ["daphne", "-b", host, "-p", str(port), "-v", "0", app],
    }
    module, *rest = commands[name]
    extra = os.environ.get("BENCH_REALTIME_EXTRA_PATH", "")
    if not extra:
        return [lib.PYTHON, "-m", module, *rest]
    bootstrap = (
        f"import runpy, sys; sys.path.append({extra!r}); sys.argv = [{module!r}, *sys.argv[1:]]; "
        f"runpy.run_module({module!r}, run_name='__main__')"
    )
    return [lib.PYTHON, "-c", bootstrap, *rest]


def setup_django() -> dict[str, str]:
    env = lib.server_env(services=True)
    lib.migrate(env)
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "gau.settings"
    import django

    django.setup()
    return env


def seed() -> dict[str, str]:
    """A board with two columns and one task, a member with a real access token (earlier runs' dropped)."""
    from apps.account.models import User
    from apps.authz.services import authz_service
    from apps.kanban.models import Project, Task
    from apps.kanban.services import boards, projects, tasks

    stale = Project.objects.filter(key=PROJECT_KEY)
    Task.objects.filter(project__in=stale).delete()
    stale.delete()
    email = "bench-realtime@example.com"
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User(email=email, display_name="Bench Realtime", is_active=True, email_verified=True)
        user.set_unusable_password()
        user.save()
    project = projects.project_create(user_id=user.id, name="bench realtime", key=PROJECT_KEY).project
    board = boards.board_create(user_id=user.id, project_id=project.id, name="bench")
    a = boards.column_create(user_id=user.id, board_id=board.id, name="A")
    b = boards.column_create(user_id=user.id, board_id=board.id, name="B")
    task = tasks.task_create(user_id=user.id, board_id=board.id, column_id=a.id, title="moving")
    token = authz_service.issue_tokens(user_id=user.id, user_agent="bench", ip="127.0.0.1").access_token
    return {"board": str(board.id), "task": str(task.id), "a": str(a.id), "b": str(b.id), "token": token}


def group_rss_kib(pgid: int, field: str = "VmRSS") -> int:
    """Resident memory (KiB; or another ``/proc/<pid>/status`` number) of every process in group ``pgid``."""
    total = 0
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            stat = (status.parent / "stat").read_text()
            if int(stat[stat.rindex(")") + 2 :].split()[2]) != pgid:
                continue
            for line in status.read_text().splitlines():
                if line.startswith(field + ":"):
                    total += int(line.split()[1])
        except (OSError, ValueError):
            continue
    return total


def warm_up(url: str, token: str) -> None:
    """One stream opened and closed, so imports and pools are paid before the baseline RSS."""
    import httpx

    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(timeout=30) as client, client.stream("GET", url, headers=headers) as response:
        if response.status_code != 200:
            raise lib.BenchError(f"warm-up stream answered {response.status_code}: {response.read()[:300]!r}")
        for line in response.iter_lines():
            if line.startswith("event: ready"):
                break


def measure(
    name: str, env: dict[str, str], api: str, data: dict[str, str], *, clients: int, moves: int
) -> dict[str, Any]:
    port = lib.free_port()
    log = lib.scratch_dir() / f"realtime-{name}-{port}.log"
    with open(log, "ab") as log_file:
        proc = subprocess.Popen(
            server_args(name, port),
            cwd=lib.ROOT,
            env={**env, "PORT": str(port)},
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = lib.Server(name=name, url=f"http://{lib.HOST}:{port}", proc=proc, log_path=log)
    try:
        deadline = time.monotonic() + 60
        while not _up(server):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise lib.BenchError(f"{name} did not start:\n{server.log_tail()}")
            time.sleep(0.2)
        url = f"{server.url}/api/v2/kanban/boards/{data['board']}/events"
        warm_up(url, data["token"])
        time.sleep(0.5)
        rss_before = group_rss_kib(proc.pid)
        cpu_before = server.cpu_seconds()
        client = subprocess.Popen(
            [
                lib.PYTHON,
                "-m",
                "bench.realtime_client",
                *("--realtime", server.url, "--api", api, "--board", data["board"], "--task", data["task"]),
                *("--column-a", data["a"], "--column-b", data["b"]),
                *("--clients", str(clients), "--moves", str(moves)),
            ],
            cwd=lib.ROOT,
            env={**os.environ, "BENCH_RT_TOKEN": data["token"]},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert client.stdin is not None
        assert client.stdout is not None
        ready = client.stdout.readline()
        if not ready.startswith("READY"):
            client.kill()
            raise lib.BenchError(f"{name}: the client failed before READY: {ready!r}\n{server.log_tail()}")
        time.sleep(0.5)
        rss_open = group_rss_kib(proc.pid)
        threads = group_rss_kib(proc.pid, "Threads")
        client.stdin.write("\n")
        client.stdin.flush()
        out, _ = client.communicate(timeout=120 + moves * 15)
        result_line = [line for line in out.splitlines() if line.startswith("RESULT ")]
        if client.returncode != 0 or not result_line:
            raise lib.BenchError(f"{name}: the client failed ({client.returncode}): {out[-2000:]}")
        result: dict[str, Any] = json.loads(result_line[-1][len("RESULT ") :])
        result.update(
            server=name,
            ready=ready.strip(),
            rss_base_mib=round(rss_before / 1024, 1),
            rss_open_mib=round(rss_open / 1024, 1),
            kib_per_stream=round((rss_open - rss_before) / clients, 1),
            server_cpu_s=round(server.cpu_seconds() - cpu_before, 2),
            threads=threads,
        )
        return result
    finally:
        server.stop()


def _up(server: lib.Server) -> bool:
    try:
        return lib.http_get(server.url + "/healthz", timeout=2)[0] == 200
    except OSError:
        return False


def main() -> int:
    clients = int(lib.knob("realtime_clients", 20 if lib.smoke() else 1000))
    moves = int(lib.knob("realtime_moves", 2 if lib.smoke() else 10))
    names = [n.strip() for n in os.environ.get("BENCH_REALTIME_SERVERS", "uvicorn").split(",") if n.strip()]
    env = setup_django()
    data = seed()
    print(f"realtime: {clients} SSE clients, {moves} moves, servers {', '.join(names)}", flush=True)
    results = []
    with lib.running("api", env=env, threads=4) as api:
        for name in names:
            result = measure(name, env, api.url, data, clients=clients, moves=moves)
            results.append(result)
            api_p50 = sorted(result["api_ms"])[len(result["api_ms"]) // 2]
            print(
                f"  {name:>12}: {result['ready']}; delivery p50 {result['p50_ms']} ms p99 {result['p99_ms']} ms "
                f"max {result['max_ms']} ms, fan-out spread {result['spread_ms']} ms, missing {result['missing']}; "
                f"RSS {result['rss_base_mib']} -> "
                f"{result['rss_open_mib']} MiB = {result['kib_per_stream']} KiB/stream; server CPU "
                f"{result['server_cpu_s']} s; {result['threads']} threads; API move p50 {api_p50} ms",
                flush=True,
            )
    first = results[0]
    p99 = float(first["p99_ms"] or 0) or 0.001
    ratio = 0.0 if first["missing"] else GOAL_MS / p99
    print(
        lib.bench_line(
            "realtime",
            f"goal p99={GOAL_MS:.0f} ms; p99={p99} ms p50={first['p50_ms']} ms (missing {first['missing']}); "
            f"{first['server']}, {clients} streams, {first['kib_per_stream']} KiB/stream",
            ratio,
            1.0,
        ),
        flush=True,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
