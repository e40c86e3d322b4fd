"""Kanban REST API, projects part: projects, members, invitations, boards, columns and labels.

Thin views: input serializers validate, services check roles and write, selectors read. Every id a
caller is not a member for answers 404 exactly like a missing one (see ``services.access``).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from apps.kanban import selectors
from apps.kanban.api import serializers_projects as s
from apps.kanban.api.permissions import KanbanApiView, caller_id
from apps.kanban.api.views_tasks import BoardReadApi
from apps.kanban.models import Board, Column, Label, Membership, Project, Role
from apps.kanban.services import boards, projects
from apps.kanban.services.access import project_access
from apps.kanban.services.people import display_names
from gau.api.pagination import CursorPagination
from gau.api.schema import errors


class OldestFirst(CursorPagination):
    ordering = "created_at"


class MembersOldestFirst(CursorPagination):
    ordering = "joined_at"


def _page(view: KanbanApiView, request: Request, qs: QuerySet[Any], paginator: CursorPagination) -> list[Any]:
    return list(paginator.paginate_queryset(qs, request, view=view) or [])


def project_out(project: Project, role: str) -> dict[str, Any]:
    return {
        "id": project.id,
        "name": project.name,
        "key": project.key,
        "description": project.description,
        "default_reminders": project.default_reminders or [],
        "role": role,
        "created_at": project.created_at,
        "updated_at": project.updated_at,
    }


def board_out(board: Board) -> dict[str, Any]:
    return {
        "id": board.id,
        "project_id": board.project_id,
        "name": board.name,
        "created_at": board.created_at,
        "updated_at": board.updated_at,
    }


def column_out(column: Column) -> dict[str, Any]:
    return {
        "id": column.id,
        "board_id": column.board_id,
        "name": column.name,
        "position": column.position,
        "wip_limit": column.wip_limit,
        "is_done": column.is_done,
        "created_at": column.created_at,
        "updated_at": column.updated_at,
    }


def label_out(label: Label) -> dict[str, Any]:
    return {
        "id": label.id,
        "board_id": label.board_id,
        "name": label.name,
        "color": label.color,
        "created_at": label.created_at,
    }


def _valid(serializer: Any, data: Any) -> dict[str, Any]:
    form = serializer(data=data)
    form.is_valid(raise_exception=True)
    return dict(form.validated_data)


# --- projects -------------------------------------------------------------------------------------


class ProjectListCreateApi(KanbanApiView):
    """The caller's projects (newest first, with the caller's role), or create one (the caller owns it)."""

    pagination_class = CursorPagination  # documents the list as the paginated envelope it answers

    @extend_schema(operation_id="kanban_projects_list", responses={200: s.ProjectOutput(many=True), **errors(401, 403)})
    def get(self, request: Request) -> Response:
        paginator = CursorPagination()
        page = _page(self, request, selectors.project_list_for_user(user_id=caller_id(request)), paginator)
        return paginator.get_paginated_response([s.ProjectOutput(project_out(p, p.role)).data for p in page])

    @extend_schema(
        operation_id="kanban_projects_create",
        request=s.ProjectCreateInput,
        responses={201: s.ProjectOutput, **errors(400, 401, 403)},
    )
    def post(self, request: Request) -> Response:
        data = _valid(s.ProjectCreateInput, request.data)
        access = projects.project_create(user_id=caller_id(request), **data)
        return Response(s.ProjectOutput(project_out(access.project, access.role)).data, status=status.HTTP_201_CREATED)


class ProjectDetailApi(KanbanApiView):
    """One project: read (any member), edit (admin), delete with everything in it (owner)."""

    @extend_schema(operation_id="kanban_projects_retrieve", responses={200: s.ProjectOutput, **errors(401, 403, 404)})
    def get(self, request: Request, project_id: uuid.UUID) -> Response:
        access = project_access(project_id=project_id, user_id=caller_id(request))
        return Response(s.ProjectOutput(project_out(access.project, access.role)).data)

    @extend_schema(
        operation_id="kanban_projects_partial_update",
        request=s.ProjectUpdateInput,
        responses={200: s.ProjectOutput, **errors(400, 401, 403, 404)},
    )
    def patch(self, request: Request, project_id: uuid.UUID) -> Response:
        data = _valid(s.ProjectUpdateInput, request.data)
        access = projects.project_update(user_id=caller_id(request), project_id=project_id, fields=data)
        return Response(s.ProjectOutput(project_out(access.project, access.role)).data)

    @extend_schema(operation_id="kanban_projects_destroy", responses={204: None, **errors(401, 403, 404)})
    def delete(self, request: Request, project_id: uuid.UUID) -> Response:
        projects.project_delete(user_id=caller_id(request), project_id=project_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- members and invitations ------------------------------------------------------------------------


def member_out(membership: Membership, names: dict[uuid.UUID, str]) -> dict[str, Any]:
    return {
        "user_id": membership.user_id,
        "display_name": names.get(membership.user_id, ""),
        "role": membership.role,
        "joined_at": membership.joined_at,
    }


class MemberListApi(KanbanApiView):
    """The project's members, oldest first, with display names (one batched account call per page)."""

    pagination_class = CursorPagination  # documents the list as the paginated envelope it answers

    @extend_schema(
        operation_id="kanban_members_list", responses={200: s.MemberOutput(many=True), **errors(401, 403, 404)}
    )
    def get(self, request: Request, project_id: uuid.UUID) -> Response:
        project_access(project_id=project_id, user_id=caller_id(request))
        paginator = MembersOldestFirst()
        page = _page(self, request, selectors.membership_list(project_id=project_id), paginator)
        names = display_names(m.user_id for m in page)
        return paginator.get_paginated_response([s.MemberOutput(member_out(m, names)).data for m in page])


class MemberDetailApi(KanbanApiView):
    """Change a member's role (admins; owners for anything touching owner), or remove one / leave."""

    @extend_schema(
        operation_id="kanban_members_partial_update",
        request=s.MemberUpdateInput,
        responses={200: s.MemberOutput, **errors(400, 401, 403, 404, 409)},
    )
    def patch(self, request: Request, project_id: uuid.UUID, user_id: uuid.UUID) -> Response:
        data = _valid(s.MemberUpdateInput, request.data)
        membership = projects.member_update_role(
            actor_id=caller_id(request), project_id=project_id, user_id=user_id, role=str(data["role"])
        )
        names = display_names([membership.user_id])
        return Response(s.MemberOutput(member_out(membership, names)).data)

    @extend_schema(operation_id="kanban_members_destroy", responses={204: None, **errors(401, 403, 404, 409)})
    def delete(self, request: Request, project_id: uuid.UUID, user_id: uuid.UUID) -> Response:
        projects.member_remove(actor_id=caller_id(request), project_id=project_id, user_id=user_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class InvitationCreateApi(KanbanApiView):
    """Invite an email address (admins): 202 whatever the address; the link goes by email."""

    @extend_schema(
        operation_id="kanban_invitations_create",
        request=s.InvitationCreateInput,
        responses={202: None, **errors(400, 401, 403, 404, 429)},
    )
    def post(self, request: Request, project_id: uuid.UUID) -> Response:
        data = _valid(s.InvitationCreateInput, request.data)
        projects.invitation_create(
            actor_id=caller_id(request), project_id=project_id, email=str(data["email"]), role=str(data["role"])
        )
        return Response(status=status.HTTP_202_ACCEPTED)


class InvitationAcceptApi(KanbanApiView):
    """Accept an invitation addressed to the caller's verified email; 400 for any invalid token."""

    @extend_schema(
        operation_id="kanban_invitations_accept",
        request=s.InvitationAcceptInput,
        responses={200: s.InvitationAcceptOutput, **errors(400, 401, 403)},
    )
    def post(self, request: Request) -> Response:
        data = _valid(s.InvitationAcceptInput, request.data)
        membership = projects.invitation_accept(user_id=caller_id(request), token=str(data["token"]))
        return Response(s.InvitationAcceptOutput({"project_id": membership.project_id, "role": membership.role}).data)


# --- boards -----------------------------------------------------------------------------------------


class BoardListCreateApi(KanbanApiView):
    """The project's boards, oldest first (members), or create one (admins)."""

    pagination_class = CursorPagination  # documents the list as the paginated envelope it answers

    @extend_schema(
        operation_id="kanban_boards_list", responses={200: s.BoardOutput(many=True), **errors(401, 403, 404)}
    )
    def get(self, request: Request, project_id: uuid.UUID) -> Response:
        project_access(project_id=project_id, user_id=caller_id(request))
        paginator = OldestFirst()
        page = _page(self, request, selectors.board_list(project_id=project_id), paginator)
        return paginator.get_paginated_response([s.BoardOutput(board_out(b)).data for b in page])

    @extend_schema(
        operation_id="kanban_boards_create",
        request=s.BoardInput,
        responses={201: s.BoardOutput, **errors(400, 401, 403, 404)},
    )
    def post(self, request: Request, project_id: uuid.UUID) -> Response:
        data = _valid(s.BoardInput, request.data)
        board = boards.board_create(user_id=caller_id(request), project_id=project_id, name=str(data["name"]))
        return Response(s.BoardOutput(board_out(board)).data, status=status.HTTP_201_CREATED)


class BoardDetailApi(BoardReadApi):
    """``boards/{id}``: the whole-board read (GET, from :class:`BoardReadApi`), rename or delete (admins)."""

    @extend_schema(
        operation_id="kanban_boards_partial_update",
        request=s.BoardInput,
        responses={200: s.BoardOutput, **errors(400, 401, 403, 404)},
    )
    def patch(self, request: Request, board_id: uuid.UUID) -> Response:
        data = _valid(s.BoardInput, request.data)
        board = boards.board_update(user_id=caller_id(request), board_id=board_id, name=str(data["name"]))
        return Response(s.BoardOutput(board_out(board)).data)

    @extend_schema(operation_id="kanban_boards_destroy", responses={204: None, **errors(401, 403, 404)})
    def delete(self, request: Request, board_id: uuid.UUID) -> Response:
        boards.board_delete(user_id=caller_id(request), board_id=board_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- columns ----------------------------------------------------------------------------------------


class ColumnCreateApi(KanbanApiView):
    """Add a column (admins): last by default, or before/after a sibling."""

    @extend_schema(
        operation_id="kanban_columns_create",
        request=s.ColumnCreateInput,
        responses={201: s.ColumnOutput, **errors(400, 401, 403, 404)},
    )
    def post(self, request: Request, board_id: uuid.UUID) -> Response:
        data = _valid(s.ColumnCreateInput, request.data)
        column = boards.column_create(user_id=caller_id(request), board_id=board_id, **data)
        return Response(s.ColumnOutput(column_out(column)).data, status=status.HTTP_201_CREATED)


class ColumnDetailApi(KanbanApiView):
    """Edit or move a column, or delete it (409 while it holds tasks, unless ``move_tasks_to``)."""

    @extend_schema(
        operation_id="kanban_columns_partial_update",
        request=s.ColumnUpdateInput,
        responses={200: s.ColumnOutput, **errors(400, 401, 403, 404)},
    )
    def patch(self, request: Request, column_id: uuid.UUID) -> Response:
        data = _valid(s.ColumnUpdateInput, request.data)
        column = boards.column_update(user_id=caller_id(request), column_id=column_id, fields=data)
        return Response(s.ColumnOutput(column_out(column)).data)

    @extend_schema(
        operation_id="kanban_columns_destroy",
        parameters=[s.ColumnDeleteQuery],
        responses={204: None, **errors(400, 401, 403, 404, 409)},
    )
    def delete(self, request: Request, column_id: uuid.UUID) -> Response:
        query = _valid(s.ColumnDeleteQuery, request.query_params)
        boards.column_delete(user_id=caller_id(request), column_id=column_id, move_tasks_to=query.get("move_tasks_to"))
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- labels -----------------------------------------------------------------------------------------


class LabelListCreateApi(KanbanApiView):
    """The board's labels, oldest first (members), or create one (admins)."""

    pagination_class = CursorPagination  # documents the list as the paginated envelope it answers

    @extend_schema(
        operation_id="kanban_labels_list", responses={200: s.LabelOutput(many=True), **errors(401, 403, 404)}
    )
    def get(self, request: Request, board_id: uuid.UUID) -> Response:
        boards.board_access(board_id=board_id, user_id=caller_id(request), role=Role.VIEWER)
        paginator = OldestFirst()
        page = _page(self, request, selectors.label_list(board_id=board_id), paginator)
        return paginator.get_paginated_response([s.LabelOutput(label_out(label)).data for label in page])

    @extend_schema(
        operation_id="kanban_labels_create",
        request=s.LabelCreateInput,
        responses={201: s.LabelOutput, **errors(400, 401, 403, 404)},
    )
    def post(self, request: Request, board_id: uuid.UUID) -> Response:
        data = _valid(s.LabelCreateInput, request.data)
        label = boards.label_create(
            user_id=caller_id(request), board_id=board_id, name=str(data["name"]), color=str(data["color"])
        )
        return Response(s.LabelOutput(label_out(label)).data, status=status.HTTP_201_CREATED)


class LabelDetailApi(KanbanApiView):
    """Edit or delete a label (admins)."""

    @extend_schema(
        operation_id="kanban_labels_partial_update",
        request=s.LabelUpdateInput,
        responses={200: s.LabelOutput, **errors(400, 401, 403, 404)},
    )
    def patch(self, request: Request, label_id: uuid.UUID) -> Response:
        data = _valid(s.LabelUpdateInput, request.data)
        label = boards.label_update(user_id=caller_id(request), label_id=label_id, fields=data)
        return Response(s.LabelOutput(label_out(label)).data)

    @extend_schema(operation_id="kanban_labels_destroy", responses={204: None, **errors(401, 403, 404)})
    def delete(self, request: Request, label_id: uuid.UUID) -> Response:
        boards.label_delete(user_id=caller_id(request), label_id=label_id)
        return Response(status=status.HTTP_204_NO_CONTENT)
