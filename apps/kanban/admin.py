"""Admin registrations for the kanban app: browse and search, never edit.

Every kanban change goes through the services' one write path (roles, activity, versions, events); the
admin would bypass it, so everything here is read-only: projects, boards, tasks, activity, imports,
webhooks and their deliveries (with each attempt), reminder states and notifications. Change data through
the API (or a management command built on the services).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html

from apps.kanban.models import (
    Activity,
    Board,
    BoardImport,
    Membership,
    Notification,
    Project,
    ReminderState,
    Task,
    Webhook,
    WebhookAttempt,
    WebhookDelivery,
)


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


# --- Webhooks, reminders, notifications (issue 10) ---------------------------------------------------


@admin.register(Webhook)
class WebhookAdmin(ReadOnlyAdmin):
    """Subscriptions by project: why one is disabled, since when it fails. The sealed secret is never shown."""

    list_display = ("url", "project", "is_active", "failing_since", "disabled_at", "created_at")
    list_select_related = ("project",)
    search_fields = ("url", "description", "project__name", "project__key", "=id", "=project__id")
    search_help_text = "A URL, description, project name or key; or an exact webhook or project id."
    list_filter = ("is_active", "created_at", "disabled_at")
    fields = (
        "id",
        "project",
        "url",
        "events",
        "description",
        "is_active",
        "failing_since",
        "disabled_at",
        "disabled_reason",
        "created_by",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields


class WebhookAttemptInline(admin.TabularInline):  # type: ignore[type-arg]
    model = WebhookAttempt
    fields = ("started_at", "status_code", "duration_ms", "succeeded", "error", "response_excerpt")
    readonly_fields = fields
    ordering = ("id",)
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    """One event for one webhook, with every HTTP attempt (status, duration, response excerpt, error)."""

    list_display = ("id", "event", "webhook", "status", "attempts", "next_attempt_at", "created_at", "finished_at")
    list_select_related = ("webhook",)
    search_fields = ("event", "webhook__url", "=id", "=webhook__id", "=webhook__project__id")
    search_help_text = "An event name or webhook URL; or an exact delivery, webhook or project id."
    list_filter = ("status", "event", "created_at")
    fields = (
        "id",
        "webhook",
        "event",
        "status",
        "attempts",
        "next_attempt_at",
        "enqueued_at",
        "lease_until",
        "last_error",
        "created_at",
        "finished_at",
        "body",
    )
    readonly_fields = fields
    inlines = [WebhookAttemptInline]


@admin.register(ReminderState)
class ReminderStateAdmin(ReadOnlyAdmin):
    """The reminder scanner's work list: what fires when, and what was sent or skipped."""

    list_display = ("id", "task", "kind", "offset", "due_at", "fire_at", "state", "recipients", "done_at")
    list_select_related = ("task",)
    search_fields = ("=task__id", "task__title", "=task__project__id")
    search_help_text = "A task title; or an exact task or project id."
    list_filter = ("state", "kind", "fire_at")
    raw_id_fields = ("task",)


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    """Watchers' notifications; pending ones (no ``sent_at``) go out in the next digest."""

    list_display = ("id", "kind", "user_id", "project_id", "task_id", "actor_id", "created_at", "sent_at")
    search_fields = ("=user_id", "=project_id", "=task_id", "=actor_id")
    search_help_text = "An exact user, project, task or actor id."
    list_filter = ("kind", "created_at", "sent_at")
