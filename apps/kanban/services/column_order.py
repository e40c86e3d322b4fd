"""Fractional-index keys for column order: strings over ``0-9a-z`` that sort between two neighbours.

A key is a base-36 fraction ``0.k1k2…`` written without the ``0.``; it never ends in ``0``, so every
position has exactly one spelling and there is always room between two keys. The alphabet sorts the
same under PostgreSQL's C and locale collations and SQLite's BINARY. Appending at either end grows a
key by one character per 35 inserts; inserting between two keys takes their common prefix plus about
one character. (The lead dedupes this with the tasks' ``positions`` module at merge.)
"""

from __future__ import annotations

import re

DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"
_BASE = len(DIGITS)
_KEY = re.compile(r"^[0-9a-z]*[1-9a-z]$")


def is_key(value: str) -> bool:
    """Whether ``value`` is a well-formed key."""
    return bool(_KEY.match(value))


def _after(a: str) -> str:
    # The shortest key above ``a``: bump the first digit that can be bumped.
    for i, ch in enumerate(a):
        if ch != "z":
            return a[:i] + DIGITS[DIGITS.index(ch) + 1]
    return a + "1"


def _before(b: str) -> str:
    # A short key below ``b``: lower the first digit that can go down without ending in "0".
    for i, ch in enumerate(b):
        digit = DIGITS.index(ch)
        if digit > 1:
            return b[:i] + DIGITS[digit - 1]
        if digit == 1:
            return b[:i] + "0z"
    raise ValueError(f"not a key: {b!r}")  # unreachable for a valid key (it does not end in "0")


def _midpoint(a: str, b: str | None) -> str:
    # David Greenspan's midpoint over digit strings: a < b, b None meaning 1.0.
    if b is not None:
        n = 0
        while n < len(b) and (a[n] if n < len(a) else "0") == b[n]:
            n += 1
        if n > 0:
            return b[:n] + _midpoint(a[n:], b[n:])
    low = DIGITS.index(a[0]) if a else 0
    high = DIGITS.index(b[0]) if b is not None else _BASE
    if high - low > 1:
        return DIGITS[(low + high) // 2]
    if b is not None and len(b) > 1:
        return b[0]
    return (a[0] if a else "0") + _midpoint(a[1:], None)


def key_between(a: str | None, b: str | None) -> str:
    """A key strictly between ``a`` and ``b`` (``None``: open end). Raises ValueError if ``a >= b``."""
    for key in (a, b):
        if key is not None and not is_key(key):
            raise ValueError(f"not a key: {key!r}")
    if a is not None and b is not None and a >= b:
        raise ValueError(f"{a!r} is not below {b!r}")
    if a is None and b is None:
        return "i"
    if b is None:
        assert a is not None
        return _after(a)
    if a is None:
        return _before(b)
    return _midpoint(a, b)
