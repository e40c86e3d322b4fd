"""Key rotation and purging: tokens of the old key keep verifying until they expire, then it is gone."""

from __future__ import annotations

import io
import uuid
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from apps.authz import keys
from apps.authz.models import Session, SigningKey
from apps.authz.services import authz_service
from apps.authz.services.verifier import jwks_cache

pytestmark = pytest.mark.django_db


def kid_of(token: str) -> str:
    import jwt

    return str(jwt.get_unverified_header(token)["kid"])


def test_rotate_signing_key(user_id: uuid.UUID) -> None:
    old = authz_service.issue_tokens(user_id=user_id)
    out = io.StringIO()
    call_command("rotate_signing_key", stdout=out)
    assert "New signing key" in out.getvalue()
    new = authz_service.issue_tokens(user_id=user_id)
    assert kid_of(new.access_token) != kid_of(old.access_token)
    published = [k["kid"] for k in authz_service.get_jwks()["keys"]]
    assert published == [kid_of(new.access_token), kid_of(old.access_token)]  # newest first
    # a verifier that cached only the old key learns the new kid on first sight
    authz_service.authenticate_token(access_token=old.access_token)
    authz_service.authenticate_token(access_token=new.access_token)

    # once the old key's tokens have all expired it leaves the JWKS, and its tokens stop verifying
    SigningKey.objects.filter(kid=kid_of(old.access_token)).update(
        retired_at=timezone.now() - keys.publish_window() - timedelta(seconds=1)
    )
    assert [k["kid"] for k in authz_service.get_jwks()["keys"]] == [kid_of(new.access_token)]
    jwks_cache.clear()
    from apps.authz.services import InvalidTokenError

    with pytest.raises(InvalidTokenError):
        authz_service.authenticate_token(access_token=old.access_token)
    call_command("purge_expired_sessions", stdout=io.StringIO())
    assert SigningKey.objects.count() == 1


def test_private_keys_are_stored_encrypted() -> None:
    key = keys.create_key()
    stored = bytes(SigningKey.objects.get(kid=key.kid).private_key_encrypted)
    assert b"PRIVATE KEY" not in stored
    assert "d" not in key.public_jwk


def test_purge_expired_sessions(user_id: uuid.UUID) -> None:
    live = authz_service.issue_tokens(user_id=user_id)
    expired = authz_service.issue_tokens(user_id=user_id)
    old_revoked = authz_service.issue_tokens(user_id=user_id)
    recent_revoked = authz_service.issue_tokens(user_id=user_id)
    Session.objects.filter(id=expired.session_id).update(expires_at=timezone.now() - timedelta(seconds=1))
    Session.objects.filter(id=old_revoked.session_id).update(revoked_at=timezone.now() - timedelta(days=31))
    authz_service.revoke_session(user_id=user_id, session_id=recent_revoked.session_id, reason="logout")
    out = io.StringIO()
    call_command("purge_expired_sessions", stdout=out)
    assert "Deleted 2 session(s)" in out.getvalue()
    assert set(Session.objects.values_list("id", flat=True)) == {live.session_id, recent_revoked.session_id}
