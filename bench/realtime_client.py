"""The SSE client side of the realtime benchmark: a separate process (``python -m bench.realtime_client``).

Opens ``--clients`` event streams of one board on the realtime server (raw asyncio sockets, so a
thousand of them cost little here), waits until every one has its ``ready`` event, prints ``READY``,
then ``--moves`` times: moves a task through the API (``POST tasks/{id}/move``), and records for every
stream how long after sending that request its ``task.moved`` event arrived. Prints one JSON object
(``latencies_ms`` per move, ``api_ms`` per move, ``missing``) as its last line. Knobs are arguments;
the bench passes the bearer token in ``BENCH_RT_TOKEN``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import sys
import time
from urllib.parse import urlsplit

FRAME = re.compile(rb"id: (\d+)\nevent: ([\w.]+)\n")


class Stream:
    def __init__(self) -> None:
        self.ready = asyncio.Event()
        self.seen: dict[int, float] = {}  # event id -> monotonic arrival time (task.moved only)
        self.arrived = asyncio.Event()


async def follow(host: str, port: int, path: str, *, token: str, stream: Stream, stop: asyncio.Event) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(
        (
            f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAccept: text/event-stream\r\n"
            f"Authorization: Bearer {token}\r\n\r\n"
        ).encode()
    )
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    if b" 200 " not in head.split(b"\r\n", 1)[0]:
        raise RuntimeError(f"stream refused: {head[:200]!r}")
    buffer = b""
    try:
        while not stop.is_set():
            chunk = await reader.read(65536)
            if not chunk:
                return
            now = time.monotonic()
            buffer += chunk
            end = 0
            for match in FRAME.finditer(buffer):
                end = match.end()
                kind = match.group(2)
                if kind == b"ready":
                    stream.ready.set()
                elif kind == b"task.moved":
                    stream.seen[int(match.group(1))] = now
                    stream.arrived.set()
            buffer = buffer[max(end, len(buffer) - 512) :]
    finally:
        writer.close()


async def post(host: str, port: int, path: str, token: str, body: bytes) -> int:
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(
        (
            f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
            f"Authorization: Bearer {token}\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        ).encode()
        + body
    )
    await writer.drain()
    status = int((await reader.readline()).split()[1])
    await reader.read()
    writer.close()
    return status


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))]


async def main(args: argparse.Namespace) -> dict[str, object]:
    token = os.environ["BENCH_RT_TOKEN"]
    rt, api = urlsplit(args.realtime), urlsplit(args.api)
    rt_host, rt_port = rt.hostname or "127.0.0.1", rt.port or 80
    stop = asyncio.Event()
    streams = [Stream() for _ in range(args.clients)]
    gate = asyncio.Semaphore(64)  # connects in flight (the server checks each: token, membership)
    path = f"/api/v2/kanban/boards/{args.board}/events"

    async def start(stream: Stream) -> None:
        async with gate:
            task = asyncio.ensure_future(follow(rt_host, rt_port, path, token=token, stream=stream, stop=stop))
            await asyncio.wait([task, asyncio.ensure_future(stream.ready.wait())], return_when=asyncio.FIRST_COMPLETED)
            if task.done():
                task.result()
            tasks.append(task)

    tasks: list[asyncio.Future[None]] = []
    started = time.monotonic()
    await asyncio.gather(*(start(s) for s in streams))
    connect_s = time.monotonic() - started
    print(f"READY {args.clients} streams in {connect_s:.1f}s", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)  # the bench measures RSS here

    latencies: list[list[float]] = []
    api_ms: list[float] = []
    spreads: list[float] = []  # per move: last delivery - first delivery (the fan-out itself)
    missing = 0
    columns = [args.column_a, args.column_b]
    for n in range(-1, args.moves):  # move -1 warms the API process up and is not counted
        for s in streams:
            s.arrived.clear()
        before = [set(s.seen) for s in streams]
        body = json.dumps({"column_id": columns[(n + 1) % 2]}).encode()
        sent = time.monotonic()
        move = f"/api/v2/kanban/tasks/{args.task}/move"
        status = await post(api.hostname or "127.0.0.1", api.port or 80, move, token, body)
        api_ms.append((time.monotonic() - sent) * 1000)
        if status != 200:
            raise RuntimeError(f"move answered {status}")
        deadline = sent + args.timeout
        this: list[float] = []
        for s, old in zip(streams, before, strict=True):
            while not (set(s.seen) - old) and time.monotonic() < deadline:
                try:
                    await asyncio.wait_for(s.arrived.wait(), timeout=max(0.01, deadline - time.monotonic()))
                except TimeoutError:
                    break
                s.arrived.clear()
            new = set(s.seen) - old
            if new:
                this.append((s.seen[min(new)] - sent) * 1000)
            else:
                missing += 1
        if n >= 0:
            latencies.append(this)
            if this:
                spreads.append(max(this) - min(this))
        else:
            api_ms.pop()
            missing = 0
        await asyncio.sleep(args.pause)
    stop.set()
    for task in tasks:
        task.cancel()
    flat = [v for move in latencies for v in move]
    return {
        "clients": args.clients,
        "connect_s": round(connect_s, 2),
        "moves": args.moves,
        "missing": missing,
        "api_ms": [round(v, 1) for v in api_ms],
        "p50_ms": round(percentile(flat, 50), 1) if flat else None,
        "p99_ms": round(percentile(flat, 99), 1) if flat else None,
        "max_ms": round(max(flat), 1) if flat else None,
        "spread_ms": round(percentile(spreads, 50), 1) if spreads else None,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--realtime", required=True)
    parser.add_argument("--api", required=True)
    parser.add_argument("--board", required=True)
    parser.add_argument("--task", required=True)
    parser.add_argument("--column-a", required=True)
    parser.add_argument("--column-b", required=True)
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--moves", type=int, default=10)
    parser.add_argument("--pause", type=float, default=0.5)
    parser.add_argument("--timeout", type=float, default=10.0)
    result = asyncio.run(main(parser.parse_args()))
    print("RESULT " + json.dumps(result), flush=True)
