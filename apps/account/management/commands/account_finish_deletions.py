"""Drive pending account deletions in this process: the fallback when no worker or beat runs."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from apps.account import deletion


class Command(BaseCommand):
    help = (
        "Run one pass over every due account deletion whose steps (calls to the other apps) have not all "
        "succeeded yet. Without a broker (the embedded default) nothing else retries them: run it from cron."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--all", action="store_true", help="also requests whose next attempt is not due yet")

    def handle(self, *args: Any, **options: Any) -> None:
        counts = deletion.run_due(include_not_due=options["all"])
        summary = ", ".join(f"{k}={v}" for k, v in sorted(counts.items())) or "nothing to do"
        self.stdout.write(f"account deletions: {summary}")
