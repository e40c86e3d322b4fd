"""The in-process implementation of :class:`CdnService`."""

from __future__ import annotations

from apps.cdn import cache as variant_cache
from apps.cdn.services.interface import CdnService
from gau import blobs


class LocalCdnService(CdnService):
    """Implements the cdn interface on the default storage and cache."""

    def purge_variants(self, *, key: str) -> int:
        variant_cache.forget(key)
        return blobs.delete_prefix(blobs.variant_prefix(key))
