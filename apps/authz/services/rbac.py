"""Role -> permission checks from a principal's roles, without a call per request.

The role table is small and changes rarely: each process keeps it for ``AUTHZ_LOCAL_CACHE_SECONDS``,
fetched through the authz interface (local or remote). Permission strings are ``"app.action"``; a role may
hold ``"app.*"`` (every action of an app) or ``"*"`` (everything).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable

from apps.authz import conf
from apps.authz.services.interface import AuthzService


def grants(held: Iterable[str], permission: str) -> bool:
    """Whether the permission strings ``held`` include ``permission`` (directly or by wildcard)."""
    app = permission.split(".", 1)[0]
    return any(perm in ("*", permission, f"{app}.*") for perm in held)


class RolePermissionCache:
    """``{role: permissions}`` kept in process memory."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._value: tuple[float, dict[str, frozenset[str]]] | None = None

    def clear(self) -> None:
        self._value = None

    def get(self) -> dict[str, frozenset[str]]:
        value = self._value
        if value is not None and time.monotonic() - value[0] < conf.get("AUTHZ_LOCAL_CACHE_SECONDS"):
            return value[1]
        with self._lock:
            table: dict[str, frozenset[str]] = AuthzService.resolve().list_role_permissions()
            self._value = (time.monotonic(), table)
            return table


role_permissions = RolePermissionCache()


def roles_grant(roles: Iterable[str], permission: str) -> bool:
    """Whether any of ``roles`` grants ``permission``."""
    table = role_permissions.get()
    return any(grants(table.get(role, frozenset()), permission) for role in roles)
