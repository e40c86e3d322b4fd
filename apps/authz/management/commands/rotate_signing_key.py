"""``manage.py rotate_signing_key``: a new key signs from now on; the old one stays published until its
tokens have expired (then ``purge_expired_sessions`` deletes it)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from apps.authz import keys


class Command(BaseCommand):
    help = "Create a new access-token signing key; older keys stop signing but keep verifying until expiry."

    def handle(self, *args: Any, **options: Any) -> None:
        key = keys.rotate()
        self.stdout.write(
            f"New signing key {key.kid}; previous keys verify for {int(keys.publish_window().total_seconds())} s more."
        )
