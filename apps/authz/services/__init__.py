"""The authz app's public surface: the only module other apps may import.

``authz_service`` is the in-process implementation, or a remote proxy when GAU_SERVICE_URLS names
"authz". The DRF classes (authentication and permissions, see :mod:`apps.authz.services.drf`) are
re-exported here.
"""

from apps.authz.services import dto, errors
from apps.authz.services.drf import (
    ApiKeyAuthentication,
    BearerTokenAuthentication,
    DenyApiKeys,
    HasPermission,
    IsAuthenticatedPrincipal,
    ScopeRequired,
    bearer_principal,
)
from apps.authz.services.dto import *  # noqa: F403
from apps.authz.services.errors import *  # noqa: F403
from apps.authz.services.interface import AuthzService

authz_service = AuthzService.resolve()


def clear_local_caches() -> None:
    """Forget this process's cached signing key, JWKS and role table (tests that truncate tables call this)."""
    from apps.authz import keys
    from apps.authz.revocation import reset_listeners
    from apps.authz.services.rbac import role_permissions
    from apps.authz.services.verifier import jwks_cache, verified_tokens

    keys.clear_cache()
    reset_listeners()
    jwks_cache.clear()
    verified_tokens.clear()
    role_permissions.clear()


__all__ = [
    "ApiKeyAuthentication",
    "AuthzService",
    "BearerTokenAuthentication",
    "DenyApiKeys",
    "HasPermission",
    "IsAuthenticatedPrincipal",
    "ScopeRequired",
    "authz_service",
    "bearer_principal",
    "clear_local_caches",
]
__all__ += dto.__all__
__all__ += errors.__all__
