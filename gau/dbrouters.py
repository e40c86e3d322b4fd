"""Send reads to ``DATABASE_REPLICA_URL`` when it is configured; writes always go to the primary."""

from typing import Any


class ReplicaRouter:
    """Reads may lag the primary by the replica's delay; code that must read its own write uses
    ``.using("default")``."""

    def db_for_read(self, model: Any, **hints: Any) -> str:
        return "replica"

    def db_for_write(self, model: Any, **hints: Any) -> str:
        return "default"

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db == "default"
