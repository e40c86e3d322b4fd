"""Send reads to ``DATABASE_REPLICA_URL`` when it is configured, unless they must see the primary.

A replica lags the primary. A read goes to the primary when:
- it runs inside a transaction on the primary (``atomic()``): whatever it reads decides the writes of that
  transaction (refresh-token rotation, a ``select_for_update``, a check then an insert), and it must see the
  transaction's own writes;
- this request (or Celery task) has already written: read-your-own-writes for the rest of it;
- Django itself marks it as a write's read (``get_or_create``, ``update_or_create``, ``select_for_update``
  and ``Model.save`` go through ``db_for_write``).
Code that must read fresh data outside those cases uses ``.using("default")``.
"""

from __future__ import annotations

import contextvars
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections

REPLICA = "replica"

#: Set once the current request/task has written to the primary; reset at the start of each request/task.
_wrote: contextvars.ContextVar[bool] = contextvars.ContextVar("gau_db_wrote", default=False)


def reset_pin(**kwargs: Any) -> None:
    """Forget the previous request's/task's writes (connected to request_started and task_prerun).

    Not for an eager task (no broker): it runs inside the caller's request, whose writes still count."""
    task = kwargs.get("task")
    if task is not None and getattr(getattr(task, "request", None), "is_eager", False):
        return
    _wrote.set(False)


def pin_to_primary() -> None:
    """Send the rest of this request's/task's reads to the primary."""
    _wrote.set(True)


def must_read_primary() -> bool:
    """True when a read now must go to the primary (see the module docstring)."""
    return connections[DEFAULT_DB_ALIAS].in_atomic_block or _wrote.get()


class ReplicaRouter:
    """Reads to the replica unless :func:`must_read_primary`; writes and migrations to the primary."""

    def db_for_read(self, model: Any, **hints: Any) -> str:
        instance = hints.get("instance")
        if instance is not None and instance._state.db == DEFAULT_DB_ALIAS:
            return DEFAULT_DB_ALIAS  # related objects of a row read from the primary come from there too
        return DEFAULT_DB_ALIAS if must_read_primary() else REPLICA

    def db_for_write(self, model: Any, **hints: Any) -> str:
        pin_to_primary()
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db == DEFAULT_DB_ALIAS


def _connect_signals() -> None:
    from django.core.signals import request_started

    request_started.connect(reset_pin, dispatch_uid="gau.dbrouters.reset_pin")
    try:
        from celery.signals import task_prerun
    except ImportError:  # pragma: no cover - celery is a dependency
        return
    task_prerun.connect(reset_pin, dispatch_uid="gau.dbrouters.reset_pin", weak=False)


_connect_signals()
