"""Reminders on the embedded default (``make run``: SQLite, no broker, console email): the server process's
own scheduler thread sends them, with no worker, beat or other process running."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from tests.e2e.client import PASSWORD, ConsoleMailbox, EmbeddedServer, GauClient, wait_until

pytestmark = pytest.mark.live

K = "/api/v2/kanban"


def test_a_reminder_fires_from_the_server_process_alone(
    embedded_server: EmbeddedServer, mailbox: ConsoleMailbox
) -> None:
    alice = GauClient(embedded_server.base_url)
    alice.sign_up(mailbox, f"alice-{uuid.uuid4().hex[:8]}@example.com", PASSWORD)
    try:
        me = alice.expect(alice.get("/api/v2/account/me"), 200)
        project = alice.expect(alice.post(f"{K}/projects", json={"name": "Embedded", "key": "EMB"}), 201)
        board = alice.expect(alice.post(f"{K}/projects/{project['id']}/boards", json={"name": "Main"}), 201)
        todo = alice.expect(alice.post(f"{K}/boards/{board['id']}/columns", json={"name": "To do"}), 201)
        due = datetime.now(UTC) + timedelta(seconds=63)
        task = {"column_id": todo["id"], "title": "Embedded reminder", "due_at": due.isoformat(), "reminders": [1]}
        tasks = f"{K}/boards/{board['id']}/tasks"
        alice.expect(alice.post(tasks, json={**task, "assignee_ids": [me["id"]]}), 201)
        alice.expect(alice.post(tasks, json={**task, "title": "Nobody's"}), 201)

        started = time.monotonic()
        wait_until(
            lambda: "Due soon: Embedded reminder" in embedded_server.output(),
            timeout=45,
            what="the reminder in the console email",
        )
        # Its time was ~3 s from the create; the scheduler ticks every 15 s.
        assert time.monotonic() - started < 30
        time.sleep(1)
        assert embedded_server.output().count("Subject: Due soon: Embedded reminder") == 1
        assert "Due soon: Nobody" not in embedded_server.output()
    finally:
        alice.assert_no_5xx()
        alice.close()
