"""Admin for users: search, filters, verify and deactivate actions."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest

from apps.account.models import ExternalIdentity, User


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
