"""Live board events over real servers: two realtime (ASGI) processes fanned out through the real Redis,
and ``make run``'s runserver on the embedded default (no Redis, in-process fan-out).

Changes are made in this test process (the write path publishes after commit) or through a server's API;
clients read the streams over HTTP.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any
from unittest import mock

import pytest

from apps.kanban.models import Role
from apps.kanban.services import live, projects, tasks
from apps.kanban.tests.factories import API, World, add_member, client_for, make_world
from tests.support import processes
from tests.support.sse import SseClient, realtime_server_args

pytestmark = pytest.mark.live

HEARTBEAT = 0.4


@pytest.fixture(scope="module")
def servers(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[list[str]]:
    """Two realtime processes on the test database and this session's Redis, with a short heartbeat."""
    from conftest import child_database_url

    with django_db_blocker.unblock():
        database_url = child_database_url()
    logs = tmp_path_factory.mktemp("realtime")
    procs, urls = [], []
    for _ in range(2):
        port = processes.free_port()
        env = {
            "DJANGO_SETTINGS_MODULE": "gau.settings_test",
            "DATABASE_URL": database_url,
            "KANBAN_EVENTS_HEARTBEAT": str(HEARTBEAT),
        }
        procs.append(processes.start(realtime_server_args(port), env=env, log_path=logs / f"asgi-{port}.log"))
        urls.append(f"http://127.0.0.1:{port}")
    try:
        for proc, url in zip(procs, urls, strict=True):
            processes.wait_until(partial(processes.http_ready, f"{url}/healthz"), timeout=60, what="server", proc=proc)
        yield urls
    finally:
        for proc in procs:
            processes.stop(proc, timeout=5)


def events_url(base: str, board_id: uuid.UUID, user_id: uuid.UUID) -> str:
    token, _ = live.token_issue(user_id=user_id, board_id=board_id)
    return f"{base}/api/v2/kanban/boards/{board_id}/events?token={token}"


def follow(base: str, world: World, role: str, *, last_event_id: int | None = None) -> SseClient:
    headers = {} if last_event_id is None else {"Last-Event-ID": str(last_event_id)}
    client = SseClient(events_url(base, world.board.id, world.users[role]), headers).start()
    assert client.status == 200, client.error_body
    return client


def new_task(world: World, title: str) -> uuid.UUID:
    member, board, column = world.users["member"], world.board.id, world.todo.id
    return tasks.task_create(user_id=member, board_id=board, column_id=column, title=title).id


@pytest.fixture
def live_world(transactional_db: None) -> World:
    return make_world()


def test_events_arrive_in_order_with_webhook_payloads_and_resume_from_last_event_id(
    servers: list[str], live_world: World
) -> None:
    world = live_world
    stream = follow(servers[0], world, "viewer")  # viewers may follow
    ready = stream.next_of("ready")
    start = int(ready.id or 0)
    assert ready.json() == {"board_id": str(world.board.id), "last_event_id": start}

    ids = [new_task(world, f"T{n}") for n in range(3)]
    got = [stream.next_of("task.created") for _ in range(3)]
    assert [int(e.id or 0) for e in got] == [start + 1, start + 2, start + 3]
    body = got[0].json()
    assert body["id"] == start + 1
    assert body["event"] == "task.created"
    assert body["project_id"] == str(world.project.id)
    assert body["board_id"] == str(world.board.id)
    assert body["actor_id"] == str(world.users["member"])
    assert [e.json()["data"]["task_id"] for e in got] == [str(i) for i in ids]
    stream.close()

    missed = [new_task(world, "M1"), new_task(world, "M2")]
    resumed = follow(servers[0], world, "viewer", last_event_id=start + 3)
    replay = [resumed.next(), resumed.next()]
    assert [(e.event, int(e.id or 0)) for e in replay] == [("task.created", start + 4), ("task.created", start + 5)]
    assert [e.json()["data"]["task_id"] for e in replay] == [str(i) for i in missed]
    tasks.task_move(user_id=world.users["member"], task_id=ids[0], column_id=world.done.id)
    moved = resumed.next()
    assert (moved.event, int(moved.id or 0)) == ("task.moved", start + 6)
    assert moved.json()["data"]["task_id"] == str(ids[0])
    resumed.close()


def test_a_resume_older_than_the_backlog_gets_a_reset(servers: list[str], live_world: World, settings: Any) -> None:
    world = live_world
    settings.KANBAN_EVENTS = {**settings.KANBAN_EVENTS, "BACKLOG_SIZE": 3}  # the publisher trims (this process)
    first = follow(servers[1], world, "member")
    start = int(first.next_of("ready").id or 0)
    first.close()
    for n in range(5):
        new_task(world, f"T{n}")
    stale = follow(servers[1], world, "member", last_event_id=start)
    reset = stale.next()
    assert reset.event == "reset"
    assert int(reset.id or 0) == start + 5 == reset.json()["last_event_id"]
    stale.close()
    # Within the backlog (the last 3): replayed, no reset.
    recent = follow(servers[1], world, "member", last_event_id=start + 2)
    assert [int(recent.next().id or 0) for _ in range(3)] == [start + 3, start + 4, start + 5]
    recent.close()
    # An id the board never reached (its counter restarted): reset too.
    ahead = follow(servers[1], world, "member", last_event_id=start + 1000)
    assert ahead.next().event == "reset"
    ahead.close()


def test_removing_a_member_closes_their_stream_and_heartbeats_keep_it_alive(
    servers: list[str], live_world: World
) -> None:
    world = live_world
    leaving = follow(servers[0], world, "other")
    staying = follow(servers[1], world, "viewer")
    leaving.next_of("ready")
    staying.next_of("ready")
    time.sleep(HEARTBEAT * 3)
    assert leaving.comments >= 2  # "retry" is a field; heartbeats are comment lines
    projects.member_remove(actor_id=world.users["owner"], project_id=world.project.id, user_id=world.users["other"])
    removed = leaving.next_of("member.removed")
    assert removed.json()["data"]["user_id"] == str(world.users["other"])
    assert leaving.next().event == "closed"
    assert leaving.ended.wait(5)
    # The others see the change and stay connected.
    assert staying.next_of("member.removed").json()["data"]["user_id"] == str(world.users["other"])
    new_task(world, "after")
    assert staying.next_of("task.created")
    assert not staying.ended.is_set()
    staying.close()
    # And the removed member cannot come back with a token issued before.
    again = SseClient(events_url(servers[0], world.board.id, world.users["other"])).start()
    assert again.status == 404


def test_deleting_the_project_closes_every_stream(servers: list[str], live_world: World) -> None:
    world = live_world
    stream = follow(servers[0], world, "owner")
    stream.next_of("ready")
    projects.project_delete(user_id=world.users["owner"], project_id=world.project.id)
    assert stream.next_of("closed")
    assert stream.ended.wait(5)


def test_who_may_open_a_stream(servers: list[str], live_world: World) -> None:
    world = live_world
    base = f"{servers[0]}/api/v2/kanban/boards/{world.board.id}/events"

    def refused(url: str, headers: dict[str, str] | None = None) -> tuple[int | None, dict[str, Any]]:
        import json

        client = SseClient(url, headers or {}).start()
        return client.status, json.loads(client.error_body or b"{}")

    status, body = refused(base)
    assert (status, body["error"]["code"]) == (401, "not_authenticated")
    status, body = refused(base + "?token=forged:1abc:xyz")
    assert (status, body["error"]["code"]) == (401, "kanban.events_token_invalid")
    with mock.patch("django.core.signing.time.time", return_value=time.time() - 61):
        expired, _ = live.token_issue(user_id=world.users["owner"], board_id=world.board.id)
    status, body = refused(f"{base}?token={expired}")
    assert (status, body["error"]["code"]) == (401, "kanban.events_token_expired")
    other_board, _ = live.token_issue(user_id=world.users["owner"], board_id=uuid.uuid4())
    status, body = refused(f"{base}?token={other_board}")
    assert (status, body["error"]["code"]) == (403, "kanban.events_token_wrong_board")
    status, body = refused(events_url(servers[0], world.board.id, world.users["stranger"]))
    assert (status, body["error"]["code"]) == (404, "kanban.not_found")
    status, body = refused(events_url(servers[0], uuid.uuid4(), world.users["owner"]))
    assert status == 404
    status, body = refused(events_url(servers[0], world.board.id, world.users["owner"]), {"Last-Event-ID": "abc"})
    assert (status, body["error"]["code"]) == (400, "invalid_input")
    status, body = refused(base, {"Authorization": "Bearer not-a-jwt"})
    assert status == 401
    import httpx

    posted = httpx.post(base, timeout=10)
    assert (posted.status_code, posted.json()["error"]["code"]) == (405, "method_not_allowed")

    # The token endpoint: members (viewers too) get one; strangers 404 like every board endpoint.
    response = client_for(world.users["viewer"]).post(f"{API}/boards/{world.board.id}/events/token")
    assert response.status_code == 201
    assert response.json()["expires_in"] == 60
    assert response.json()["url"].endswith(response.json()["token"])
    assert client_for(world.users["stranger"]).post(f"{API}/boards/{world.board.id}/events/token").status_code == 404
    from rest_framework.test import APIClient

    assert APIClient().post(f"{API}/boards/{world.board.id}/events/token").status_code == 401


def _signed_in_member(world: World) -> tuple[uuid.UUID, str]:
    """A real account, member of the world's project, with a real access token."""
    from apps.account.services import account_service
    from apps.authz.services import authz_service

    user = account_service.create_user(
        email=f"rt-{uuid.uuid4().hex[:10]}@example.com", password="correct horse battery staple", display_name="RT"
    )
    add_member(world.project, Role.MEMBER, user_id=user.id)
    return user.id, authz_service.issue_tokens(user_id=user.id, user_agent="pytest", ip="127.0.0.1").access_token


def test_a_change_through_one_server_reaches_a_follower_of_the_other(servers: list[str], live_world: World) -> None:
    import httpx

    world = live_world
    _, access = _signed_in_member(world)
    bearer = {"Authorization": f"Bearer {access}"}
    stream = SseClient(f"{servers[1]}/api/v2/kanban/boards/{world.board.id}/events", bearer).start()  # bearer works
    assert stream.status == 200
    stream.next_of("ready")
    created = httpx.post(
        f"{servers[0]}/api/v2/kanban/boards/{world.board.id}/tasks",
        json={"column_id": str(world.todo.id), "title": "via A"},
        headers=bearer,
        timeout=10,
    )
    assert created.status_code == 201, created.text
    event = stream.next_of("task.created")
    assert event.json()["data"]["task_id"] == created.json()["id"]
    stream.close()


def test_make_run_serves_events_without_redis(live_world: World, tmp_path: Path) -> None:
    """runserver (WSGI, threaded) on the embedded default: in-process numbering, backlog and fan-out."""
    import httpx

    from conftest import child_database_url

    world = live_world
    _, access = _signed_in_member(world)
    bearer = {"Authorization": f"Bearer {access}"}
    port = processes.free_port()
    env = {
        "DJANGO_SETTINGS_MODULE": "gau.settings_test",
        "DATABASE_URL": child_database_url(),
        "REDIS_URL": "",
        "CELERY_BROKER_URL": "",
    }
    args = [processes.PYTHON, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"]
    proc = processes.start(args, env=env, log_path=tmp_path / "runserver.log")
    base = f"http://127.0.0.1:{port}"
    try:
        processes.wait_until(lambda: processes.http_ready(f"{base}/healthz"), timeout=60, what="runserver", proc=proc)
        stream = SseClient(f"{base}/api/v2/kanban/boards/{world.board.id}/events", bearer).start()
        assert stream.status == 200
        assert stream.next_of("ready").id == "0"  # this process numbers the board's events from 1
        url = f"{base}/api/v2/kanban/boards/{world.board.id}/tasks"
        for title in ("one", "two"):
            answer = httpx.post(url, json={"column_id": str(world.todo.id), "title": title}, headers=bearer, timeout=10)
            assert answer.status_code == 201, answer.text
        got = [(e.event, e.id) for e in (stream.next(), stream.next())]
        assert got == [("task.created", "1"), ("task.created", "2")]
        stream.close()
        resumed = SseClient(f"{base}/api/v2/kanban/boards/{world.board.id}/events", {**bearer, "Last-Event-ID": "1"})
        assert resumed.start().next().id == "2"
        resumed.close()
    finally:
        processes.stop(proc, timeout=5)
