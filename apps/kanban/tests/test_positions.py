"""Fractional index keys: order, shortness, validation, and that the database sorts them like Python."""

from __future__ import annotations

import random

import pytest
from django.db import connection

from apps.kanban.models import ChecklistItem
from apps.kanban.services.errors import KanbanInvalidError
from apps.kanban.services.positions import DIGITS, key_between, validate_key
from apps.kanban.tests.factories import make_board, make_column, make_project, make_task


def random_keys(count: int, seed: int) -> list[str]:
    """``count`` keys made by inserting at random places, in sorted order (asserted on the way)."""
    rng = random.Random(seed)
    keys: list[str] = []
    for _ in range(count):
        at = rng.randint(0, len(keys))
        before = keys[at - 1] if at > 0 else None
        after = keys[at] if at < len(keys) else None
        key = key_between(before, after)
        assert before is None or before < key
        assert after is None or key < after
        keys.insert(at, key)
    return keys


def test_random_inserts_stay_ordered_well_formed_and_short() -> None:
    keys = random_keys(3000, seed=8)
    assert keys == sorted(keys)
    assert len(set(keys)) == len(keys)
    for key in keys:
        validate_key(key)
        assert set(key) <= set(DIGITS)
        assert not key.endswith("0")
    assert max(map(len, keys)) <= 12


def test_appending_and_prepending_many_times_keeps_keys_short() -> None:
    last: str | None = None
    first: str | None = None
    seen_last: list[str] = []
    for _ in range(20_000):
        last = key_between(last, None)
        first = key_between(None, first)
        seen_last.append(last)
    assert seen_last == sorted(seen_last)
    assert last is not None
    assert first is not None
    assert len(last) <= 5
    assert len(first) <= 5
    assert not last.endswith("0")
    assert not first.endswith("0")


def test_repeated_inserts_at_one_spot_grow_slowly() -> None:
    a, b = key_between(None, None), None
    b = key_between(a, None)
    for _ in range(200):
        b = key_between(a, b)
        assert a < b
    assert len(b) < 64  # the column's max_length


@pytest.mark.parametrize(
    ("a", "b"),
    [("i2", "i1"), ("i1", "i1"), ("", None), ("I1", None), ("i10", None), ("j", None), ("i1-", None)],
)
def test_bad_keys_are_refused(a: str, b: str | None) -> None:
    with pytest.raises(KanbanInvalidError):
        key_between(a, b)


@pytest.mark.django_db
def test_database_orders_keys_exactly_like_python_under_c_and_locale_collations() -> None:
    keys = random_keys(1500, seed=42)
    column = make_column(make_board(make_project()))
    task = make_task(column)
    shuffled = keys[:]
    random.Random(1).shuffle(shuffled)
    ChecklistItem.objects.bulk_create(
        [ChecklistItem(task=task, title=str(i), position=key) for i, key in enumerate(shuffled)]
    )
    ordered = list(ChecklistItem.objects.filter(task=task).order_by("position").values_list("position", flat=True))
    assert ordered == sorted(keys)
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT collname FROM pg_collation WHERE collname IN ('en-US-x-icu', 'de-DE-x-icu', 'und-x-icu', "
            "'en_US.utf8', 'C.utf8')"
        )
        collations = [row[0] for row in cursor.fetchall()]
        assert collations, "no locale collation to compare with"
        for collation in collations:
            cursor.execute(
                f'SELECT position FROM kanban_checklistitem WHERE task_id = %s ORDER BY position COLLATE "{collation}"',  # noqa: S608  # names from pg_collation
                [task.id],
            )
            assert [row[0] for row in cursor.fetchall()] == sorted(keys), collation
