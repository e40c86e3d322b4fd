"""The cdn service interface: typed, keyword-only methods; plain data in and out."""

from __future__ import annotations

import abc

from gau.rpc import Service, rpc_method


class CdnService(Service):
    """Public image delivery from object storage: HTTP caching, Redis cache, resized/converted variants."""

    app = "cdn"
    local_implementation = "apps.cdn.services.local.LocalCdnService"

    @rpc_method(idempotent=True)
    @abc.abstractmethod
    def purge_variants(self, *, key: str) -> int:
        """Forget every variant of the object ``key``: stored copies and Redis entries.

        Returns how many stored variants were deleted. Idempotent.
        """
