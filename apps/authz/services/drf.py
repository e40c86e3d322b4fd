"""DRF authentication and permission classes every app uses; ``request.user`` becomes a PrincipalData.

- :class:`BearerTokenAuthentication`: ``Authorization: Bearer <access JWT>``, verified in this process with
  cached public keys and one Redis read (no database query), whether authz is local or remote.
- :class:`ApiKeyAuthentication`: ``X-API-Key: <key>``, checked by the authz service (a database read).
- :class:`IsAuthenticatedPrincipal`: a principal is required, and an API key must hold the view's scope.
- :class:`ScopeRequired`: API keys need ``<app>:read`` for safe methods and ``<app>:write`` otherwise; the
  app is the view's ``authz_app`` attribute or the ``apps.<app>`` package the view lives in. Views that set
  ``api_keys_allowed = False`` (creating keys, changing passwords) refuse keys altogether.
- :class:`HasPermission`: ``permission_classes = [IsAuthenticatedPrincipal, HasPermission("account.view_users")]``.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from apps.authz.services.dto import PrincipalData
from apps.authz.services.errors import InvalidTokenError
from apps.authz.services.interface import AuthzService
from apps.authz.services.rbac import roles_grant
from apps.authz.services.verifier import verify_access_token

__all__ = [
    "ApiKeyAuthentication",
    "BearerTokenAuthentication",
    "DenyApiKeys",
    "HasPermission",
    "IsAuthenticatedPrincipal",
    "ScopeRequired",
    "bearer_principal",
]


def _failed(exc: InvalidTokenError) -> exceptions.AuthenticationFailed:
    # AuthenticationFailed (not the ServiceError) so DRF adds WWW-Authenticate and answers 401.
    return exceptions.AuthenticationFailed(exc.message, code=exc.code)


def bearer_principal(authorization: str) -> PrincipalData | None:
    """The principal of an ``Authorization: Bearer <token>`` header value when the token is a valid,
    unrevoked access token; ``None`` for anything else (absent, another scheme, malformed, invalid).

    For fast paths outside DRF that hand every other case to the full view, which answers it in the
    error shape. Raises :class:`RevocationCheckUnavailableError` like :class:`BearerTokenAuthentication`.
    """
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token:
        return None
    try:
        return verify_access_token(token)
    except InvalidTokenError:
        return None


class BearerTokenAuthentication(BaseAuthentication):
    """``Authorization: Bearer <jwt>`` -> PrincipalData (kind "user")."""

    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[PrincipalData, str] | None:
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header:
            return None
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer":
            return None
        token = token.strip()
        if not token or " " in token:
            raise exceptions.AuthenticationFailed("Malformed Authorization header.", code="authz.invalid_token")
        try:
            return verify_access_token(token), token
        except InvalidTokenError as exc:
            raise _failed(exc) from None

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


class ApiKeyAuthentication(BaseAuthentication):
    """``X-API-Key: <key>`` -> PrincipalData (kind "api_key", with scopes)."""

    def authenticate(self, request: Request) -> tuple[PrincipalData, str] | None:
        key = request.META.get("HTTP_X_API_KEY", "").strip()
        if not key:
            return None
        try:
            return AuthzService.resolve().authenticate_api_key(api_key=key), key
        except InvalidTokenError as exc:
            raise _failed(exc) from None

    def authenticate_header(self, request: Request) -> str:
        return 'ApiKey realm="api"'


def _principal(request: Request) -> PrincipalData | None:
    user = request.user
    return user if isinstance(user, PrincipalData) else None


def view_app(view: Any) -> str:
    """The app a view belongs to, for scope checks: ``view.authz_app`` or ``apps.<app>`` from its module."""
    explicit = getattr(view, "authz_app", None)
    if isinstance(explicit, str):
        return explicit
    parts = type(view).__module__.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "apps" else ""


def _scope_ok(request: Request, view: Any, principal: PrincipalData) -> bool:
    if principal.kind != "api_key":
        return True
    if getattr(view, "api_keys_allowed", True) is False:
        return False
    app = view_app(view)
    return bool(app) and principal.allows(app, "read" if request.method in SAFE_METHODS else "write")


class ScopeRequired(BasePermission):
    """API keys need the view's ``<app>:read`` (safe methods) or ``<app>:write`` scope; others pass."""

    message = "This API key's scopes do not allow this request."
    code = "authz.insufficient_scope"

    def has_permission(self, request: Request, view: Any) -> bool:
        principal = _principal(request)
        return principal is None or _scope_ok(request, view, principal)


class IsAuthenticatedPrincipal(BasePermission):
    """A signed-in principal is required (401 otherwise); API keys must also hold the view's scope (403)."""

    message = "This API key's scopes do not allow this request."
    code = "authz.insufficient_scope"

    def has_permission(self, request: Request, view: Any) -> bool:
        principal = _principal(request)
        if principal is None:
            raise exceptions.NotAuthenticated()
        return _scope_ok(request, view, principal)


class DenyApiKeys(BasePermission):
    """Refuses API keys (for creating keys, changing passwords and other account-security actions)."""

    message = "API keys cannot be used for this request; sign in."
    code = "authz.api_key_not_allowed"

    def has_permission(self, request: Request, view: Any) -> bool:
        principal = _principal(request)
        return principal is None or principal.kind != "api_key"


class HasPermission(BasePermission):
    """Requires a global permission held by one of the principal's roles.

    Used as an instance: ``permission_classes = [IsAuthenticatedPrincipal, HasPermission("authz.view_sessions")]``
    (DRF instantiates permission classes by calling them; calling an instance returns itself).
    """

    code = "authz.permission_denied"

    def __init__(self, permission: str) -> None:
        self.permission = permission
        self.message = f"You need the {permission!r} permission."

    def __call__(self) -> HasPermission:
        return self

    def has_permission(self, request: Request, view: Any) -> bool:
        principal = _principal(request)
        if principal is None:
            raise exceptions.NotAuthenticated()
        return roles_grant(principal.roles, self.permission)


class BearerTokenScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    """Documents :class:`BearerTokenAuthentication` in the OpenAPI schema."""

    target_class = BearerTokenAuthentication
    name = "bearerAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}


class ApiKeyScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    """Documents :class:`ApiKeyAuthentication` in the OpenAPI schema."""

    target_class = ApiKeyAuthentication
    name = "apiKeyAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "apiKey", "in": "header", "name": "X-API-Key"}
