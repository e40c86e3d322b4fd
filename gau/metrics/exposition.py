"""Scrape answers: the text a Prometheus scrape gets, and the bearer check that guards it.

In multiprocess mode (``PROMETHEUS_MULTIPROC_DIR`` set) the answer sums every process's files in the
directory (live and dead workers: counters of a recycled worker keep counting), as prometheus_client
documents; otherwise it is this process's default registry. Scrape-time collectors (the email outbox)
are added either way.
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Iterable
from typing import TYPE_CHECKING

from gau.metrics import scrape_collectors

if TYPE_CHECKING:
    from prometheus_client.metrics_core import Metric
    from prometheus_client.registry import CollectorRegistry

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def multiprocess_dir() -> str | None:
    return os.environ.get(MULTIPROC_ENV) or None


class _DefaultRegistry:
    """The process's default registry (single-process mode) as one collector of a scrape's registry."""

    def collect(self) -> Iterable[Metric]:
        from prometheus_client import REGISTRY

        return REGISTRY.collect()


def scrape_registry(*, with_scrape_collectors: bool = True) -> CollectorRegistry:
    """A registry holding what one scrape should see (built per scrape: collectors are cheap)."""
    from prometheus_client import CollectorRegistry
    from prometheus_client.multiprocess import MultiProcessCollector

    registry = CollectorRegistry(auto_describe=False)
    path = multiprocess_dir()
    if path:
        MultiProcessCollector(registry, path=path)  # type: ignore[no-untyped-call]
    else:
        registry.register(_DefaultRegistry())
    if with_scrape_collectors:
        for collector in scrape_collectors():
            registry.register(collector)
    return registry


def render(*, with_scrape_collectors: bool = True) -> tuple[bytes, str]:
    """(body, content type) of a scrape in the Prometheus text format."""
    from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

    return generate_latest(scrape_registry(with_scrape_collectors=with_scrape_collectors)), CONTENT_TYPE_LATEST


def authorized(header: str | None, token: str | None) -> bool:
    """Whether an ``Authorization`` header carries the metrics bearer ``token`` (no token set: anyone)."""
    if not token:
        return True
    if not header or not header.startswith("Bearer "):
        return False
    return hmac.compare_digest(header[len("Bearer ") :].strip().encode(), token.encode())
