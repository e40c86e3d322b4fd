"""The email service interface: typed, keyword-only methods; plain data in and out."""

from __future__ import annotations

from gau.rpc import Service


class EmailService(Service):
    """Templated transactional email sent by Celery workers on RabbitMQ, with retries and an outbox."""

    app = "email"
    local_implementation = "apps.email.services.local.LocalEmailService"
