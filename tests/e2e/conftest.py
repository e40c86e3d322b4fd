"""Fixtures for black-box suites against the embedded default (see ``tests/e2e/client.py``).

- ``embedded_server``: one fresh ``make run``-equivalent server per test module.
- ``mailbox``: the emails it printed to the console.
- ``client``: an anonymous :class:`GauClient`; ``signed_in``: one for a new, verified, signed-in user.

A new suite (kanban...) is a module here using these fixtures and plain ``client.get/post`` calls.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.client import PASSWORD, ConsoleMailbox, EmbeddedServer, GauClient


@pytest.fixture(scope="module")
def embedded_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedServer]:
    running = EmbeddedServer(Path(tmp_path_factory.mktemp("embedded"))).start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def mailbox(embedded_server: EmbeddedServer) -> ConsoleMailbox:
    return ConsoleMailbox(embedded_server.output)


@pytest.fixture
def client(embedded_server: EmbeddedServer) -> Iterator[GauClient]:
    gau = GauClient(embedded_server.base_url)
    yield gau
    gau.assert_no_5xx()
    gau.close()


@pytest.fixture
def signed_in(embedded_server: EmbeddedServer, mailbox: ConsoleMailbox) -> Iterator[GauClient]:
    """A client signed in as a new user who registered and verified their address by email."""
    gau = GauClient(embedded_server.base_url)
    gau.sign_up(mailbox, f"e2e-{uuid.uuid4().hex[:10]}@example.com", PASSWORD)
    yield gau
    gau.assert_no_5xx()
    gau.close()
