"""Admin for the outbox (filters, rendered preview, retry action and button) and the suppression list."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html

from apps.email.models import OutboundEmail, Suppression
from apps.email.rendering import RenderError, render
from apps.email.services.retry import retry_rows


@admin.register(OutboundEmail)
class OutboundEmailAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["created_at", "template", "to", "locale", "status", "attempts", "next_attempt_at", "sent_at"]
    list_filter = ["status", "template", "locale", "possible_duplicate", "created_at", "sent_at"]
    search_fields = ["to", "id", "idempotency_key", "message_id"]
    date_hierarchy = "created_at"
    ordering = ["-created_at"]
    actions = ["retry"]
    readonly_fields = [
        "id",
        "template",
        "to",
        "locale",
        "context",
        "idempotency_key",
        "status",
        "attempts",
        "send_at",
        "next_attempt_at",
        "enqueued_at",
        "attempt_token",
        "sending_started_at",
        "dot_sent",
        "possible_duplicate",
        "last_error",
        "smtp_response",
        "message_id",
        "sent_at",
        "created_at",
        "updated_at",
        "preview",
    ]
    fieldsets = (
        (None, {"fields": ("id", "template", "to", "locale", "status", "attempts", "last_error")}),
        ("Delivery", {"fields": ("smtp_response", "message_id", "sent_at", "send_at", "next_attempt_at")}),
        (
            "Internals",
            {
                "classes": ("collapse",),
                "fields": (
                    "idempotency_key",
                    "enqueued_at",
                    "attempt_token",
                    "sending_started_at",
                    "dot_sent",
                    "possible_duplicate",
                    "context",
                    "created_at",
                    "updated_at",
                ),
            },
        ),
        ("Preview", {"fields": ("preview",)}),
    )

    change_form_template = "admin/email/outboundemail/change_form.html"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # rows are written by email_service.send only

    def get_urls(self) -> list[URLPattern]:
        retry = path(
            "<uuid:object_id>/retry/",
            self.admin_site.admin_view(self.retry_one),
            name="email_outboundemail_retry",
        )
        return [retry, *super().get_urls()]

    def retry_one(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The "Send again" button of a failed or suppressed email's page (POST only)."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_view_permission(request):
            raise PermissionDenied
        count = retry_rows(OutboundEmail.objects.filter(pk=object_id))
        if count:
            self.message_user(request, "The email is queued again.", messages.SUCCESS)
        else:
            self.message_user(request, "Only failed or suppressed emails can be sent again.", messages.WARNING)
        return HttpResponseRedirect(reverse("admin:email_outboundemail_change", args=[object_id]))

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="Rendered message")
    def preview(self, obj: OutboundEmail) -> str:
        """The message as it is (or would be) sent: subject, text, and the HTML in a sandboxed frame."""
        try:
            rendered = render(obj.template, obj.context, obj.locale)
        except RenderError as exc:
            return format_html('<p style="color:#b00">Cannot render: {}</p>', str(exc))
        return format_html(
            "<p><strong>Subject:</strong> {}</p>"
            '<iframe sandbox="" srcdoc="{}" style="width:100%;height:480px;border:1px solid #ccc"></iframe>'
            '<pre style="white-space:pre-wrap">{}</pre>',
            rendered.subject,
            rendered.html,
            rendered.text,
        )

    @admin.action(description="Retry selected failed / suppressed emails")
    def retry(self, request: HttpRequest, queryset: QuerySet[OutboundEmail]) -> None:
        count = retry_rows(queryset)
        self.message_user(request, f"{count} email(s) queued again.")


@admin.register(Suppression)
class SuppressionAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["address", "reason", "created_at", "expires_at"]
    search_fields = ["address"]
    list_filter = ["expires_at"]
    readonly_fields = ["created_at", "source_email_id"]
