"""The in-process implementation of :class:`EmailService`."""

from __future__ import annotations

from apps.email.services.interface import EmailService


class LocalEmailService(EmailService):
    """Implements the email interface on this process's database."""
