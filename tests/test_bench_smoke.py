"""Benchmark smoke: every ``bench/bench_*.py`` still runs end to end (``BENCH_SMOKE=1``: tiny durations).

Ratios are not enforced here (the figures of a one-second run on a shared CI box mean nothing); what is
checked is that each benchmark exits 0 and prints at least one well-formed ``BENCH`` line, so a refactor
cannot silently break ``make bench``. Each benchmark uses its own database suffix / queues as documented
in bench/README.md; the whole module takes about 1.5-2.5 minutes on a 2-core box.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bench.run import BENCH_LINE, format_table, table_row

ROOT = Path(__file__).resolve().parent.parent
BENCHES = sorted(path.stem.removeprefix("bench_") for path in (ROOT / "bench").glob("bench_*.py"))

pytestmark = [pytest.mark.live, pytest.mark.bench]


def test_every_benchmark_is_covered() -> None:
    assert {"account", "cdn", "cdn_peer", "email", "framework", "kanban", "load", "upload"} <= set(BENCHES)


def test_summary_table_has_one_row_per_bench_line() -> None:
    lines = [
        "BENCH framework: bare=100 req/s (p50 1ms); drf=80 req/s (p50 2ms); ratio=0.80 (target >= 0.75)",
        "BENCH load: clients=8 requests=10 ratio=0.90 (target >= 1)",
    ]
    rows = [table_row(line) for line in lines]
    assert rows[0] == ("framework", "bare=100 req/s", "drf=80 req/s", "0.80", ">= 0.75", "met")
    assert rows[1][:2] == ("load", "-")
    assert rows[1][-1] == "MISSED"
    table = format_table(rows).splitlines()
    assert table[0].startswith("| benchmark")
    assert "met/missed" in table[0]
    assert len(table) == 4


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed (apt-get install wrk)")
@pytest.mark.parametrize("name", BENCHES)
def test_benchmark_runs(name: str) -> None:
    env = {**os.environ, "BENCH_SMOKE": "1", "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("DJANGO_SETTINGS_MODULE", None)  # each bench chooses its own settings
    done = subprocess.run(
        [sys.executable, "-u", "-m", f"bench.bench_{name}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    output = done.stdout + done.stderr
    bench_lines = [line for line in done.stdout.splitlines() if BENCH_LINE.match(line.strip())]
    assert done.returncode == 0, output[-4000:]
    assert bench_lines, f"bench_{name} printed no BENCH line:\n{output[-4000:]}"
    for line in bench_lines:
        table_row(line.strip())  # parses into the summary table
