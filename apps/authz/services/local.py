"""The in-process implementation of :class:`AuthzService`."""

from __future__ import annotations

from apps.authz.services.interface import AuthzService


class LocalAuthzService(AuthzService):
    """Implements the authz interface on this process's database."""
