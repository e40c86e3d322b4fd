"""The CDN against the real S3 server and real Redis: variants, caching headers, ranges, signatures."""

from __future__ import annotations

import io
import threading
import time
from email.utils import formatdate

import pytest
from django.core.cache import cache as django_cache
from django.db import connection
from django.test import Client
from PIL import Image

from apps.cdn import cache
from apps.upload.services import upload_service
from conftest import wait_for
from gau import blobs
from tests.support.images import image_bytes

pytestmark = pytest.mark.django_db


def path_of(url: str) -> str:
    return url.removeprefix("http://testserver")


@pytest.fixture
def jpeg_file(owner_id):
    return upload_service.create_file(
        owner_id=owner_id, purpose="image", filename="photo.jpg", data=image_bytes("JPEG", (1200, 800))
    )


def streamed(response) -> bytes:
    return b"".join(response.streaming_content)


def key_of(file) -> str:
    return str(file.url.split("/images/")[1].split("?")[0])


def test_full_cycle_variant_304_delete(client: Client, jpeg_file, owner_id, s3) -> None:
    url = path_of(jpeg_file.url)
    original = client.get(url)
    assert original.status_code == 200
    assert original["Content-Type"] == "image/jpeg"
    assert original["Cache-Control"] == "public, max-age=31536000, immutable"
    assert original["X-Content-Type-Options"] == "nosniff"
    assert streamed(original) == blobs.read_bytes(blobs.object_key(key_of(jpeg_file)))

    response = client.get(url + "?w=400&format=webp")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/webp"
    img = Image.open(io.BytesIO(response.content))
    assert (img.format, img.size) == ("WEBP", (400, 267))
    etag = response["ETag"]
    assert etag.startswith(f'"{jpeg_file.sha256[:32]}-')
    assert response["Last-Modified"]
    key = key_of(jpeg_file)
    assert wait_for(lambda: bool(s3.keys(blobs.variant_prefix(key))))
    assert cache.get(key, "w400h0-cover-q80.webp") is not None

    again = client.get(url + "?w=400&format=webp", HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert again.content == b""
    head = client.head(url + "?w=400&format=webp")
    assert head.status_code == 200
    assert head.content == b""
    assert head["Content-Length"] == str(len(response.content))
    assert head["ETag"] == etag
    since = client.get(url + "?w=400&format=webp", HTTP_IF_MODIFIED_SINCE=formatdate(time.time() + 5, usegmt=True))
    assert since.status_code == 304

    upload_service.delete_file(file_id=jpeg_file.id, owner_id=owner_id)
    assert blobs.object_key(key) not in s3.keys("objects/")


@pytest.mark.django_db(transaction=True)
def test_delete_removes_variants_and_redis_entries(client: Client, owner_id, s3) -> None:
    created = upload_service.create_file(
        owner_id=owner_id, purpose="image", filename="a.png", data=image_bytes("PNG", (300, 300))
    )
    key = key_of(created)
    assert client.get(path_of(created.url) + "?w=128&h=128&format=png").status_code == 200
    assert wait_for(lambda: bool(s3.keys(blobs.variant_prefix(key))))
    upload_service.delete_file(file_id=created.id, owner_id=owner_id)  # commits: purge runs on commit
    assert s3.keys(blobs.variant_prefix(key)) == []
    assert cache.get(key, "w128h128-cover-q80.png") is None
    assert client.get(path_of(created.url) + "?w=128&h=128&format=png").status_code == 404
    assert client.get(path_of(created.url)).status_code == 404


@pytest.mark.parametrize(
    ("query", "size"),
    [
        ("w=400&h=400&fit=cover", (400, 400)),
        ("w=400&h=400&fit=contain", (400, 267)),
        ("w=1600&h=1600&fit=contain", (1600, 1067)),
        ("w=1600&h=1600&fit=inside", (1200, 800)),
        ("h=200", (300, 200)),
    ],
)
def test_fits(client: Client, jpeg_file, query, size) -> None:
    response = client.get(path_of(jpeg_file.url) + f"?{query}&format=jpeg&q=75")
    assert response.status_code == 200
    assert Image.open(io.BytesIO(response.content)).size == size


@pytest.mark.parametrize(
    "query", ["w=401", "w=abc", "q=42", "q=100", "fit=crop&w=400", "format=bmp", "x=1", "fit=cover"]
)
def test_params_outside_the_allow_list_are_400(client: Client, jpeg_file, query) -> None:
    response = client.get(path_of(jpeg_file.url) + f"?{query}")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "cdn.invalid_params"


def test_auto_format_follows_accept(client: Client, jpeg_file) -> None:
    url = path_of(jpeg_file.url) + "?w=200&format=auto"
    webp = client.get(url, HTTP_ACCEPT="image/webp,*/*")
    assert webp["Content-Type"] == "image/webp"
    assert webp["Vary"] == "Accept"
    plain = client.get(url, HTTP_ACCEPT="*/*")
    assert plain["Content-Type"] == "image/jpeg"
    avif = client.get(url, HTTP_ACCEPT="image/avif,image/webp")
    assert avif["Content-Type"] == "image/avif"
    assert Image.open(io.BytesIO(avif.content)).size == (200, 133)


def test_orientation_applied_and_metadata_stripped(client: Client, owner_id) -> None:
    data = image_bytes("JPEG", (400, 200), orientation=6, gps=True)
    created = upload_service.create_file(owner_id=owner_id, purpose="image", filename="r.jpg", data=data)
    response = client.get(path_of(created.url) + "?w=100&format=jpeg")
    img = Image.open(io.BytesIO(response.content))
    assert img.size == (100, 200)  # rotated: portrait
    assert not img.getexif()
    assert "xmp" not in img.info
    webp = Image.open(io.BytesIO(client.get(path_of(created.url) + "?w=100&format=webp").content))
    assert not webp.getexif()


def test_head_and_ranges_on_originals(client: Client, owner_id) -> None:
    data = bytes(range(256)) * 40
    created = upload_service.create_file(owner_id=owner_id, purpose="file", filename="clip.bin", data=data)
    url = path_of(created.url)
    head = client.head(url)
    assert head.status_code == 200
    assert head["Content-Length"] == str(len(data))
    assert head["Accept-Ranges"] == "bytes"
    part = client.get(url, HTTP_RANGE="bytes=100-199")
    assert part.status_code == 206
    assert part["Content-Range"] == f"bytes 100-199/{len(data)}"
    assert streamed(part) == data[100:200]
    tail = client.get(url, HTTP_RANGE="bytes=-10")
    assert streamed(tail) == data[-10:]
    bad = client.get(url, HTTP_RANGE=f"bytes={len(data)}-")
    assert bad.status_code == 416
    assert bad["Content-Range"] == f"bytes */{len(data)}"
    stale = client.get(url, HTTP_RANGE="bytes=0-9", HTTP_IF_RANGE='"other"')
    assert stale.status_code == 200


def test_private_files_need_a_valid_unexpired_signature(client: Client, owner_id) -> None:
    created = upload_service.create_file(
        owner_id=owner_id, purpose="attachment", filename="a b.html", data=b"<html><script>x</script>"
    )
    url = path_of(created.url)
    ok = client.get(url)
    assert ok.status_code == 200
    assert ok["Content-Disposition"].startswith("attachment;")
    assert ok["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert ok["Cache-Control"].startswith("private, max-age=")
    bare = url.split("?")[0]
    assert client.get(bare).status_code == 404
    tampered = url.replace("name=a", "name=b")
    assert client.get(tampered).status_code == 403
    key = key_of(created)
    expired = "/images/" + key + "?" + blobs.signed_query(key, {"name": "a"}, expires_in=-3600)
    assert client.get(expired).status_code == 403
    forged = url[:-4] + ("0000" if not url.endswith("0000") else "1111")
    assert client.get(forged).status_code == 403


def test_svg_and_unknown_keys(client: Client) -> None:
    assert client.get("/images/" + "0" * 64).status_code == 404
    assert client.get("/images/../../etc").status_code == 404
    assert client.post("/images/" + "0" * 64).status_code == 405


def test_variants_of_non_images_are_refused(client: Client, owner_id) -> None:
    created = upload_service.create_file(owner_id=owner_id, purpose="file", filename="a.txt", data=b"hello")
    response = client.get(path_of(created.url).split("?")[0] + "?" + created.url.split("?")[1] + "&w=100")
    assert response.status_code in {400, 403}


def test_source_over_pixel_limit_refused_before_decoding(client: Client, jpeg_file, settings) -> None:
    settings.CDN_MAX_SOURCE_PIXELS = 1000 * 700
    django_cache.clear()
    response = client.get(path_of(jpeg_file.url) + "?w=400&format=png")
    assert response.status_code == 413


@pytest.mark.django_db(transaction=True)
def test_concurrent_misses_generate_once(owner_id, monkeypatch) -> None:
    created = upload_service.create_file(
        owner_id=owner_id, purpose="image", filename="a.jpg", data=image_bytes("JPEG", (1600, 1200))
    )
    from apps.cdn.api import views

    calls: list[int] = []
    real_render = views.render  # type: ignore[attr-defined]

    def counting_render(source, spec):
        calls.append(1)
        time.sleep(0.3)
        return real_render(source, spec)

    monkeypatch.setattr(views, "render", counting_render)
    results: list[int] = []

    def fetch() -> None:
        try:
            response = Client().get(path_of(created.url) + "?w=320&format=webp")
            results.append(response.status_code)
            assert Image.open(io.BytesIO(response.content)).size == (320, 240)
        finally:
            connection.close()

    threads = [threading.Thread(target=fetch) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [200] * 6
    assert len(calls) == 1


def test_storage_outage_is_503_with_retry_after(client: Client, jpeg_file, settings) -> None:
    from django.test.utils import override_settings

    dead = {
        **settings.STORAGES,
        "default": {
            **settings.STORAGES["default"],
            "OPTIONS": {**settings.STORAGES["default"]["OPTIONS"], "endpoint_url": "http://127.0.0.1:9"},
        },
    }
    with override_settings(STORAGES=dead):
        response = client.get(path_of(jpeg_file.url) + "?w=256&format=png")
        assert response.status_code == 503
        assert response["Retry-After"] == "5"
        assert response.json()["error"]["code"] == "storage_unavailable"
        original = client.get(path_of(jpeg_file.url))
        assert original.status_code == 503


def test_original_deleted_behind_cached_metadata_is_404(client: Client, jpeg_file) -> None:
    """The metadata is cached for minutes; if the object went away meanwhile, the answer is 404, not 500."""
    url = path_of(jpeg_file.url)
    assert client.get(url).status_code == 200  # caches the metadata
    blobs.delete(blobs.object_key(key_of(jpeg_file)))
    gone = client.get(url)
    assert gone.status_code == 404
    assert gone.json()["error"]["code"] == "not_found"
    assert client.get(url + "?w=128&format=webp").status_code == 404


@pytest.mark.parametrize("where", ["original", "variant"])
def test_just_deleted_image_on_the_embedded_defaults_is_404(
    client: Client, owner_id, tmp_path, django_capture_on_commit_callbacks, where
) -> None:
    """Local files and a local-memory cache (``make run``): no pattern delete, so purging must still
    forget the cached metadata, and a missing file is a 404 (issue 12, finding 6)."""
    from django.test.utils import override_settings

    embedded = override_settings(
        STORAGES={
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": tmp_path}},
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        },
        CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}},
    )
    with embedded:
        created = upload_service.create_file(
            owner_id=owner_id, purpose="image", filename="a.jpg", data=image_bytes("JPEG", (300, 200))
        )
        url = path_of(created.url) + ("?w=128&format=png" if where == "variant" else "")
        assert client.get(url).status_code == 200
        with django_capture_on_commit_callbacks(execute=True):
            upload_service.delete_file(file_id=created.id, owner_id=owner_id)
        assert not list(tmp_path.rglob(key_of(created)))
        gone = client.get(path_of(created.url))
        assert gone.status_code == 404
        assert gone.json()["error"]["code"] == "not_found"


def test_a_miss_answers_even_when_the_store_queue_is_full(client: Client, jpeg_file, s3, monkeypatch) -> None:
    """The writes after the answer are bounded: with no slot left the variant is answered, the lock is
    released and nothing is stored (a later miss recomputes it)."""
    from apps.cdn.api import views

    monkeypatch.setattr(views, "_store_slots", threading.BoundedSemaphore(1))
    assert views._store_slots.acquire(blocking=False)  # the queue is full
    key = key_of(jpeg_file)
    response = client.get(path_of(jpeg_file.url) + "?w=320&format=webp")
    assert response.status_code == 200
    assert Image.open(io.BytesIO(response.content)).size[0] == 320
    cid = "w320h0-cover-q80.webp"
    assert cache.acquire(key, cid)  # the lock was released
    cache.release(key, cid)
    assert django_cache.get(f"cdn:v:{key}:{cid}") is None
    time.sleep(0.3)
    assert not s3.keys(blobs.variant_prefix(key))


def test_the_store_job_keeps_nothing_for_a_purged_object(jpeg_file, s3) -> None:
    """A purge between the answer and the store job (the metadata is gone): no Redis entry, no copy."""
    from apps.cdn.api import views

    key = key_of(jpeg_file)
    variant = cache.CachedVariant(b"RIFF....WEBP", "image/webp", '"e"', 0.0, True)
    assert cache.acquire(key, "w1")
    assert views._store_slots.acquire(blocking=False)  # what _after_answer takes for the job
    django_cache.delete(cache.meta_key(key))
    views._store_variant(key, "w1", variant)
    assert django_cache.get(f"cdn:v:{key}:w1") is None
    assert not s3.keys(blobs.variant_prefix(key))
    assert cache.acquire(key, "w1")  # released
