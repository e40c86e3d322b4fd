"""Data owned by the kanban app. No ForeignKey to another app's models: store ids.

Ordering: ``position`` fields hold opaque fractional-index keys over the alphabet ``0-9a-z`` only, which
sorts the same under PostgreSQL's C and locale collations and SQLite's BINARY, so ``ORDER BY position``
is board order everywhere. A unique constraint per container keeps concurrent inserts honest.

Numbers: ``Project.next_number`` is the per-project counter, advanced with one ``UPDATE … RETURNING``
inside the task create's transaction; ``(project, number)`` is unique, and numbers are never reused.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone


class Role(models.TextChoices):
    """Project roles; each includes the rights of the ones below it."""

    VIEWER = "viewer", "Viewer"
    MEMBER = "member", "Member"
    ADMIN = "admin", "Admin"
    OWNER = "owner", "Owner"


#: Rank of each role, for "at least" comparisons.
ROLE_RANK: dict[str, int] = {Role.VIEWER: 0, Role.MEMBER: 1, Role.ADMIN: 2, Role.OWNER: 3}


class Priority(models.TextChoices):
    NONE = "none", "None"
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    URGENT = "urgent", "Urgent"


class Project(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200)
    key = models.CharField(max_length=10, default="TASK")
    description = models.TextField(blank=True, default="")
    #: The next task number to hand out (see module docstring).
    next_number = models.PositiveIntegerField(default=1)
    #: Reminder offsets (minutes before ``due_at``) new tasks get by default.
    default_reminders = models.JSONField(default=list, blank=True)
    created_by = models.UUIDField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["-created_at"], name="kanban_project_created")]

    def __str__(self) -> str:
        return f"{self.name} ({self.key})"


class Membership(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="memberships")
    user_id = models.UUIDField()
    role = models.CharField(max_length=8, choices=Role.choices)
    joined_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["project", "user_id"], name="kanban_membership_unique")]
        indexes = [models.Index(fields=["user_id", "-joined_at"], name="kanban_membership_user")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.role} of {self.project_id}"


class Invitation(models.Model):
    """A single-use invitation by email; only the SHA-256 of its token is stored."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(max_length=254)
    role = models.CharField(max_length=8, choices=Role.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.UUIDField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.UUIDField(null=True, blank=True)

    def __str__(self) -> str:
        return f"invitation to {self.project_id} ({self.role})"


class Board(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="boards")
    name = models.CharField(max_length=200)
    #: Bumped by every change to the board or anything on it: the board read's ETag.
    version = models.PositiveBigIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["project", "created_at"], name="kanban_board_project")]

    def __str__(self) -> str:
        return self.name


class Column(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    board = models.ForeignKey(Board, on_delete=models.CASCADE, related_name="columns")
    name = models.CharField(max_length=200)
    position = models.CharField(max_length=64)
    wip_limit = models.PositiveIntegerField(null=True, blank=True)
    is_done = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["board", "position"], name="kanban_column_position_unique")]

    def __str__(self) -> str:
        return self.name


class Label(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    board = models.ForeignKey(Board, on_delete=models.CASCADE, related_name="labels")
    name = models.CharField(max_length=100)
    color = models.CharField(max_length=7)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.name


class Task(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="tasks")
    board = models.ForeignKey(Board, on_delete=models.CASCADE, related_name="tasks")
    column = models.ForeignKey(Column, on_delete=models.PROTECT, related_name="tasks")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=500)
    description = models.TextField(blank=True, default="")
    priority = models.CharField(max_length=8, choices=Priority.choices, default=Priority.NONE)
    due_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    position = models.CharField(max_length=64)
    archived = models.BooleanField(default=False)
    #: Reminder offsets in minutes before ``due_at``; ``None`` means the project's default.
    reminders = models.JSONField(null=True, blank=True)
    #: Optimistic concurrency: bumped on every write, sent as the task's ETag.
    version = models.PositiveIntegerField(default=1)
    created_by = models.UUIDField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    labels = models.ManyToManyField(Label, through="TaskLabel", related_name="tasks")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "number"], name="kanban_task_number_unique"),
            models.UniqueConstraint(fields=["column", "position"], name="kanban_task_position_unique"),
        ]
        indexes = [
            models.Index(fields=["board", "archived"], name="kanban_task_board"),
            models.Index(fields=["due_at"], name="kanban_task_due"),
        ]

    def __str__(self) -> str:
        return self.title


class TaskLabel(models.Model):
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="label_links")
    label = models.ForeignKey(Label, on_delete=models.CASCADE, related_name="task_links")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["task", "label"], name="kanban_task_label_unique")]

    def __str__(self) -> str:
        return f"{self.label_id} on {self.task_id}"


class TaskAssignee(models.Model):
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="assignees")
    user_id = models.UUIDField(db_index=True)
    assigned_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["task", "user_id"], name="kanban_task_assignee_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} on {self.task_id}"


class ChecklistItem(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="checklist")
    title = models.CharField(max_length=500)
    done = models.BooleanField(default=False)
    position = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["task", "position"], name="kanban_checklist_position_unique")]

    def __str__(self) -> str:
        return self.title


class Comment(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="comments")
    #: ``None`` once the author deleted their account (the comment stays, anonymised).
    author_id = models.UUIDField(null=True, blank=True, db_index=True)
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    edited_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["task", "created_at"], name="kanban_comment_task")]

    def __str__(self) -> str:
        return f"comment {self.id}"


class Attachment(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="attachments")
    file_id = models.UUIDField()
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=127)
    size = models.BigIntegerField()
    added_by = models.UUIDField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.filename


class Activity(models.Model):
    """One recorded change, written in the same transaction as the change itself.

    ``board_id`` and ``task_id`` are plain ids (not foreign keys) so the history of a deleted task stays.
    """

    id = models.BigAutoField(primary_key=True)
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="activity")
    board_id = models.UUIDField(null=True, blank=True)
    task_id = models.UUIDField(null=True, blank=True)
    actor_id = models.UUIDField(null=True, blank=True)
    verb = models.CharField(max_length=40)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "activity"
        indexes = [
            models.Index(fields=["board_id", "-id"], name="kanban_activity_board"),
            models.Index(fields=["task_id", "-id"], name="kanban_activity_task"),
            models.Index(fields=["project", "-id"], name="kanban_activity_project"),
        ]

    def __str__(self) -> str:
        return f"{self.verb} by {self.actor_id}"


# --- Trello import (issue 10, part C) ---------------------------------------------------------------


class ImportStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class BoardImport(models.Model):
    """One board import (a Trello JSON export) into a project, run by a Celery task.

    The uploaded file lives in default storage at ``blob_key`` until the import ends (done or failed).
    ``progress`` here is written at the start and the end only: while the import's transaction runs,
    progress goes to the cache (see ``services/trello_import.py``), since the row's update would not be
    visible until commit.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="imports")
    created_by = models.UUIDField(null=True, blank=True)
    source = models.CharField(max_length=20, default="trello")
    filename = models.CharField(max_length=255, blank=True, default="")
    size = models.BigIntegerField(default=0)
    blob_key = models.CharField(max_length=255, blank=True, default="")
    status = models.CharField(max_length=8, choices=ImportStatus.choices, default=ImportStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    #: The board created, once the import is done (a failed import leaves no board).
    board_id = models.UUIDField(null=True, blank=True)
    counts = models.JSONField(default=dict, blank=True)
    warnings = models.JSONField(default=list, blank=True)
    #: ``{"code", "message", "details"}`` when failed.
    error = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["project", "-created_at"], name="kanban_import_project")]

    def __str__(self) -> str:
        return f"{self.source} import {self.id} ({self.status})"


# --- Webhooks (issue 10) --------------------------------------------------------------------------


class Webhook(models.Model):
    """An admin's subscription of a URL to project events; the signing secret is stored encrypted."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="webhooks")
    url = models.CharField(max_length=2000)
    #: Event names (``task.created`` …) or ``["*"]``.
    events = models.JSONField(default=list)
    description = models.CharField(max_length=500, blank=True, default="")
    #: The HMAC secret as a ``gau.crypto`` Fernet token (shown to the admin once, at creation).
    secret_sealed = models.TextField()
    is_active = models.BooleanField(default=True)
    #: Start of the current run of consecutive failed attempts (None after a success).
    failing_since = models.DateTimeField(null=True, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=200, blank=True, default="")
    created_by = models.UUIDField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["project", "is_active"], name="kanban_webhook_project")]

    def __str__(self) -> str:
        return self.url


class WebhookDelivery(models.Model):
    """One event to POST to one webhook (the outbox row); ``body`` is the exact bytes signed and sent."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=40)
    body = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    #: Attempts in the current round (a redelivery starts a new round); drives the retry schedule.
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    #: When a task was last published for this row (None: nothing published; the sweeper will).
    enqueued_at = models.DateTimeField(null=True, blank=True)
    #: A worker's claim: only the holder of ``lease_token`` may finish the attempt before ``lease_until``.
    lease_token = models.UUIDField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True, default="")
    #: The W3C trace context of the change (or admin action) that queued the delivery: its attempts join
    #: that trace, also when the sweeper publishes them (gau/tracing.py). Empty with tracing off.
    traceparent = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "webhook deliveries"
        indexes = [
            models.Index(fields=["webhook", "-created_at"], name="kanban_delivery_webhook"),
            models.Index(
                fields=["next_attempt_at"],
                name="kanban_delivery_due",
                condition=models.Q(status="pending"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.webhook_id} ({self.status})"


class WebhookAttempt(models.Model):
    """One HTTP attempt of a delivery: outcome, duration and the first 2 KiB of the response."""

    id = models.BigAutoField(primary_key=True)
    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    started_at = models.DateTimeField(default=timezone.now)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    response_excerpt = models.TextField(blank=True, default="")
    error = models.CharField(max_length=500, blank=True, default="")
    succeeded = models.BooleanField(default=False)

    class Meta:
        indexes = [models.Index(fields=["delivery", "id"], name="kanban_attempt_delivery")]

    def __str__(self) -> str:
        return f"{self.delivery_id} {self.status_code or self.error}"


# =====================================================================================================
# Issue 10 — due-date reminders, watching and notifications (see README "Reminders and notifications")
# =====================================================================================================


class TaskWatch(models.Model):
    """A user watching a task (assignees get one automatically when assigned)."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="watches")
    user_id = models.UUIDField(db_index=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["task", "user_id"], name="kanban_task_watch_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} watches task {self.task_id}"


class BoardWatch(models.Model):
    """A user watching every task of a board."""

    board = models.ForeignKey(Board, on_delete=models.CASCADE, related_name="watches")
    user_id = models.UUIDField(db_index=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["board", "user_id"], name="kanban_board_watch_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} watches board {self.board_id}"


class ReminderKind(models.TextChoices):
    REMINDER = "reminder", "Reminder"
    OVERDUE = "overdue", "Overdue"


class ReminderState(models.Model):
    """One reminder (or the overdue notice) of one task for one due date: the scanner's work list.

    ``(task, due_at, kind, offset)`` is unique and a row that was sent or skipped is kept while the task
    lives, so a due date changed and changed back does not send the same reminder again.
    """

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        SENT = "sent", "Sent"
        SKIPPED = "skipped", "Skipped"

    id = models.BigAutoField(primary_key=True)
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="reminder_states")
    due_at = models.DateTimeField()
    kind = models.CharField(max_length=8, choices=ReminderKind.choices)
    #: Minutes before ``due_at`` (0 for the overdue notice).
    offset = models.PositiveIntegerField()
    fire_at = models.DateTimeField()
    state = models.CharField(max_length=8, choices=State.choices, default=State.PENDING)
    done_at = models.DateTimeField(null=True, blank=True)
    recipients = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["task", "due_at", "kind", "offset"], name="kanban_reminder_unique")
        ]
        indexes = [
            models.Index(fields=["fire_at"], name="kanban_reminder_pending", condition=models.Q(state="pending"))
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.offset} min before {self.due_at} for {self.task_id}"


class NotificationKind(models.TextChoices):
    ASSIGNED = "assigned", "Assigned"
    MENTIONED = "mentioned", "Mentioned"
    DONE = "done", "Moved to done"
    DUE = "due", "Due reminders"


class Notification(models.Model):
    """One thing a watcher should hear about; pending rows are squashed into one email per user."""

    id = models.BigAutoField(primary_key=True)
    user_id = models.UUIDField()
    kind = models.CharField(max_length=10, choices=NotificationKind.choices)
    project_id = models.UUIDField()
    task_id = models.UUIDField(null=True, blank=True)
    actor_id = models.UUIDField(null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["user_id", "created_at"], name="kanban_notification_pending", condition=models.Q(sent_at=None)
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.user_id}"


class NotificationPrefs(models.Model):
    """Which notification kinds a user wants (all on until turned off)."""

    user_id = models.UUIDField(primary_key=True)
    assigned = models.BooleanField(default=True)
    mentioned = models.BooleanField(default=True)
    done = models.BooleanField(default=True)
    due = models.BooleanField(default=True)
    updated_at = models.DateTimeField(default=timezone.now)
    #: When the last digest email went out (at most one per ``notifications.BATCH_WINDOW``).
    last_digest_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"notification prefs of {self.user_id}"
