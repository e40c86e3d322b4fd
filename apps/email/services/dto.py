"""Data the email interface takes and returns (frozen pydantic models)."""

from __future__ import annotations

import uuid
from datetime import datetime

from gau.rpc import DataModel

__all__ = ["OutboundEmailData"]


class OutboundEmailData(DataModel):
    """One email Gau sent (or tried to send) to an address, as shown in a personal-data export.

    Deliberately without the context or rendered body: security messages carry single-use links
    (reset, unlock, email change) that an export file must never contain.
    """

    id: uuid.UUID
    template: str
    status: str
    locale: str
    created_at: datetime
    sent_at: datetime | None
