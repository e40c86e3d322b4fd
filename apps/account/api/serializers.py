"""Input and output serializers of the account API."""

from __future__ import annotations

import re
import zoneinfo
from datetime import date
from typing import Any

from django.conf import settings
from rest_framework import serializers

E164 = re.compile(r"^\+[1-9]\d{6,14}$")
USERNAME = re.compile(r"^[A-Za-z0-9_.-]{3,30}$")
LOCALE = re.compile(r"^[a-z]{2,3}(-[A-Za-z]{2,4})?$")


class RegisterIn(serializers.Serializer[Any]):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(max_length=256, trim_whitespace=False)
    display_name = serializers.CharField(max_length=150, allow_blank=True, required=False, default="")
    locale = serializers.RegexField(LOCALE, max_length=16, required=False)


class RegisterOut(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    email = serializers.EmailField()
    display_name = serializers.CharField()
    email_verified = serializers.BooleanField()
    created_at = serializers.DateTimeField()


class TokenIn(serializers.Serializer[Any]):
    token = serializers.CharField(max_length=200)


class EmailIn(serializers.Serializer[Any]):
    email = serializers.EmailField(max_length=254)


class DetailOut(serializers.Serializer[Any]):
    detail = serializers.CharField()


class LoginIn(serializers.Serializer[Any]):
    email = serializers.CharField(max_length=254, help_text="Email address, username or E.164 phone number.")
    password = serializers.CharField(max_length=256, trim_whitespace=False)
    cookie = serializers.BooleanField(
        default=False, help_text="Cookie mode: the refresh token goes in an HttpOnly cookie, not the body."
    )


class TokenPairOut(serializers.Serializer[Any]):
    access_token = serializers.CharField()
    refresh_token = serializers.CharField(required=False, help_text="Absent in cookie mode.")
    token_type = serializers.CharField()
    expires_in = serializers.IntegerField()
    csrf_token = serializers.CharField(required=False, help_text="Cookie mode: send as X-CSRF-Token.")


class LoginOut(TokenPairOut):
    access_token = serializers.CharField(required=False)
    token_type = serializers.CharField(required=False)
    expires_in = serializers.IntegerField(required=False)
    mfa_required = serializers.BooleanField(required=False)
    mfa_token = serializers.CharField(required=False)


class LoginMfaIn(serializers.Serializer[Any]):
    mfa_token = serializers.CharField(max_length=200)
    code = serializers.CharField(max_length=32)
    cookie = serializers.BooleanField(default=False)


class ProfileLinkField(serializers.URLField):
    def to_internal_value(self, data: Any) -> str:
        value = str(super().to_internal_value(data))
        if not value.startswith(("https://", "http://")):
            raise serializers.ValidationError("Use an http(s) URL.")
        return value


class MeOut(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    email = serializers.EmailField()
    username = serializers.CharField(allow_null=True)
    phone = serializers.CharField(allow_null=True)
    display_name = serializers.CharField()
    avatar_url = serializers.CharField(allow_null=True)
    locale = serializers.CharField()
    timezone = serializers.CharField(help_text="IANA time zone name, e.g. Asia/Ho_Chi_Minh.")
    time_zone = serializers.CharField(help_text="The same value as timezone (the name kanban's issue uses).")
    date_of_birth = serializers.DateField(allow_null=True)
    gender = serializers.CharField()
    profile_links = serializers.ListField(child=serializers.CharField())
    email_verified = serializers.BooleanField()
    mfa_enabled = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class MePatchIn(serializers.Serializer[Any]):
    display_name = serializers.CharField(max_length=150, allow_blank=True, required=False)
    username = serializers.RegexField(USERNAME, allow_null=True, required=False)
    phone = serializers.RegexField(E164, allow_null=True, required=False, help_text="E.164, e.g. +84901234567")
    locale = serializers.RegexField(LOCALE, max_length=16, required=False)
    timezone = serializers.CharField(max_length=64, required=False, help_text="IANA time zone name.")
    time_zone = serializers.CharField(max_length=64, required=False, help_text="Alias of timezone.")
    date_of_birth = serializers.DateField(allow_null=True, required=False)
    gender = serializers.CharField(max_length=32, allow_blank=True, required=False)
    profile_links = serializers.ListField(child=ProfileLinkField(max_length=300), max_length=10, required=False)

    def validate_timezone(self, value: str) -> str:
        if value not in zoneinfo.available_timezones():
            raise serializers.ValidationError("Not an IANA time zone name.")
        return value

    def validate_time_zone(self, value: str) -> str:
        return self.validate_timezone(value)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        """``time_zone`` is an alias of ``timezone``: both may be sent only with the same value."""
        if "time_zone" in attrs:
            alias = attrs.pop("time_zone")
            if attrs.setdefault("timezone", alias) != alias:
                raise serializers.ValidationError({"time_zone": ["Differs from timezone; send one of them."]})
        return attrs

    def validate_locale(self, value: str) -> str:
        if value.split("-", maxsplit=1)[0] not in {code for code, _ in settings.LANGUAGES}:
            raise serializers.ValidationError("Unsupported locale.")
        return value

    def validate_date_of_birth(self, value: date | None) -> date | None:
        if value is not None and not date(1900, 1, 1) <= value <= date.today():
            raise serializers.ValidationError("Not a plausible date of birth.")
        return value


class AvatarIn(serializers.Serializer[Any]):
    file = serializers.FileField()


class AvatarOut(serializers.Serializer[Any]):
    avatar_url = serializers.CharField()


class PasswordChangeIn(serializers.Serializer[Any]):
    current_password = serializers.CharField(max_length=256, trim_whitespace=False)
    new_password = serializers.CharField(max_length=256, trim_whitespace=False)


class PasswordResetIn(serializers.Serializer[Any]):
    token = serializers.CharField(max_length=200)
    new_password = serializers.CharField(max_length=256, trim_whitespace=False)


class EmailChangeIn(serializers.Serializer[Any]):
    new_email = serializers.EmailField(max_length=254)
    password = serializers.CharField(max_length=256, trim_whitespace=False)


class SessionOut(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    created_at = serializers.DateTimeField()
    last_used_at = serializers.DateTimeField(allow_null=True)
    user_agent = serializers.CharField()
    ip = serializers.CharField(allow_null=True)
    device_id = serializers.CharField(allow_null=True)
    current = serializers.BooleanField()


class SessionListOut(serializers.Serializer[Any]):
    """A paginated list's shape; the session list is bounded, so ``next`` / ``previous`` are always null."""

    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = SessionOut(many=True)


class CountOut(serializers.Serializer[Any]):
    revoked = serializers.IntegerField()


class MfaSetupOut(serializers.Serializer[Any]):
    secret = serializers.CharField()
    otpauth_uri = serializers.CharField()


class MfaCodeIn(serializers.Serializer[Any]):
    code = serializers.CharField(max_length=32)


class RecoveryCodesOut(serializers.Serializer[Any]):
    recovery_codes = serializers.ListField(child=serializers.CharField())


class IdTokenIn(serializers.Serializer[Any]):
    id_token = serializers.CharField(max_length=8192)
    cookie = serializers.BooleanField(default=False)
