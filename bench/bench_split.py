"""Fully split vs the monolith, through the proxy: latency of a sign-in and of an authenticated board read.

Both topologies are the chart's (``tests/e2e/topology.py``): the monolith (``values.yaml``, one gunicorn)
and the fully split one (``values-split-full.yaml``: one gunicorn per app, every cross-app call signed
HTTP), each behind its own nginx routed from the chart's rendered Ingress, each on its own PostgreSQL
database and its own ``redis-server``, with the same S3 server (moto), SMTP sink and RabbitMQ. Every
gunicorn has one worker process and the same threads, as in the end-to-end suite.

One client sends requests one at a time (latency, not throughput), alternating the two topologies in
ABBA rounds. Per round and operation: ``BENCH_SPLIT_LOGINS`` sign-ins (``POST /api/v2/account/login``:
password check in account, session and token pair from authz) and ``BENCH_SPLIT_READS`` board reads
(``GET /api/v2/kanban/boards/<id>``, 4 columns x 10 tasks: token check, kanban's queries). Prints p50 and
p99 of each side and ``ratio = monolith p50 / split p50`` of the slower operation (target >= 0.77: the
split at most 1.3x the monolith's latency).
"""

from __future__ import annotations

import contextlib
import dataclasses
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from bench import lib
from tests.e2e.client import PASSWORD, GauClient
from tests.e2e.topology import Services, Topology, standalone_services

TARGET = round(1 / 1.3, 2)
OPERATIONS = ("login", "board")


@dataclasses.dataclass
class Side:
    """One topology with a verified user and a board to read."""

    name: str
    topology: Topology
    email: str
    board_id: str
    client: GauClient
    samples: dict[str, list[float]] = dataclasses.field(default_factory=lambda: {op: [] for op in OPERATIONS})

    @classmethod
    def prepare(cls, name: str, topology: Topology) -> Side:
        client = GauClient(topology.base_url)
        email = f"bench-{name}@example.com"
        client.register(email, PASSWORD)
        link = topology.mailbox.link(email, "/verify-email", timeout=60)
        client.verify(link.split("token=", 1)[1].split("&", 1)[0])
        client.login(email, PASSWORD)
        project = client.expect(client.post("/api/v2/kanban/projects", json={"name": "Bench"}), 201)
        board = client.expect(client.post(f"/api/v2/kanban/projects/{project['id']}/boards", json={"name": "B"}), 201)
        for c in range(4):
            column = client.expect(
                client.post(f"/api/v2/kanban/boards/{board['id']}/columns", json={"name": f"C{c}"}), 201
            )
            for t in range(10):
                client.expect(
                    client.post(
                        f"/api/v2/kanban/boards/{board['id']}/tasks", json={"column_id": column["id"], "title": f"T{t}"}
                    ),
                    201,
                )
        return cls(name, topology, email, board["id"], client)

    def timed(self, operation: str, request: Callable[[], httpx.Response], expected: int) -> None:
        started = time.perf_counter()
        response = request()
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != expected:
            raise lib.BenchError(f"{self.name} {operation}: {response.status_code} {response.text[:300]}")
        self.samples[operation].append(elapsed)

    def round(self, logins: int, reads: int) -> None:
        body = {"email": self.email, "password": PASSWORD}
        for _ in range(logins):
            self.timed("login", lambda: self.client.post("/api/v2/account/login", json=body, auth=False), 200)
        self.client.login(self.email, PASSWORD)  # a fresh access token for the reads (untimed)
        for _ in range(reads):
            self.timed("board", lambda: self.client.get(f"/api/v2/kanban/boards/{self.board_id}"), 200)


def start_and_prepare(topology: Topology) -> Side:
    started = time.monotonic()
    topology.start()
    print(
        f"  {topology.name}: {len(topology.servers)} gunicorn(s) behind nginx {topology.base_url} "
        f"({time.monotonic() - started:.0f}s to start)",
        flush=True,
    )
    return Side.prepare(topology.name, topology)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def main() -> int:
    rounds = int(lib.knob("rounds", 3))
    logins = int(lib.knob("split_logins", 15))
    reads = int(lib.knob("split_reads", 150))
    workdir = Path(tempfile.mkdtemp(prefix="gau-bench-split-"))
    with contextlib.ExitStack() as stack:
        stack.callback(shutil.rmtree, workdir, True)
        services: Services = stack.enter_context(standalone_services(workdir))
        topologies: list[Topology] = []
        for name in ("monolith", "split"):
            topology = Topology(name, services, proxy=True, workdir=workdir / name)
            (workdir / name).mkdir()
            stack.callback(topology.stop)
            topologies.append(topology)
        # Both start side by side (each migrates its own database and starts its processes), then are
        # prepared side by side; the measured rounds below run one request at a time.
        with ThreadPoolExecutor(max_workers=2) as pool:
            sides = list(pool.map(start_and_prepare, topologies))
        monolith, split = sides
        warm_logins, warm_reads = int(lib.knob("split_warmup_logins", 3)), int(lib.knob("split_warmup_reads", 20))
        for side in sides:  # warm-up: connections, per-process caches (signing keys, JWKS)
            side.round(warm_logins, warm_reads)
            side.samples = {op: [] for op in OPERATIONS}
        for index in range(rounds):
            for side in sides if index % 2 == 0 else sides[::-1]:
                side.round(logins, reads)
            print(
                f"  round {index + 1}/{rounds}: "
                + "  ".join(
                    f"{s.name} {op} p50 {statistics.median(s.samples[op]):.1f}ms" for s in sides for op in OPERATIONS
                ),
                flush=True,
            )
    figures = []
    ratios = []
    for op in OPERATIONS:
        m50, m99 = percentile(monolith.samples[op], 50), percentile(monolith.samples[op], 99)
        s50, s99 = percentile(split.samples[op], 50), percentile(split.samples[op], 99)
        ratios.append(m50 / s50)
        figures.append(
            f"{op}: monolith p50 {m50:.1f}ms p99 {m99:.1f}ms, split p50 {s50:.1f}ms p99 {s99:.1f}ms "
            f"(split/monolith p50 x{s50 / m50:.2f}, p99 x{s99 / m99:.2f}; n={len(split.samples[op])})"
        )
    print(lib.bench_line("split", "; ".join(figures), min(ratios), TARGET), flush=True)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except lib.BenchError as exc:
        print(f"bench split: {exc}", file=sys.stderr)
        sys.exit(2)
