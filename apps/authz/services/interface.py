"""The authz service interface: typed, keyword-only methods; plain data in and out."""

from __future__ import annotations

from gau.rpc import Service


class AuthzService(Service):
    """JWT access/refresh tokens, rotation and revocation, sessions, roles and permissions, API keys, JWKS."""

    app = "authz"
    local_implementation = "apps.authz.services.local.LocalAuthzService"
