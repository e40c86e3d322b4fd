"""Failed-login throttling in Redis: growing delays, per (account, IP) and per IP, unlock, no permanent lock."""

from __future__ import annotations

import time

import pytest
from django.core.cache import cache

from apps.account import throttle


def test_five_failures_are_free_then_delays_grow() -> None:
    for _ in range(throttle.ACCOUNT_FREE_FAILURES):
        assert throttle.record_failure(account_key="a", ip="1.1.1.1") is None
    assert throttle.retry_after(account_key="a", ip="1.1.1.1") is None
    delays = [throttle.record_failure(account_key="a", ip="1.1.1.1") for _ in range(4)]
    assert delays == [30, 60, 120, 240]
    wait = throttle.retry_after(account_key="a", ip="1.1.1.1")
    assert wait is not None
    assert 230 <= wait <= 240


def test_delay_is_capped_never_permanent() -> None:
    for _ in range(40):
        throttle.record_failure(account_key="a", ip="1.1.1.1")
    wait = throttle.retry_after(account_key="a", ip="1.1.1.1")
    assert wait is not None
    assert wait <= throttle.MAX_DELAY


def test_lock_is_per_ip_so_an_attacker_cannot_lock_out_the_owner() -> None:
    for _ in range(10):
        throttle.record_failure(account_key="victim", ip="6.6.6.6")
    assert throttle.retry_after(account_key="victim", ip="6.6.6.6") is not None
    assert throttle.retry_after(account_key="victim", ip="10.0.0.2") is None


def test_unlock_lifts_every_pair() -> None:
    for _ in range(8):
        throttle.record_failure(account_key="acc", ip="1.1.1.1")
    assert throttle.retry_after(account_key="acc", ip="1.1.1.1") is not None
    throttle.unlock(account_key="acc")
    assert throttle.retry_after(account_key="acc", ip="1.1.1.1") is None


def test_per_ip_limit_across_accounts() -> None:
    for n in range(throttle.IP_FREE_FAILURES + 1):
        throttle.record_failure(account_key=f"acc{n}", ip="9.9.9.9")
    wait = throttle.retry_after(account_key="fresh-account", ip="9.9.9.9")
    assert wait is not None
    assert wait > 0


def test_success_clears_the_pair() -> None:
    for _ in range(5):
        throttle.record_failure(account_key="a", ip="1.1.1.1")
    throttle.record_success(account_key="a", ip="1.1.1.1")
    assert throttle.record_failure(account_key="a", ip="1.1.1.1") is None


def test_counters_live_in_redis() -> None:
    throttle.record_failure(account_key="a", ip="1.1.1.1")
    from django_redis import get_redis_connection

    keys = [k.decode() for k in get_redis_connection("default").keys("*acct:login:*")]
    assert any(":pair:" in k for k in keys)


@pytest.mark.parametrize("seconds", [1])
def test_once_per(seconds: int) -> None:
    assert throttle.once_per("k", seconds) is None
    wait = throttle.once_per("k", seconds)
    assert wait == 1
    time.sleep(seconds + 0.1)
    assert throttle.once_per("k", seconds) is None
    cache.clear()
