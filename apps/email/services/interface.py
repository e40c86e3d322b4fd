"""The email service interface: typed, keyword-only methods; plain data in and out."""

from __future__ import annotations

import abc
import uuid
from datetime import datetime
from typing import Any

from apps.email.services.dto import OutboundEmailData
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

    @rpc_method(idempotent=True)
    @abc.abstractmethod
    def delete_recipient_data(self, *, address: str) -> int:
        """Delete the outbox rows addressed to ``address`` (case-insensitive) that are no longer pending.

        Rows still ``queued`` or ``sending`` are left to finish (a worker may own them; a message asked
        for just before the deletion, such as a goodbye notice, is still delivered); call again later to
        remove them. Suppression entries for the address are kept on purpose: they hold only the
        address and a bounce reason, and they protect it (and Gau's sender reputation) from mail to a
        dead or hostile mailbox if the address is registered again. Returns how many rows were deleted.
        Idempotent (a second call deletes nothing more).
        """

    @rpc_method(idempotent=True)
    @abc.abstractmethod
    def export_recipient_data(self, *, address: str) -> list[OutboundEmailData]:
        """Every outbox row addressed to ``address`` (case-insensitive), newest first, for a data export.

        Template, status, locale and timestamps only: never the context or body (security messages hold
        single-use tokens). Idempotent.
        """
