"""Test support for the service kernel: a transport that sends signed calls through Django's test client.

The call still goes through URL routing, signature verification, argument validation and JSON on both
sides; only the socket is skipped. Tests that need real sockets use live server processes instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.test import Client
from django.test.utils import override_settings

from gau.rpc import client as rpc_client


class DjangoClientTransport:
    """Delivers each request to this process's URLconf with ``django.test.Client``."""

    def __init__(self) -> None:
        self.client = Client()
        self.calls: list[str] = []

    def post(self, url: str, *, body: bytes, headers: dict[str, str], timeout: float) -> tuple[int, bytes]:
        path = urlsplit(url).path
        self.calls.append(path)
        response = self.client.generic("POST", path, data=body, content_type="application/json", headers=headers)
        return response.status_code, response.content


@contextmanager
def remote_mode(*apps: str) -> Iterator[DjangoClientTransport]:
    """Within the block, calls to ``apps`` go through the remote proxy and this process's RPC view."""
    transport = DjangoClientTransport()
    urls = {**settings.GAU_SERVICE_URLS, **dict.fromkeys(apps, "http://testserver")}
    previous = rpc_client.set_transport(transport)
    try:
        with override_settings(GAU_SERVICE_URLS=urls):
            yield transport
    finally:
        rpc_client.set_transport(previous)


def transport_modes(app: str) -> Any:
    """A pytest fixture parametrised over both transports of ``app``'s interface.

    In a test module: ``mode = transport_modes("authz")``; tests that take ``mode`` run once in-process
    (``mode`` is None) and once through the signed RPC endpoint (``mode`` is the transport, whose
    ``calls`` list the internal paths hit).
    """
    import pytest

    @pytest.fixture(params=["local", "remote"])
    def mode(request: Any) -> Iterator[DjangoClientTransport | None]:
        if request.param == "local":
            yield None
        else:
            with remote_mode(app) as transport:
                yield transport

    return mode
