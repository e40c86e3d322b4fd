"""Admin for users (search, filters, verify and deactivate actions) and the admin site's sign-in."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth import login as auth_login
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html_join
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters

from apps.account import flows, me_cache
from apps.account.models import DeletionRequest, DeletionStep, ExternalIdentity, User
from apps.account.services.errors import (
    EmailNotVerifiedError,
    InvalidCredentialsError,
    InvalidMfaCodeError,
    InvalidTokenError,
    LoginThrottledError,
)
from apps.authz.services import authz_service


def _end_sessions(user_id: Any) -> int:
    """End every session of a user (through authz, outside any transaction)."""
    ended: int = authz_service.revoke_all_sessions(user_id=user_id, reason="deactivated")
    return ended


@admin.register(User)
class UserAdmin(DjangoUserAdmin):  # type: ignore[type-arg]
    ordering = ["-created_at"]
    list_display = ["email", "display_name", "email_verified", "is_active", "is_staff", "created_at"]
    list_filter = ["email_verified", "is_active", "is_staff", "is_superuser", "created_at"]
    search_fields = ["email", "username", "display_name", "phone"]
    readonly_fields = ["id", "created_at", "updated_at", "last_login", "operator_links"]
    fieldsets = (
        (None, {"fields": ("id", "email", "password", "operator_links")}),
        ("Profile", {"fields": ("username", "phone", "display_name", "avatar_file_id", "locale", "timezone")}),
        ("Status", {"fields": ("email_verified", "is_active", "is_staff", "is_superuser", "groups")}),
        ("Dates", {"fields": ("last_login", "created_at", "updated_at")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)
    actions = ["mark_verified", "deactivate"]

    @admin.action(description="Mark selected users' email as verified")
    def mark_verified(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        with me_cache.invalidating(queryset.values_list("id", flat=True)):
            count = queryset.update(email_verified=True)
        self.message_user(request, f"{count} user(s) marked verified.")

    @admin.action(description="Deactivate selected users (and end their sessions)")
    def deactivate(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        ids = list(queryset.filter(is_active=True).values_list("id", flat=True))
        with me_cache.invalidating(ids):
            User.objects.filter(id__in=ids).update(is_active=False)
        ended = sum(_end_sessions(user_id) for user_id in ids)
        self.message_user(request, f"{len(ids)} user(s) deactivated; {ended} session(s) ended.")

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if change and "is_active" in form.changed_data and not obj.is_active:
            _end_sessions(obj.id)  # a deactivated user keeps no way in

    @admin.display(description="Find")
    def operator_links(self, obj: User) -> str:
        """Links to this user's sessions, API keys and emails in the other apps' admin pages."""
        if obj.pk is None:
            return "-"
        links = [
            (reverse("admin:authz_session_changelist"), obj.id, "Sessions"),
            (reverse("admin:authz_apikey_changelist"), obj.id, "API keys"),
            (reverse("admin:email_outboundemail_changelist"), obj.email, "Emails"),
        ]
        return format_html_join(
            " · ", '<a href="{}?{}">{}</a>', ((url, urlencode({"q": str(q)}), label) for url, q, label in links)
        )


@admin.register(ExternalIdentity)
class ExternalIdentityAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Sign-in identities at OpenID providers (Google), linked to users."""

    list_display = ["user", "provider", "email", "issuer", "created_at"]
    list_filter = ["provider"]
    search_fields = ["email", "subject", "user__email"]
    readonly_fields = ["user", "provider", "issuer", "subject", "email", "created_at"]


# --- the admin site's sign-in: the account's rules, not Django's bare password check ---------------

ADMIN_MFA_SESSION_KEY = "gau_admin_mfa_token"
ADMIN_BACKEND = "django.contrib.auth.backends.ModelBackend"


class AdminLoginForm(forms.Form):
    username = forms.CharField(label="Email", max_length=254, widget=forms.TextInput(attrs={"autofocus": True}))
    password = forms.CharField(label="Password", strip=False, widget=forms.PasswordInput)


class AdminMfaForm(forms.Form):
    code = forms.CharField(
        label="Authentication code",
        max_length=64,
        help_text="The 6-digit code from your authenticator app, or one of your recovery codes.",
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "one-time-code"}),
    )


def _safe_next(request: HttpRequest) -> str:
    wanted = str(request.POST.get(REDIRECT_FIELD_NAME) or request.GET.get(REDIRECT_FIELD_NAME) or "")
    if wanted and url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return reverse("admin:index")


def _throttled(exc: LoginThrottledError) -> str:
    wait = int(exc.extra.get("retry_after") or 0)
    return (
        f"Too many failed sign-in attempts. Try again in {wait} seconds, or use the unlock link we emailed."
        if wait
        else str(exc.message)
    )


@dataclass
class _Step:
    """What one POST to the sign-in page produced: the form to show again (with its status), or a user."""

    form: forms.Form
    status: int = 200
    user: User | None = None


def _client(request: HttpRequest) -> tuple[str, str]:
    return str(request.META.get("REMOTE_ADDR") or "0.0.0.0"), str(request.META.get("HTTP_USER_AGENT", ""))  # noqa: S104


def _password_step(request: HttpRequest) -> _Step:
    request.session.pop(ADMIN_MFA_SESSION_KEY, None)
    form = AdminLoginForm(request.POST)
    if not form.is_valid():
        return _Step(form, 400)
    ip, agent = _client(request)
    try:
        result = flows.staff_sign_in(
            identifier=form.cleaned_data["username"],
            password=form.cleaned_data["password"],
            ip=ip,
            user_agent=agent,
            device_id=None,
        )
    except LoginThrottledError as exc:
        form.add_error(None, _throttled(exc))
        return _Step(form, 429)
    except InvalidCredentialsError:
        form.add_error(None, "Please enter the correct email and password for a staff account.")
        return _Step(form, 401)
    except EmailNotVerifiedError:
        form.add_error(None, "Verify your email address before signing in.")
        return _Step(form, 403)
    if result.mfa_token is not None:
        request.session[ADMIN_MFA_SESSION_KEY] = result.mfa_token
        return _Step(AdminMfaForm())
    return _Step(form, user=result.user)


def _code_step(request: HttpRequest, pending: str) -> _Step:
    form = AdminMfaForm(request.POST)
    if not form.is_valid():
        return _Step(form, 400)
    try:
        user = flows.staff_sign_in_mfa(mfa_token=pending, code=form.cleaned_data["code"], ip=_client(request)[0])
    except LoginThrottledError as exc:
        form.add_error(None, _throttled(exc))
        return _Step(form, 429)
    except InvalidMfaCodeError:
        form.add_error("code", "This code is not correct.")
        return _Step(form, 401)
    except InvalidTokenError:
        request.session.pop(ADMIN_MFA_SESSION_KEY, None)
        restart = AdminLoginForm()
        restart.add_error(None, "The sign-in step expired; enter your password again.")
        return _Step(restart, 401)
    request.session.pop(ADMIN_MFA_SESSION_KEY, None)
    return _Step(form, user=user)


@sensitive_post_parameters()
@csrf_protect
@never_cache
def admin_login(request: HttpRequest) -> HttpResponse:
    """``/admin/login/``: the API's sign-in rules for the admin site.

    The password step is :func:`flows.staff_sign_in` (throttle per account + IP and per IP, the unlock
    email, the verified-address rule, the new-device notice); with TOTP on, a second form asks for a
    code (:func:`flows.staff_sign_in_mfa`), the pending step's token kept in the server-side session.
    Then a Django session as usual, and a redirect to a safe ``next`` or the admin index.
    """
    target = _safe_next(request)
    user = getattr(request, "user", None)
    if request.method == "GET" and user is not None and user.is_active and user.is_staff:
        return HttpResponseRedirect(target)
    pending = str(request.session.get(ADMIN_MFA_SESSION_KEY) or "")
    if request.method == "POST":
        step = _code_step(request, pending) if "code" in request.POST and pending else _password_step(request)
    else:
        step = _Step(AdminLoginForm())
    if step.user is not None:
        auth_login(request, step.user, backend=ADMIN_BACKEND)
        return HttpResponseRedirect(target)
    mfa_step = isinstance(step.form, AdminMfaForm)
    context = {
        **admin.site.each_context(request),
        "title": "Two-factor sign-in" if mfa_step else "Log in",
        "subtitle": None,
        "app_path": request.get_full_path(),
        "username": user.get_username() if user is not None and user.is_authenticated else "",
        "form": step.form,
        REDIRECT_FIELD_NAME: target,
    }
    request.current_app = admin.site.name
    template = "admin/gau_login_mfa.html" if mfa_step else "admin/login.html"
    return TemplateResponse(request, template, context, status=step.status)


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
