"""CDN cache tiers in the metrics scrape: a variant generated (miss), then from memory, Redis, storage."""

from __future__ import annotations

import pytest
from django.core.cache import cache as django_cache
from django.test import Client

from apps.cdn import cache
from apps.upload.services import upload_service
from conftest import wait_for
from tests.support.images import image_bytes
from tests.support.metrics import METRICS_TOKEN, auth, value

pytestmark = pytest.mark.django_db


def hits(client: Client) -> dict[str, float]:
    response = client.get("/internal/metrics", headers=auth())
    assert response.status_code == 200
    text = response.content.decode()
    return {tier: value(text, "gau_cdn_cache_hits_total", tier=tier) for tier in ("memory", "redis", "storage", "miss")}


def test_each_tier_counts_where_the_variant_came_from(settings, owner_id, s3) -> None:
    settings.GAU_METRICS = True
    settings.GAU_METRICS_TOKEN = METRICS_TOKEN
    client = Client()
    image = upload_service.create_file(
        owner_id=owner_id, purpose="image", filename="m.png", data=image_bytes("PNG", (64, 48))
    )
    url = image.url.removeprefix("http://testserver") + "?w=32&format=webp"
    key = image.url.split("/images/")[1].split("?")[0]
    cid = "w32h0-cover-q80.webp"

    def fetch_and_diff(expected: str) -> None:
        before = hits(client)
        assert client.get(url).status_code == 200
        after = hits(client)
        assert {tier: after[tier] - before[tier] for tier in after} == {
            tier: (1 if tier == expected else 0) for tier in after
        }

    fetch_and_diff("miss")  # generated now
    fetch_and_diff("memory")  # the per-process tier
    cache._memory.forget_prefix("")
    fetch_and_diff("redis")
    assert wait_for(lambda: cache.is_stored(key, cid), timeout=10)  # stored to S3 off the response path
    cache._memory.forget_prefix("")
    django_cache.delete(cache._key(key, cid))
    fetch_and_diff("storage")
