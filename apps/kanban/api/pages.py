"""The hosted page of the kanban invitation link (``/kanban/invitations/accept?token=…``).

The look, headers, language rule and CSRF rule are the shared ones of :mod:`gau.pages`. **A GET never
spends the invitation**: it shows the project, the role and a sign-in form. The POST signs the person in
through the account interface (``authenticate_password``, then ``authenticate_mfa`` when the account has
a second factor: the API's throttle, unlock email, verified-address rule and new-device notice; no
session is issued and none is used) and accepts through :func:`projects.invitation_accept` as that user.

Outcomes are pages: the form again with its error (wrong password or code), accepted (with the project
name), one neutral page for an unknown, expired, used or someone else's invitation (as the API answers),
throttled (429) and service down (503).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.views import View

from apps.account.services import (
    EmailNotVerifiedError,
    InvalidCredentialsError,
    InvalidMfaCodeError,
    InvalidTokenError,
    LoginThrottledError,
    UserData,
    account_service,
)
from apps.kanban.api.page_text import TEXT
from apps.kanban.models import Invitation
from apps.kanban.services import projects
from apps.kanban.services.errors import InvitationInvalidError
from gau import pages
from gau.pages import page_language
from gau.rpc import ServiceUnavailableError


def _client(request: HttpRequest) -> tuple[str, str]:
    """The peer address (a trusted proxy in front sets REMOTE_ADDR) and the user agent."""
    ip = str(request.META.get("REMOTE_ADDR") or "0.0.0.0")  # noqa: S104  # not a bind address
    return ip, str(request.META.get("HTTP_USER_AGENT", ""))[:512]


class InvitationAcceptPage(View):
    """GET: the invitation and a sign-in form. POST ``step=password`` (then ``step=mfa``): sign in, accept."""

    def t(self, request: HttpRequest) -> dict[str, str]:
        return TEXT[page_language(request)]

    def token(self, request: HttpRequest) -> str:
        return str(request.POST.get("token") or request.GET.get("token") or "").strip()[:200]

    def outcome(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        return pages.outcome(request, text=TEXT, **kwargs)

    def invalid(self, request: HttpRequest) -> HttpResponse:
        return self.outcome(request, kind="invalid", title="invalid_title", message="invalid", status=400)

    def form(
        self,
        request: HttpRequest,
        invitation: Invitation,
        *,
        errors: list[str] | None = None,
        mfa_token: str = "",
        status: int = 200,
    ) -> HttpResponse:
        t = self.t(request)
        words = {"project": invitation.project.name, "role": t[f"role_{invitation.role}"]}
        context = {
            "page": "accept",
            "title": t["accept_title"].format(**words),
            "intro": t["accept_intro"].format(**words),
            "button": t["accept_button"],
            "token": self.token(request),
            "email": str(request.POST.get("email") or "").strip()[:254],
            "mfa_token": mfa_token,
            "errors": errors or [],
        }
        return pages.render_page(request, "kanban/pages/accept.html", context, text=TEXT, status=status)

    def get(self, request: HttpRequest) -> HttpResponse:
        invitation = projects.invitation_peek(token=self.token(request))
        if invitation is None:
            return self.invalid(request)
        return self.form(request, invitation)

    def post(self, request: HttpRequest) -> HttpResponse:
        try:
            return self.perform(request)
        except ServiceUnavailableError:
            return self.outcome(request, kind="error", title="unavailable_title", message="unavailable", status=503)
        except LoginThrottledError as exc:
            response = self.outcome(request, kind="throttled", title="throttled_title", message="throttled", status=429)
            retry = exc.extra.get("retry_after")
            if retry:
                response["Retry-After"] = str(int(retry))
            return response

    def perform(self, request: HttpRequest) -> HttpResponse:
        t = self.t(request)
        token = self.token(request)
        invitation = projects.invitation_peek(token=token)
        if invitation is None:
            return self.invalid(request)
        ip, agent = _client(request)
        user: UserData | None
        if request.POST.get("step") == "mfa":
            mfa_token = str(request.POST.get("mfa_token") or "")[:200]
            code = str(request.POST.get("code") or "").strip()[:64]
            if not code:
                return self.form(request, invitation, errors=[t["missing_code"]], mfa_token=mfa_token, status=400)
            try:
                user = account_service.authenticate_mfa(mfa_token=mfa_token, code=code, ip=ip)
            except InvalidMfaCodeError:
                return self.form(request, invitation, errors=[t["wrong_code"]], mfa_token=mfa_token, status=400)
            except InvalidTokenError:
                return self.form(request, invitation, errors=[t["step_expired"]], status=400)
        else:
            email = str(request.POST.get("email") or "").strip()[:254]
            password = str(request.POST.get("password") or "")[:4096]
            if not email or not password:
                return self.form(request, invitation, errors=[t["missing"]], status=400)
            try:
                check = account_service.authenticate_password(
                    identifier=email, password=password, ip=ip, user_agent=agent
                )
            except InvalidCredentialsError:
                return self.form(request, invitation, errors=[t["wrong_credentials"]], status=400)
            except EmailNotVerifiedError:
                return self.form(request, invitation, errors=[t["not_verified"]], status=403)
            if check.mfa_token is not None:
                return self.form(request, invitation, mfa_token=check.mfa_token)
            user = check.user
        if user is None:  # not reachable: the interface answers a user or an MFA step
            return self.invalid(request)
        if not user.email_verified:
            return self.form(request, invitation, errors=[t["not_verified"]], status=403)
        try:
            membership = projects.invitation_accept(user_id=user.id, token=token)
        except InvitationInvalidError:
            return self.invalid(request)
        words = {"project": invitation.project.name, "role": t[f"role_{membership.role}"]}
        return self.outcome(
            request,
            kind="done",
            title=t["accepted_title"].format(**words),
            message=t["accepted"].format(**words),
            status=200,
        )
