"""``manage.py purge_expired_sessions``: delete sessions that expired or ended long ago, and retired keys."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from apps.authz import keys
from apps.authz.tasks import purge_expired_sessions


class Command(BaseCommand):
    help = "Delete expired sessions, sessions revoked more than --keep-days ago, and unpublished signing keys."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--keep-days", type=int, default=30, help="keep revoked sessions this long (for the list)")

    def handle(self, *args: Any, **options: Any) -> None:
        sessions = purge_expired_sessions(keep_days=options["keep_days"])
        retired = keys.purge_retired()
        self.stdout.write(f"Deleted {sessions} session(s) and {retired} retired signing key(s).")
