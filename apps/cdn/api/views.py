"""``GET /images/<key>``: originals and cached variants from object storage, with HTTP caching.

A plain Django view, not DRF: the cache-hit path is one Redis GET and no database query, which is
what keeps it close to a bare view's throughput (bench/bench_cdn.py).
"""

from __future__ import annotations

import functools
import logging
import re
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from email.utils import formatdate, parsedate_to_datetime
from typing import Any
from urllib.parse import quote

from django.core.cache import cache as django_cache
from django.http import HttpRequest, HttpResponse, HttpResponseBase, QueryDict, StreamingHttpResponse
from django.views.decorators.csrf import csrf_exempt

from apps.cdn import cache
from apps.cdn.imaging import (
    CONTENT_TYPES,
    DEFAULT_QUALITY,
    FITS,
    SourceTooLargeError,
    UndecodableImageError,
    VariantSpec,
    allowed_dimensions,
    allowed_qualities,
    avif_supported,
    default_format,
    max_source_pixels,
    negotiate,
    render,
)
from apps.upload.services import StoredObjectData, upload_service
from gau import blobs, metrics
from gau.api.errors import error_response
from gau.rpc.errors import ServiceUnavailableError

logger = logging.getLogger(__name__)

IMMUTABLE = "public, max-age=31536000, immutable"
#: Types a browser may render inline from our origin; everything else is a download.
INLINE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp", "image/avif"})
INLINE_PREFIXES = ("audio/", "video/")
IMAGE_CSP = "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; sandbox"
STRICT_CSP = "default-src 'none'; sandbox"
SOURCE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp", "image/avif"})
_KEY_RE = re.compile(r"[0-9a-f]{64}")
_PARAMS = frozenset({"w", "h", "fit", "format", "q", "exp", "sig", "name"})
_RANGE_RE = re.compile(r"bytes=(\d*)-(\d*)$")
META_TTL = 300
#: Writes a miss leaves for after its answer (Redis entry, lock release, object storage): 2 threads, at
#: most STORE_QUEUE jobs waiting. See :func:`_after_answer` for what a lost job costs.
STORE_QUEUE = 32
_store_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="cdn-store")
_store_slots = threading.BoundedSemaphore(STORE_QUEUE)


class BadParams(Exception):
    pass


def _error(status: int, code: str | None = None, message: str | None = None, **details: Any) -> HttpResponse:
    response = error_response(status, code, message, details or None)
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _int(params: Any, name: str, allowed: tuple[int, ...]) -> int | None:
    raw = params.get(name)
    if raw is None:
        return None
    if not raw.isdigit() or int(raw) not in allowed:
        raise BadParams(f"{name} must be one of {', '.join(map(str, allowed))}")
    return int(raw)


def parse_spec(params: Any, accept: str, source_type: str | None) -> tuple[VariantSpec | None, bool]:
    """(variant spec or None for the original, whether the format depends on Accept)."""
    unknown = set(params) - _PARAMS
    if unknown:
        raise BadParams(f"unknown parameter(s): {', '.join(sorted(unknown))}")
    dims = allowed_dimensions()
    width, height = _int(params, "w", dims), _int(params, "h", dims)
    quality = _int(params, "q", allowed_qualities())
    fit = params.get("fit")
    fmt = params.get("format")
    if fit is not None and fit not in FITS:
        raise BadParams(f"fit must be one of {', '.join(FITS)}")
    if fmt is not None and fmt not in (*CONTENT_TYPES, "auto"):
        raise BadParams("format must be one of webp, avif, jpeg, png, auto")
    if fmt == "avif" and not avif_supported():
        raise BadParams("avif is not available on this server")
    if width is None and height is None and quality is None and fmt is None:
        if fit is not None:
            raise BadParams("fit needs w or h")
        return None, False
    vary = fmt == "auto"
    if fmt == "auto":
        fmt = negotiate(accept, source_type or "")
    elif fmt is None:
        fmt = default_format(source_type or "")
    return VariantSpec(width, height, fit or "cover", fmt, quality or DEFAULT_QUALITY), vary


@functools.lru_cache(maxsize=4096)
def _fast_cache_id(query: str) -> str | None:
    """The variant id of an explicit-format query, or None (not a variant, invalid, or source-dependent)."""
    params = QueryDict(query)
    if params.get("format") in (None, "auto"):
        return None
    try:
        spec, _ = parse_spec(params, "", None)
    except BadParams:
        return None
    return spec.cache_id() if spec is not None else None


def _object_meta(key: str, prefetched: str | None = None) -> StoredObjectData | None:
    """Stored object metadata, cached briefly (purged with the variants, under the same prefix);
    ``prefetched``: the cached JSON already read with the variant (:func:`cache.get_with_context`)."""
    cache_key = cache.meta_key(key)
    raw: str | None = prefetched if prefetched is not None else django_cache.get(cache_key)
    if raw:
        return StoredObjectData.model_validate_json(raw)
    meta: StoredObjectData | None = upload_service.get_object(key=key)
    if meta is not None:  # misses are not cached: a key may appear the next second
        django_cache.set(cache_key, meta.model_dump_json(), META_TTL)
    return meta


def _not_modified(request: HttpRequest, etag: str, last_modified: float) -> bool:
    inm = request.headers.get("If-None-Match")
    if inm is not None:
        tags = [t.strip().removeprefix("W/") for t in inm.split(",")]
        return "*" in tags or etag in tags
    ims = request.headers.get("If-Modified-Since")
    if ims:
        try:
            return int(last_modified) <= parsedate_to_datetime(ims).timestamp()
        except (TypeError, ValueError):
            return False
    return False


def _headers(
    response: HttpResponseBase,
    *,
    etag: str,
    last_modified: float,
    cache_control: str,
    inline: bool,
    vary: bool,
    last_modified_http: str = "",
) -> None:
    response["ETag"] = etag
    response["Last-Modified"] = last_modified_http or formatdate(last_modified, usegmt=True)
    response["Cache-Control"] = cache_control
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = IMAGE_CSP if inline else STRICT_CSP
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    if vary:
        response["Vary"] = "Accept"


def _cache_control(public: bool, params: Any) -> str:
    if public and "sig" not in params:
        return IMMUTABLE
    try:
        left = max(0, int(params.get("exp", "0")) - int(time.time()))
    except ValueError:
        left = 0
    return f"private, max-age={left}"


def _serve_variant(
    request: HttpRequest, variant: cache.CachedVariant, *, cache_control: str, vary: bool
) -> HttpResponse:
    if _not_modified(request, variant.etag, variant.last_modified):
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(b"" if request.method == "HEAD" else variant.body, content_type=variant.content_type)
        response["Content-Length"] = str(len(variant.body))
    _headers(
        response,
        etag=variant.etag,
        last_modified=variant.last_modified,
        cache_control=cache_control,
        inline=True,
        vary=vary,
        last_modified_http=variant.last_modified_http,
    )
    return response


@csrf_exempt
def image_view(request: HttpRequest, key: str) -> HttpResponseBase:
    """Serve the object ``key``: the original (with Range) or a variant from ``w/h/fit/format/q``."""
    try:
        return _image_view(request, key)
    except ServiceUnavailableError as exc:  # object storage, Redis-backed metadata or the upload service
        response = _error(503, exc.code, exc.message)
        response["Retry-After"] = "5"
        return response


def _image_view(request: HttpRequest, key: str) -> HttpResponseBase:
    if request.method not in {"GET", "HEAD"}:
        response = _error(405)
        response["Allow"] = "GET, HEAD"
        return response
    if not _KEY_RE.fullmatch(key):
        return _error(404)
    query = request.META.get("QUERY_STRING", "")
    # Variant ids already looked up in vain during this request, with what the lookup prefetched for
    # the miss (the metadata JSON and whether the variant is in storage).
    missed: dict[str, cache.Lookup] = {}

    def lookup(cid: str) -> tuple[cache.CachedVariant | None, str]:
        if cid in missed:
            return None, ""
        found = cache.get_with_context(key, cid)
        if found.variant is None:
            missed[cid] = found
        return found.variant, found.tier

    if "sig=" not in query:
        # Hottest path: an unsigned public variant in the memory tier or Redis; the parsed query is
        # memoised (the allow-lists bound the useful distinct queries), so no QueryDict, no database.
        fast = _fast_cache_id(query) if "auto" not in query else None
        if fast is not None:
            hit, tier = lookup(fast)
            if hit is not None and hit.public:
                metrics.cdn_hit(tier)
                return _serve_variant(request, hit, cache_control=IMMUTABLE, vary=False)
    params = request.GET
    signed = "sig" in params
    if signed and not blobs.verify_signature(key, params):
        return _error(403, "cdn.bad_signature", "The signature is invalid or has expired.")
    accept = request.headers.get("Accept", "")

    # Fast path: a hot variant in Redis, no database. Only when the output format does not depend on the
    # source's type (which would need the metadata).
    try:
        spec, vary = parse_spec(params, accept, None)
    except BadParams as exc:
        return _error(400, "cdn.invalid_params", str(exc))
    if spec is not None and (params.get("format") not in (None, "auto") or spec.format in {"webp", "avif"}):
        hit, tier = lookup(spec.cache_id())
        if hit is not None and (hit.public or signed):
            metrics.cdn_hit(tier)
            return _serve_variant(request, hit, cache_control=_cache_control(hit.public, params), vary=vary)

    meta = _object_meta(key, next((m.meta_json for m in missed.values() if m.meta_json is not None), None))
    if meta is None or (not meta.public and not signed):
        return _error(404)
    spec, vary = parse_spec(params, accept, meta.content_type)
    cache_control = _cache_control(meta.public, params)
    if spec is None:
        try:
            return _serve_original(request, meta, cache_control=cache_control)
        except blobs.BlobNotFoundError:  # deleted since its metadata was cached
            django_cache.delete(cache.meta_key(key))
            return _error(404)
    if meta.content_type not in SOURCE_TYPES:
        return _error(400, "cdn.not_an_image", "Variants exist only for raster images.")
    if meta.width and meta.height and meta.width * meta.height > max_source_pixels():
        return _error(413, "cdn.source_too_large", "The source image has too many pixels.")
    cid = spec.cache_id()
    hit, tier = lookup(cid)
    if hit is None:
        try:
            hit, tier = _variant(meta, spec, stored=missed[cid].stored if cid in missed else None)
        except SourceTooLargeError:
            return _error(413, "cdn.source_too_large", "The source image has too many pixels.")
        except UndecodableImageError:
            return _error(422, "cdn.undecodable", "The source image cannot be decoded.")
        if hit is None:
            django_cache.delete(cache.meta_key(key))
            return _error(404)
    metrics.cdn_hit(tier)
    return _serve_variant(request, hit, cache_control=cache_control, vary=vary)


def _variant(
    meta: StoredObjectData, spec: VariantSpec, *, stored: bool | None = None
) -> tuple[cache.CachedVariant | None, str]:
    """The variant from object storage (tier ``storage``), or generated once (Redis lock; tier ``miss``)
    and stored back; another process's fresh one counts as ``redis``. ``stored``: the stored marker when
    the caller already read it."""
    key, cid = meta.key, spec.cache_id()
    stored_key = blobs.variant_prefix(key) + cid
    etag = f'"{meta.sha256[:32]}-{cid}"'
    last_modified = meta.created_at.timestamp()

    def wrap(body: bytes) -> cache.CachedVariant:
        return cache.CachedVariant(body, CONTENT_TYPES[spec.format], etag, last_modified, meta.public)

    if (cache.is_stored(key, cid) if stored is None else stored) and (body := blobs.read_bytes(stored_key)) is not None:
        variant = wrap(body)
        cache.put(key, cid, variant)
        return variant, "storage"
    if not cache.acquire(key, cid):
        waited = cache.wait_for(key, cid)
        if waited is not None:
            return waited, "redis"
        if (body := blobs.read_bytes(stored_key)) is not None:
            return wrap(body), "storage"
        # The other generator died or was slow: generate ourselves.
    handed_off = False
    try:
        source = cache.get_source(key)
        if source is None:
            source = blobs.read_bytes(meta.path)
            if source is None:
                return None, ""
            cache.put_source(key, source)
        body, _, _ = render(source, spec)
        variant = wrap(body)
        cache.remember(key, cid, variant)  # this process's memory tier: no round trip
        handed_off = _after_answer(key, cid, variant)
        return variant, "miss"
    finally:
        if not handed_off:
            cache.release(key, cid)


def _after_answer(key: str, cid: str, variant: cache.CachedVariant) -> bool:
    """Leave the writes of a miss to the store pool, so the answer goes out first; False when the pool's
    queue is full (the caller then releases the lock, and the variant is stored by a later miss).

    The job, in order: the Redis entry (other processes' hits), the lock release (after the entry, so a
    waiter finds it), the object-storage copy, then the "stored" marker. Durability: none is needed for
    correctness. A job lost with its process (or dropped when the queue is full) only costs a
    recompute: the lock expires (``cache.acquire``'s 30 s), the entry is simply absent, and storage is
    content-addressed, so a late or repeated write can only store the right bytes.
    """
    if not _store_slots.acquire(blocking=False):
        logger.warning("cdn store queue full: variant %s of %s answered but not stored", cid, key)
        return False
    try:
        _store_pool.submit(_store_variant, key, cid, variant)
    except RuntimeError:  # interpreter shutting down
        _store_slots.release()
        return False
    return True


def _store_variant(key: str, cid: str, variant: cache.CachedVariant) -> None:
    try:
        try:
            # A purge between the answer and this job dropped the object's metadata: keep nothing.
            if django_cache.get(cache.meta_key(key)) is None:
                return
            cache.put(key, cid, variant)
        finally:
            cache.release(key, cid)
        blobs.put_bytes(blobs.variant_prefix(key) + cid, variant.body, variant.content_type)
        cache.mark_stored(key, cid)
    except Exception:
        logger.exception("cdn: storing variant %s of %s failed (a later miss recomputes it)", cid, key)
    finally:
        _store_slots.release()


def _serve_original(request: HttpRequest, meta: StoredObjectData, *, cache_control: str) -> HttpResponseBase:
    etag = f'"{meta.sha256}"'
    last_modified = meta.created_at.timestamp()
    inline = meta.content_type in INLINE_TYPES or meta.content_type.startswith(INLINE_PREFIXES)
    size = meta.size
    start, end, status = 0, size - 1, 200
    range_header = request.headers.get("Range")
    if_range = request.headers.get("If-Range")
    if range_header and (if_range is None or if_range == etag):
        match = _RANGE_RE.match(range_header.strip())
        if match and (match.group(1) or match.group(2)):
            first, last = match.group(1), match.group(2)
            if first:
                start = int(first)
                end = min(int(last), size - 1) if last else size - 1
            else:
                start, end = max(0, size - int(last)), size - 1
            if start >= size or start > end:
                refused = _error(416, "range_not_satisfiable", "The requested range is outside the file.")
                refused["Content-Range"] = f"bytes */{size}"
                return refused
            status = 206
    if _not_modified(request, etag, last_modified):
        response: HttpResponseBase = HttpResponse(status=304)
    else:
        body: Iterator[bytes] | list[bytes] = (
            [] if request.method == "HEAD" or size == 0 else blobs.iter_range(meta.path, start, end)
        )
        response = StreamingHttpResponse(body, status=status, content_type=meta.content_type)
        response["Content-Length"] = str(end - start + 1 if size else 0)
        response["Accept-Ranges"] = "bytes"
        if status == 206:
            response["Content-Range"] = f"bytes {start}-{end}/{size}"
    _headers(response, etag=etag, last_modified=last_modified, cache_control=cache_control, inline=inline, vary=False)
    if not inline:
        name = request.GET.get("name") or "download"
        response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    return response
