"""``manage.py email_stats [--since 24h]``: counts by template and status over a window."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from apps.email import selectors
from apps.email.management.commands.email_retry_failed import parse_since


class Command(BaseCommand):
    help = "Print how many emails were created per template and status since --since (default 24h)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--since", default="24h")

    def handle(self, *args: Any, **options: Any) -> None:
        since = parse_since(options["since"])
        assert since is not None
        rows = selectors.outbound_counts(since=since)
        totals: Counter[str] = Counter()
        self.stdout.write(f"emails since {since.isoformat(timespec='seconds')}")
        self.stdout.write(f"{'template':32} {'status':11} {'count':>7}")
        for row in rows:
            self.stdout.write(f"{row['template']:32} {row['status']:11} {row['n']:>7}")
            totals[row["status"]] += row["n"]
        self.stdout.write("total: " + (", ".join(f"{k}={v}" for k, v in sorted(totals.items())) or "0"))
