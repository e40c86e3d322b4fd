"""Run Gau's benchmarks (``make bench``) and print one summary line per benchmark.

    make bench                                   # every bench/bench_*.py
    make bench BENCH_ARGS="framework"            # only bench/bench_framework.py
    make bench BENCH_ARGS="--duration 10 --rounds 5 framework"

Each benchmark runs as its own process (``python -m bench.bench_<name>``) from the project root; its
output is streamed through, and its ``BENCH <name>: ... ratio=<x.xx> (target >= <t>)`` lines are
collected for the summary. Exit status: 0 when every benchmark ran and met its target, 1 when one is
below target, 2 when one failed to run (or printed no BENCH line).

The options set ``BENCH_DURATION``, ``BENCH_ROUNDS``, ``BENCH_CONNECTIONS`` and ``BENCH_WARMUP`` for the
benchmarks (see ``bench/lib.py``). Servers run on the embedded defaults unless a benchmark asks for the
real services, which it then takes from ``DATABASE_URL``, ``REDIS_URL`` and ``CELERY_BROKER_URL``.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `python bench/run.py` puts bench/, not the project root, on the path
    sys.path.insert(0, str(ROOT))

from bench import lib  # noqa: E402

BENCH_LINE = re.compile(r"^BENCH (?P<name>[\w.-]+): .*ratio=(?P<ratio>[\d.]+) \(target >= (?P<target>[\d.]+)\)\s*$")


@dataclass
class Outcome:
    """What one benchmark process produced."""

    name: str
    returncode: int = 0
    seconds: float = 0.0
    lines: list[str] = field(default_factory=list)

    def below_target(self) -> list[str]:
        found = []
        for line in self.lines:
            match = BENCH_LINE.match(line)
            if match and float(match["ratio"]) < float(match["target"]):
                found.append(line)
        return found


def discover(names: list[str]) -> list[Path]:
    """The benchmark scripts to run: all of ``bench/bench_*.py``, or those named (``framework``,
    ``bench_framework`` or ``bench/bench_framework.py``)."""
    available = {path.stem.removeprefix("bench_"): path for path in sorted((ROOT / "bench").glob("bench_*.py"))}
    if not names:
        return list(available.values())
    chosen = []
    for raw in names:
        key = Path(raw).stem.removeprefix("bench_")
        if key not in available:
            print(f"bench: no benchmark {raw!r} (available: {', '.join(available) or 'none'})", file=sys.stderr)
            raise SystemExit(2)
        chosen.append(available[key])
    return chosen


def run_one(script: Path, env: dict[str, str], timeout: float) -> Outcome:
    """Run one benchmark, streaming its output and collecting its BENCH lines."""
    outcome = Outcome(name=script.stem.removeprefix("bench_"))
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-u", "-m", f"bench.{script.stem}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        bufsize=1,
        start_new_session=True,
    )
    assert proc.stdout is not None
    timed_out = threading.Event()

    def stop_on_timeout() -> None:
        timed_out.set()
        os.killpg(proc.pid, signal.SIGKILL)

    watchdog = threading.Timer(timeout, stop_on_timeout)
    watchdog.start()
    try:
        for line in proc.stdout:
            print(f"  | {line}", end="", flush=True)
            if BENCH_LINE.match(line.strip()):
                outcome.lines.append(line.strip())
        outcome.returncode = proc.wait()
    except KeyboardInterrupt:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait()
        raise
    finally:
        watchdog.cancel()
    if timed_out.is_set():
        print(f"  | bench: {outcome.name} timed out after {timeout:.0f}s and was stopped", flush=True)
    outcome.seconds = time.monotonic() - started
    print(f"bench: {outcome.name} finished in {outcome.seconds:.0f}s (exit {outcome.returncode})", flush=True)
    return outcome


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make bench", description="Run Gau's benchmarks.")
    parser.add_argument("names", nargs="*", help="benchmarks to run (default: every bench/bench_*.py)")
    parser.add_argument("--duration", type=float, help="seconds per wrk run (default 6)")
    parser.add_argument("--rounds", type=int, help="runs per side, interleaved (default 3)")
    parser.add_argument("--connections", type=int, help="wrk connections (default 16)")
    parser.add_argument("--warmup", type=float, help="seconds of warm-up load per server (default 2)")
    parser.add_argument("--timeout", type=float, default=900, help="seconds before a benchmark is stopped")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    args = parser.parse_args(argv)

    scripts = discover(args.names)
    if args.list:
        for script in scripts:
            print(script.stem.removeprefix("bench_"))
        return 0
    try:
        wrk = lib.ensure_wrk()
    except lib.BenchError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 2

    env = dict(os.environ)
    for option in ("duration", "rounds", "connections", "warmup"):
        value = getattr(args, option)
        if value is not None:
            env[f"BENCH_{option.upper()}"] = str(value)
    print(f"bench: {len(scripts)} benchmark(s), wrk at {wrk}, {os.cpu_count()} CPU(s)", flush=True)

    outcomes = []
    for script in scripts:
        print(f"bench: running {script.relative_to(ROOT)}", flush=True)
        outcomes.append(run_one(script, env, args.timeout))

    smoke = lib.smoke()
    print("\nSummary" + (" (smoke run: tiny durations, ratios not enforced)" if smoke else "") + ":")
    status = 0
    rows: list[tuple[str, ...]] = []
    for outcome in outcomes:
        if outcome.returncode != 0 or not outcome.lines:
            why = f"exit {outcome.returncode}" if outcome.returncode != 0 else "no BENCH line"
            rows.append((outcome.name, "-", f"FAILED ({why} after {outcome.seconds:.0f}s)", "-", "-", "FAILED"))
            status = 2
            continue
        below = outcome.below_target()
        for line in outcome.lines:
            rows.append(table_row(line))
        if below and status == 0 and not smoke:
            status = 1
    print(format_table(rows))
    return status


def table_row(line: str) -> tuple[str, ...]:
    """(benchmark, baseline, ours, ratio, target, met) from a ``BENCH`` line.

    The figures are ``<baseline>; <candidate>; ...`` (see ``lib.report``); a line with a single part (a
    check rather than a comparison, e.g. ``load``) has no baseline column.
    """
    match = BENCH_LINE.match(line)
    assert match is not None
    name = match["name"]
    figures = line[len(f"BENCH {name}: ") : line.rindex("ratio=")].strip()
    parts = [part.strip() for part in figures.split(";") if part.strip()]
    if len(parts) >= 2:
        baseline, ours = _short(parts[0]), _short(parts[1])
    else:
        baseline, ours = "-", _short(parts[0] if parts else "", width=60)
    ratio, target = float(match["ratio"]), float(match["target"])
    return (name, baseline, ours, f"{ratio:.2f}", f">= {target:g}", "met" if ratio >= target else "MISSED")


def _short(part: str, width: int = 38) -> str:
    """``label=123 req/s (p50 ...)`` -> ``label=123 req/s``, at most ``width`` characters."""
    head = part.split(" (", 1)[0].strip()
    return head if len(head) <= width else head[: width - 1] + "…"


def format_table(rows: list[tuple[str, ...]]) -> str:
    """A plain-text table (also valid Markdown) of the summary rows."""
    header = ("benchmark", "baseline", "ours", "ratio", "target", "met/missed")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def fmt(row: tuple[str, ...]) -> str:
        return "| " + " | ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)) + " |"

    rule = "| " + " | ".join("-" * w for w in widths) + " |"
    return "\n".join([fmt(header), rule, *(fmt(row) for row in rows)])


if __name__ == "__main__":
    sys.exit(main())
