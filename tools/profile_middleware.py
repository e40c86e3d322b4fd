"""CPU per request of the framework benchmark's DRF ping, in process, with each middleware removed in turn.

    DEBUG=false ALLOWED_HOSTS=localhost SECRET_KEY=<50+ chars> .venv/bin/python tools/profile_middleware.py

Prints a Markdown table: the median thread CPU time per request over ``REPS`` (default 7) interleaved
passes of 2,000 requests through Django's WSGI handler (no server, no socket), and what each case saves
against the full stack. The bare view (no middleware, one-route urlconf) is the framework benchmark's
baseline; "DRF ping, no middleware" isolates DRF itself.
"""

from __future__ import annotations

import io
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings_full"

Handler = Callable[[dict[str, Any], Callable[..., Any]], Any]


def _environ(path: str) -> dict[str, Any]:
    return {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "localhost",
        "HTTP_ACCEPT": "*/*",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.url_scheme": "http",
    }


def _start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
    return None


def main() -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.core.handlers.wsgi import WSGIHandler
    from django.test.utils import override_settings

    full = list(settings.MIDDLEWARE)

    def handler(middleware: list[str]) -> Handler:
        with override_settings(MIDDLEWARE=middleware):  # the chain is built here, once
            return WSGIHandler()

    def cost(app: Handler, path: str, urlconf: str | None, n: int = 2000) -> float:
        with override_settings(ROOT_URLCONF=urlconf or settings.ROOT_URLCONF):
            for _ in range(200):
                b"".join(app(_environ(path), _start_response))
            started = time.thread_time()
            for _ in range(n):
                response = app(_environ(path), _start_response)
                b"".join(response)
                response.close()
            return (time.thread_time() - started) / n * 1e6

    ping = "/api/v2/bench/ping"
    cases: dict[str, tuple[Handler, str, str | None]] = {
        "bare view, no middleware (the baseline)": (handler([]), "/bench/ping", "bench.urls_bare"),
        "DRF ping, no middleware": (handler([]), ping, None),
        "DRF ping, full middleware (the candidate)": (handler(full), ping, None),
    }
    for name in full:
        cases[f"full minus {name.rsplit('.', 1)[1]}"] = (handler([m for m in full if m != name]), ping, None)
    results: dict[str, list[float]] = {case: [] for case in cases}
    for _ in range(int(os.environ.get("REPS", "7"))):
        for case, (app, path, urlconf) in cases.items():
            results[case].append(cost(app, path, urlconf))
    reference = statistics.median(results["DRF ping, full middleware (the candidate)"])
    print("| case | CPU per request | vs the full stack |\n| --- | --- | --- |")
    for case, values in results.items():
        median = statistics.median(values)
        print(f"| {case} | {median:.0f} us | {median - reference:+.0f} us |")


if __name__ == "__main__":
    main()
