"""A real HTTP receiver for webhook tests: a threaded server on 127.0.0.1 recording every request."""

from __future__ import annotations

import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

README = Path(__file__).resolve().parents[1] / "README.md"


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class Receiver:
    """Answers each request with the next scripted ``(status, body)`` (then 200 "ok") and records it."""

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.script: deque[tuple[int, bytes]] = deque()
        self._cond = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver._cond:
                    status, answer = receiver.script.popleft() if receiver.script else (200, b"ok")
                    receiver.requests.append(Received("POST", self.path, dict(self.headers.items()), body))
                    receiver._cond.notify_all()
                self.send_response(status)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/gau"

    def wait_for(self, count: int, timeout: float = 15.0) -> list[Received]:
        """The first ``count`` requests, waiting up to ``timeout`` seconds for them."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self.requests) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"expected {count} requests, got {len(self.requests)}")
                self._cond.wait(left)
            return list(self.requests[:count])

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def receiver_fixture() -> Iterator[Receiver]:
    receiver = Receiver()
    try:
        yield receiver
    finally:
        receiver.close()


def readme_verify_snippet() -> Callable[..., bool]:
    """The receiver-side verification function exactly as the kanban README documents it."""
    text = README.read_text()
    pattern = r"<!-- webhook-verify-snippet -->\n```python\n(.*?)```\n<!-- /webhook-verify-snippet -->"
    match = re.search(pattern, text, re.S)
    assert match, "the README lost its webhook verification snippet"
    namespace: dict[str, Any] = {}
    exec(compile(match.group(1), str(README), "exec"), namespace)  # noqa: S102 - our own documentation
    fn = namespace["verify_gau_signature"]
    assert callable(fn)
    return fn  # type: ignore[no-any-return]
