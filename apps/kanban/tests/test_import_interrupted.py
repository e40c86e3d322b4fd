"""A Trello import whose worker dies mid-import leaves nothing behind and runs again from scratch.

Semantics (apps/kanban/README.md "Trello import and export"): the import writes the board in one
transaction, so a worker SIGKILLed inside it has written nothing anyone can see (PostgreSQL rolls the
transaction back when the connection dies); the task is ``acks_late``, so RabbitMQ redelivers it to the
next worker, which runs the import again from scratch. An import still ``running`` past
``KANBAN_IMPORT_STUCK_AFTER`` seconds after its first start (its task never came back, or it keeps
killing its worker) is failed as ``kanban.import_interrupted`` by the sweeper (beat, the embedded
scheduler) or by the rerun itself.
"""

from __future__ import annotations

import time
import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError, transaction
from django.utils import timezone

from apps.kanban.models import Board, BoardImport, ChecklistItem, Comment, ImportStatus, Project, Task
from apps.kanban.services import projects, trello_import
from apps.kanban.tests.factories import API, client_for
from bench.bench_import import generate

CARDS = 3000


def wait_for(predicate: Any, *, timeout: float, what: str, interval: float = 0.02) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def row_unlocked(import_id: uuid.UUID) -> bool:
    """Whether nobody holds the import row's lock any more (the killed run's transaction is gone)."""
    try:
        with transaction.atomic():
            BoardImport.objects.select_for_update(nowait=True).get(id=import_id)
    except DatabaseError:
        return False
    return True


@pytest.mark.django_db(transaction=True)
def test_worker_killed_mid_import_leaves_nothing_and_the_rerun_imports_cleanly(celery_worker: Any, s3: Any) -> None:
    owner = uuid.uuid4()
    project = projects.project_create(user_id=owner, name="Big import", key="BIG").project
    raw = generate(CARDS)
    response = client_for(owner).post(
        f"{API}/imports/trello",
        {"file": SimpleUploadedFile("big.json", raw, "application/json"), "project_id": project.id},
        format="multipart",
    )
    assert response.status_code == 202, response.content
    import_id = uuid.UUID(response.json()["id"])
    key = trello_import.progress_key(import_id)

    # Inside the import's transaction: columns and labels written, tasks being inserted (15..95 %).
    progress = wait_for(
        lambda: (p := cache.get(key)) is not None and 15 <= p < 100 and p,
        timeout=120,
        what="the import to be inside its transaction",
    )
    assert BoardImport.objects.get(id=import_id).status == ImportStatus.RUNNING
    assert not Board.objects.filter(project=project).exists()  # nothing visible while it runs
    celery_worker.kill()  # SIGKILL: no rollback by the worker, no ack

    wait_for(lambda: row_unlocked(import_id), timeout=30, what="PostgreSQL to drop the killed transaction")
    row = BoardImport.objects.get(id=import_id)
    assert row.status == ImportStatus.RUNNING, f"killed at {progress}%"  # reported running until it reruns
    assert row.board_id is None
    assert not Board.objects.filter(project=project).exists()
    assert not Task.objects.filter(project=project).exists()
    assert Project.objects.get(id=project.id).next_number == 1  # the numbers it reserved were given back
    assert row.blob_key
    assert s3.keys(row.blob_key)  # the file stays for the rerun

    celery_worker.start()  # RabbitMQ redelivers the unacknowledged task: the import runs again
    done = wait_for(
        lambda: (r := BoardImport.objects.get(id=import_id)).status in {ImportStatus.DONE, ImportStatus.FAILED} and r,
        timeout=180,
        what="the rerun to finish",
        interval=0.2,
    )
    assert done.status == ImportStatus.DONE, done.error
    assert done.counts["tasks"] == CARDS
    boards = list(Board.objects.filter(project=project))
    assert [b.id for b in boards] == [done.board_id]  # one board: the rerun's, nothing of the killed run
    assert Task.objects.filter(board=boards[0]).count() == CARDS
    numbers = sorted(Task.objects.filter(project=project).values_list("number", flat=True))
    assert numbers == list(range(1, CARDS + 1))
    assert ChecklistItem.objects.filter(task__board=boards[0]).count() == done.counts["checklist_items"] == CARDS * 2
    assert Comment.objects.filter(task__board=boards[0]).count() == done.counts["comments"] == CARDS
    assert not s3.keys("imports/")


@pytest.mark.django_db
def test_an_import_running_past_its_time_is_failed_not_rerun(settings: Any) -> None:
    settings.KANBAN_IMPORT_STUCK_AFTER = 60
    owner = uuid.uuid4()
    project = projects.project_create(user_id=owner, name="Stuck", key="STK").project
    long_ago = timezone.now() - timedelta(seconds=61)

    def make(status: str, started_at: Any) -> BoardImport:
        return BoardImport.objects.create(project=project, created_by=owner, status=status, started_at=started_at)

    stuck = make(ImportStatus.RUNNING, long_ago)
    recent = make(ImportStatus.RUNNING, timezone.now())
    queued = make(ImportStatus.QUEUED, None)
    finished = make(ImportStatus.DONE, long_ago)

    assert trello_import.sweep_stuck() == 1
    assert trello_import.sweep_stuck() == 0
    stuck.refresh_from_db()
    assert stuck.status == ImportStatus.FAILED
    assert stuck.error is not None
    assert stuck.error["code"] == "kanban.import_interrupted"
    assert stuck.finished_at is not None
    for untouched, status in ((recent, ImportStatus.RUNNING), (queued, ImportStatus.QUEUED), (finished, "done")):
        untouched.refresh_from_db()
        assert untouched.status == status

    # A redelivered task for an import running past its time fails it instead of starting over.
    late = make(ImportStatus.RUNNING, long_ago)
    ran = trello_import.run_import(late.id, raw=b"{}")
    assert ran.status == ImportStatus.FAILED
    assert ran.error is not None
    assert ran.error["code"] == "kanban.import_interrupted"
    assert not Board.objects.filter(project=project).exists()
    # ... while a rerun within its time starts over (here: the file is not a board, so it fails as invalid).
    again = trello_import.run_import(recent.id, raw=b"{}")
    assert again.status == ImportStatus.FAILED
    assert again.error is not None
    assert again.error["code"] == "kanban.import_invalid"
