"""Ad-hoc measurement (not collected by default): how long one scan takes to queue N due reminders.

``.venv/bin/pytest -q -s -p no:cacheprovider apps/kanban/tests/bench_reminders_scan.py``
(``BENCH_N`` tasks, default 400,
one assignee each; mail is delivered by the real worker, so the figure is the scan's own work: claim,
checks, one batched account call and one outbox row + RabbitMQ publish per recipient)."""

from __future__ import annotations

import os
import time
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from apps.kanban.models import ReminderState, Task
from apps.kanban.services import reminders
from apps.kanban.tests.factories import make_task, make_team

N = int(__import__("os").environ.get("BENCH_N", "400"))


@pytest.mark.django_db(transaction=True)
def test_scan_throughput(celery_worker: Any) -> None:
    team = make_team()
    due = timezone.now() + timedelta(hours=2)
    for i in range(N):
        task = make_task(team.todo, f"task {i}", due_at=due, assignees=[team.member.user_id])
        task.reminders = [30]
        task.save(update_fields=["reminders"])
    for task in Task.objects.select_related("project").all():
        reminders.schedule(task)
    import cProfile
    import pstats

    profiler = cProfile.Profile() if os.environ.get("BENCH_PROFILE") else None
    started = time.perf_counter()
    if profiler:
        profiler.enable()
    sent = reminders.scan(now=due - timedelta(minutes=30))
    elapsed = time.perf_counter() - started
    if profiler:
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
    print(f"\nscan queued {sent} reminder emails in {elapsed:.2f} s ({sent / elapsed:.0f}/s)")
    assert sent == N
    assert ReminderState.objects.filter(kind="reminder", state="sent").count() == N
