"""cdn_service behaves the same in-process and over the signed RPC endpoint (issue 12, finding 9)."""

from __future__ import annotations

import pytest

from apps.cdn import cache
from apps.cdn.services import CdnService, cdn_service
from apps.upload.services import upload_service
from gau import blobs
from gau.rpc.testing import transport_modes
from tests.support.images import image_bytes

pytestmark = pytest.mark.django_db

mode = transport_modes("cdn")
CID = "w128h0-cover-q80.webp"


def test_handle_resolves_to_the_transport(mode) -> None:
    target = cdn_service.target()  # type: ignore[attr-defined]
    assert isinstance(target, CdnService)
    assert type(target).__name__ == ("LocalCdnService" if mode is None else "RemoteCdnService")


def test_purge_variants_forgets_stored_and_cached_variants(mode, owner_id, s3) -> None:
    created = upload_service.create_file(
        owner_id=owner_id, purpose="image", filename="a.jpg", data=image_bytes("JPEG", (300, 200))
    )
    key = created.url.rsplit("/", 1)[1]
    # A variant stored under the key's variant prefix and cached, as the CDN view leaves them.
    blobs.put_bytes(blobs.variant_prefix(key) + CID, b"variant", "image/webp")
    cache.put(key, CID, cache.CachedVariant(b"variant", "image/webp", '"e"', 0.0, True))
    assert cache.get(key, CID) is not None

    assert cdn_service.purge_variants(key=key) == 1
    assert s3.keys(blobs.variant_prefix(key)) == []
    assert cache.get(key, CID) is None
    assert cdn_service.purge_variants(key=key) == 0  # idempotent
    assert blobs.stat(blobs.object_key(key)) is not None  # the original is upload's, untouched
    if mode is not None:
        assert mode.calls == ["/internal/rpc/cdn/purge_variants/"] * 2


def test_purge_of_an_unknown_key_is_zero(mode) -> None:
    assert cdn_service.purge_variants(key="0" * 64) == 0


def test_arguments_are_validated_over_rpc(mode) -> None:
    if mode is None:
        pytest.skip("the in-process path does not validate arguments yet (issue 12, finding 8)")
    with pytest.raises((TypeError, ValueError)):
        cdn_service.purge_variants(key=["not", "a", "string"])  # type: ignore[arg-type]
