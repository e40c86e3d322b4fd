"""Admin for users: search, filters, verify and deactivate actions."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest

from apps.account.models import DeletionRequest, DeletionStep, ExternalIdentity, User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):  # type: ignore[type-arg]
    ordering = ["-created_at"]
    list_display = ["email", "display_name", "email_verified", "is_active", "is_staff", "created_at"]
    list_filter = ["email_verified", "is_active", "is_staff", "is_superuser", "created_at"]
    search_fields = ["email", "username", "display_name", "phone"]
    readonly_fields = ["id", "created_at", "updated_at", "last_login"]
    fieldsets = (
        (None, {"fields": ("id", "email", "password")}),
        ("Profile", {"fields": ("username", "phone", "display_name", "avatar_file_id", "locale", "timezone")}),
        ("Status", {"fields": ("email_verified", "is_active", "is_staff", "is_superuser", "groups")}),
        ("Dates", {"fields": ("last_login", "created_at", "updated_at")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)
    actions = ["mark_verified", "deactivate"]

    @admin.action(description="Mark selected users' email as verified")
    def mark_verified(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        count = queryset.update(email_verified=True)
        self.message_user(request, f"{count} user(s) marked verified.")

    @admin.action(description="Deactivate selected users")
    def deactivate(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        count = queryset.update(is_active=False)
        self.message_user(request, f"{count} user(s) deactivated.")


@admin.register(ExternalIdentity)
class ExternalIdentityAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Sign-in identities at OpenID providers (Google), linked to users."""

    list_display = ["user", "provider", "email", "issuer", "created_at"]
    list_filter = ["provider"]
    search_fields = ["email", "subject", "user__email"]
    readonly_fields = ["user", "provider", "issuer", "subject", "email", "created_at"]


class DeletionStepInline(admin.TabularInline):  # type: ignore[type-arg]
    model = DeletionStep
    extra = 0
    can_delete = False
    fields = ("name", "done_at", "attempts", "last_error", "updated_at")
    readonly_fields = fields


@admin.register(DeletionRequest)
class DeletionRequestAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Account deletions whose calls to the other apps have not all succeeded yet (the DELETE me outbox).

    Read-only: the task, the beat sweeper or ``manage.py account_finish_deletions`` drive them."""

    list_display = ["user_id", "attempts", "next_attempt_at", "created_at"]
    search_fields = ["user_id"]
    readonly_fields = ["user_id", "attempts", "next_attempt_at", "leased_until", "created_at", "updated_at"]
    exclude = ["address", "lease_token"]
    inlines = [DeletionStepInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
