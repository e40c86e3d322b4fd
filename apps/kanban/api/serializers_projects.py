"""Input and output shapes of the projects part of the kanban API (projects, members, invitations,
boards, columns, labels)."""

from __future__ import annotations

from rest_framework import serializers

from apps.kanban.models import Role

Data = dict[str, object]

KEY_HELP = "2 to 10 capital letters or digits, starting with a letter (default TASK)."


class ProjectCreateInput(serializers.Serializer[Data]):
    name = serializers.CharField(max_length=200)
    key = serializers.RegexField(r"^[A-Z][A-Z0-9]{1,9}$", required=False, help_text=KEY_HELP)
    description = serializers.CharField(required=False, allow_blank=True, default="", max_length=20000)


class ProjectUpdateInput(serializers.Serializer[Data]):
    name = serializers.CharField(max_length=200, required=False)
    key = serializers.RegexField(r"^[A-Z][A-Z0-9]{1,9}$", required=False, help_text=KEY_HELP)
    description = serializers.CharField(required=False, allow_blank=True, max_length=20000)
    default_reminders = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=40_320),
        max_length=10,
        required=False,
        help_text="Reminder offsets (minutes before due_at) of tasks whose own reminders are null.",
    )


class ProjectOutput(serializers.Serializer[Data]):
    id = serializers.UUIDField()
    name = serializers.CharField()
    key = serializers.CharField()
    description = serializers.CharField()
    default_reminders = serializers.ListField(child=serializers.IntegerField())
    role = serializers.ChoiceField(choices=Role.choices, help_text="The caller's role in the project.")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class MemberOutput(serializers.Serializer[Data]):
    user_id = serializers.UUIDField()
    display_name = serializers.CharField()
    role = serializers.ChoiceField(choices=Role.choices)
    joined_at = serializers.DateTimeField()


class MemberUpdateInput(serializers.Serializer[Data]):
    role = serializers.ChoiceField(choices=Role.choices)


class InvitationCreateInput(serializers.Serializer[Data]):
    email = serializers.EmailField(max_length=254)
    role = serializers.ChoiceField(choices=Role.choices, default=Role.MEMBER)


class InvitationAcceptInput(serializers.Serializer[Data]):
    token = serializers.CharField(max_length=200)


class InvitationAcceptOutput(serializers.Serializer[Data]):
    project_id = serializers.UUIDField()
    role = serializers.ChoiceField(choices=Role.choices)


class BoardInput(serializers.Serializer[Data]):
    name = serializers.CharField(max_length=200)


class BoardOutput(serializers.Serializer[Data]):
    id = serializers.UUIDField()
    project_id = serializers.UUIDField()
    name = serializers.CharField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class ColumnCreateInput(serializers.Serializer[Data]):
    name = serializers.CharField(max_length=200)
    wip_limit = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    is_done = serializers.BooleanField(required=False, default=False)
    before_id = serializers.UUIDField(required=False, help_text="Place the column before this one.")
    after_id = serializers.UUIDField(required=False, help_text="Place the column after this one (default: last).")

    def validate(self, attrs: Data) -> Data:
        if attrs.get("before_id") is not None and attrs.get("after_id") is not None:
            raise serializers.ValidationError({"before_id": ["Give before_id or after_id, not both."]})
        return attrs


class ColumnUpdateInput(ColumnCreateInput):
    name = serializers.CharField(max_length=200, required=False)
    is_done = serializers.BooleanField(required=False)
    before_id = serializers.UUIDField(required=False, help_text="Move the column before this one.")
    after_id = serializers.UUIDField(required=False, help_text="Move the column after this one.")


class ColumnOutput(serializers.Serializer[Data]):
    id = serializers.UUIDField()
    board_id = serializers.UUIDField()
    name = serializers.CharField()
    position = serializers.CharField(help_text="Opaque sort key: columns sort by it, byte-wise.")
    wip_limit = serializers.IntegerField(allow_null=True)
    is_done = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class ColumnDeleteQuery(serializers.Serializer[Data]):
    move_tasks_to = serializers.UUIDField(
        required=False, help_text="Move the column's tasks to the end of this column of the same board first."
    )


class LabelCreateInput(serializers.Serializer[Data]):
    name = serializers.CharField(max_length=100)
    color = serializers.RegexField(r"^#[0-9a-fA-F]{6}$", help_text="#rrggbb")


class LabelUpdateInput(serializers.Serializer[Data]):
    name = serializers.CharField(max_length=100, required=False)
    color = serializers.RegexField(r"^#[0-9a-fA-F]{6}$", required=False, help_text="#rrggbb")


class LabelOutput(serializers.Serializer[Data]):
    id = serializers.UUIDField()
    board_id = serializers.UUIDField()
    name = serializers.CharField()
    color = serializers.CharField()
    created_at = serializers.DateTimeField()
