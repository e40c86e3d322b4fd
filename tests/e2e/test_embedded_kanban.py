"""Kanban on the embedded default (``make run``: SQLite, local files, no Redis, no broker, console email),
black box over HTTP: every kanban endpoint is exercised once, and nothing answers 5xx.

Projects, invitations (token read from the console email), members and roles; boards, columns, labels; tasks
with numbers, moves (followed live over the board's event stream), ``If-Match``, WIP limits, search,
checklists, comments, attachments (a file uploaded through the upload API), activity; the whole-board read
with its ETag; then the clean-up.
"""

from __future__ import annotations

import uuid

import pytest

from tests.e2e.client import PASSWORD, ConsoleMailbox, EmbeddedServer, GauClient
from tests.support.sse import SseClient

pytestmark = pytest.mark.live

K = "/api/v2/kanban"


def _user(server: EmbeddedServer, mailbox: ConsoleMailbox, name: str) -> GauClient:
    gau = GauClient(server.base_url)
    gau.sign_up(mailbox, f"{name}-{uuid.uuid4().hex[:8]}@example.com", PASSWORD)
    return gau


def test_kanban_end_to_end_on_the_embedded_default(embedded_server: EmbeddedServer, mailbox: ConsoleMailbox) -> None:
    alice = _user(embedded_server, mailbox, "alice")
    bob = _user(embedded_server, mailbox, "bob")
    bob_email = bob.expect(bob.get("/api/v2/account/me"), 200)["email"]
    try:
        # --- projects, invitations, members -------------------------------------------------------------
        project = alice.expect(alice.post(f"{K}/projects", json={"name": "Embedded", "key": "EMB"}), 201)
        pid = project["id"]
        alice.expect(alice.post(f"{K}/projects", json={"name": "bad", "key": "x"}), 400)
        bob.expect(bob.get(f"{K}/projects/{pid}"), 404)
        alice.expect(alice.post(f"{K}/projects/{pid}/invitations", json={"email": bob_email, "role": "admin"}), 202)
        token = mailbox.token(bob_email, "invited you")
        accepted = bob.expect(bob.post(f"{K}/invitations/accept", json={"token": token}), 200)
        assert accepted == {"project_id": pid, "role": "admin"}
        bob.expect(bob.post(f"{K}/invitations/accept", json={"token": token}), 400)
        members = alice.expect(alice.get(f"{K}/projects/{pid}/members"), 200)["results"]
        assert [m["role"] for m in members] == ["owner", "admin"]
        owner_id, bob_id = members[0]["user_id"], members[1]["user_id"]
        alice.expect(alice.patch(f"{K}/projects/{pid}", json={"description": "on SQLite"}), 200)

        # --- boards, columns, labels --------------------------------------------------------------------
        board = bob.expect(bob.post(f"{K}/projects/{pid}/boards", json={"name": "Main"}), 201)
        bid = board["id"]
        todo = bob.expect(bob.post(f"{K}/boards/{bid}/columns", json={"name": "To do", "wip_limit": 2}), 201)
        done = bob.expect(bob.post(f"{K}/boards/{bid}/columns", json={"name": "Done", "is_done": True}), 201)
        inbox = bob.expect(bob.post(f"{K}/boards/{bid}/columns", json={"name": "Inbox", "before_id": todo["id"]}), 201)
        assert inbox["position"] < todo["position"] < done["position"]
        bob.expect(bob.post(f"{K}/boards/{bid}/columns", json={"name": "x", "before_id": str(uuid.uuid4())}), 400)
        label = bob.expect(bob.post(f"{K}/boards/{bid}/labels", json={"name": "bug", "color": "#AA0000"}), 201)
        assert label["color"] == "#aa0000"

        # --- tasks --------------------------------------------------------------------------------------
        first = alice.expect(
            alice.post(
                f"{K}/boards/{bid}/tasks",
                json={
                    "column_id": todo["id"],
                    "title": "Write the importer",
                    "description": "Trello JSON",
                    "priority": "high",
                    "due_at": "2030-01-02T03:04:05+07:00",
                    "assignee_ids": [bob_id],
                    "label_ids": [label["id"]],
                },
            ),
            201,
        )
        assert first["number"] == "EMB-0001"
        assert first["due_at"].startswith("2030-01-01T20:04:05")
        second = alice.expect(
            alice.post(
                f"{K}/boards/{bid}/tasks", json={"column_id": todo["id"], "title": "Second", "before_id": first["id"]}
            ),
            201,
        )
        assert second["position"] < first["position"]
        full = alice.post(f"{K}/boards/{bid}/tasks", json={"column_id": todo["id"], "title": "Third"})
        assert alice.expect(full, 409)
        assert full.json()["error"]["code"] == "kanban.wip_limit"
        alice.expect(
            alice.post(
                f"{K}/boards/{bid}/tasks",
                json={"column_id": todo["id"], "assignee_ids": [str(uuid.uuid4())], "title": "t"},
            ),
            400,
        )

        etag = alice.get(f"{K}/tasks/{first['id']}").headers["ETag"]
        alice.expect(
            alice.patch(
                f"{K}/tasks/{first['id']}", json={"title": "Write the Trello importer"}, headers={"If-Match": etag}
            ),
            200,
        )
        stale = alice.patch(f"{K}/tasks/{first['id']}", json={"title": "lost"}, headers={"If-Match": etag})
        assert alice.expect(stale, 412)
        assert stale.json()["error"]["code"] == "kanban.stale_version"
        # live board events (runserver, no Redis: numbered and fanned out in the process)
        grant = alice.expect(alice.post(f"{K}/boards/{bid}/events/token"), 201)
        stream = SseClient(embedded_server.base_url + grant["url"]).start()
        assert stream.status == 200, stream.error_body
        stream.next_of("ready")
        moved = alice.expect(alice.post(f"{K}/tasks/{first['id']}/move", json={"column_id": done["id"]}), 200)
        assert moved["done"] is True
        assert moved["completed_at"]
        assert stream.next_of("task.moved").json()["data"]["task_id"] == first["id"]
        stream.close()

        found = alice.expect(alice.get(f"{K}/boards/{bid}/tasks", params={"q": "trello"}), 200)["results"]
        assert [t["id"] for t in found] == [first["id"]]
        assert [
            t["id"] for t in alice.expect(alice.get(f"{K}/boards/{bid}/tasks", params={"done": "true"}), 200)["results"]
        ] == [first["id"]]
        alice.expect(alice.get(f"{K}/boards/{bid}/tasks", params={"priority": "enormous"}), 400)

        item = bob.expect(bob.post(f"{K}/tasks/{first['id']}/checklist", json={"title": "Parse lists"}), 201)
        bob.expect(bob.patch(f"{K}/checklist-items/{item['id']}", json={"done": True}), 200)
        comment = bob.expect(bob.post(f"{K}/tasks/{first['id']}/comments", json={"body": "On it"}), 201)
        alice.expect(alice.patch(f"{K}/comments/{comment['id']}", json={"body": "not mine"}), 403)
        assert len(alice.expect(alice.get(f"{K}/tasks/{first['id']}/comments"), 200)["results"]) == 1

        file = bob.upload(b"%PDF-1.4 spec\n", "spec.pdf", purpose="attachment")
        attachment = bob.expect(bob.post(f"{K}/tasks/{first['id']}/attachments", json={"file_id": file["id"]}), 201)
        assert attachment["filename"] == "spec.pdf"
        assert attachment["url"]
        alice.expect(alice.post(f"{K}/tasks/{second['id']}/attachments", json={"file_id": file["id"]}), 404)

        # --- the whole board, its ETag, activity --------------------------------------------------------
        read = alice.get(f"{K}/boards/{bid}")
        whole = alice.expect(read, 200)
        assert [c["name"] for c in whole["columns"]] == ["Inbox", "To do", "Done"]
        summary = whole["columns"][2]["tasks"][0]
        assert summary["checklist"] == {"done": 1, "total": 1}
        assert (summary["comments"], summary["attachments"]) == (1, 1)
        assert alice.get(f"{K}/boards/{bid}", headers={"If-None-Match": read.headers["ETag"]}).status_code == 304
        verbs = [a["verb"] for a in alice.expect(alice.get(f"{K}/tasks/{first['id']}/activity"), 200)["results"]]
        assert {"task.created", "task.updated", "task.moved", "comment.created"} <= set(verbs)
        assert alice.expect(alice.get(f"{K}/boards/{bid}/activity"), 200)["results"]

        # --- roles and clean-up -------------------------------------------------------------------------
        bob.expect(bob.patch(f"{K}/projects/{pid}/members/{owner_id}", json={"role": "member"}), 403)
        alice.expect(alice.patch(f"{K}/projects/{pid}/members/{owner_id}", json={"role": "member"}), 409)
        bob.expect(bob.delete(f"{K}/attachments/{attachment['id']}"), 204)
        bob.expect(bob.delete(f"{K}/comments/{comment['id']}"), 204)
        bob.expect(bob.delete(f"{K}/checklist-items/{item['id']}"), 204)
        alice.expect(alice.delete(f"{K}/tasks/{second['id']}"), 204)
        bob.expect(bob.patch(f"{K}/boards/{bid}", json={"name": "Main board"}), 200)
        bob.expect(bob.patch(f"{K}/columns/{inbox['id']}", json={"after_id": done["id"], "wip_limit": 5}), 200)
        bob.expect(bob.patch(f"{K}/labels/{label['id']}", json={"name": "defect"}), 200)
        bob.expect(bob.delete(f"{K}/columns/{done['id']}"), 409)  # it holds a task
        bob.expect(bob.delete(f"{K}/columns/{done['id']}?move_tasks_to={inbox['id']}"), 204)
        assert [t["id"] for t in bob.expect(bob.get(f"{K}/boards/{bid}"), 200)["columns"][1]["tasks"]] == [first["id"]]
        bob.expect(bob.delete(f"{K}/labels/{label['id']}"), 204)
        alice.expect(alice.patch(f"{K}/projects/{pid}/members/{bob_id}", json={"role": "owner"}), 200)
        alice.expect(alice.delete(f"{K}/projects/{pid}/members/{owner_id}"), 204)
        bob.expect(bob.delete(f"{K}/boards/{bid}"), 204)
        bob.expect(bob.delete(f"{K}/projects/{pid}"), 204)
        bob.expect(bob.get(f"{K}/projects/{pid}"), 404)
    finally:
        for gau in (alice, bob):
            gau.assert_no_5xx()
            gau.close()
    assert "Traceback" not in embedded_server.output()
