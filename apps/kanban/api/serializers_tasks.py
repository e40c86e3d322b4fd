"""Input and output shapes of the task part of the kanban API (tasks, checklists, comments, attachments,
activity and the board read). Output serializers document the shapes; views build them as plain data."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rest_framework import serializers

from apps.kanban.models import Priority
from apps.kanban.services.comments import MAX_BODY

Data = dict[str, Any]


class AwareDateTimeField(serializers.DateTimeField):
    """ISO 8601 with a UTC offset (a naive time is refused, not guessed); returned in UTC."""

    def to_internal_value(self, value: Any) -> datetime:
        if isinstance(value, str) and value.strip():
            try:
                parsed = datetime.fromisoformat(value.strip())
            except ValueError:
                parsed = None
            if parsed is not None and parsed.tzinfo is None:
                self.fail("naive")
        return super().to_internal_value(value)

    default_error_messages = {"naive": "Give the time with a UTC offset, e.g. 2026-05-01T09:00:00+02:00."}


class PlacementMixin(serializers.Serializer[Data]):
    before_id = serializers.UUIDField(required=False, allow_null=True, help_text="Place before this sibling.")
    after_id = serializers.UUIDField(required=False, allow_null=True, help_text="Place after this sibling.")

    def validate(self, attrs: Data) -> Data:
        if attrs.get("before_id") and attrs.get("after_id"):
            raise serializers.ValidationError({"before_id": ["Give before_id or after_id, not both."]})
        return attrs


# --- tasks ------------------------------------------------------------------------------------------


#: Longest reminder offset (28 days, in minutes) and most offsets per task.
MAX_REMINDER_OFFSET = 40_320
MAX_REMINDERS = 10


def ReminderOffsetsField(**kwargs: Any) -> serializers.ListField:
    """Reminder offsets in minutes before ``due_at`` (0 = at the due time), at most 10, each ≤ 28 days."""
    return serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=MAX_REMINDER_OFFSET),
        max_length=MAX_REMINDERS,
        help_text="Minutes before due_at, e.g. [1440, 60]; at most 10, each 0..40320.",
        **kwargs,
    )


class TaskCreateInputSerializer(PlacementMixin):
    column_id = serializers.UUIDField()
    title = serializers.CharField(max_length=500)
    description = serializers.CharField(required=False, allow_blank=True, default="", max_length=100_000)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False, default=Priority.NONE)
    due_at = AwareDateTimeField(required=False, allow_null=True, default=None)
    assignee_ids = serializers.ListField(child=serializers.UUIDField(), required=False, default=list, max_length=100)
    label_ids = serializers.ListField(child=serializers.UUIDField(), required=False, default=list, max_length=100)
    reminders = ReminderOffsetsField(required=False, allow_null=True, default=None)


class TaskUpdateInputSerializer(serializers.Serializer[Data]):
    """Partial: only the fields sent change; ``null`` clears a field."""

    title = serializers.CharField(max_length=500, required=False)
    description = serializers.CharField(required=False, allow_blank=True, allow_null=True, max_length=100_000)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False, allow_null=True)
    due_at = AwareDateTimeField(required=False, allow_null=True)
    archived = serializers.BooleanField(required=False, allow_null=True)
    assignee_ids = serializers.ListField(child=serializers.UUIDField(), required=False, allow_null=True, max_length=100)
    label_ids = serializers.ListField(child=serializers.UUIDField(), required=False, allow_null=True, max_length=100)
    reminders = ReminderOffsetsField(required=False, allow_null=True)


class TaskMoveInputSerializer(PlacementMixin):
    column_id = serializers.UUIDField()


class LabelBriefSerializer(serializers.Serializer[Data]):
    id = serializers.UUIDField()
    name = serializers.CharField()
    color = serializers.CharField()


class AssigneeOutputSerializer(serializers.Serializer[Data]):
    user_id = serializers.UUIDField()
    display_name = serializers.CharField()


class ChecklistItemOutputSerializer(serializers.Serializer[Data]):
    id = serializers.UUIDField()
    title = serializers.CharField()
    done = serializers.BooleanField()
    position = serializers.CharField()


class TaskOutputSerializer(serializers.Serializer[Data]):
    id = serializers.UUIDField()
    number = serializers.CharField(help_text="<project key>-<n>, e.g. TASK-0001.")
    board_id = serializers.UUIDField()
    column_id = serializers.UUIDField()
    title = serializers.CharField()
    description = serializers.CharField()
    priority = serializers.ChoiceField(choices=Priority.choices)
    due_at = serializers.DateTimeField(allow_null=True)
    reminders = serializers.ListField(
        child=serializers.IntegerField(),
        allow_null=True,
        help_text="Reminder offsets in minutes before due_at; null means the project's default_reminders.",
    )
    done = serializers.BooleanField(help_text="True while the task is in an is_done column.")
    completed_at = serializers.DateTimeField(allow_null=True)
    archived = serializers.BooleanField()
    position = serializers.CharField(help_text="Opaque sort key within the column.")
    labels = LabelBriefSerializer(many=True)
    assignees = AssigneeOutputSerializer(many=True)
    checklist = ChecklistItemOutputSerializer(many=True)
    created_by = serializers.UUIDField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    version = serializers.IntegerField(help_text="Also sent as the ETag; send it back in If-Match.")


class ChecklistCountsSerializer(serializers.Serializer[Data]):
    done = serializers.IntegerField()
    total = serializers.IntegerField()


class TaskSummaryOutputSerializer(serializers.Serializer[Data]):
    id = serializers.UUIDField()
    number = serializers.CharField()
    title = serializers.CharField()
    position = serializers.CharField()
    priority = serializers.ChoiceField(choices=Priority.choices)
    due_at = serializers.DateTimeField(allow_null=True)
    done = serializers.BooleanField()
    labels = serializers.ListField(child=serializers.UUIDField())
    assignees = serializers.ListField(child=serializers.UUIDField())
    checklist = ChecklistCountsSerializer()
    comments = serializers.IntegerField(help_text="How many comments.")
    attachments = serializers.IntegerField(help_text="How many attachments.")
    version = serializers.IntegerField()


class TaskListItemOutputSerializer(TaskSummaryOutputSerializer):
    column_id = serializers.UUIDField()
    archived = serializers.BooleanField()


class TaskListQuerySerializer(serializers.Serializer[Data]):
    q = serializers.CharField(required=False, max_length=200, help_text="Words in the title or description.")
    column = serializers.UUIDField(required=False)
    assignee = serializers.CharField(required=False, help_text="`me` or a user id.")
    label = serializers.UUIDField(required=False)  # type: ignore[assignment]  # a field, not Field.label
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    due_before = AwareDateTimeField(required=False)
    due_after = AwareDateTimeField(required=False)
    done = serializers.BooleanField(required=False, allow_null=True, default=None)
    archived = serializers.BooleanField(required=False, default=False, help_text="List archived tasks instead.")

    def validate_assignee(self, value: str) -> str:
        if value != "me":
            serializers.UUIDField().to_internal_value(value)
        return value


# --- board read -------------------------------------------------------------------------------------


class BoardColumnOutputSerializer(serializers.Serializer[Data]):
    id = serializers.UUIDField()
    name = serializers.CharField()
    position = serializers.CharField()
    wip_limit = serializers.IntegerField(allow_null=True)
    is_done = serializers.BooleanField()
    tasks = TaskSummaryOutputSerializer(many=True)


class BoardMemberOutputSerializer(serializers.Serializer[Data]):
    user_id = serializers.UUIDField()
    display_name = serializers.CharField()
    role = serializers.CharField()


class BoardReadOutputSerializer(serializers.Serializer[Data]):
    id = serializers.UUIDField()
    project_id = serializers.UUIDField()
    name = serializers.CharField()
    version = serializers.IntegerField()
    columns = BoardColumnOutputSerializer(many=True)
    labels = LabelBriefSerializer(many=True)
    members = BoardMemberOutputSerializer(many=True)


# --- checklist, comments, attachments, activity -----------------------------------------------------


class ChecklistCreateInputSerializer(PlacementMixin):
    title = serializers.CharField(max_length=500)


class ChecklistUpdateInputSerializer(PlacementMixin):
    title = serializers.CharField(max_length=500, required=False)
    done = serializers.BooleanField(required=False)


class CommentInputSerializer(serializers.Serializer[Data]):
    body = serializers.CharField(max_length=MAX_BODY)


class CommentOutputSerializer(serializers.Serializer[Data]):
    id = serializers.UUIDField()
    task_id = serializers.UUIDField()
    author_id = serializers.UUIDField(allow_null=True, help_text="Null once the author deleted their account.")
    body = serializers.CharField()
    created_at = serializers.DateTimeField()
    edited_at = serializers.DateTimeField(allow_null=True)


class AttachmentInputSerializer(serializers.Serializer[Data]):
    file_id = serializers.UUIDField(help_text="A file you uploaded through /api/v2/upload/files.")


class AttachmentOutputSerializer(serializers.Serializer[Data]):
    id = serializers.UUIDField()
    task_id = serializers.UUIDField()
    file_id = serializers.UUIDField()
    filename = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    url = serializers.CharField(allow_null=True, help_text="Fresh on every read (signed for private files).")
    removed = serializers.BooleanField(help_text="True once the file was deleted in upload (url is null).")
    added_by = serializers.UUIDField(allow_null=True)
    created_at = serializers.DateTimeField()


class ActivityOutputSerializer(serializers.Serializer[Data]):
    id = serializers.IntegerField()
    actor_id = serializers.UUIDField(allow_null=True)
    verb = serializers.CharField(help_text="e.g. task.created, task.updated, task.moved, comment.created.")
    task_id = serializers.UUIDField(allow_null=True)
    data = serializers.DictField()  # type: ignore[assignment]  # a field, not Serializer.data
    created_at = serializers.DateTimeField()
