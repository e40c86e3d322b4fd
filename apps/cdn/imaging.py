"""Image variants with Pillow: pixel limit before decoding, EXIF orientation applied, metadata dropped.

Pillow rather than pyvips: Pillow is already a dependency (upload decodes with it), ships wheels with
AVIF/WebP on every platform, and with JPEG draft mode (DCT-domain downscaling) it is within reach of
libvips for the thumbnail sizes the CDN allows; see bench/bench_cdn.py for the measured numbers.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from django.conf import settings
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError, features

FITS = ("cover", "contain", "inside")
FORMATS = ("webp", "avif", "jpeg", "png")
CONTENT_TYPES = {"webp": "image/webp", "avif": "image/avif", "jpeg": "image/jpeg", "png": "image/png"}
_PIL_SAVE = {"webp": "WEBP", "avif": "AVIF", "jpeg": "JPEG", "png": "PNG"}
DEFAULT_QUALITY = 80
ALLOWED_DIMENSIONS = (32, 64, 100, 128, 160, 200, 256, 320, 400, 480, 512, 640, 800, 960, 1024, 1280, 1600, 1920, 2048)
ALLOWED_QUALITIES = tuple(range(50, 100, 5))


class SourceTooLargeError(Exception):
    """The source has more pixels than ``CDN_MAX_SOURCE_PIXELS``."""


class UndecodableImageError(Exception):
    """The source cannot be decoded."""


def allowed_dimensions() -> tuple[int, ...]:
    return tuple(getattr(settings, "CDN_ALLOWED_DIMENSIONS", ALLOWED_DIMENSIONS))


def allowed_qualities() -> tuple[int, ...]:
    return tuple(getattr(settings, "CDN_ALLOWED_QUALITIES", ALLOWED_QUALITIES))


def max_source_pixels() -> int:
    return int(getattr(settings, "CDN_MAX_SOURCE_PIXELS", 50_000_000))


def avif_supported() -> bool:
    return bool(features.check("avif"))


@dataclass(frozen=True)
class VariantSpec:
    """A validated variant request. ``format`` is concrete (``auto`` already resolved)."""

    width: int | None
    height: int | None
    fit: str
    format: str
    quality: int

    def cache_id(self) -> str:
        """Canonical id of the variant: the Redis key, the stored object's name, part of the ETag."""
        return f"w{self.width or 0}h{self.height or 0}-{self.fit}-q{self.quality}.{self.format}"


def default_format(source_content_type: str) -> str:
    """Output format when none is asked for: PNG for sources that may carry alpha, else JPEG."""
    return "png" if source_content_type in {"image/png", "image/gif"} else "jpeg"


def negotiate(accept: str, source_content_type: str) -> str:
    """``format=auto``: the best format the client's Accept header names."""
    if "image/avif" in accept and avif_supported():
        return "avif"
    if "image/webp" in accept:
        return "webp"
    return default_format(source_content_type)


def _target_size(src: tuple[int, int], spec: VariantSpec) -> tuple[int, int]:
    sw, sh = src
    w, h = spec.width, spec.height
    if w and h:
        if spec.fit == "cover":
            return w, h
        scale = min(w / sw, h / sh)
    elif w:
        scale = w / sw
    elif h:
        scale = h / sh
    else:
        return sw, sh
    if spec.fit == "inside":
        scale = min(scale, 1.0)
    return max(1, round(sw * scale)), max(1, round(sh * scale))


def render(source: bytes, spec: VariantSpec) -> tuple[bytes, int, int]:
    """Decode ``source``, orient, resize and encode as ``spec`` asks; returns (bytes, width, height)."""
    limit = max_source_pixels()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img: Image.Image = Image.open(io.BytesIO(source))
            if img.width * img.height > limit:
                raise SourceTooLargeError(f"{img.width}x{img.height} is over {limit} pixels")
            orientation = img.getexif().get(0x0112, 1)
            rotated = orientation in (5, 6, 7, 8)
            shown = (img.height, img.width) if rotated else img.size
            target = _target_size(shown, spec)
            if spec.fit == "cover" and spec.width and spec.height:
                scale = max(target[0] / shown[0], target[1] / shown[1])
                need = (round(shown[0] * scale), round(shown[1] * scale))
            else:
                need = target
            if isinstance(img, ImageFile.ImageFile) and img.format == "JPEG":
                # Let libjpeg decode at 1/2, 1/4 or 1/8 scale when that is still >= the target.
                img.draft("RGB", (need[1], need[0]) if rotated else need)
            img = ImageOps.exif_transpose(img) or img
    except SourceTooLargeError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise SourceTooLargeError(str(exc)) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise UndecodableImageError(str(exc)) from None

    if img.mode not in {"RGB", "RGBA", "L", "LA"}:
        img = img.convert("RGBA" if "transparency" in img.info or img.mode in {"P", "PA"} else "RGB")
    if spec.fit == "cover" and spec.width and spec.height:
        img = ImageOps.fit(img, target, Image.Resampling.LANCZOS)
    elif target != img.size:
        img = img.resize(target, Image.Resampling.LANCZOS, reducing_gap=3.0)
    if spec.format == "jpeg" and img.mode in {"RGBA", "LA"}:
        background = Image.new("RGB", img.size, "white")
        background.paste(img, mask=img.getchannel("A"))
        img = background
    buf = io.BytesIO()
    options: dict[str, object] = {}
    icc = img.info.get("icc_profile")
    img.info = {}  # newer Pillow writes EXIF/XMP found in info by default: drop all metadata
    if icc:
        options["icc_profile"] = icc  # colour, not personal data; EXIF/XMP are never written
    if spec.format in {"jpeg", "webp", "avif"}:
        options["quality"] = spec.quality
    if spec.format == "webp":
        options["method"] = 4
    if spec.format == "avif":
        options["speed"] = 8
    img.save(buf, format=_PIL_SAVE[spec.format], **options)
    return buf.getvalue(), img.width, img.height
