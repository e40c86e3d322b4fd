"""Live board events in tests and benchmarks: the realtime (ASGI) server command and a small SSE client."""

from __future__ import annotations

import queue
import threading
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.support import processes


def realtime_server_args(port: int, *, host: str = "127.0.0.1") -> list[str]:
    """The realtime process (docs/decisions/0004): Django's ASGI app on uvicorn, one process."""
    return [
        processes.PYTHON,
        "-m",
        "uvicorn",
        "gau.asgi:application",
        "--host",
        host,
        "--port",
        str(port),
        "--no-access-log",
        "--timeout-graceful-shutdown",
        "2",
    ]


@dataclass
class SseEvent:
    event: str
    data: str
    id: str | None

    def json(self) -> Any:
        import json

        return json.loads(self.data)


@dataclass
class SseClient:
    """Reads one event stream on a thread; :meth:`next` returns the next event (comments are counted)."""

    url: str
    headers: dict[str, str] = field(default_factory=dict)
    status: int | None = None
    error_body: bytes = b""
    comments: int = 0
    ended: threading.Event = field(default_factory=threading.Event)
    _events: queue.Queue[SseEvent] = field(default_factory=queue.Queue)
    _opened: threading.Event = field(default_factory=threading.Event)
    _stop: threading.Event = field(default_factory=threading.Event)

    def start(self, timeout: float = 10) -> SseClient:
        threading.Thread(target=self._run, daemon=True).start()
        if not self._opened.wait(timeout):
            raise TimeoutError(f"no response from {self.url}")
        return self

    def _run(self) -> None:
        try:
            with (
                httpx.Client(timeout=httpx.Timeout(10, read=30)) as client,
                client.stream("GET", self.url, headers=self.headers) as response,
            ):
                self.status = response.status_code
                if response.status_code != 200:
                    self.error_body = response.read()
                    self._opened.set()
                    return
                self._opened.set()
                fields: dict[str, str] = {}
                for line in response.iter_lines():
                    if self._stop.is_set():
                        return
                    if line.startswith(":"):
                        self.comments += 1
                    elif line == "":
                        if "data" in fields or "event" in fields:
                            found = SseEvent(fields.get("event", "message"), fields.get("data", ""), fields.get("id"))
                            self._events.put(found)
                        fields = {}
                    else:
                        name, _, value = line.partition(":")
                        fields[name] = value[1:] if value.startswith(" ") else value
        except httpx.HTTPError:
            pass
        finally:
            self._opened.set()
            self.ended.set()

    def next(self, timeout: float = 10) -> SseEvent:
        return self._events.get(timeout=timeout)

    def next_of(self, event: str, timeout: float = 10) -> SseEvent:
        """The next event named ``event`` (others are skipped)."""
        while True:
            found = self.next(timeout)
            if found.event == event:
                return found

    def close(self) -> None:
        self._stop.set()
