"""A black-box client for Gau over HTTP, for end-to-end suites: no imports from ``apps/`` or ``gau/``.

- :class:`EmbeddedServer` runs a fresh ``make run``-equivalent server: a copy of the source tree in a
  temporary directory (so ``var/`` is new: SQLite and local files), ``migrate``, then ``runserver``
  with a clean environment (no ``*_URL`` variables, ``DEBUG=true``, email printed to the console).
- :class:`ConsoleMailbox` reads the emails the console backend printed and finds their links.
- :class:`GauClient` speaks the public API and records every response; :meth:`GauClient.assert_no_5xx`
  fails naming every request that answered a 5xx. Steps for further apps (kanban...) are ordinary
  ``client.get/post/patch/delete`` calls, or small helpers added here.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
#: What a deployment needs of the source tree (tests, docs and var/ are left behind).
SOURCE = ("apps", "gau", "manage.py")
DASHES = "-" * 79  # the console email backend ends each message with this line
#: A password the default validators accept.
PASSWORD = "correct horse battery staple 12"
_TOKEN = re.compile(r"[?&]token=([A-Za-z0-9_-]+)")
#: Request fields and response fields whose values are secrets: every value a client sent or received under
#: these names is remembered in :data:`SECRETS_USED` (a suite checks that no log line carries one).
SECRET_FIELDS = frozenset({"password", "new_password", "current_password", "token", "access_token", "refresh_token"})
#: Every secret any :class:`GauClient` of this test session sent or received.
SECRETS_USED: set[str] = set()


def _remember_secrets(data: Any) -> None:
    if isinstance(data, dict):
        for key, value in data.items():
            if key in SECRET_FIELDS and isinstance(value, str) and len(value) >= 8:
                SECRETS_USED.add(value)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(predicate: Callable[[], bool], *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise TimeoutError(f"{what} not within {timeout}s")


# --- the server ---------------------------------------------------------------------------------------


class EmbeddedServer:
    """``manage.py migrate`` + ``manage.py runserver`` on a fresh copy of the tree, embedded defaults only."""

    def __init__(self, workdir: Path, *, python: str = sys.executable, **env: str) -> None:
        self.workdir = workdir
        self.python = python
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log = workdir / "server.log"
        # Only what a shell on a fresh machine has, plus what `make run` sets: no *_URL variable at all.
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": os.environ.get("HOME", str(workdir)),
            "LANG": "C.UTF-8",
            "PYTHONUNBUFFERED": "1",
            "DEBUG": "true",
            "PORT": str(self.port),
            **env,
        }
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60) -> EmbeddedServer:
        for name in SOURCE:
            src = ROOT / name
            if src.is_dir():
                shutil.copytree(src, self.workdir / name, ignore=shutil.ignore_patterns("__pycache__", "tests"))
            else:
                shutil.copy2(src, self.workdir / name)
        migrate = subprocess.run(
            [self.python, "manage.py", "migrate", "--noinput"],
            cwd=self.workdir,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if migrate.returncode != 0:
            raise RuntimeError(f"migrate failed:\n{migrate.stdout}\n{migrate.stderr}")
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [self.python, "manage.py", "runserver", f"127.0.0.1:{self.port}", "--noreload"],
                cwd=self.workdir,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_until(self._ready, timeout=timeout, what=f"runserver on {self.base_url}")
        return self

    def _ready(self) -> bool:
        if self.proc is not None and self.proc.poll() is not None:
            raise RuntimeError(f"runserver exited with {self.proc.returncode}:\n{self.output()[-4000:]}")
        try:
            return httpx.get(self.base_url + "/healthz", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def output(self) -> str:
        """Everything the server printed so far (requests, logs, console emails)."""
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)


# --- email ------------------------------------------------------------------------------------------


class ConsoleMailbox:
    """The emails a server with the console email backend printed to its output."""

    def __init__(self, output: Callable[[], str]) -> None:
        self.output = output

    def messages(self) -> list[EmailMessage]:
        found = []
        for chunk in self.output().split(DASHES):
            start = re.search(r"^(MIME-Version|Content-Type): ", chunk, re.MULTILINE)
            if start is None or "\nSubject: " not in chunk:
                continue
            found.append(email.message_from_string(chunk[start.start() :], policy=email.policy.default))
        return [m for m in found if isinstance(m, EmailMessage)]

    def wait_for(self, to: str, subject_contains: str, *, timeout: float = 10) -> EmailMessage:
        """The newest message to ``to`` whose subject contains ``subject_contains`` (waits for it)."""
        box: list[EmailMessage] = []

        def arrived() -> bool:
            box[:] = [
                m
                for m in self.messages()
                if to.lower() in str(m["To"]).lower() and subject_contains.lower() in str(m["Subject"]).lower()
            ]
            return bool(box)

        wait_until(arrived, timeout=timeout, what=f"an email to {to} about {subject_contains!r}")
        return box[-1]

    def token(self, to: str, subject_contains: str, *, timeout: float = 10) -> str:
        """The ``token=`` of the link in that email's plain-text part."""
        message = self.wait_for(to, subject_contains, timeout=timeout)
        body = message.get_body(preferencelist=("plain",))
        text = body.get_content() if body is not None else ""
        match = _TOKEN.search(text)
        if match is None:
            raise AssertionError(f"no token link in {message['Subject']!r}:\n{text}")
        return match.group(1)


# --- the API client -----------------------------------------------------------------------------------


@dataclass
class Seen:
    method: str
    path: str
    status: int
    body: str


@dataclass
class GauClient:
    """The public API over HTTP. Records every response; sign in with :meth:`login`."""

    base_url: str
    timeout: float = 30
    access_token: str | None = None
    refresh_token: str | None = None
    seen: list[Seen] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.http = httpx.Client(base_url=self.base_url, timeout=self.timeout)

    def close(self) -> None:
        self.http.close()

    # generic requests
    def request(self, method: str, path: str, *, auth: bool = True, **kwargs: Any) -> httpx.Response:
        headers = dict(kwargs.pop("headers", None) or {})
        if auth and self.access_token and "Authorization" not in headers:
            headers["Authorization"] = f"Bearer {self.access_token}"
        _remember_secrets(kwargs.get("json"))
        response = self.http.request(method, path, headers=headers, **kwargs)
        self.seen.append(Seen(method, path, response.status_code, response.text[:500]))
        if "json" in response.headers.get("content-type", ""):
            with contextlib.suppress(ValueError):
                _remember_secrets(response.json())
        return response

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("DELETE", path, **kwargs)

    def expect(self, response: httpx.Response, status: int) -> Any:
        """Assert ``status`` (naming the request on failure) and return the JSON body, if any."""
        assert response.status_code == status, (
            f"{response.request.method} {response.request.url.path}: expected {status}, "
            f"got {response.status_code}: {response.text[:1000]}"
        )
        return response.json() if response.content and "json" in response.headers.get("content-type", "") else None

    def assert_no_5xx(self) -> None:
        failures = [f"{s.method} {s.path} -> {s.status}: {s.body}" for s in self.seen if s.status >= 500]
        assert not failures, "5xx answers:\n" + "\n".join(failures)

    # account steps
    def register(self, email_address: str, password: str, **fields: Any) -> dict[str, Any]:
        body = {"email": email_address, "password": password, **fields}
        result: dict[str, Any] = self.expect(self.post("/api/v2/account/register", json=body, auth=False), 201)
        return result

    def verify(self, token: str) -> dict[str, Any]:
        result: dict[str, Any] = self.expect(
            self.post("/api/v2/account/verify-email", json={"token": token}, auth=False), 200
        )
        return result

    def login(self, email_address: str, password: str) -> dict[str, Any]:
        body = {"email": email_address, "password": password}
        result: dict[str, Any] = self.expect(self.post("/api/v2/account/login", json=body, auth=False), 200)
        self.access_token, self.refresh_token = result["access_token"], result["refresh_token"]
        return result

    def refresh(self) -> dict[str, Any]:
        result: dict[str, Any] = self.expect(
            self.post("/api/v2/authz/token/refresh", json={"refresh_token": self.refresh_token}, auth=False), 200
        )
        self.access_token, self.refresh_token = result["access_token"], result["refresh_token"]
        return result

    def sign_up(self, mailbox: ConsoleMailbox, email_address: str, password: str) -> dict[str, Any]:
        """Register, verify from the emailed link, and sign in."""
        self.register(email_address, password)
        self.verify(mailbox.token(email_address, "confirm"))
        return self.login(email_address, password)

    def upload(self, data: bytes, filename: str, *, purpose: str = "image") -> dict[str, Any]:
        files = {"file": (filename, data, "application/octet-stream")}
        result: dict[str, Any] = self.expect(
            self.post("/api/v2/upload/files", params={"purpose": purpose}, files=files), 201
        )
        return result
