"""The in-process implementation of :class:`AuthzService`."""

from __future__ import annotations

import logging
import re
import uuid
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from apps.authz import conf, keys, revocation, selectors, tokens
from apps.authz.models import ApiKey, RefreshToken, Role, Session, UserRole
from apps.authz.services.dto import ApiKeyCreatedData, ApiKeyData, PrincipalData, SessionData, TokenPairData
from apps.authz.services.errors import (
    ApiKeyLimitError,
    ApiKeyNotFoundError,
    InvalidScopeError,
    InvalidTokenError,
    MissingPermissionError,
    SessionNotFoundError,
    TokenReusedError,
    UnknownRoleError,
)
from apps.authz.services.interface import AuthzService
from apps.authz.services.rbac import grants
from apps.authz.services.verifier import verify_access_token
from gau.rpc import InvalidInputError

logger = logging.getLogger("gau.authz")

REUSE_REASON = "refresh_token_reused"
MAX_API_KEYS = 50
_SCOPE = re.compile(r"^(?P<app>[a-z]+):(read|write)$")


def session_data(session: Session) -> SessionData:
    """The DTO for a session row."""
    return SessionData(
        id=session.id,
        created_at=session.created_at,
        last_used_at=session.last_used_at,
        user_agent=session.user_agent,
        ip=session.ip,
        device_id=session.device_id,
        revoked_at=session.revoked_at,
        revoked_reason=session.revoked_reason,
        expires_at=session.expires_at,
    )


def api_key_data(key: ApiKey) -> ApiKeyData:
    """The DTO for an API key row (no secret)."""
    return ApiKeyData(
        id=key.id,
        name=key.name,
        prefix=key.prefix,
        scopes=frozenset(key.scopes),
        created_at=key.created_at,
        expires_at=key.expires_at,
        last_used_at=key.last_used_at,
        revoked_at=key.revoked_at,
    )


def _send_reuse_alert(user_id: uuid.UUID, session_id: uuid.UUID) -> None:
    """Email the owner that a session was ended for refresh-token reuse. Never raises: the 401 matters more."""
    from apps.account.services import account_service
    from apps.email.services import email_service

    try:
        user = account_service.get_user(user_id=user_id)
        if user is None:
            return
        email_service.send(
            template="account/security_alert",
            to=user.email,
            context={
                "display_name": user.display_name,
                "reason": "A sign-in token of yours was used twice, which can mean it was stolen. "
                "We signed that device out; sign in again, and change your password if this was not you.",
            },
            idempotency_key=f"authz.refresh_reuse.{session_id}",
        )
    except Exception:
        logger.exception("could not send the refresh-reuse alert for session %s", session_id)


def _publish(session_ids: list[uuid.UUID]) -> None:
    """Add revoked sessions to the Redis set right after our own transaction (not on the caller's commit):
    if a caller's outer transaction rolls back, the only effect is that a live session's access tokens are
    refused until they are refreshed, which fails safe."""
    revocation.publish(session_ids)


def _lock_device(user_id: uuid.UUID, device_id: str) -> None:
    """Serialise concurrent logins from one device (PostgreSQL advisory lock held until commit), so exactly
    one session per (user, device) stays live. SQLite (the embedded dev default) serialises writes anyway."""
    _advisory_lock(f"authz:{user_id}:{device_id}")


def _advisory_lock(name: str) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [name])


def _enforce_session_limit(user_id: uuid.UUID, now: datetime) -> list[uuid.UUID]:
    """End the user's least recently used live sessions beyond ``AUTHZ_MAX_SESSIONS_PER_USER``; their ids.

    Called with the new session created, under a per-user advisory lock (taken after any device lock, so
    always in the same order), so concurrent sign-ins cannot overshoot the limit.
    """
    limit = max(1, int(conf.get("AUTHZ_MAX_SESSIONS_PER_USER")))
    live = Session.objects.filter(user_id=user_id, revoked_at__isnull=True, expires_at__gt=now)
    excess = list(
        live.order_by(F("last_used_at").desc(nulls_last=True), "-created_at").values_list("id", flat=True)[limit:]
    )
    if excess:
        Session.objects.filter(id__in=excess).update(revoked_at=now, revoked_reason="session_limit")
    return excess


class LocalAuthzService(AuthzService):
    """Implements the authz interface on this process's database."""

    # --- Tokens -------------------------------------------------------------------------------

    def _pair(self, *, session: Session, refresh_token: str, issued_at: datetime) -> TokenPairData:
        roles = selectors.roles_of(user_id=session.user_id)
        claims = tokens.access_claims(
            user_id=session.user_id, session_id=session.id, roles=roles, issued_at=issued_at, seed=refresh_token
        )
        return TokenPairData(
            access_token=keys.sign(claims),
            refresh_token=refresh_token,
            expires_in=int(conf.get("AUTHZ_ACCESS_TOKEN_LIFETIME")),
            session_id=session.id,
        )

    def issue_tokens(
        self, *, user_id: uuid.UUID, device_id: str | None = None, user_agent: str = "", ip: str | None = None
    ) -> TokenPairData:
        now = timezone.now()
        refresh = tokens.new_refresh_token()
        device_id = (device_id or "").strip()[:200] or None
        with transaction.atomic():
            replaced: list[uuid.UUID] = []
            if device_id is not None:
                _lock_device(user_id, device_id)
                replaced = list(
                    Session.objects.select_for_update()
                    .filter(user_id=user_id, device_id=device_id, revoked_at__isnull=True)
                    .values_list("id", flat=True)
                )
                Session.objects.filter(id__in=replaced).update(revoked_at=now, revoked_reason="replaced")
            session = Session.objects.create(
                user_id=user_id,
                device_id=device_id,
                user_agent=user_agent[:500],
                ip=ip or None,
                last_used_at=now,
                expires_at=now + timedelta(seconds=conf.get("AUTHZ_SESSION_LIFETIME")),
            )
            RefreshToken.objects.create(token_hash=tokens.digest(refresh), session=session)
            _advisory_lock(f"authz:{user_id}:sessions")
            replaced += _enforce_session_limit(user_id, now)
        _publish(replaced)
        return self._pair(session=session, refresh_token=refresh, issued_at=now)

    def refresh_tokens(self, *, refresh_token: str) -> TokenPairData:
        if not refresh_token.startswith(tokens.REFRESH_PREFIX) or len(refresh_token) > 200:
            raise InvalidTokenError()
        token_hash = tokens.digest(refresh_token)
        now = timezone.now()
        reused = False
        with transaction.atomic():
            # Every read here decides a write, so it must not come from a lagging replica: inside the
            # transaction the router sends reads to the primary (gau/dbrouters.py).
            found = RefreshToken.objects.filter(token_hash=token_hash).values_list("session_id", flat=True).first()
            if found is None:
                raise InvalidTokenError()
            # The session row lock serialises every rotation of this token family: of two concurrent
            # refreshes with the same token, the second sees the first's rotation after the lock.
            session = Session.objects.select_for_update().filter(id=found).first()
            if session is None or session.revoked_at is not None or session.expires_at <= now:
                raise InvalidTokenError()
            current = RefreshToken.objects.get(token_hash=token_hash)
            child = tokens.successor(refresh_token)
            if current.used_at is None:
                current.used_at = now
                current.save(update_fields=["used_at"])
                RefreshToken.objects.create(token_hash=tokens.digest(child), session=session)
                session.last_used_at = now
                session.save(update_fields=["last_used_at"])
                issued_at = now
            else:
                grace = timedelta(seconds=conf.get("AUTHZ_REFRESH_GRACE_SECONDS"))
                child_unused = RefreshToken.objects.filter(
                    token_hash=tokens.digest(child), session=session, used_at__isnull=True
                ).exists()
                if grace and now - current.used_at <= grace and child_unused:
                    issued_at = current.used_at  # the replay gets the same pair as the first answer
                else:
                    session.revoked_at, session.revoked_reason = now, REUSE_REASON
                    session.save(update_fields=["revoked_at", "revoked_reason"])
                    user_id, session_id = session.user_id, session.id
                    transaction.on_commit(lambda: _send_reuse_alert(user_id, session_id))
                    reused = True
        if reused:
            _publish([session.id])
            logger.warning("refresh token reuse: session %s of user %s revoked", session.id, session.user_id)
            raise TokenReusedError()
        return self._pair(session=session, refresh_token=child, issued_at=issued_at)

    def authenticate_token(self, *, access_token: str) -> PrincipalData:
        return verify_access_token(access_token)

    def authenticate_api_key(self, *, api_key: str) -> PrincipalData:
        if not api_key.startswith(tokens.API_KEY_PREFIX) or len(api_key) > 200:
            raise InvalidTokenError()
        now = timezone.now()
        key = ApiKey.objects.filter(key_hash=tokens.digest(api_key), revoked_at__isnull=True).first()
        if key is None or (key.expires_at is not None and key.expires_at <= now):
            raise InvalidTokenError()
        touch_before = now - timedelta(seconds=conf.get("AUTHZ_API_KEY_TOUCH_SECONDS"))
        if key.last_used_at is None or key.last_used_at < touch_before:
            ApiKey.objects.filter(Q(last_used_at__isnull=True) | Q(last_used_at__lt=touch_before), id=key.id).update(
                last_used_at=now
            )
        return PrincipalData(
            user_id=key.user_id,
            kind="api_key",
            api_key_id=key.id,
            roles=selectors.roles_of(user_id=key.user_id),
            scopes=frozenset(key.scopes),
        )

    def get_jwks(self) -> dict[str, Any]:
        return keys.jwks()

    # --- Sessions -----------------------------------------------------------------------------

    def list_sessions(self, *, user_id: uuid.UUID) -> list[SessionData]:
        return [session_data(s) for s in selectors.session_list(user_id=user_id)]

    def revoke_session(self, *, user_id: uuid.UUID, session_id: uuid.UUID, reason: str) -> None:
        with transaction.atomic():
            updated = Session.objects.filter(id=session_id, user_id=user_id, revoked_at__isnull=True).update(
                revoked_at=timezone.now(), revoked_reason=reason[:64]
            )
            if not updated and not Session.objects.filter(id=session_id, user_id=user_id).exists():
                raise SessionNotFoundError()
        _publish([session_id])

    def revoke_all_sessions(
        self, *, user_id: uuid.UUID, reason: str, except_session_id: uuid.UUID | None = None
    ) -> int:
        with transaction.atomic():
            live = Session.objects.select_for_update().filter(user_id=user_id, revoked_at__isnull=True)
            if except_session_id is not None:
                live = live.exclude(id=except_session_id)
            ids = list(live.values_list("id", flat=True))
            Session.objects.filter(id__in=ids).update(revoked_at=timezone.now(), revoked_reason=reason[:64])
        _publish(ids)
        return len(ids)

    # --- Roles and permissions ---------------------------------------------------------------

    def check_permission(self, *, user_id: uuid.UUID, permission: str) -> bool:
        table = selectors.role_permissions()
        return any(grants(table.get(r, frozenset()), permission) for r in selectors.roles_of(user_id=user_id))

    def require_permission(self, *, user_id: uuid.UUID, permission: str) -> None:
        if not self.check_permission(user_id=user_id, permission=permission):
            raise MissingPermissionError(permission=permission)

    def get_roles(self, *, user_id: uuid.UUID) -> frozenset[str]:
        return selectors.roles_of(user_id=user_id)

    def set_roles(self, *, user_id: uuid.UUID, roles: frozenset[str]) -> frozenset[str]:
        wanted = set(roles) - {selectors.BASE_ROLE}
        known = set(Role.objects.filter(name__in=wanted).values_list("name", flat=True))
        if wanted - known:
            raise UnknownRoleError(roles=sorted(wanted - known))
        with transaction.atomic():
            UserRole.objects.filter(user_id=user_id).exclude(role_id__in=wanted).delete()
            for name in wanted:
                UserRole.objects.get_or_create(user_id=user_id, role_id=name)
        return selectors.roles_of(user_id=user_id)

    def list_role_permissions(self) -> dict[str, frozenset[str]]:
        return selectors.role_permissions()

    # --- API keys -----------------------------------------------------------------------------

    def create_api_key(
        self, *, user_id: uuid.UUID, name: str, scopes: frozenset[str], expires_at: datetime | None = None
    ) -> ApiKeyCreatedData:
        bad = sorted(s for s in scopes if not (m := _SCOPE.match(s)) or m.group("app") not in settings.GAU_APPS)
        if bad or not scopes:
            raise InvalidScopeError(scopes=bad)
        if expires_at is not None and expires_at <= timezone.now():
            raise InvalidInputError("The expiry must be in the future.", field="expires_at")
        if ApiKey.objects.filter(user_id=user_id, revoked_at__isnull=True).count() >= MAX_API_KEYS:
            raise ApiKeyLimitError(limit=MAX_API_KEYS)
        secret = tokens.new_api_key()
        key = ApiKey.objects.create(
            user_id=user_id,
            name=name.strip()[:100] or "API key",
            prefix=tokens.api_key_prefix(secret),
            key_hash=tokens.digest(secret),
            scopes=sorted(scopes),
            expires_at=expires_at,
        )
        return ApiKeyCreatedData(api_key=api_key_data(key), key=secret)

    def list_api_keys(self, *, user_id: uuid.UUID) -> list[ApiKeyData]:
        return [api_key_data(k) for k in selectors.api_key_list(user_id=user_id)]

    def revoke_api_key(self, *, user_id: uuid.UUID, api_key_id: uuid.UUID) -> None:
        if not ApiKey.objects.filter(id=api_key_id, user_id=user_id).exists():
            raise ApiKeyNotFoundError()
        ApiKey.objects.filter(id=api_key_id, user_id=user_id, revoked_at__isnull=True).update(revoked_at=timezone.now())

    # --- The user's data -------------------------------------------------------------------------

    def delete_user_data(self, *, user_id: uuid.UUID) -> None:
        with transaction.atomic():
            ids = list(Session.objects.filter(user_id=user_id, revoked_at__isnull=True).values_list("id", flat=True))
            Session.objects.filter(user_id=user_id).delete()
            ApiKey.objects.filter(user_id=user_id).delete()
            UserRole.objects.filter(user_id=user_id).delete()
        _publish(ids)

    def export_user_data(self, *, user_id: uuid.UUID) -> dict[str, Any]:
        return {
            "roles": sorted(selectors.roles_of(user_id=user_id)),
            "sessions": [s.model_dump(mode="json") for s in self.list_sessions(user_id=user_id)],
            "api_keys": [
                k.model_dump(mode="json")
                for k in (api_key_data(k) for k in ApiKey.objects.filter(user_id=user_id).order_by("-created_at"))
            ],
        }
