"""Fixtures of the browser tests: one headless Chromium for the session, a real Gau server per test.

The server is gunicorn on the real parts (PostgreSQL, Redis, RabbitMQ with a real Celery worker, the S3
server and the SMTP sink of the session), with ``PUBLIC_BASE_URL`` at its own address, so the links in
the emails the sink receives open as they are.
"""

from __future__ import annotations

import re
import signal
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.support import browser as chromium
from tests.support import processes

PASSWORD = "correct horse battery staple 42"


@pytest.fixture(scope="session")
def _chromium() -> Iterator[Any]:
    lines = chromium.missing()
    if lines:
        pytest.fail("The browser tests need a headless Chromium:\n" + "\n".join(lines), pytrace=False)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(chromium.chromium_path())
    for flag in chromium.FLAGS:
        options.add_argument(flag)
    profile = tempfile.mkdtemp(prefix="gau-chromium-")
    options.add_argument(f"--user-data-dir={profile}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(str(chromium.chromedriver_path())))
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def browser(_chromium: Any) -> Any:
    """The session's Chromium, with no cookies (cookies are per host, and every server is 127.0.0.1)."""
    _chromium.execute_cdp_cmd("Network.clearBrowserCookies", {})
    _chromium.set_window_size(1280, 900)
    _chromium.get_log("browser")  # drop what earlier tests logged
    return _chromium


@dataclass
class Site:
    """A running Gau server: its URL, an HTTP client for the API, and the session's SMTP sink."""

    url: str
    api: httpx.Client
    smtp: Any

    def mail_link(self, to: str, path: str, *, timeout: float = 30) -> str:
        """The link to ``path`` in the newest email to ``to`` (its text part), waiting for it to arrive."""
        pattern = re.compile(rf"{re.escape(self.url)}/{re.escape(path)}\?token=[\w-]+&lang=[a-z]+")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for message in reversed(self.smtp.messages()):
                if to.lower() in str(message["To"]).lower():
                    found = pattern.search(message.get_body(("plain",)).get_content())
                    if found:
                        return found.group(0)
            time.sleep(0.2)
        raise AssertionError(f"no email to {to} with a {path} link within {timeout}s")

    def login(self, email: str, password: str = PASSWORD) -> httpx.Response:
        return self.api.post("/api/v2/account/login", json={"email": email, "password": password})


def quick_stop(gau_server: Any, url: str) -> None:
    """Stop a server at once (SIGQUIT): a graceful stop waits for the browser's keep-alive connections."""
    processes.stop(gau_server.servers[url], sig=signal.SIGQUIT)


@pytest.fixture
def site(gau_server: Any, celery_worker: Any, smtp: Any) -> Iterator[Site]:
    port = processes.free_port()
    url = gau_server(port=port, PUBLIC_BASE_URL=f"http://127.0.0.1:{port}")
    try:
        with httpx.Client(base_url=url, timeout=20) as client:
            processes.wait_until(lambda: client.get("/healthz").status_code == 200, timeout=30, what="gau /healthz")
            yield Site(url=url, api=client, smtp=smtp)
    finally:
        quick_stop(gau_server, url)


@pytest.fixture
def address() -> str:
    return f"person-{uuid.uuid4().hex[:10]}@example.com"
