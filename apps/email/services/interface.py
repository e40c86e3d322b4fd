"""The email service interface: typed, keyword-only methods; plain data in and out."""

from __future__ import annotations

import abc
import uuid
from datetime import datetime
from typing import Any

from gau.rpc import Service, rpc_method


class EmailService(Service):
    """Templated transactional email sent by Celery workers on RabbitMQ, with retries and an outbox."""

    app = "email"
    local_implementation = "apps.email.services.local.LocalEmailService"

    @rpc_method
    @abc.abstractmethod
    def send(
        self,
        *,
        template: str,
        to: str,
        context: dict[str, Any],
        idempotency_key: str | None = None,
        locale: str | None = None,
        send_at: datetime | None = None,
    ) -> uuid.UUID:
        """Queue one email and return its outbox id.

        In-process, the outbox row is written in the caller's transaction and delivery is enqueued only
        after it commits. ``template`` names a message such as ``"account/verify_email"``; ``context``
        holds JSON-serialisable values; ``locale`` (``"en"``, ``"vi"``) picks the language; ``send_at``
        delays delivery. The same ``idempotency_key`` returns the first call's id and sends once.
        Raises ``UnknownTemplateError``, ``InvalidRecipientError`` or ``InvalidContextError`` (a key the
        template needs is missing, or the context is not JSON-serialisable).
        """
