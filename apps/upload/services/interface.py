"""The upload service interface: typed, keyword-only methods; plain data in and out."""

from __future__ import annotations

from gau.rpc import Service


class UploadService(Service):
    """File and media uploads to object storage: streaming, limits, type sniffing, metadata."""

    app = "upload"
    local_implementation = "apps.upload.services.local.LocalUploadService"
