"""Kanban REST API, task part: the board read, tasks, checklists, comments, attachments and activity.

Thin views: validate input, call one service or selector, shape the output. Role checks and the 404 rule
for non-members live in the services (``apps.kanban.services.access``).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from apps.kanban import selectors
from apps.kanban.api.permissions import KanbanApiView, caller_id
from apps.kanban.api.serializers_tasks import (
    ActivityOutputSerializer,
    AttachmentInputSerializer,
    AttachmentOutputSerializer,
    BoardReadOutputSerializer,
    ChecklistCreateInputSerializer,
    ChecklistItemOutputSerializer,
    ChecklistUpdateInputSerializer,
    CommentInputSerializer,
    CommentOutputSerializer,
    TaskCreateInputSerializer,
    TaskListItemOutputSerializer,
    TaskListQuerySerializer,
    TaskMoveInputSerializer,
    TaskOutputSerializer,
    TaskUpdateInputSerializer,
)
from apps.kanban.models import Activity, ChecklistItem, Comment, Task
from apps.kanban.services import attachments, checklist, comments, people, tasks
from apps.kanban.services.tasks import Placement
from gau.api.pagination import CursorPagination
from gau.api.schema import errors

IF_MATCH = OpenApiParameter(
    "If-Match",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description='The task version you last read, as sent in its ETag (`"3"`). Older: 412, nothing changes.',
)
PAGE = [
    OpenApiParameter("cursor", str, required=False, description="Opaque cursor from a previous page's next/previous."),
    OpenApiParameter("page_size", int, required=False, description="Items per page (at most 200)."),
]
IF_NONE_MATCH = OpenApiParameter(
    "If-None-Match", str, OpenApiParameter.HEADER, required=False, description="The board's last ETag: 304 if same."
)


class _Pages(CursorPagination):
    def __init__(self, ordering: str) -> None:
        self.ordering = ordering


def _paginate(view: KanbanApiView, request: Request, qs: QuerySet[Any], ordering: str) -> tuple[_Pages, list[Any]]:
    paginator = _Pages(ordering)
    page = paginator.paginate_queryset(qs, request, view=view) or []
    return paginator, list(page)


#: What an unparsable ``If-Match`` stands for: a version no task has, so the write answers 412.
NO_VERSION = -1


def _if_match(request: Request) -> int | None:
    """The version an ``If-Match`` header names (None without one or for ``*``)."""
    raw = request.headers.get("If-Match")
    if raw is None or raw.strip() == "*":
        return None
    value = raw.strip().removeprefix("W/").strip('"')
    return int(value) if value.isdigit() else NO_VERSION


def _task_response(task: Task, *, status_code: int = 200) -> Response:
    data = selectors.task_detail(task=task)
    names = people.display_names(a["user_id"] for a in data["assignees"])
    for assignee in data["assignees"]:
        assignee["display_name"] = names[assignee["user_id"]]
    return Response(data, status=status_code, headers={"ETag": f'"{task.version}"'})


def _placement(data: dict[str, Any]) -> Placement:
    return Placement(before_id=data.get("before_id"), after_id=data.get("after_id"))


def _comment(comment: Comment) -> dict[str, Any]:
    return {
        "id": comment.id,
        "task_id": comment.task_id,
        "author_id": comment.author_id,
        "body": comment.body,
        "created_at": selectors.iso(comment.created_at),
        "edited_at": selectors.iso(comment.edited_at),
    }


def _item(item: ChecklistItem) -> dict[str, Any]:
    return {"id": item.id, "title": item.title, "done": item.done, "position": item.position}


def _activity(entry: Activity) -> dict[str, Any]:
    return {
        "id": entry.id,
        "actor_id": entry.actor_id,
        "verb": entry.verb,
        "task_id": entry.task_id,
        "data": entry.data,
        "created_at": selectors.iso(entry.created_at),
    }


def _etag_matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    wanted = etag.removeprefix("W/")
    return any(tag.strip() == "*" or tag.strip().removeprefix("W/") == wanted for tag in header.split(","))


# --- board read ---------------------------------------------------------------------------------------


class BoardReadApi(KanbanApiView):
    """``GET boards/{id}``: the whole board in one response, in a fixed number of queries."""

    @extend_schema(
        operation_id="kanban_boards_read",
        parameters=[IF_NONE_MATCH],
        responses={200: BoardReadOutputSerializer, 304: None, **errors(401, 403, 404)},
        description="Columns and tasks in board order (archived tasks left out), labels and members. "
        "Sends a weak ETag; If-None-Match with it answers 304.",
    )
    def get(self, request: Request, board_id: uuid.UUID) -> Response:
        board, _ = tasks.board_access(board_id=board_id, user_id=caller_id(request))
        etag = f'W/"{board.version}.{selectors.project_last_activity(project_id=board.project_id)}"'
        if _etag_matches(request.headers.get("If-None-Match"), etag):
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": etag})
        data = selectors.board_read(board=board)
        names = people.display_names(m["user_id"] for m in data["members"])
        for member in data["members"]:
            member["display_name"] = names[member["user_id"]]
        return Response(data, headers={"ETag": etag})


# --- tasks --------------------------------------------------------------------------------------------


class BoardTaskListCreateApi(KanbanApiView):
    """``GET/POST boards/{id}/tasks``: search the board's tasks, or create one."""

    pagination_class = CursorPagination  # documents the list as the paginated envelope it answers

    @extend_schema(
        operation_id="kanban_tasks_list",
        parameters=[TaskListQuerySerializer, *PAGE],
        responses={200: TaskListItemOutputSerializer(many=True), **errors(400, 401, 403, 404)},
        description="Tasks of the board matching every filter, by number (cursor pagination). `q` is "
        "PostgreSQL full-text search over title and description (substring match on SQLite).",
    )
    def get(self, request: Request, board_id: uuid.UUID) -> Response:
        user_id = caller_id(request)
        board, _ = tasks.board_access(board_id=board_id, user_id=user_id)
        query = TaskListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        f = query.validated_data
        assignee = f.get("assignee")
        qs = selectors.task_list(
            board=board,
            q=f.get("q"),
            column_id=f.get("column"),
            assignee=user_id if assignee == "me" else (uuid.UUID(assignee) if assignee else None),
            label_id=f.get("label"),
            priority=f.get("priority"),
            due_before=f.get("due_before"),
            due_after=f.get("due_after"),
            done=f.get("done"),
            archived=f["archived"],
        )
        paginator, page = _paginate(self, request, qs, "number")
        return paginator.get_paginated_response(selectors.task_summaries(tasks=list(page)))

    @extend_schema(
        operation_id="kanban_tasks_create",
        request=TaskCreateInputSerializer,
        responses={201: TaskOutputSerializer, **errors(400, 401, 403, 404, 409)},
        description="409 `kanban.wip_limit` when the column is at its WIP limit. Assignees must be project "
        "members and labels must be on the board (400 naming the id).",
    )
    def post(self, request: Request, board_id: uuid.UUID) -> Response:
        body = TaskCreateInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        d = body.validated_data
        task = tasks.task_create(
            user_id=caller_id(request),
            board_id=board_id,
            column_id=d["column_id"],
            title=d["title"],
            description=d["description"],
            priority=d["priority"],
            due_at=d["due_at"],
            assignee_ids=d["assignee_ids"],
            label_ids=d["label_ids"],
            reminders=d["reminders"],
            placement=_placement(d),
        )
        return _task_response(task, status_code=status.HTTP_201_CREATED)


class TaskDetailApi(KanbanApiView):
    """``GET/PATCH/DELETE tasks/{id}``."""

    @extend_schema(operation_id="kanban_tasks_read", responses={200: TaskOutputSerializer, **errors(401, 403, 404)})
    def get(self, request: Request, task_id: uuid.UUID) -> Response:
        task, _ = tasks.task_access(task_id=task_id, user_id=caller_id(request))
        return _task_response(task)

    @extend_schema(
        operation_id="kanban_tasks_update",
        parameters=[IF_MATCH],
        request=TaskUpdateInputSerializer,
        responses={200: TaskOutputSerializer, **errors(400, 401, 403, 404, 409, 412)},
        description="Partial; `null` clears a field; `archived: true` hides the task from the board. "
        "With If-Match holding an older version: 412 `kanban.stale_version`, nothing changes.",
    )
    def patch(self, request: Request, task_id: uuid.UUID) -> Response:
        body = TaskUpdateInputSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        task = tasks.task_update(
            user_id=caller_id(request),
            task_id=task_id,
            fields=dict(body.validated_data),
            if_match=_if_match(request),
        )
        return _task_response(task)

    @extend_schema(operation_id="kanban_tasks_delete", responses={204: None, **errors(401, 403, 404)})
    def delete(self, request: Request, task_id: uuid.UUID) -> Response:
        tasks.task_delete(user_id=caller_id(request), task_id=task_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TaskMoveApi(KanbanApiView):
    """``POST tasks/{id}/move``."""

    @extend_schema(
        operation_id="kanban_tasks_move",
        parameters=[IF_MATCH],
        request=TaskMoveInputSerializer,
        responses={200: TaskOutputSerializer, **errors(400, 401, 403, 404, 409, 412)},
        description="Moves the task before/after a sibling (default: last) in `column_id`; one task row is "
        "written, siblings keep their positions. 409 `kanban.wip_limit`, 412 `kanban.stale_version`.",
    )
    def post(self, request: Request, task_id: uuid.UUID) -> Response:
        body = TaskMoveInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        task = tasks.task_move(
            user_id=caller_id(request),
            task_id=task_id,
            column_id=body.validated_data["column_id"],
            placement=_placement(body.validated_data),
            if_match=_if_match(request),
        )
        return _task_response(task)


# --- checklist ----------------------------------------------------------------------------------------


class ChecklistCreateApi(KanbanApiView):
    """``POST tasks/{id}/checklist``."""

    @extend_schema(
        operation_id="kanban_checklist_create",
        request=ChecklistCreateInputSerializer,
        responses={201: ChecklistItemOutputSerializer, **errors(400, 401, 403, 404)},
    )
    def post(self, request: Request, task_id: uuid.UUID) -> Response:
        body = ChecklistCreateInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        item = checklist.checklist_item_create(
            user_id=caller_id(request),
            task_id=task_id,
            title=body.validated_data["title"],
            placement=_placement(body.validated_data),
        )
        return Response(_item(item), status=status.HTTP_201_CREATED)


class ChecklistItemApi(KanbanApiView):
    """``PATCH/DELETE checklist-items/{id}``."""

    @extend_schema(
        operation_id="kanban_checklist_update",
        request=ChecklistUpdateInputSerializer,
        responses={200: ChecklistItemOutputSerializer, **errors(400, 401, 403, 404)},
    )
    def patch(self, request: Request, item_id: uuid.UUID) -> Response:
        body = ChecklistUpdateInputSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        d = body.validated_data
        item = checklist.checklist_item_update(
            user_id=caller_id(request),
            item_id=item_id,
            fields={k: d[k] for k in ("title", "done") if k in d},
            placement=_placement(d),
        )
        return Response(_item(item))

    @extend_schema(operation_id="kanban_checklist_delete", responses={204: None, **errors(401, 403, 404)})
    def delete(self, request: Request, item_id: uuid.UUID) -> Response:
        checklist.checklist_item_delete(user_id=caller_id(request), item_id=item_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- comments -----------------------------------------------------------------------------------------


class CommentListCreateApi(KanbanApiView):
    """``GET/POST tasks/{id}/comments``."""

    pagination_class = CursorPagination  # documents the list as the paginated envelope it answers

    @extend_schema(
        operation_id="kanban_comments_list",
        parameters=PAGE,
        responses={200: CommentOutputSerializer(many=True), **errors(401, 403, 404)},
        description="Oldest first (cursor pagination).",
    )
    def get(self, request: Request, task_id: uuid.UUID) -> Response:
        task, _ = tasks.task_access(task_id=task_id, user_id=caller_id(request))
        paginator, page = _paginate(self, request, selectors.comment_list(task_id=task.id), "created_at")
        return paginator.get_paginated_response([_comment(c) for c in page])

    @extend_schema(
        operation_id="kanban_comments_create",
        request=CommentInputSerializer,
        responses={201: CommentOutputSerializer, **errors(400, 401, 403, 404)},
    )
    def post(self, request: Request, task_id: uuid.UUID) -> Response:
        body = CommentInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        comment = comments.comment_create(user_id=caller_id(request), task_id=task_id, body=body.validated_data["body"])
        return Response(_comment(comment), status=status.HTTP_201_CREATED)


class CommentDetailApi(KanbanApiView):
    """``PATCH/DELETE comments/{id}``."""

    @extend_schema(
        operation_id="kanban_comments_update",
        request=CommentInputSerializer,
        responses={200: CommentOutputSerializer, **errors(400, 401, 403, 404)},
        description="The author only.",
    )
    def patch(self, request: Request, comment_id: uuid.UUID) -> Response:
        body = CommentInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        comment = comments.comment_update(
            user_id=caller_id(request), comment_id=comment_id, body=body.validated_data["body"]
        )
        return Response(_comment(comment))

    @extend_schema(
        operation_id="kanban_comments_delete",
        responses={204: None, **errors(401, 403, 404)},
        description="The author or a project admin.",
    )
    def delete(self, request: Request, comment_id: uuid.UUID) -> Response:
        comments.comment_delete(user_id=caller_id(request), comment_id=comment_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- attachments --------------------------------------------------------------------------------------


class AttachmentListCreateApi(KanbanApiView):
    """``GET/POST tasks/{id}/attachments``."""

    @extend_schema(
        operation_id="kanban_attachments_list",
        responses={200: AttachmentOutputSerializer(many=True), **errors(401, 403, 404)},
        description="Every attachment of the task with a fresh URL; a file deleted in upload shows "
        "`removed: true` and `url: null`.",
    )
    def get(self, request: Request, task_id: uuid.UUID) -> Response:
        return Response(attachments.attachment_list_for(user_id=caller_id(request), task_id=task_id))

    @extend_schema(
        operation_id="kanban_attachments_create",
        request=AttachmentInputSerializer,
        responses={201: AttachmentOutputSerializer, **errors(400, 401, 403, 404)},
        description="Attach a file you uploaded through /api/v2/upload/files; another user's file is 404.",
    )
    def post(self, request: Request, task_id: uuid.UUID) -> Response:
        body = AttachmentInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = attachments.attachment_add(
            user_id=caller_id(request), task_id=task_id, file_id=body.validated_data["file_id"]
        )
        return Response(data, status=status.HTTP_201_CREATED)


class AttachmentDetailApi(KanbanApiView):
    """``DELETE attachments/{id}``."""

    @extend_schema(operation_id="kanban_attachments_delete", responses={204: None, **errors(401, 403, 404)})
    def delete(self, request: Request, attachment_id: uuid.UUID) -> Response:
        attachments.attachment_delete(user_id=caller_id(request), attachment_id=attachment_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- activity -----------------------------------------------------------------------------------------

_ACTIVITY_DOC = "Newest first (cursor pagination): `{id, actor_id, verb, task_id, data, created_at}`."


class BoardActivityApi(KanbanApiView):
    """``GET boards/{id}/activity``."""

    pagination_class = CursorPagination  # documents the list as the paginated envelope it answers

    @extend_schema(
        operation_id="kanban_board_activity_list",
        parameters=PAGE,
        responses={200: ActivityOutputSerializer(many=True), **errors(401, 403, 404)},
        description=_ACTIVITY_DOC,
    )
    def get(self, request: Request, board_id: uuid.UUID) -> Response:
        board, _ = tasks.board_access(board_id=board_id, user_id=caller_id(request))
        paginator, page = _paginate(self, request, selectors.activity_for_board(board_id=board.id), "-id")
        return paginator.get_paginated_response([_activity(a) for a in page])


class TaskActivityApi(KanbanApiView):
    """``GET tasks/{id}/activity``."""

    pagination_class = CursorPagination  # documents the list as the paginated envelope it answers

    @extend_schema(
        operation_id="kanban_task_activity_list",
        parameters=PAGE,
        responses={200: ActivityOutputSerializer(many=True), **errors(401, 403, 404)},
        description=_ACTIVITY_DOC,
    )
    def get(self, request: Request, task_id: uuid.UUID) -> Response:
        task, _ = tasks.task_access(task_id=task_id, user_id=caller_id(request))
        paginator, page = _paginate(self, request, selectors.activity_for_task(task_id=task.id), "-id")
        return paginator.get_paginated_response([_activity(a) for a in page])
