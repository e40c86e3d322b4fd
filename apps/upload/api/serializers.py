"""Input and output shapes of the upload API."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from apps.upload.models import Purpose


class FileOutputSerializer(serializers.Serializer[dict[str, object]]):
    id = serializers.UUIDField()
    purpose = serializers.ChoiceField(choices=Purpose.choices)
    filename = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()
    width = serializers.IntegerField(allow_null=True)
    height = serializers.IntegerField(allow_null=True)
    url = serializers.CharField(help_text="CDN URL (public purposes) or a signed, expiring URL (private).")
    created_at = serializers.DateTimeField()


class FileUploadInputSerializer(serializers.Serializer[dict[str, object]]):
    file = serializers.FileField(help_text="The file (multipart). Its type is decided from its content.")
    purpose = serializers.ChoiceField(
        choices=Purpose.choices,
        default=Purpose.FILE,
        help_text="Also accepted as ?purpose= (then the purpose's size limit applies while streaming).",
    )


class FileListQuerySerializer(serializers.Serializer[dict[str, object]]):
    purpose = serializers.ChoiceField(choices=Purpose.choices, required=False)

    def to_internal_value(self, data: Any) -> dict[str, object]:
        # DRF reads a blank query value as "absent"; ``?purpose=`` is not a purpose, so refuse it.
        if hasattr(data, "get") and data.get("purpose") == "":
            raise serializers.ValidationError({"purpose": ["Give one of the purposes, or leave the filter out."]})
        validated: dict[str, object] = super().to_internal_value(data)
        return validated


class QuotaOutputSerializer(serializers.Serializer[dict[str, object]]):
    quota = serializers.IntegerField()
    used = serializers.IntegerField()
    remaining = serializers.IntegerField()
