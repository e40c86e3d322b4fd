"""Admin registrations for the kanban app: browse and search, never edit.

Every kanban change goes through the services' one write path (roles, activity, versions, events); the
admin would bypass it, so projects, boards, tasks and activity are read-only here. Change data through
the API (or a management command built on the services).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html

from apps.kanban.models import Activity, Board, BoardImport, Membership, Project, Task


class ReadOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class MembershipInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Membership
    fields = ("user", "role", "joined_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="User")
    def user(self, membership: Membership) -> str:
        """The member's user id, linked to the account admin's user page when this process serves it
        (a URL, not an import: kanban knows users only by id)."""
        try:
            url = reverse("admin:account_user_change", args=[membership.user_id])
        except NoReverseMatch:
            return str(membership.user_id)
        return format_html('<a href="{}">{}</a>', url, membership.user_id)


def _changelist_link(model: str, project: Project, label: str) -> str:
    """A link to the ``model`` changelist filtered to ``project`` (the operator's next step)."""
    url = reverse(f"admin:kanban_{model}_changelist")
    return format_html('<a href="{}?project__id__exact={}">{}</a>', url, project.pk, label)


@admin.register(Project)
class ProjectAdmin(ReadOnlyAdmin):
    """Find a project by name, key, id or a member's user id (exact), then open its boards or activity."""

    list_display = ("name", "key", "created_by", "created_at", "updated_at", "boards_link", "activity_link")
    search_fields = ("name", "key", "description", "=id", "=memberships__user_id")
    search_help_text = "Name, key or description; or an exact project id or member user id."
    list_filter = ("created_at",)
    date_hierarchy = "created_at"
    fields = ("name", "key", "description", "created_by", "created_at", "updated_at", "boards_link", "activity_link")
    readonly_fields = fields
    inlines = [MembershipInline]

    @admin.display(description="Boards")
    def boards_link(self, project: Project) -> str:
        return _changelist_link("board", project, "Boards")

    @admin.display(description="Activity")
    def activity_link(self, project: Project) -> str:
        return _changelist_link("activity", project, "Activity")


@admin.register(Board)
class BoardAdmin(ReadOnlyAdmin):
    list_display = ("name", "project", "version", "created_at", "updated_at")
    list_select_related = ("project",)
    search_fields = ("name", "project__name", "project__key", "=id", "=project__id")
    list_filter = ("created_at", "updated_at")


@admin.register(Task)
class TaskAdmin(ReadOnlyAdmin):
    list_display = ("title", "number", "project", "board", "column", "priority", "due_at", "archived", "updated_at")
    list_select_related = ("project", "board", "column")
    search_fields = ("title", "description", "project__key", "board__name", "=id")
    list_filter = ("priority", "archived", "due_at", "created_at")
    raw_id_fields = ("project", "board", "column")


@admin.register(Activity)
class ActivityAdmin(ReadOnlyAdmin):
    list_display = ("id", "verb", "project", "board_id", "task_id", "actor_id", "created_at")
    list_select_related = ("project",)
    search_fields = ("verb", "project__name", "project__key", "=project__id", "=board_id", "=task_id", "=actor_id")
    search_help_text = "A verb, a project name or key; or an exact project, board, task or actor id."
    list_filter = ("verb", "created_at")


@admin.register(BoardImport)
class BoardImportAdmin(ReadOnlyAdmin):
    list_display = ("id", "source", "project", "status", "progress", "filename", "size", "created_at", "finished_at")
    list_select_related = ("project",)
    search_fields = ("filename", "project__name", "=id", "=board_id", "=created_by")
    list_filter = ("status", "source", "created_at")
