"""Reminders on the embedded defaults (``make run``: SQLite, no broker, console email): the server process's
own scheduler thread sends them, with no worker, beat or other process running."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from apps.kanban.tests.test_projects_sqlite import EmbeddedServer, check, embedded, sign_up  # noqa: F401
from tests.support import processes


@pytest.mark.live
def test_a_reminder_fires_from_the_server_process_alone(embedded: EmbeddedServer) -> None:  # noqa: F811
    with httpx.Client(base_url=embedded.url, timeout=30) as http:
        alice = sign_up(http, embedded, "alice@example.com")
    project = check(alice.post("/projects", json={"name": "Embedded", "key": "EMB"}), 201)
    # (GET account/me answers 500 on SQLite: a raw query binds a UUID; the member list gives the id.)
    [me] = check(alice.get(f"/projects/{project['id']}/members"), 200)["results"]
    board = check(alice.post(f"/projects/{project['id']}/boards", json={"name": "Main"}), 201)
    todo = check(alice.post(f"/boards/{board['id']}/columns", json={"name": "To do"}), 201)
    due = datetime.now(UTC) + timedelta(seconds=63)
    task = {"column_id": todo["id"], "title": "Embedded reminder", "due_at": due.isoformat(), "reminders": [1]}
    check(alice.post(f"/boards/{board['id']}/tasks", json={**task, "assignee_ids": [me["user_id"]]}), 201)
    check(alice.post(f"/boards/{board['id']}/tasks", json={**task, "title": "Nobody's"}), 201)

    started = time.monotonic()
    processes.wait_until(
        lambda: "Due soon: Embedded reminder" in embedded.log.read_text(errors="replace"),
        timeout=45,
        what="the reminder in the console email",
    )
    # Its time was ~3 s from the create; the scheduler ticks every 15 s.
    assert time.monotonic() - started < 30
    time.sleep(1)
    assert embedded.log.read_text(errors="replace").count("Subject: Due soon: Embedded reminder") == 1
    assert "Due soon: Nobody" not in embedded.log.read_text(errors="replace")
