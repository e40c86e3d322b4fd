"""``manage.py email_retry_failed [--since 2026-11-01 | --since 24h]``: queue failed emails again."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from apps.email import selectors
from apps.email.services.retry import retry_rows


def parse_since(value: str | None) -> datetime | None:
    """``24h``, ``7d``, ``30m`` (ago) or an ISO date/time; None stays None."""
    if not value:
        return None
    match = re.fullmatch(r"(\d+)([mhd])", value.strip())
    if match:
        amount, unit = int(match[1]), match[2]
        return timezone.now() - timedelta(**{{"m": "minutes", "h": "hours", "d": "days"}[unit]: amount})
    parsed = parse_datetime(value) or parse_datetime(f"{value}T00:00:00")
    if parsed is None:
        raise CommandError(f"--since: expected 24h, 7d or an ISO date, got {value!r}")
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed)


class Command(BaseCommand):
    help = "Put failed emails (created since --since) back in the queue and publish them."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--since", help="24h, 7d, 30m or an ISO date/time (default: all)")

    def handle(self, *args: Any, **options: Any) -> None:
        rows = selectors.outbound_failed(since=parse_since(options["since"]))
        count = retry_rows(rows)
        self.stdout.write(f"{count} email(s) queued again")
