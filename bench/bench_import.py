"""Trello import benchmark (real PostgreSQL and Redis, in one process).

Generates a Trello board export of 5,000 cards (``BENCH_IMPORT_CARDS``; 300 in a smoke run) in 10 lists (one closed), 8
labels, a 4-item checklist on every other card, one comment per card, 3 members; then imports it with
``trello_import.run_import`` (what the Celery task and ``manage.py kanban_import_trello`` run: parse and
validate, then one transaction of bulk inserts through the write path).

Measured: the import's wall time and peak memory, twice: once plain (time; ``ru_maxrss`` growth of the
process) and once under ``tracemalloc`` (peak of Python allocations during the import). Baseline: the
write path's one-by-one ``task_create`` for 200 cards (``BENCH_IMPORT_SAMPLE``), extrapolated to the
card count (tasks only, no checklists or comments, so it flatters the baseline).
``ratio = baseline / import`` (how many times faster the bulk import is than creating the tasks one by
one), target >= 5.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
import tracemalloc
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import lib

TARGET = 5.0
LISTS = 10
SAMPLE = 200
PROJECT_KEY = "BIMP"
COLORS = ["green", "yellow", "orange", "red", "purple", "blue", "sky", None]


def setup_django() -> None:
    env = lib.server_env(services=True)
    lib.migrate(env)
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "gau.settings"
    import django

    django.setup()


def generate(cards: int) -> bytes:
    """A Trello board export with ``cards`` cards (shape as Trello writes it, minus fields we ignore)."""
    start = datetime(2025, 1, 1, tzinfo=UTC)
    oid = iter(f"{n:024x}" for n in range(1, 10**9))
    board_id = next(oid)
    members = [
        {"id": next(oid), "username": f"bench.user{i}", "fullName": f"Bench User {i}", "initials": f"B{i}"}
        for i in range(3)
    ]
    lists = [
        {"id": next(oid), "name": f"List {i}", "closed": i == LISTS - 1, "pos": 16384 * (i + 1), "idBoard": board_id}
        for i in range(LISTS)
    ]
    labels = [
        {"id": next(oid), "idBoard": board_id, "name": f"label {i}" if i % 3 else "", "color": color}
        for i, color in enumerate(COLORS)
    ]
    out_cards: list[dict[str, Any]] = []
    checklists: list[dict[str, Any]] = []
    actions: list[dict[str, Any]] = []
    for n in range(cards):
        card_id = next(oid)
        due = (start + timedelta(hours=n)).isoformat().replace("+00:00", ".000Z") if n % 3 == 0 else None
        card_labels = [labels[n % len(labels)]["id"], labels[(n * 7) % len(labels)]["id"]]
        checklist_ids = []
        if n % 2 == 0:
            checklist_id = next(oid)
            checklist_ids.append(checklist_id)
            checklists.append(
                {
                    "id": checklist_id,
                    "idCard": card_id,
                    "idBoard": board_id,
                    "name": "Checklist",
                    "pos": 16384,
                    "checkItems": [
                        {
                            "id": next(oid),
                            "name": f"item {k} of card {n}",
                            "state": "complete" if k < 2 else "incomplete",
                            "pos": 16384 * (k + 1),
                            "idChecklist": checklist_id,
                        }
                        for k in range(4)
                    ],
                }
            )
        out_cards.append(
            {
                "id": card_id,
                "name": f"Card {n}: Trello import benchmark — thẻ số {n}",
                "desc": f"Description of card {n}.\n\n- a point\n- another point" if n % 4 == 0 else "",
                "idList": lists[n % LISTS]["id"],
                "idBoard": board_id,
                "pos": 16384 * (n // LISTS + 1),
                "closed": n % 50 == 0,
                "due": due,
                "dueComplete": bool(due) and n % 2 == 0,
                "idLabels": list(dict.fromkeys(card_labels)),
                "idMembers": [members[n % 3]["id"]],
                "idChecklists": checklist_ids,
                "badges": {},
                "attachments": [],
            }
        )
        member = members[n % 3]
        actions.append(
            {
                "id": next(oid),
                "idMemberCreator": member["id"],
                "type": "commentCard",
                "date": (start + timedelta(minutes=n)).isoformat().replace("+00:00", ".000Z"),
                "data": {"text": f"comment on card {n}", "card": {"id": card_id, "name": f"Card {n}"}},
                "memberCreator": {k: member[k] for k in ("id", "username", "fullName")},
            }
        )
    actions.reverse()  # Trello lists actions newest first
    board = {
        "id": board_id,
        "name": f"Bench import {cards}",
        "desc": "",
        "closed": False,
        "lists": lists,
        "cards": out_cards,
        "labels": labels,
        "checklists": checklists,
        "actions": actions,
        "members": members,
    }
    return json.dumps(board, ensure_ascii=False).encode()


def drop_bench_projects() -> None:
    from apps.kanban.models import Project, Task

    stale = Project.objects.filter(key=PROJECT_KEY, name="bench import")
    Task.objects.filter(project__in=stale).delete()
    stale.delete()


def maxrss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def main() -> int:
    cards = int(lib.knob("import_cards", 5000))
    sample = int(lib.knob("import_sample", SAMPLE))
    setup_django()
    from apps.kanban.models import Project, Task
    from apps.kanban.services import boards, projects, tasks, trello_import

    drop_bench_projects()
    owner = uuid.uuid4()
    project = projects.project_create(user_id=owner, name="bench import", key=PROJECT_KEY).project
    print(f"import: generating a Trello export of {cards} cards ...", flush=True)
    raw = generate(cards)
    size_mib = len(raw) / 2**20

    def run(label: str) -> tuple[float, Any]:
        row = trello_import.import_create(user_id=owner, project_id=project.id, filename=f"{label}.json", size=len(raw))
        started = time.perf_counter()
        row = trello_import.run_import(row.id, raw=raw)
        elapsed = time.perf_counter() - started
        if row.status != "done" or row.counts.get("tasks") != cards:
            raise lib.BenchError(f"the import ended {row.status}: {row.error or row.counts}")
        return elapsed, row

    rss_before = maxrss_mib()
    plain, row = run("plain")
    rss_growth = maxrss_mib() - rss_before
    tracemalloc.start()
    traced, _ = run("traced")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"import: counts {row.counts}; {len(row.warnings)} warnings", flush=True)

    # Baseline: the write path's task_create, one task at a time, for SAMPLE cards.
    board = boards.board_create(user_id=owner, project_id=project.id, name="one by one")
    column = boards.column_create(user_id=owner, board_id=board.id, name="Column")
    started = time.perf_counter()
    for n in range(sample):
        tasks.task_create(user_id=owner, board_id=board.id, column_id=column.id, title=f"Card {n}")
    one_by_one = (time.perf_counter() - started) / sample * cards
    assert Task.objects.filter(board=board).count() == sample
    ratio = one_by_one / plain if plain else 0.0
    numbers = Project.objects.get(id=project.id).next_number
    # ``<baseline>; <ours>; ...`` as the summary table reads them.
    figures = (
        f"one-by-one={one_by_one:.1f}s (task_create x {sample} measured, extrapolated to {cards}); "
        f"import={plain:.2f}s ({cards} cards, {cards / plain:.0f} cards/s, {size_mib:.1f} MiB file, "
        f"{row.counts['checklist_items']} checklist items, {row.counts['comments']} comments); "
        f"{traced:.2f}s under tracemalloc, peak Python memory {peak / 2**20:.1f} MiB (tracemalloc), "
        f"max RSS growth {rss_growth:.1f} MiB; next_number {numbers};"
    )
    print(lib.bench_line("import", figures, ratio, TARGET), flush=True)
    drop_bench_projects()
    return 0 if ratio >= TARGET else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except lib.BenchError as exc:
        print(f"import: error: {exc}", file=sys.stderr)
        sys.exit(2)
