"""Board export: Trello-shaped JSON (our importer takes it back) and CSV (one row per task).

Both include archived tasks (``closed: true`` / ``archived`` column). The JSON is a Trello board export in
shape (``lists``, ``cards``, ``labels``, ``checklists``, ``actions`` of type ``commentCard``, ``members``)
plus the ``gau*`` fields of :mod:`trello_format` for what Trello has no field for (exact label colour,
done columns, priority, reminders). WIP limits travel in Trello's own ``softLimit``. Each task's checklist
is one Trello checklist named "Checklist". Members are the project's members with ``username`` = their
email's local part and ``fullName`` = display name, which is exactly what the importer matches on, so a
comment or assignee comes back to the same person when imported into a project they belong to.

CSV cells starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return get a leading ``'`` so a
spreadsheet shows them as text instead of running them as formulas (CSV injection).
"""

from __future__ import annotations

import csv
import io
import uuid
from collections import defaultdict
from typing import Any

from apps.account.services import AccountService, account_service
from apps.kanban import selectors
from apps.kanban.models import (
    Board,
    ChecklistItem,
    Column,
    Comment,
    Label,
    Membership,
    Role,
    Task,
    TaskAssignee,
    TaskLabel,
)
from apps.kanban.services.tasks import board_access
from apps.kanban.services.trello_format import COLOR_NAMES

#: Trello's spacing of ``pos`` values.
POS_STEP = 16384
#: Cell prefixes a spreadsheet would evaluate.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CSV_HEADER = [
    "number",
    "title",
    "column",
    "archived",
    "description",
    "priority",
    "due_at",
    "completed_at",
    "labels",
    "assignees",
    "checklist_done",
    "checklist_total",
    "comments",
    "created_at",
    "updated_at",
]


def _users(user_ids: set[uuid.UUID]) -> dict[uuid.UUID, dict[str, str]]:
    """``{id: {username, fullName}}`` with one batched account call per 1,000 ids."""
    wanted = sorted(user_ids)
    found: dict[uuid.UUID, dict[str, str]] = {}
    for start in range(0, len(wanted), AccountService.MAX_BATCH):
        for user in account_service.get_users(user_ids=wanted[start : start + AccountService.MAX_BATCH]):
            found[user.id] = {"username": user.email.split("@", 1)[0], "fullName": user.display_name}
    return found


def _board_rows(board: Board) -> dict[str, Any]:
    """Every row of the board in board order (columns by position, tasks by column then position)."""
    columns = list(Column.objects.filter(board_id=board.id).order_by("position"))
    rank = {c.id: i for i, c in enumerate(columns)}
    tasks = sorted(
        Task.objects.filter(board_id=board.id).order_by("position"), key=lambda t: (rank[t.column_id], t.position)
    )
    labels = list(Label.objects.filter(board_id=board.id).order_by("created_at", "id"))
    labels_of: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for task_id, label_id in (
        TaskLabel.objects.filter(task__board_id=board.id).order_by("id").values_list("task_id", "label_id")
    ):
        labels_of[task_id].append(label_id)
    assignees_of: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for task_id, user_id in (
        TaskAssignee.objects.filter(task__board_id=board.id).order_by("id").values_list("task_id", "user_id")
    ):
        assignees_of[task_id].append(user_id)
    items_of: dict[uuid.UUID, list[ChecklistItem]] = defaultdict(list)
    for item in ChecklistItem.objects.filter(task__board_id=board.id).order_by("task_id", "position"):
        items_of[item.task_id].append(item)
    comments_of: dict[uuid.UUID, list[Comment]] = defaultdict(list)
    for comment in Comment.objects.filter(task__board_id=board.id).order_by("created_at", "id"):
        comments_of[comment.task_id].append(comment)
    return {
        "columns": columns,
        "tasks": tasks,
        "labels": labels,
        "labels_of": labels_of,
        "assignees_of": assignees_of,
        "items_of": items_of,
        "comments_of": comments_of,
    }


def board_export_json(*, user_id: uuid.UUID, board_id: uuid.UUID) -> dict[str, Any]:
    """The board as a Trello board export (viewers and up; 404 for strangers)."""
    board, access = board_access(board_id=board_id, user_id=user_id, role=Role.VIEWER)
    rows = _board_rows(board)
    member_ids = set(Membership.objects.filter(project_id=board.project_id).values_list("user_id", flat=True))
    authors = {c.author_id for cs in rows["comments_of"].values() for c in cs if c.author_id}
    users = _users(member_ids | authors)
    columns: list[Column] = rows["columns"]
    tasks: list[Task] = rows["tasks"]
    lists = [
        {
            "id": str(c.id),
            "name": c.name,
            "closed": False,
            "pos": (i + 1) * POS_STEP,
            "softLimit": c.wip_limit,
            "gauIsDone": c.is_done,
        }
        for i, c in enumerate(columns)
    ]
    labels = [
        {"id": str(lab.id), "name": lab.name, "color": COLOR_NAMES.get(lab.color), "gauColor": lab.color}
        for lab in rows["labels"]
    ]
    cards: list[dict[str, Any]] = []
    checklists: list[dict[str, Any]] = []
    actions: list[dict[str, Any]] = []
    pos_in_column: dict[uuid.UUID, int] = defaultdict(int)
    for task in tasks:
        pos_in_column[task.column_id] += POS_STEP
        cards.append(
            {
                "id": str(task.id),
                "idShort": task.number,
                "name": task.title,
                "desc": task.description,
                "idList": str(task.column_id),
                "pos": pos_in_column[task.column_id],
                "closed": task.archived,
                "due": selectors.iso(task.due_at),
                "dueComplete": task.due_at is not None and task.reminders == [],
                "idLabels": [str(x) for x in rows["labels_of"].get(task.id, [])],
                "idMembers": [str(x) for x in rows["assignees_of"].get(task.id, [])],
                "gauPriority": task.priority,
                "gauReminders": task.reminders,
                "gauNumber": selectors.task_number(access.project.key, task.number),
            }
        )
        items = rows["items_of"].get(task.id, [])
        if items:
            checklists.append(
                {
                    "id": f"checklist-{task.id}",
                    "idCard": str(task.id),
                    "name": "Checklist",
                    "pos": POS_STEP,
                    "checkItems": [
                        {
                            "id": str(item.id),
                            "name": item.title,
                            "state": "complete" if item.done else "incomplete",
                            "pos": (n + 1) * POS_STEP,
                        }
                        for n, item in enumerate(items)
                    ],
                }
            )
        for comment in rows["comments_of"].get(task.id, []):
            author = users.get(comment.author_id) if comment.author_id else None
            actions.append(
                {
                    "id": str(comment.id),
                    "type": "commentCard",
                    "date": selectors.iso(comment.created_at),
                    "idMemberCreator": str(comment.author_id) if comment.author_id else None,
                    "memberCreator": {"id": str(comment.author_id), **author} if author and comment.author_id else None,
                    "data": {"text": comment.body, "card": {"id": str(task.id), "name": task.title}},
                }
            )
    actions.sort(key=lambda a: str(a["date"]), reverse=True)  # Trello lists actions newest first
    return {
        "id": str(board.id),
        "name": board.name,
        "desc": "",
        "closed": False,
        "lists": lists,
        "cards": cards,
        "labels": labels,
        "checklists": checklists,
        "actions": actions,
        "members": [{"id": str(uid), **users[uid]} for uid in sorted(member_ids) if uid in users],
        "gauExport": {"version": 1, "project_key": access.project.key},
    }


def safe_cell(value: Any) -> str:
    """A CSV cell that a spreadsheet shows as text, never evaluates (prefixes risky starts with ``'``)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def board_export_csv(*, user_id: uuid.UUID, board_id: uuid.UUID) -> str:
    """The board's tasks as CSV, one row per task in board order, archived ones included (viewers and up)."""
    board, access = board_access(board_id=board_id, user_id=user_id, role=Role.VIEWER)
    rows = _board_rows(board)
    assignee_ids = {u for us in rows["assignees_of"].values() for u in us}
    users = _users(assignee_ids)
    column_name = {c.id: c.name for c in rows["columns"]}
    label_name = {lab.id: lab.name for lab in rows["labels"]}
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for task in rows["tasks"]:
        items = rows["items_of"].get(task.id, [])
        writer.writerow(
            [
                safe_cell(v)
                for v in (
                    selectors.task_number(access.project.key, task.number),
                    task.title,
                    column_name[task.column_id],
                    "yes" if task.archived else "no",
                    task.description,
                    task.priority,
                    selectors.iso(task.due_at),
                    selectors.iso(task.completed_at),
                    ", ".join(label_name[x] for x in rows["labels_of"].get(task.id, [])),
                    ", ".join(
                        (users[u]["fullName"] or users[u]["username"]) if u in users else "Deleted user"
                        for u in rows["assignees_of"].get(task.id, [])
                    ),
                    sum(1 for i in items if i.done),
                    len(items),
                    len(rows["comments_of"].get(task.id, [])),
                    selectors.iso(task.created_at),
                    selectors.iso(task.updated_at),
                )
            ]
        )
    return out.getvalue()
