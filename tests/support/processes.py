"""Helpers to run real service processes for tests: free ports, waiting, clean shutdown."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_open(host: str, port: int, timeout: float = 1.0) -> bool:
    """Whether something accepts TCP connections on ``host:port``."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def http_ready(url: str, timeout: float = 2.0) -> bool:
    """Whether ``url`` answers at all (any HTTP status): the server has loaded the app, not just bound."""
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=timeout):  # noqa: S310 - loopback test servers only
            return True
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False


def wait_until(
    predicate: Callable[[], bool], *, timeout: float, what: str, proc: subprocess.Popen[bytes] | None = None
) -> None:
    """Poll ``predicate`` until it is true; fail naming ``what`` (and the process output) if not."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{what}: process exited with {proc.returncode}: {read_log(proc)}")
        time.sleep(0.05)
    raise TimeoutError(f"{what} not ready after {timeout}s" + (f": {read_log(proc)}" if proc else ""))


def read_log(proc: subprocess.Popen[bytes]) -> str:
    log = getattr(proc, "log_path", None)
    if log and Path(log).exists():
        return Path(log).read_text(errors="replace")[-4000:]
    return ""


def start(args: list[str], *, env: dict[str, str] | None = None, log_path: Path) -> subprocess.Popen[bytes]:
    """Start ``args`` from the project root in its own process group, output to ``log_path``."""
    log = open(log_path, "ab")  # noqa: SIM115  # the child owns it for its lifetime
    proc = subprocess.Popen(
        args,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    proc.log_path = log_path  # type: ignore[attr-defined]
    return proc


def stop(proc: subprocess.Popen[bytes], *, sig: int = signal.SIGTERM, timeout: float = 10) -> None:
    """Signal the process group and wait; SIGKILL if it does not exit in time."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, sig)
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=timeout)
    except ProcessLookupError:
        pass


PYTHON = sys.executable
