"""Admin registrations for the authz app: sessions (revoke action), roles, grants, API keys, signing keys."""

from __future__ import annotations

import threading
import uuid
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from apps.account.services import account_service
from apps.authz.models import ApiKey, Role, Session, SigningKey, UserRole
from apps.authz.services import authz_service

_shown = threading.local()  # the emails of the users on the page being rendered (admin instances are shared)


class UserByEmailMixin:
    """Operators know a person by email: search by it, and show it next to the user id (one batched call
    to the account interface per page)."""

    def get_search_results(self, request: HttpRequest, queryset: QuerySet[Any], search_term: str) -> Any:
        term = search_term.strip()
        if "@" in term:
            user = account_service.get_user_by_email(email=term)
            return queryset.filter(user_id=user.id if user else uuid.UUID(int=0)), False
        return super().get_search_results(request, queryset, search_term)  # type: ignore[misc]

    def get_changelist_instance(self, request: HttpRequest) -> Any:
        changelist = super().get_changelist_instance(request)  # type: ignore[misc]
        ids = list({row.user_id for row in changelist.result_list})
        _shown.emails = {u.id: u.email for u in account_service.get_users(user_ids=ids)} if ids else {}
        return changelist

    @admin.display(description="user")
    def user_email(self, obj: Any) -> str:
        return str(getattr(_shown, "emails", {}).get(obj.user_id, obj.user_id))


@admin.register(Session)
class SessionAdmin(UserByEmailMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("id", "user_email", "device_id", "ip", "created_at", "last_used_at", "revoked_at", "revoked_reason")
    list_filter = ("revoked_reason", "created_at")
    search_fields = ("=id", "=user_id", "device_id", "ip", "user_agent")
    readonly_fields = [f.name for f in Session._meta.fields]
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Revoke the selected sessions (their access tokens stop at once)")
    def revoke(self, request: HttpRequest, queryset: QuerySet[Session]) -> None:
        count = 0
        for session in queryset.filter(revoked_at__isnull=True):
            authz_service.revoke_session(user_id=session.user_id, session_id=session.id, reason="admin")
            count += 1
        self.message_user(request, f"Revoked {count} session(s).", messages.SUCCESS)


@admin.register(Role)
class RoleAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("name", "description", "permissions")
    search_fields = ("name",)


@admin.register(UserRole)
class UserRoleAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("user_id", "role", "created_at")
    list_filter = ("role",)
    search_fields = ("=user_id",)


@admin.register(ApiKey)
class ApiKeyAdmin(UserByEmailMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("name", "prefix", "user_email", "scopes", "created_at", "expires_at", "last_used_at", "revoked_at")
    list_filter = ("revoked_at", "created_at")
    search_fields = ("=user_id", "prefix", "name")
    readonly_fields = ("id", "user_id", "prefix", "scopes", "created_at", "last_used_at", "revoked_at")
    exclude = ("key_hash",)
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # keys are created by their owner through the API, where the secret is shown once

    @admin.action(description="Revoke the selected API keys")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        self.message_user(request, f"Revoked {count} key(s).", messages.SUCCESS)


@admin.register(SigningKey)
class SigningKeyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("kid", "algorithm", "created_at", "retired_at")
    fields = ("kid", "algorithm", "public_jwk", "created_at", "retired_at")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # use `manage.py rotate_signing_key`

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
