"""Fractional index keys: opaque strings that sort between two neighbours, so a move writes one row.

This is David Greenspan's "fractional-indexing" algorithm (as used by Figma) over the alphabet ``0-9a-z``
only. A key is an *integer part* followed by a *fraction*:

- the integer part's first character (its head) gives its length: heads ``i``…``z`` are the non-negative
  integers of 1…18 digits, heads ``h``…``0`` the negative ones of 1…18 digits (longer = further from
  zero), so appending or prepending again and again keeps keys short (an increment, not a halving);
- the fraction never ends in ``0`` (``"x"`` and ``"x0"`` would be equal, with nothing between them), and
  this module never returns a key that ends in ``0`` at all.

Only ``0-9a-z`` is used because that alphabet sorts identically under PostgreSQL's C and locale collations
and SQLite's BINARY collation, so ``ORDER BY position`` is the order of Python's ``<`` everywhere.
"""

from __future__ import annotations

from apps.kanban.services.errors import KanbanInvalidError

DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"
BASE = len(DIGITS)
_INDEX = {c: i for i, c in enumerate(DIGITS)}
#: First head of the non-negative integers (``i`` = 18): ``i`` has 1 digit, ``j`` 2, … ``z`` 18.
_POS_HEAD = 18
#: The head of the shortest negative integers (``h``); ``0`` has 18 digits.
_NEG_HEAD = _POS_HEAD - 1
#: The integer part no key may go below (nothing sorts before it).
_SMALLEST_INTEGER = DIGITS[0] + DIGITS[0] * (_NEG_HEAD - 0 + 1)
#: Longest key the models store.
MAX_LENGTH = 64


def _integer_length(head: str) -> int:
    index = _INDEX[head]
    if index >= _POS_HEAD:
        return index - _POS_HEAD + 2
    return _NEG_HEAD - index + 2


def _integer_part(key: str) -> str:
    length = _integer_length(key[0])
    if length > len(key):
        raise KanbanInvalidError(f"Invalid position key {key!r}.", field="position")
    return key[:length]


def validate_key(key: str) -> None:
    """Raise :class:`KanbanInvalidError` unless ``key`` is a well-formed key this module could return."""
    if not key or any(c not in _INDEX for c in key) or key.endswith(DIGITS[0]):
        raise KanbanInvalidError(f"Invalid position key {key!r}.", field="position")
    integer = _integer_part(key)
    if integer == _SMALLEST_INTEGER:
        raise KanbanInvalidError(f"Invalid position key {key!r}.", field="position")


def _midpoint(a: str, b: str | None) -> str:
    """A fraction strictly between fractions ``a`` and ``b`` (``None``: 1); neither ends in ``0``."""
    zero = DIGITS[0]
    if b is not None:
        n = 0
        while n < len(b) and (a[n] if n < len(a) else zero) == b[n]:
            n += 1
        if n > 0:
            return b[:n] + _midpoint(a[n:], b[n:])
    digit_a = _INDEX[a[0]] if a else 0
    digit_b = _INDEX[b[0]] if b is not None else BASE
    if digit_b - digit_a > 1:
        return DIGITS[(digit_a + digit_b + 1) // 2]
    if b is not None and len(b) > 1:
        return b[:1]
    return DIGITS[digit_a] + _midpoint(a[1:], None)


def _step(integer: str, delta: int) -> str | None:
    """``integer`` ± 1 (``delta`` is +1 or -1), changing the head when the digits overflow; None at the end."""
    head, digits = integer[0], list(integer[1:])
    carry = True
    for i in range(len(digits) - 1, -1, -1):
        value = _INDEX[digits[i]] + delta
        if 0 <= value < BASE:
            digits[i] = DIGITS[value]
            carry = False
            break
        digits[i] = DIGITS[0] if delta > 0 else DIGITS[-1]
    if not carry:
        return head + "".join(digits)
    index = _INDEX[head]
    if delta > 0:
        if index == _NEG_HEAD:
            return DIGITS[_POS_HEAD] + DIGITS[0]
        if index == BASE - 1:
            return None
        new = index + 1
        if new > _POS_HEAD:
            digits.append(DIGITS[0])
        else:
            digits.pop()
        return DIGITS[new] + "".join(digits)
    if index == _POS_HEAD:
        return DIGITS[_NEG_HEAD] + DIGITS[-1]
    if index == 0:
        return None
    new = index - 1
    if new < _NEG_HEAD:
        digits.append(DIGITS[-1])
    else:
        digits.pop()
    return DIGITS[new] + "".join(digits)


def _step_nonzero(integer: str, delta: int) -> str | None:
    """Like :func:`_step`, skipping integers that end in ``0`` (a key never ends in ``0``)."""
    result: str | None = integer
    while result is not None:
        result = _step(result, delta)
        if result is not None and not result.endswith(DIGITS[0]):
            return result
    return None


def key_between(a: str | None, b: str | None) -> str:
    """A key strictly between ``a`` and ``b`` (``None``: open end). ``key_between(None, None)`` is the first.

    Raises :class:`KanbanInvalidError` if a key is malformed or ``a >= b``.
    """
    if a is not None:
        validate_key(a)
    if b is not None:
        validate_key(b)
    if a is not None and b is not None and a >= b:
        raise KanbanInvalidError(f"Position {a!r} is not before {b!r}.", field="position")
    if a is None:
        if b is None:
            return DIGITS[_POS_HEAD] + DIGITS[1]  # "i1"
        ib = _integer_part(b)
        fb = b[len(ib) :]
        if ib == _SMALLEST_INTEGER:  # pragma: no cover - needs 10**28 prepends
            return ib + _midpoint("", fb)
        if ib < b and not ib.endswith(DIGITS[0]):
            return ib
        smaller = _step_nonzero(ib, -1)
        if smaller is None:  # pragma: no cover - needs 10**28 prepends
            raise KanbanInvalidError("No position is left before this one.", field="position")
        return smaller
    ia = _integer_part(a)
    fa = a[len(ia) :]
    if b is None:
        larger = _step_nonzero(ia, +1)
        return larger if larger is not None else ia + _midpoint(fa, None)
    ib = _integer_part(b)
    fb = b[len(ib) :]
    if ia == ib:
        return ia + _midpoint(fa, fb)
    larger = _step_nonzero(ia, +1)
    if larger is not None and larger < b:
        return larger
    return ia + _midpoint(fa, None)
