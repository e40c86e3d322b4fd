"""Failed-login throttling in the cache (Redis in production): growing delays, never a permanent lock.

Two counters, each over a rolling 15-minute window that starts with the first failure:

- per (account, client IP): the first ``ACCOUNT_FREE_FAILURES`` failures cost nothing; every further
  one locks that pair for ``BASE_DELAY * 2**k`` seconds, capped at ``MAX_DELAY``. The lock expires by
  itself, and the owner can lift it at once with the emailed unlock link (which bumps the account's
  generation, so every pair's counters start again). An attacker elsewhere cannot lock the owner out:
  the owner's own IP has its own counter.
- per IP: the same, with a much larger free allowance, against spraying many accounts from one host.

Unknown accounts are counted under a hash of the submitted identifier, so the answers (including 429s)
look exactly like those for real accounts.
"""

from __future__ import annotations

import hashlib
import math
import time

from django.core.cache import cache

WINDOW = 15 * 60
ACCOUNT_FREE_FAILURES = 5
IP_FREE_FAILURES = 50
BASE_DELAY = 30
MAX_DELAY = 15 * 60


def account_key_for_identifier(identifier: str) -> str:
    """The throttle key of an identifier that names no account."""
    return "unknown:" + hashlib.sha256(identifier.strip().lower().encode()).hexdigest()[:32]


def _generation(account_key: str) -> int:
    value = cache.get(f"acct:login:gen:{account_key}")
    return int(value) if value is not None else 0


def _keys(account_key: str, ip: str) -> tuple[str, str, str, str]:
    gen = _generation(account_key)
    pair = f"acct:login:pair:{gen}:{account_key}:{ip}"
    per_ip = f"acct:login:ip:{ip}"
    return f"{pair}:n", f"{pair}:lock", f"{per_ip}:n", f"{per_ip}:lock"


def _remaining(lock_key: str) -> int | None:
    until = cache.get(lock_key)
    if until is None:
        return None
    left = float(until) - time.time()
    return max(1, math.ceil(left)) if left > 0 else None


def retry_after(*, account_key: str, ip: str) -> int | None:
    """Seconds the caller must wait before another attempt for this account from this IP, or ``None``."""
    _, pair_lock, _, ip_lock = _keys(account_key, ip)
    waits = [w for w in (_remaining(pair_lock), _remaining(ip_lock)) if w is not None]
    return max(waits) if waits else None


def _count(counter_key: str, lock_key: str, free: int) -> int | None:
    cache.add(counter_key, 0, WINDOW)
    try:
        failures = cache.incr(counter_key)
    except ValueError:  # expired between add and incr
        cache.add(counter_key, 1, WINDOW)
        failures = 1
    if failures <= free:
        return None
    delay = min(BASE_DELAY * 2 ** (failures - free - 1), MAX_DELAY)
    cache.set(lock_key, time.time() + delay, delay)
    return int(delay)


def record_failure(*, account_key: str, ip: str) -> int | None:
    """Count a failed attempt; returns the new lock's length in seconds when this failure set one."""
    pair_n, pair_lock, ip_n, ip_lock = _keys(account_key, ip)
    pair_delay = _count(pair_n, pair_lock, ACCOUNT_FREE_FAILURES)
    ip_delay = _count(ip_n, ip_lock, IP_FREE_FAILURES)
    delays = [d for d in (pair_delay, ip_delay) if d is not None]
    return max(delays) if delays else None


def record_success(*, account_key: str, ip: str) -> None:
    """A successful sign-in clears this pair's counter (the per-IP counter keeps counting)."""
    pair_n, pair_lock, _, _ = _keys(account_key, ip)
    cache.delete_many([pair_n, pair_lock])


def unlock(*, account_key: str) -> None:
    """Lift every (account, IP) lock of this account (the emailed unlock link)."""
    key = f"acct:login:gen:{account_key}"
    cache.add(key, 0, None)
    cache.incr(key)


def once_per(key: str, seconds: int) -> int | None:
    """A simple limiter: ``None`` if the caller may act now (and starts the interval), else seconds left."""
    full = f"acct:once:{key}"
    if cache.add(full, time.time() + seconds, seconds):
        return None
    return _remaining(full) or 1
