"""The cdn service interface: typed, keyword-only methods; plain data in and out."""

from __future__ import annotations

from gau.rpc import Service


class CdnService(Service):
    """Public image delivery from object storage: HTTP caching, Redis cache, resized/converted variants."""

    app = "cdn"
    local_implementation = "apps.cdn.services.local.LocalCdnService"
