"""Input and output serializers of the authz API."""

from __future__ import annotations

from rest_framework import serializers


class TokenRefreshInput(serializers.Serializer[None]):
    refresh_token = serializers.CharField(max_length=200, trim_whitespace=True)


class TokenPairOutput(serializers.Serializer[None]):
    access_token = serializers.CharField()
    refresh_token = serializers.CharField()
    token_type = serializers.CharField()
    expires_in = serializers.IntegerField(help_text="Lifetime of the access token, seconds.")


class ApiKeyCreateInput(serializers.Serializer[None]):
    name = serializers.CharField(max_length=100)
    scopes = serializers.ListField(
        child=serializers.CharField(max_length=40),
        min_length=1,
        max_length=20,
        help_text="'<app>:read' or '<app>:write'",
    )
    expires_at = serializers.DateTimeField(required=False, allow_null=True)


class ApiKeyOutput(serializers.Serializer[None]):
    id = serializers.UUIDField()
    name = serializers.CharField()
    prefix = serializers.CharField(help_text="The first characters of the key.")
    scopes = serializers.ListField(child=serializers.CharField())
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField(allow_null=True)
    last_used_at = serializers.DateTimeField(allow_null=True)


class ApiKeyCreatedOutput(ApiKeyOutput):
    key = serializers.CharField(help_text="The secret key: shown this once, store it now.")


class JwksOutput(serializers.Serializer[None]):
    keys = serializers.ListField(child=serializers.DictField())
