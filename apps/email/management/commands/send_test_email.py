"""``manage.py send_test_email <address> [--locale vi]``: queue the test message through the outbox."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.utils import timezone

from apps.email.services import email_service


class Command(BaseCommand):
    help = "Queue a test email to ADDRESS through the normal pipeline and print its outbox id."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("address")
        parser.add_argument("--locale", default="en")

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic():  # delivery is published when this commits, as for any caller
            email_id = email_service.send(
                template="email/test",
                to=options["address"],
                context={"sent_at": timezone.now().isoformat(timespec="seconds")},
                locale=options["locale"],
            )
        self.stdout.write(str(email_id))
