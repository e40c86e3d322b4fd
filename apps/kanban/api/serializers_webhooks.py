"""Input and output shapes of the webhooks part of the kanban API."""

from __future__ import annotations

from rest_framework import serializers

from apps.kanban.services.webhooks import EVENTS

Data = dict[str, object]

EVENTS_HELP = f'Event names ({", ".join(EVENTS)}) or ["*"] for all.'


class WebhookCreateInput(serializers.Serializer[Data]):
    url = serializers.CharField(max_length=2000, help_text="http(s) URL; private addresses are refused.")
    events = serializers.ListField(child=serializers.CharField(max_length=40), min_length=1, help_text=EVENTS_HELP)
    description = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)


class WebhookUpdateInput(serializers.Serializer[Data]):
    url = serializers.CharField(max_length=2000, required=False)
    events = serializers.ListField(
        child=serializers.CharField(max_length=40), min_length=1, required=False, help_text=EVENTS_HELP
    )
    description = serializers.CharField(required=False, allow_blank=True, max_length=500)
    is_active = serializers.BooleanField(required=False, help_text="true re-enables a disabled webhook.")


class WebhookOutput(serializers.Serializer[Data]):
    id = serializers.UUIDField()
    project_id = serializers.UUIDField()
    url = serializers.CharField()
    events = serializers.ListField(child=serializers.CharField())
    description = serializers.CharField()
    is_active = serializers.BooleanField()
    failing_since = serializers.DateTimeField(allow_null=True, help_text="Start of the current run of failures.")
    disabled_at = serializers.DateTimeField(allow_null=True)
    disabled_reason = serializers.CharField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class WebhookCreatedOutput(WebhookOutput):
    secret = serializers.CharField(help_text="The signing secret. Shown only in this response: store it now.")


class AttemptOutput(serializers.Serializer[Data]):
    started_at = serializers.DateTimeField()
    status_code = serializers.IntegerField(allow_null=True, help_text="The receiver's HTTP status, if it answered.")
    duration_ms = serializers.IntegerField()
    response_excerpt = serializers.CharField(help_text="The first 2 KiB of the response body.")
    error = serializers.CharField(help_text="Empty for a 2xx; else what went wrong.")
    succeeded = serializers.BooleanField()


class DeliveryOutput(serializers.Serializer[Data]):
    id = serializers.UUIDField(help_text="Also the X-Gau-Delivery header and the body's id.")
    webhook_id = serializers.UUIDField()
    event = serializers.CharField()
    status = serializers.ChoiceField(choices=["pending", "succeeded", "failed"])
    attempts = serializers.IntegerField(help_text="Attempts in the current round (a redelivery starts a new one).")
    next_attempt_at = serializers.DateTimeField(allow_null=True)
    last_error = serializers.CharField()
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    payload = serializers.JSONField(help_text="The body sent.")
    attempt_log = AttemptOutput(many=True, help_text="Every attempt, oldest first.")
