"""Who may call the account API: a principal from authz, limited by API-key scopes."""

from __future__ import annotations

from typing import Any, Literal

from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from apps.account.services.errors import SessionRequiredError
from apps.authz.services import PrincipalData


def principal(request: Request) -> PrincipalData:
    """The authenticated principal (the permission classes guarantee there is one)."""
    user = request.user
    assert isinstance(user, PrincipalData)
    return user


class IsPrincipal(BasePermission):
    """An authenticated principal (session token or API key), with account scopes for API keys.

    Reads need ``account:read`` (or ``account:write``); anything else needs ``account:write``.
    """

    message = "Authentication credentials were not provided or are not valid."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if not isinstance(user, PrincipalData):
            return False
        access: Literal["read", "write"] = "read" if request.method in SAFE_METHODS else "write"
        if not user.allows("account", access):
            self.message = f"This API key lacks the account:{access} scope."
            return False
        return True


class IsSession(IsPrincipal):
    """A signed-in session: API keys may not change credentials, sessions or the account's existence."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if not super().has_permission(request, view):
            return False
        if principal(request).kind != "user":
            raise SessionRequiredError()
        return True
