"""``manage.py kanban_import_trello FILE --project ID --as EMAIL``: import a Trello board export.

Runs the same import as ``POST imports/trello`` (same checks: the user must be an admin of the project;
same single transaction; same ``BoardImport`` record), in this process, with a progress bar on stderr.
Prints the import's result as JSON on stdout; exits 1 when the import failed (the error on stderr).
"""

from __future__ import annotations

import json
import sys
import uuid
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.account.services import account_service
from apps.kanban.models import ImportStatus
from apps.kanban.services import trello_import
from gau.rpc import ServiceError

BAR_WIDTH = 30


class Command(BaseCommand):
    help = "Import a Trello board JSON export into a project as a new board, acting as the given user."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="The Trello board export (JSON).")
        parser.add_argument("--project", required=True, type=uuid.UUID, help="The project's id.")
        parser.add_argument("--as", dest="email", required=True, help="Email of a project admin to act as.")
        parser.add_argument("--no-progress", action="store_true", help="Do not draw the progress bar.")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file.")
        size = path.stat().st_size
        if size > trello_import.MAX_FILE_BYTES:
            raise CommandError(f"{path}: {size} bytes; an import accepts at most {trello_import.MAX_FILE_BYTES}.")
        user = account_service.get_user_by_email(email=options["email"])
        if user is None or not user.is_active:
            raise CommandError(f"No active user has the address {options['email']!r}.")
        try:
            row = trello_import.import_create(
                user_id=user.id, project_id=options["project"], filename=path.name, size=size
            )
        except ServiceError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from None
        draw = self._bar if not options["no_progress"] else None
        row = trello_import.run_import(row.id, raw=path.read_bytes(), on_progress=draw)
        if draw is not None:
            sys.stderr.write("\n")
        result = {
            "id": str(row.id),
            "status": row.status,
            "board_id": str(row.board_id) if row.board_id else None,
            "counts": row.counts,
            "warnings": row.warnings,
            "error": row.error,
        }
        self.stdout.write(json.dumps(result, ensure_ascii=False, indent=2))
        if row.status != ImportStatus.DONE:
            error = row.error or {}
            raise CommandError(f"Import failed: {error.get('code')}: {error.get('message')}")

    def _bar(self, percent: int) -> None:
        filled = BAR_WIDTH * percent // 100
        sys.stderr.write(f"\rimporting [{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {percent:3d}%")
        sys.stderr.flush()
