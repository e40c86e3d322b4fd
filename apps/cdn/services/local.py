"""The in-process implementation of :class:`CdnService`."""

from __future__ import annotations

from apps.cdn.services.interface import CdnService


class LocalCdnService(CdnService):
    """Implements the cdn interface on this process's database."""
