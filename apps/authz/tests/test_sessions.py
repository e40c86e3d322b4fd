"""Sessions: rotation, reuse detection, grace window, device replacement, revocation taking effect at once."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import pytest
from django.db import connection
from django.test.utils import override_settings

from apps.authz.models import RefreshToken, Session
from apps.authz.services import (
    InvalidTokenError,
    RevocationCheckUnavailableError,
    SessionNotFoundError,
    TokenPairData,
    TokenReusedError,
    authz_service,
)


@pytest.mark.django_db
class TestRotation:
    def test_refresh_rotates_and_old_token_is_dead(self, user_id: uuid.UUID) -> None:
        first = authz_service.issue_tokens(user_id=user_id)
        second = authz_service.refresh_tokens(refresh_token=first.refresh_token)
        assert second.session_id == first.session_id
        assert second.refresh_token != first.refresh_token
        assert second.access_token != first.access_token
        assert authz_service.authenticate_token(access_token=second.access_token).session_id == first.session_id
        third = authz_service.refresh_tokens(refresh_token=second.refresh_token)
        assert third.refresh_token not in {first.refresh_token, second.refresh_token}

    def test_refresh_tokens_are_stored_only_as_hashes(self, user_id: uuid.UUID) -> None:
        pair = authz_service.issue_tokens(user_id=user_id)
        rotated = authz_service.refresh_tokens(refresh_token=pair.refresh_token)
        stored = list(RefreshToken.objects.values_list("token_hash", flat=True))
        assert len(stored) == 2
        for secret in (pair.refresh_token, rotated.refresh_token):
            assert all(secret not in value and secret[7:] not in value for value in stored)

    def test_reuse_revokes_the_whole_session(self, user_id: uuid.UUID) -> None:
        first = authz_service.issue_tokens(user_id=user_id)
        second = authz_service.refresh_tokens(refresh_token=first.refresh_token)
        with pytest.raises(TokenReusedError) as caught:
            authz_service.refresh_tokens(refresh_token=first.refresh_token)
        assert caught.value.code == "authz.token_reused"
        assert caught.value.http_status == 401
        # the legitimate holder's newer tokens die with the session, at once
        with pytest.raises(InvalidTokenError):
            authz_service.refresh_tokens(refresh_token=second.refresh_token)
        with pytest.raises(InvalidTokenError):
            authz_service.authenticate_token(access_token=second.access_token)
        (session,) = authz_service.list_sessions(user_id=user_id)
        assert session.revoked_reason == "refresh_token_reused"
        assert session.revoked_at is not None

    def test_reuse_of_an_older_generation_is_detected_too(self, user_id: uuid.UUID) -> None:
        first = authz_service.issue_tokens(user_id=user_id)
        second = authz_service.refresh_tokens(refresh_token=first.refresh_token)
        authz_service.refresh_tokens(refresh_token=second.refresh_token)
        with pytest.raises(TokenReusedError):
            authz_service.refresh_tokens(refresh_token=first.refresh_token)

    @override_settings(AUTHZ_REFRESH_GRACE_SECONDS=30)
    def test_grace_window_replays_the_same_pair(self, user_id: uuid.UUID) -> None:
        first = authz_service.issue_tokens(user_id=user_id)
        second = authz_service.refresh_tokens(refresh_token=first.refresh_token)
        replay = authz_service.refresh_tokens(refresh_token=first.refresh_token)
        assert replay == second
        assert RefreshToken.objects.count() == 2
        # once the new token has been used, the old one is plain reuse again
        authz_service.refresh_tokens(refresh_token=second.refresh_token)
        with pytest.raises(TokenReusedError):
            authz_service.refresh_tokens(refresh_token=first.refresh_token)

    @override_settings(AUTHZ_REFRESH_GRACE_SECONDS=0)
    def test_strict_by_default(self, user_id: uuid.UUID) -> None:
        first = authz_service.issue_tokens(user_id=user_id)
        authz_service.refresh_tokens(refresh_token=first.refresh_token)
        with pytest.raises(TokenReusedError):
            authz_service.refresh_tokens(refresh_token=first.refresh_token)

    def test_unknown_and_malformed_refresh_tokens(self) -> None:
        for token in ("", "gau_rt_" + "A" * 43, "nonsense", "gau_rt_" + "x" * 500):
            with pytest.raises(InvalidTokenError):
                authz_service.refresh_tokens(refresh_token=token)

    def test_expired_session_cannot_refresh(self, user_id: uuid.UUID) -> None:
        from django.utils import timezone

        pair = authz_service.issue_tokens(user_id=user_id)
        Session.objects.filter(id=pair.session_id).update(expires_at=timezone.now())
        with pytest.raises(InvalidTokenError):
            authz_service.refresh_tokens(refresh_token=pair.refresh_token)

    def test_same_device_login_replaces_its_session(self, user_id: uuid.UUID) -> None:
        phone = authz_service.issue_tokens(user_id=user_id, device_id="phone-1", user_agent="App/1", ip="198.51.100.4")
        laptop = authz_service.issue_tokens(user_id=user_id, device_id="laptop")
        phone_again = authz_service.issue_tokens(user_id=user_id, device_id="phone-1")
        sessions = {s.id: s for s in authz_service.list_sessions(user_id=user_id)}
        assert sessions[phone.session_id].revoked_reason == "replaced"
        assert sessions[laptop.session_id].revoked_at is None
        assert sessions[phone_again.session_id].revoked_at is None
        assert sessions[phone.session_id].user_agent == "App/1"
        assert sessions[phone.session_id].ip == "198.51.100.4"
        with pytest.raises(InvalidTokenError):
            authz_service.authenticate_token(access_token=phone.access_token)
        with pytest.raises(InvalidTokenError):
            authz_service.refresh_tokens(refresh_token=phone.refresh_token)
        authz_service.authenticate_token(access_token=laptop.access_token)


@pytest.mark.django_db
class TestRevocation:
    def test_revoking_a_session_stops_its_access_token_at_once(self, user_id: uuid.UUID) -> None:
        pair = authz_service.issue_tokens(user_id=user_id)
        other = authz_service.issue_tokens(user_id=user_id)
        authz_service.authenticate_token(access_token=pair.access_token)
        authz_service.revoke_session(user_id=user_id, session_id=pair.session_id, reason="logout")
        with pytest.raises(InvalidTokenError):
            authz_service.authenticate_token(access_token=pair.access_token)
        with pytest.raises(InvalidTokenError):
            authz_service.refresh_tokens(refresh_token=pair.refresh_token)
        authz_service.authenticate_token(access_token=other.access_token)
        # idempotent, keeps the first reason
        authz_service.revoke_session(user_id=user_id, session_id=pair.session_id, reason="admin")
        reasons = {s.id: s.revoked_reason for s in authz_service.list_sessions(user_id=user_id)}
        assert reasons[pair.session_id] == "logout"

    def test_a_strangers_session_is_not_found(self, user_id: uuid.UUID) -> None:
        pair = authz_service.issue_tokens(user_id=user_id)
        with pytest.raises(SessionNotFoundError):
            authz_service.revoke_session(user_id=uuid.uuid4(), session_id=pair.session_id, reason="logout")
        with pytest.raises(SessionNotFoundError):
            authz_service.revoke_session(user_id=user_id, session_id=uuid.uuid4(), reason="logout")
        authz_service.authenticate_token(access_token=pair.access_token)

    def test_revoke_all_except_current(self, user_id: uuid.UUID) -> None:
        current, a, b = (authz_service.issue_tokens(user_id=user_id) for _ in range(3))
        bystander = authz_service.issue_tokens(user_id=uuid.uuid4())
        count = authz_service.revoke_all_sessions(
            user_id=user_id, reason="password_changed", except_session_id=current.session_id
        )
        assert count == 2
        for pair in (a, b):
            with pytest.raises(InvalidTokenError):
                authz_service.authenticate_token(access_token=pair.access_token)
        authz_service.authenticate_token(access_token=current.access_token)
        authz_service.authenticate_token(access_token=bystander.access_token)
        assert authz_service.revoke_all_sessions(user_id=user_id, reason="password_reset") == 1

    def test_redis_down_fails_closed_by_default(self, user_id: uuid.UUID, settings: Any) -> None:
        pair = authz_service.issue_tokens(user_id=user_id)
        settings.CACHES = {**settings.CACHES, "down": _unreachable_redis()}
        settings.AUTHZ_REVOCATION_CACHE = "down"
        with pytest.raises(RevocationCheckUnavailableError) as caught:
            authz_service.authenticate_token(access_token=pair.access_token)
        assert caught.value.http_status == 503

    def test_redis_down_fails_open_when_configured(self, user_id: uuid.UUID, settings: Any) -> None:
        pair = authz_service.issue_tokens(user_id=user_id)
        settings.CACHES = {**settings.CACHES, "down": _unreachable_redis()}
        settings.AUTHZ_REVOCATION_CACHE = "down"
        settings.AUTHZ_REVOCATION_FAIL_OPEN = True
        assert authz_service.authenticate_token(access_token=pair.access_token).user_id == user_id

    def test_republish_heals_a_lost_revocation(self, user_id: uuid.UUID) -> None:
        from django.core.cache import cache

        from apps.authz.tasks import republish_revocations

        pair = authz_service.issue_tokens(user_id=user_id)
        authz_service.revoke_session(user_id=user_id, session_id=pair.session_id, reason="logout")
        cache.delete_pattern("authz:*")  # type: ignore[attr-defined]  # django-redis  # as if Redis had been flushed or down during the revocation
        authz_service.authenticate_token(access_token=pair.access_token)
        assert republish_revocations() == 1
        with pytest.raises(InvalidTokenError):
            authz_service.authenticate_token(access_token=pair.access_token)


def _unreachable_redis() -> dict[str, Any]:
    return {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5},
    }


def _race(refresh_token: str, workers: int = 2) -> list[TokenPairData | Exception]:
    barrier = threading.Barrier(workers)
    results: list[TokenPairData | Exception] = []
    lock = threading.Lock()

    def run() -> None:
        try:
            barrier.wait()
            outcome: TokenPairData | Exception = authz_service.refresh_tokens(refresh_token=refresh_token)
        except Exception as exc:
            outcome = exc
        finally:
            connection.close()  # each thread has its own database connection
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=run) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


@pytest.mark.django_db(transaction=True)
def test_concurrent_refresh_exactly_one_wins(user_id: uuid.UUID) -> None:
    """Two connections refresh with the same token at once: one pair, one 401, one successor row."""
    pair = authz_service.issue_tokens(user_id=user_id)
    results = _race(pair.refresh_token)
    wins = [r for r in results if isinstance(r, TokenPairData)]
    losses = [r for r in results if isinstance(r, Exception)]
    assert len(wins) == 1, results
    assert len(losses) == 1
    assert isinstance(losses[0], TokenReusedError), results
    rows = RefreshToken.objects.filter(session_id=pair.session_id)
    assert rows.count() == 2  # the original and exactly one successor: nothing half-rotated
    assert rows.filter(used_at__isnull=True).count() == 1


@pytest.mark.django_db(transaction=True)
@override_settings(AUTHZ_REFRESH_GRACE_SECONDS=10)
def test_concurrent_refresh_within_grace_gets_one_pair(user_id: uuid.UUID) -> None:
    pair = authz_service.issue_tokens(user_id=user_id)
    results = _race(pair.refresh_token, workers=3)
    assert all(isinstance(r, TokenPairData) for r in results), results
    assert len({r.refresh_token for r in results if isinstance(r, TokenPairData)}) == 1
    assert RefreshToken.objects.filter(session_id=pair.session_id).count() == 2
    assert Session.objects.get(id=pair.session_id).revoked_at is None


@pytest.mark.django_db(transaction=True)
def test_concurrent_logins_from_one_device_leave_one_live_session(user_id: uuid.UUID) -> None:
    barrier = threading.Barrier(3)
    sessions: list[uuid.UUID] = []

    def login() -> None:
        try:
            barrier.wait()
            sessions.append(authz_service.issue_tokens(user_id=user_id, device_id="phone").session_id)
        finally:
            connection.close()

    threads = [threading.Thread(target=login) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(sessions) == 3
    live = Session.objects.filter(user_id=user_id, revoked_at__isnull=True)
    assert live.count() == 1
    assert Session.objects.filter(user_id=user_id, revoked_reason="replaced").count() == 2


@pytest.mark.django_db
@override_settings(AUTHZ_MAX_SESSIONS_PER_USER=3)
def test_session_limit_ends_the_least_recently_used(user_id: uuid.UUID) -> None:
    pairs = [authz_service.issue_tokens(user_id=user_id) for _ in range(3)]
    # The oldest one was used most recently: the second-oldest is now the least recently used.
    authz_service.refresh_tokens(refresh_token=pairs[0].refresh_token)
    newest = authz_service.issue_tokens(user_id=user_id)
    live = {s.id for s in authz_service.list_sessions(user_id=user_id) if s.revoked_at is None}
    assert live == {pairs[0].session_id, pairs[2].session_id, newest.session_id}
    ended = Session.objects.get(id=pairs[1].session_id)
    assert ended.revoked_reason == "session_limit"
    with pytest.raises(InvalidTokenError):
        authz_service.authenticate_token(access_token=pairs[1].access_token)  # at once, through the revocation set


@pytest.mark.django_db(transaction=True)
@override_settings(AUTHZ_MAX_SESSIONS_PER_USER=2)
def test_concurrent_logins_never_exceed_the_session_limit(user_id: uuid.UUID) -> None:
    barrier = threading.Barrier(4)

    def login() -> None:
        try:
            barrier.wait()
            authz_service.issue_tokens(user_id=user_id)
        finally:
            connection.close()

    threads = [threading.Thread(target=login) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert Session.objects.filter(user_id=user_id).count() == 4
    assert Session.objects.filter(user_id=user_id, revoked_at__isnull=True).count() == 2
    assert Session.objects.filter(user_id=user_id, revoked_reason="session_limit").count() == 2


@pytest.mark.django_db
def test_ended_sessions_never_hide_a_live_one(user_id: uuid.UUID) -> None:
    from apps.authz import selectors

    live = authz_service.issue_tokens(user_id=user_id)
    for _ in range(4):  # newer sessions, all ended
        pair = authz_service.issue_tokens(user_id=user_id)
        authz_service.revoke_session(user_id=user_id, session_id=pair.session_id, reason="logout")
    listed = selectors.session_list(user_id=user_id, limit=2)
    assert len(listed) == 3  # the live one plus the two newest ended ones
    assert listed[-1].id == live.session_id  # still newest first
    assert [s.revoked_at is None for s in listed] == [False, False, True]
