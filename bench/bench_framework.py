"""Framework overhead: what DRF + the production middleware stack cost per request.

Baseline: a bare Django function view returning a small JSON body, no middleware, a one-route urlconf
(``bench.settings_bare``). Candidate: the same body from a DRF ``APIView`` through the full production
middleware stack, the orjson renderer, the error handler and the production urlconf
(``bench.settings_full``). Both run under gunicorn with the same worker configuration, on the embedded
defaults (nothing here touches a database or cache), loaded by wrk on loopback; rounds interleaved.

``ratio`` = candidate req/s / baseline req/s. Target (issue 11): the full stack keeps at least 75% of the bare
throughput, i.e. a request through Gau's conventions costs at most 1.33x a bare one. The server CPU
time per request (``cpu ...ms/req``) is printed for each side too: it is steadier than req/s when
the machine is busy.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import lib

NAME = "framework"
TARGET = 0.75
PATH = "/bench/ping"
#: The candidate answers at an API path (what every API request pays: no session/messages middleware).
DRF_PATH = "/api/v2/bench/ping"
#: The production worker class (gthread, see docs/decisions/0001), one process per server: the box has
#: 2 cores, one for the server under load and one for wrk.
GUNICORN = {"workers": 1, "threads": 4, "worker_class": "gthread"}


def main() -> int:
    lib.ensure_wrk()
    env = lib.server_env()
    print(
        f"{NAME}: gunicorn {GUNICORN['worker_class']} {GUNICORN['workers']}x{GUNICORN['threads']}, "
        f"wrk {int(lib.knob('connections', 16))} connections, {lib.knob('duration', 6):g}s x "
        f"{int(lib.knob('rounds', 3))} rounds per side, interleaved",
        flush=True,
    )
    with (
        lib.running("bare", settings="bench.settings_bare", env=env, **GUNICORN) as bare,
        lib.running("drf", settings="bench.settings_full", env=env, **GUNICORN) as drf,
    ):
        # Same answer from both, or the comparison is meaningless.
        bare_status, bare_body = lib.http_get(bare.url + PATH)
        drf_status, drf_body = lib.http_get(drf.url + DRF_PATH)
        if (bare_status, drf_status) != (200, 200) or bare_body != drf_body:
            raise lib.BenchError(f"responses differ: bare {bare_status} {bare_body!r}, drf {drf_status} {drf_body!r}")

        baseline, candidate = lib.wrk_ab(
            bare.url + PATH, drf.url + DRF_PATH, servers=(bare, drf), labels=("bare", "drf")
        )
    lib.report(NAME, baseline, candidate, target=TARGET)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except lib.BenchError as exc:
        print(f"{NAME}: error: {exc}", file=sys.stderr)
        sys.exit(2)
