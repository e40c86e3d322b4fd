"""The projects part of the kanban API on the embedded defaults (``make run``: SQLite, no Redis, no broker,
email printed to the console), end to end over HTTP against a real ``manage.py runserver`` process."""

from __future__ import annotations

import email
import email.policy
import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support import processes

#: Variables of the real parts: unset, so the process falls back to the embedded defaults.
REAL_PARTS = ("DATABASE_URL", "DATABASE_REPLICA_URL", "REDIS_URL", "CELERY_BROKER_URL", "EMAIL_URL", "S3_BUCKET")
PASSWORD = "correct horse battery staple 42"


@dataclass
class EmbeddedServer:
    url: str
    log: Path

    def mail_to(self, address: str, marker: str) -> str:
        """The token in the last console email to ``address`` whose text contains ``marker``."""
        text = self.log.read_text(errors="replace")
        found = ""
        for chunk in text.split("\nContent-Type: multipart/alternative")[1:]:
            raw = "Content-Type: multipart/alternative" + chunk
            message = email.message_from_string(raw, policy=email.policy.default)
            plain = message.get_body(preferencelist=("plain",))
            body = str(plain.get_content()) if plain is not None else ""
            if marker in body and address in chunk:
                match = re.search(r"token=([A-Za-z0-9_\-]+)", body)
                if match:
                    found = match.group(1)
        assert found, f"no console email to {address} with {marker!r}:\n{text[-3000:]}"
        return found


@pytest.fixture
def embedded(tmp_path: Path) -> Iterator[EmbeddedServer]:
    port = processes.free_port()
    env = {k: v for k, v in os.environ.items() if k not in REAL_PARTS}
    env.update(
        DJANGO_SETTINGS_MODULE="gau.settings",
        DEBUG="true",
        DATABASE_URL=f"sqlite:///{tmp_path / 'gau.sqlite3'}",
        PORT=str(port),
    )
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=processes.ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=180,
    )
    log = tmp_path / "runserver.log"
    handle = open(log, "ab")  # noqa: SIM115  # the child owns it for its lifetime
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=processes.ROOT,
        env=env,
        stdout=handle,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    proc.log_path = log  # type: ignore[attr-defined]
    try:
        processes.wait_until(lambda: processes.port_open("127.0.0.1", port), timeout=60, what="runserver", proc=proc)
        yield EmbeddedServer(url=f"http://127.0.0.1:{port}", log=log)
    finally:
        processes.stop(proc)
        handle.close()


def sign_up(http: httpx.Client, server: EmbeddedServer, address: str) -> httpx.Client:
    assert http.post("/api/v2/account/register", json={"email": address, "password": PASSWORD}).status_code == 201
    token = server.mail_to(address, "verify")
    assert http.post("/api/v2/account/verify-email", json={"token": token}).status_code == 200
    login = http.post("/api/v2/account/login", json={"email": address, "password": PASSWORD})
    assert login.status_code == 200, login.text
    return httpx.Client(
        base_url=f"{server.url}/api/v2/kanban", headers={"Authorization": f"Bearer {login.json()['access_token']}"}
    )


def check(response: httpx.Response, status: int) -> Any:
    assert response.status_code == status, (response.request.method, str(response.url), response.text)
    if response.content:
        body = response.json()
        if status >= 400:
            assert set(body) == {"error"}
        return body
    return None


@pytest.mark.live
def test_projects_part_on_the_embedded_defaults(embedded: EmbeddedServer) -> None:
    with httpx.Client(base_url=embedded.url, timeout=30) as http:
        alice = sign_up(http, embedded, "alice@example.com")
        bob = sign_up(http, embedded, "bob@example.com")

    project = check(alice.post("/projects", json={"name": "Embedded", "key": "EMB"}), 201)
    pid = project["id"]
    check(alice.post("/projects", json={"name": "bad", "key": "x"}), 400)
    check(bob.get(f"/projects/{pid}"), 404)
    check(alice.post(f"/projects/{pid}/invitations", json={"email": "bob@example.com", "role": "admin"}), 202)
    token = embedded.mail_to("bob@example.com", "invited you")
    assert check(bob.post("/invitations/accept", json={"token": token}), 200) == {"project_id": pid, "role": "admin"}
    check(bob.post("/invitations/accept", json={"token": token}), 400)
    assert [p["role"] for p in check(bob.get("/projects"), 200)["results"]] == ["admin"]
    members = check(alice.get(f"/projects/{pid}/members"), 200)["results"]
    assert [m["role"] for m in members] == ["owner", "admin"]
    check(alice.patch(f"/projects/{pid}", json={"description": "on SQLite"}), 200)

    board = check(bob.post(f"/projects/{pid}/boards", json={"name": "Main"}), 201)
    assert len(check(bob.get(f"/projects/{pid}/boards"), 200)["results"]) == 1
    check(bob.patch(f"/boards/{board['id']}", json={"name": "Main board"}), 200)
    todo = check(bob.post(f"/boards/{board['id']}/columns", json={"name": "To do"}), 201)
    done = check(bob.post(f"/boards/{board['id']}/columns", json={"name": "Done", "is_done": True}), 201)
    first = check(bob.post(f"/boards/{board['id']}/columns", json={"name": "Inbox", "before_id": todo["id"]}), 201)
    assert first["position"] < todo["position"] < done["position"]
    check(bob.patch(f"/columns/{first['id']}", json={"after_id": done["id"], "wip_limit": 5}), 200)
    check(bob.post(f"/boards/{board['id']}/columns", json={"name": "x", "before_id": str(uuid.uuid4())}), 400)
    check(bob.delete(f"/columns/{first['id']}?move_tasks_to={todo['id']}"), 204)
    label = check(bob.post(f"/boards/{board['id']}/labels", json={"name": "bug", "color": "#AA0000"}), 201)
    assert check(bob.get(f"/boards/{board['id']}/labels"), 200)["results"][0]["color"] == "#aa0000"
    check(bob.patch(f"/labels/{label['id']}", json={"name": "defect"}), 200)
    check(bob.delete(f"/labels/{label['id']}"), 204)

    bob_id = members[1]["user_id"]
    owner_id = members[0]["user_id"]
    check(bob.patch(f"/projects/{pid}/members/{owner_id}", json={"role": "member"}), 403)
    check(alice.patch(f"/projects/{pid}/members/{owner_id}", json={"role": "member"}), 409)
    check(alice.patch(f"/projects/{pid}/members/{bob_id}", json={"role": "owner"}), 200)
    check(alice.delete(f"/projects/{pid}/members/{owner_id}"), 204)
    check(bob.delete(f"/boards/{board['id']}"), 204)
    check(bob.delete(f"/projects/{pid}"), 204)
    check(bob.get(f"/projects/{pid}"), 404)
