"""Due-date reminders: once, on time, in the recipient's language and time zone; never for finished tasks.

Real PostgreSQL, the real SMTP sink; the Celery worker where the beat task runs the scanner. The scanner
takes ``now`` so most tests move its clock instead of waiting; one test waits for the real time.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any

import pytest
from django.db import connection, transaction
from django.utils import timezone

from apps.kanban.models import ReminderKind, ReminderState, Task
from apps.kanban.services import reminders, tasks
from apps.kanban.tests.factories import API, Team, make_team

ME = "/api/v2/account/me"


def _body(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def _profile(actor: Any, **fields: Any) -> None:
    response = actor.client.patch(ME, fields)
    assert response.status_code == 200, response.content


def _create(team: Team, *, due_at: datetime, reminders_: list[int] | None, assignees: list[Any]) -> dict[str, Any]:
    response = team.owner.client.post(
        f"{API}/boards/{team.board.id}/tasks",
        {
            "column_id": str(team.todo.id),
            "title": "Ship the release",
            "due_at": due_at.isoformat(),
            "reminders": reminders_,
            "assignee_ids": [str(a.user_id) for a in assignees],
        },
    )
    assert response.status_code == 201, response.content
    body: dict[str, Any] = response.json()
    return body


def _pending(task_id: Any) -> list[tuple[str, int]]:
    return sorted(
        ReminderState.objects.filter(task_id=task_id, state="pending").values_list("kind", "offset"),
    )


@pytest.mark.django_db(transaction=True)
def test_reminder_arrives_once_at_its_time_through_the_worker(celery_worker: Any, smtp: Any) -> None:
    """due_at = now + 62 s, offset 1 min: the beat task (run by the real worker) sends it ~2 s from now,
    in Vietnamese with the due time in Asia/Ho_Chi_Minh, to the assignee only; a second scan sends nothing."""
    from apps.kanban.tasks import scan_reminders

    team = make_team()
    _profile(team.member, time_zone="Asia/Ho_Chi_Minh", locale="vi")
    due = (timezone.now() + timedelta(seconds=62)).replace(microsecond=0)
    task = _create(team, due_at=due, reminders_=[1], assignees=[team.member])
    assert task["reminders"] == [1]
    assert _pending(task["id"]) == [("overdue", 0), ("reminder", 1)]

    scan_reminders.delay()  # too early: nothing is due yet
    time.sleep(max(0.0, (due - timedelta(minutes=1) - timezone.now()).total_seconds()) + 0.2)
    scan_reminders.delay()
    scan_reminders.delay()  # two beats in a row: still one email
    messages = smtp.wait_for(1, timeout=30)
    time.sleep(1.0)
    messages = smtp.messages()
    assert len(messages) == 1
    message = messages[0]
    member_email = team.member.client.get(ME).json()["email"]
    assert message["To"] == member_email
    assert message["Subject"] == "Sắp đến hạn: Ship the release"
    local = due.astimezone(__import__("zoneinfo").ZoneInfo("Asia/Ho_Chi_Minh"))
    assert f"{local:%Y-%m-%d %H:%M} (Asia/Ho_Chi_Minh)" in _body(message)
    assert f"/kanban/tasks/{task['id']}" in _body(message)
    row = ReminderState.objects.get(task_id=task["id"], kind=ReminderKind.REMINDER)
    assert (row.state, row.recipients) == ("sent", 1)


@pytest.mark.django_db(transaction=True)
def test_not_for_done_archived_or_deleted_tasks(smtp: Any) -> None:
    team = make_team()
    due = timezone.now() + timedelta(minutes=30)
    done = _create(team, due_at=due, reminders_=[10], assignees=[team.member])
    archived = _create(team, due_at=due, reminders_=[10], assignees=[team.member])
    deleted = _create(team, due_at=due, reminders_=[10], assignees=[team.member])
    live = _create(team, due_at=due, reminders_=[10], assignees=[team.member])
    owner = team.owner.client
    assert owner.post(f"{API}/tasks/{done['id']}/move", {"column_id": str(team.done.id)}).status_code == 200
    assert owner.patch(f"{API}/tasks/{archived['id']}", {"archived": True}).status_code == 200
    assert owner.delete(f"{API}/tasks/{deleted['id']}").status_code == 204
    assert _pending(archived["id"]) == []  # archiving drops what is pending

    assert reminders.scan(now=due - timedelta(minutes=10)) == 1  # only the live task
    assert reminders.scan(now=due + timedelta(seconds=1)) == 1  # its overdue notice; the done one has none
    messages = smtp.wait_for(2)
    time.sleep(0.3)
    assert [m["Subject"] for m in smtp.messages()] == ["Due soon: Ship the release", "Overdue: Ship the release"]
    assert ReminderState.objects.get(task_id=done["id"], kind="reminder").state == "skipped"
    assert not ReminderState.objects.filter(task_id=deleted["id"]).exists()
    assert len(messages) == 2
    assert live["id"] != done["id"]


@pytest.mark.django_db(transaction=True)
def test_due_change_reschedules_and_changing_back_does_not_repeat(smtp: Any) -> None:
    team = make_team()
    d1 = (timezone.now() + timedelta(minutes=10)).replace(microsecond=0)
    d2 = d1 + timedelta(minutes=10)
    task = _create(team, due_at=d1, reminders_=[1], assignees=[team.member])
    owner = team.owner.client
    assert reminders.scan(now=d1 - timedelta(minutes=1)) == 1  # the d1 reminder

    assert owner.patch(f"{API}/tasks/{task['id']}", {"due_at": d2.isoformat()}).status_code == 200
    assert reminders.scan(now=d1 + timedelta(seconds=5)) == 0  # d1's overdue notice is gone with d1
    assert owner.patch(f"{API}/tasks/{task['id']}", {"due_at": d1.isoformat()}).status_code == 200
    assert reminders.scan(now=d1 - timedelta(seconds=30)) == 0  # (task, d1, 1 min, member) was sent already
    assert reminders.scan(now=d1 + timedelta(seconds=1)) == 1  # overdue once d1 passes
    assert reminders.scan(now=d1 + timedelta(minutes=5)) == 0

    assert owner.patch(f"{API}/tasks/{task['id']}", {"due_at": d2.isoformat(), "reminders": [2]}).status_code == 200
    assert _pending(task["id"]) == [("overdue", 0), ("reminder", 2)]
    assert reminders.scan(now=d2 - timedelta(minutes=2)) == 1
    smtp.wait_for(3)
    time.sleep(0.3)
    assert [m["Subject"] for m in smtp.messages()] == [
        "Due soon: Ship the release",
        "Overdue: Ship the release",
        "Due soon: Ship the release",
    ]


@pytest.mark.django_db(transaction=True)
def test_two_scanners_at_once_send_each_reminder_once(smtp: Any) -> None:
    team = make_team()
    due = timezone.now() + timedelta(minutes=30)
    for _ in range(6):
        _create(team, due_at=due, reminders_=[5], assignees=[team.member, team.admin])
    _create(team, due_at=due, reminders_=[5], assignees=[])  # nobody to tell
    start = threading.Barrier(2)
    sent: list[int] = []

    def scanner() -> None:
        try:
            start.wait()
            sent.append(reminders.scan(now=due - timedelta(minutes=5)))
        finally:
            connection.close()

    threads = [threading.Thread(target=scanner) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sum(sent) == 12
    smtp.wait_for(12)
    time.sleep(0.5)
    assert len(smtp.messages()) == 12
    assert ReminderState.objects.filter(kind="reminder", state="sent").count() == 7


@pytest.mark.django_db(transaction=True)
def test_project_default_reminders_apply_to_tasks_without_their_own(smtp: Any) -> None:
    team = make_team()
    due = timezone.now() + timedelta(hours=3)
    own = _create(team, due_at=due, reminders_=[30], assignees=[team.member])
    default = _create(team, due_at=due, reminders_=None, assignees=[team.member])
    assert default["reminders"] is None
    assert _pending(default["id"]) == [("overdue", 0)]  # the project has no defaults yet

    response = team.admin.client.patch(f"{API}/projects/{team.project.id}", {"default_reminders": [60, 120, 60]})
    assert response.status_code == 200, response.content
    assert response.json()["default_reminders"] == [120, 60]
    assert _pending(default["id"]) == [("overdue", 0), ("reminder", 60), ("reminder", 120)]
    assert _pending(own["id"]) == [("overdue", 0), ("reminder", 30)]

    bad = team.admin.client.patch(f"{API}/projects/{team.project.id}", {"default_reminders": [-1]})
    assert bad.status_code == 400
    assert team.member.client.patch(f"{API}/projects/{team.project.id}", {"default_reminders": []}).status_code == 403
    bad_task = team.owner.client.patch(f"{API}/tasks/{own['id']}", {"reminders": ["soon"]})
    assert bad_task.status_code == 400
    assert bad_task.json()["error"]["code"]


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_change_schedules_nothing() -> None:
    team = make_team()
    task = _create(team, due_at=timezone.now() + timedelta(hours=1), reminders_=[], assignees=[])
    before = _pending(task["id"])
    with pytest.raises(RuntimeError), transaction.atomic():  # noqa: PT012 - the change, then a failure
        tasks.task_update(
            user_id=team.owner.user_id,
            task_id=Task.objects.get(id=task["id"]).id,
            fields={"due_at": timezone.now() + timedelta(hours=5), "reminders": [10]},
        )
        raise RuntimeError("the request failed after the change")
    assert _pending(task["id"]) == before


def test_embedded_scheduler_runs_only_in_a_server_without_a_broker(settings: Any) -> None:
    from apps.kanban import scheduler

    settings.KANBAN_EMBEDDED_SCHEDULER = None
    settings.CELERY_TASK_ALWAYS_EAGER = True
    assert scheduler.wanted(["manage.py", "runserver", "8000"], {"RUN_MAIN": "true"})
    assert not scheduler.wanted(["manage.py", "runserver", "8000"], {})  # the autoreloader's parent
    assert scheduler.wanted(["manage.py", "runserver", "--noreload"], {})
    assert scheduler.wanted(["/srv/.venv/bin/gunicorn", "gau.wsgi"], {})
    assert not scheduler.wanted(["manage.py", "migrate"], {})
    assert not scheduler.wanted(["/srv/.venv/bin/celery", "-A", "gau", "worker"], {})
    settings.CELERY_TASK_ALWAYS_EAGER = False  # a broker: beat does it
    assert not scheduler.wanted(["/srv/.venv/bin/gunicorn", "gau.wsgi"], {})
    settings.KANBAN_EMBEDDED_SCHEDULER = True
    assert scheduler.wanted(["manage.py", "migrate"], {})


@pytest.mark.django_db(transaction=True)
def test_embedded_scheduler_tick_sends_due_reminders(smtp: Any, monkeypatch: Any) -> None:
    from apps.kanban import scheduler

    team = make_team()
    due = timezone.now() + timedelta(seconds=61)
    _create(team, due_at=due, reminders_=[1], assignees=[team.member])
    time.sleep(max(0.0, (due - timedelta(minutes=1) - timezone.now()).total_seconds()) + 0.1)
    scheduler.tick()
    assert len(smtp.wait_for(1)) == 1


@pytest.mark.django_db(transaction=True)
def test_a_scan_that_dies_mid_send_leaves_the_reminder_for_the_next_one(smtp: Any, monkeypatch: Any) -> None:
    """The claim and the outbox rows commit together: a crash after the first recipient's email was
    queued rolls both back, and the next scan sends each recipient exactly one email."""
    team = make_team()
    due = timezone.now() + timedelta(minutes=30)
    task = _create(team, due_at=due, reminders_=[5], assignees=[team.member, team.admin])
    from apps.email.services import email_service as real

    calls: list[str] = []

    class Dying:
        def send(self, **kwargs: Any) -> Any:
            calls.append(kwargs["to"])
            if len(calls) == 2:
                raise KeyboardInterrupt  # the process is going down, not an ordinary error
            return real.send(**kwargs)

    monkeypatch.setattr(reminders, "email_service", Dying())
    with pytest.raises(KeyboardInterrupt):
        reminders.scan(now=due - timedelta(minutes=5))
    assert ReminderState.objects.get(task_id=task["id"], kind="reminder").state == "pending"
    monkeypatch.setattr(reminders, "email_service", real)
    assert reminders.scan(now=due - timedelta(minutes=4)) == 2
    assert reminders.scan(now=due - timedelta(minutes=3)) == 0
    smtp.wait_for(2)
    time.sleep(0.5)
    assert sorted(m["To"] for m in smtp.messages()) == sorted(set(calls))


@pytest.mark.django_db(transaction=True)
def test_watchers_get_reminders_unless_they_turned_due_off(smtp: Any) -> None:
    team = make_team()
    due = timezone.now() + timedelta(minutes=30)
    task = _create(team, due_at=due, reminders_=[10], assignees=[team.member])
    assert team.viewer.client.post(f"{API}/boards/{team.board.id}/watch").status_code == 200
    assert team.admin.client.post(f"{API}/tasks/{task['id']}/watch").status_code == 200
    assert team.stranger.client.post(f"{API}/tasks/{task['id']}/watch").status_code == 404
    assert team.admin.client.patch(f"{API}/me/notifications", {"due": False}).status_code == 200
    assert reminders.scan(now=due - timedelta(minutes=10)) == 2  # member (assignee) and viewer (board)
    messages = smtp.wait_for(2)
    time.sleep(0.3)
    by_to = {m["To"]: _body(m) for m in smtp.messages()}
    assert len(messages) == len(by_to) == 2
    viewer = team.viewer.client.get(ME).json()["email"]
    member = team.member.client.get(ME).json()["email"]
    assert "because you watch the task or its board" in by_to[viewer]
    assert "because the task is assigned to you" in by_to[member]
