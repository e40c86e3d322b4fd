"""Hosted pages for the links in account emails: verify email, reset password, confirm an email change,
unlock sign-in (plus the two "send me a new link" forms their expired pages point to).

Server-rendered (Django templates, no script), English or Vietnamese from the link's ``lang`` or
``Accept-Language``. **A GET never spends a token**: mail scanners and link previews fetch every link,
so a GET only shows a button (or the form) and the POST does the work through the same flows as the API.
Every outcome is a page: done, expired (with a way to a new link), already used, invalid.

The look, the headers, the language rule and the CSRF rule (``Origin: null`` from a same-origin form
post) are shared with every hosted page: see :mod:`gau.pages`.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.views import View

from apps.account import flows
from apps.account.api.page_text import TEXT
from apps.account.models import AccountToken
from apps.account.services.errors import (
    EmailTakenError,
    InvalidPasswordError,
    InvalidTokenError,
    ResendThrottledError,
)
from apps.account.tokens import token_peek, token_state
from gau import pages
from gau.pages import page_language, page_view
from gau.rpc import ServiceUnavailableError

__all__ = ["page_view"]

Purpose = AccountToken.Purpose


def render_page(request: HttpRequest, template: str, context: dict[str, Any], *, status: int = 200) -> HttpResponse:
    """Render ``account/pages/<template>.html`` with the account words (see :func:`gau.pages.render_page`)."""
    return pages.render_page(request, f"account/pages/{template}.html", context, text=TEXT, status=status)


def words(request: HttpRequest, prefix: str) -> dict[str, str]:
    """The title, intro and button of a page (``<prefix>_title`` ... in the page's language)."""
    t = TEXT[page_language(request)]
    return {
        "page": prefix,
        "title": t[f"{prefix}_title"],
        "intro": t[f"{prefix}_intro"],
        "button": t[f"{prefix}_button"],
    }


def outcome(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    """An outcome page in the account words (see :func:`gau.pages.outcome`)."""
    return pages.outcome(request, text=TEXT, **kwargs)


class TokenPage(View):
    """A link page: GET shows the state of the token (and the button or form), POST uses it.

    Subclasses set the purpose and the words, and implement :meth:`perform`.
    """

    purpose: str = ""
    prefix: str = ""  # the TEXT key prefix: verify, reset, email, unlock
    template = "action"
    expired_action: tuple[str, str] = ("", "")  # (url, label key) offered on the expired page
    expired_help = ""
    used_message = "used"

    def token(self, request: HttpRequest) -> str:
        return str(request.POST.get("token") or request.GET.get("token") or "").strip()[:200]

    def live_context(self, request: HttpRequest, token: str) -> dict[str, Any]:
        """More context for the live page (e.g. the new address of an email change)."""
        return {}

    def get(self, request: HttpRequest) -> HttpResponse:
        token = self.token(request)
        state = token_state(secret=token, purpose=self.purpose)
        if state != "live":
            return self.state_page(request, state)
        return self.live_page(request, token)

    def live_page(self, request: HttpRequest, token: str, *, errors: list[str] | None = None) -> HttpResponse:
        return render_page(
            request,
            self.template,
            {
                **words(request, self.prefix),
                "token": token,
                "errors": errors or [],
                **self.live_context(request, token),
            },
            status=400 if errors else 200,
        )

    def state_page(self, request: HttpRequest, state: str) -> HttpResponse:
        if state == "expired":
            url, label = self.expired_action
            return outcome(
                request,
                kind="expired",
                title="expired_title",
                message="expired",
                help_text=self.expired_help,
                action_url=url,
                action_label=label,
                status=410,
            )
        if state == "used":
            return outcome(request, kind="used", title="used_title", message=self.used_message, status=410)
        return outcome(request, kind="invalid", title="invalid_title", message="invalid", status=400)

    def post(self, request: HttpRequest) -> HttpResponse:
        token = self.token(request)
        lang = page_language(request)
        try:
            with translation.override(lang):
                return self.perform(request, token)
        except InvalidTokenError:
            return self.state_page(request, token_state(secret=token, purpose=self.purpose))
        except ServiceUnavailableError:
            return outcome(request, kind="error", title="unavailable_title", message="unavailable", status=503)

    def perform(self, request: HttpRequest, token: str) -> HttpResponse:
        raise NotImplementedError


class VerifyEmailPage(TokenPage):
    purpose = Purpose.VERIFY_EMAIL
    prefix = "verify"
    expired_action = ("/verify-email/resend", "verify_expired_action")
    used_message = "verify_used"

    def perform(self, request: HttpRequest, token: str) -> HttpResponse:
        flows.verify_email(token=token)
        return outcome(request, kind="done", title="verify_done_title", message="verify_done", status=200)


class PasswordResetPage(TokenPage):
    purpose = Purpose.PASSWORD_RESET
    prefix = "reset"
    template = "reset"
    expired_action = ("/password/forgot", "reset_expired_action")

    def perform(self, request: HttpRequest, token: str) -> HttpResponse:
        t = TEXT[page_language(request)]
        password = str(request.POST.get("new_password") or "")
        again = str(request.POST.get("new_password2") or "")
        if token_state(secret=token, purpose=self.purpose) != "live":
            raise InvalidTokenError()
        if not password or not again:
            return self.live_page(request, token, errors=[t["reset_missing"]])
        if password != again:
            return self.live_page(request, token, errors=[t["reset_mismatch"]])
        try:
            flows.reset_password(token=token, new_password=password)
        except InvalidPasswordError as exc:
            return self.live_page(request, token, errors=[str(m) for m in exc.extra.get("messages") or [exc.message]])
        return outcome(request, kind="done", title="reset_done_title", message="reset_done", status=200)


class EmailConfirmPage(TokenPage):
    purpose = Purpose.EMAIL_CHANGE
    prefix = "email"
    expired_help = "email_expired_help"

    def live_context(self, request: HttpRequest, token: str) -> dict[str, Any]:
        row = token_peek(secret=token, purpose=self.purpose)
        return {"detail": str(row.data.get("new_email", "")) if row is not None else ""}

    def perform(self, request: HttpRequest, token: str) -> HttpResponse:
        try:
            user = flows.confirm_email_change(token=token)
        except EmailTakenError:
            return outcome(request, kind="error", title="email_title", message="email_taken", status=409)
        t = TEXT[page_language(request)]
        return outcome(
            request,
            kind="done",
            title="email_done_title",
            message=t["email_done"].format(email=user.email),
            status=200,
        )


class UnlockPage(TokenPage):
    purpose = Purpose.UNLOCK
    prefix = "unlock"
    expired_help = "unlock_expired_help"
    expired_action = ("/password/forgot", "reset_expired_action")

    def perform(self, request: HttpRequest, token: str) -> HttpResponse:
        flows.unlock(token=token)
        return outcome(request, kind="done", title="unlock_done_title", message="unlock_done", status=200)


class EmailFormPage(View):
    """A one-field form (an email address) that asks for a new link; the same answer whether or not
    the address has an account."""

    prefix = ""

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.form(request)

    def form(self, request: HttpRequest, *, errors: list[str] | None = None, value: str = "") -> HttpResponse:
        return render_page(
            request,
            "email_form",
            {**words(request, self.prefix), "errors": errors or [], "value": value},
            status=400 if errors else 200,
        )

    def post(self, request: HttpRequest) -> HttpResponse:
        t = TEXT[page_language(request)]
        address = str(request.POST.get("email") or "").strip()[:254]
        try:
            validate_email(address)
        except ValidationError:
            return self.form(request, errors=[t["email_invalid"]], value=address)
        return self.perform(request, address)

    def perform(self, request: HttpRequest, address: str) -> HttpResponse:
        raise NotImplementedError


class ResendVerificationPage(EmailFormPage):
    prefix = "resend"

    def perform(self, request: HttpRequest, address: str) -> HttpResponse:
        try:
            flows.resend_verification(email=address)
        except ResendThrottledError:
            return self.form(request, errors=[TEXT[page_language(request)]["resend_wait"]], value=address)
        return outcome(request, kind="done", title="resend_done_title", message="resend_done", status=200)


class PasswordForgotPage(EmailFormPage):
    prefix = "forgot"

    def perform(self, request: HttpRequest, address: str) -> HttpResponse:
        flows.forgot_password(email=address)
        return outcome(request, kind="done", title="forgot_done_title", message="forgot_done", status=200)
