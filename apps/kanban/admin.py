"""Admin registrations for the kanban app: browse and search, never edit.

Every kanban change goes through the services' one write path (roles, activity, versions, events); the
admin would bypass it, so projects, boards, tasks and activity are read-only here. Change data through
the API (or a management command built on the services).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

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
    fields = ("user_id", "role", "joined_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Project)
class ProjectAdmin(ReadOnlyAdmin):
    list_display = ("name", "key", "created_by", "created_at", "updated_at")
    search_fields = ("name", "key", "description", "=id")
    list_filter = ("created_at",)
    date_hierarchy = "created_at"
    inlines = [MembershipInline]


@admin.register(Board)
class BoardAdmin(ReadOnlyAdmin):
    list_display = ("name", "project", "version", "created_at", "updated_at")
    list_select_related = ("project",)
    search_fields = ("name", "project__name", "project__key", "=id")
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
    search_fields = ("verb", "project__name", "=board_id", "=task_id", "=actor_id")
    list_filter = ("verb", "created_at")


@admin.register(BoardImport)
class BoardImportAdmin(ReadOnlyAdmin):
    list_display = ("id", "source", "project", "status", "progress", "filename", "size", "created_at", "finished_at")
    list_select_related = ("project",)
    search_fields = ("filename", "project__name", "=id", "=board_id", "=created_by")
    list_filter = ("status", "source", "created_at")
