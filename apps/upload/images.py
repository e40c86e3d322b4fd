"""Opening uploaded images safely: dimensions, pixel limit before decoding, GPS removal."""

from __future__ import annotations

import io
import struct
import warnings
from dataclasses import dataclass

from django.conf import settings
from PIL import Image, UnidentifiedImageError

from apps.upload.services.errors import ImageTooLargeError, InvalidImageError

GPS_IFD = 0x8825
ORIENTATION = 0x0112
_XMP_PREFIX = b"http://ns.adobe.com/xap/1.0/\x00"
_PIL_FORMATS = {
    "image/jpeg": "JPEG",
    "image/png": "PNG",
    "image/gif": "GIF",
    "image/webp": "WEBP",
    "image/avif": "AVIF",
}


@dataclass(frozen=True)
class CheckedImage:
    """An image that decoded completely: displayed size (EXIF orientation applied) and the bytes to store."""

    width: int
    height: int
    data: bytes


def max_pixels() -> int:
    return int(getattr(settings, "UPLOAD_MAX_PIXELS", 50_000_000))


def check_image(data: bytes, content_type: str) -> CheckedImage:
    """Decode ``data`` fully and return its size and a copy without GPS location (and XMP).

    Raises ``ImageTooLargeError`` over the pixel limit (checked from the header, before decoding) and
    ``InvalidImageError`` for corrupt, truncated or mislabelled data.
    """
    limit = max_pixels()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data), formats=[_PIL_FORMATS[content_type]])
            width, height = img.size
            if width * height > limit:
                raise ImageTooLargeError(max_pixels=limit, width=width, height=height)
            img.load()
            # load() stops once it has the pixels; verify() also checks the rest (CRCs, the end chunk).
            Image.open(io.BytesIO(data), formats=[_PIL_FORMATS[content_type]]).verify()
    except ImageTooLargeError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageTooLargeError(max_pixels=limit) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, KeyError, EOFError, struct.error) as exc:
        raise InvalidImageError(reason=str(exc)[:200]) from None
    if width < 1 or height < 1:
        raise InvalidImageError(reason="empty image")
    exif = img.getexif()
    if exif.get(ORIENTATION) in (5, 6, 7, 8):
        width, height = height, width
    needs_strip = bool(exif.get_ifd(GPS_IFD)) or GPS_IFD in exif or "xmp" in img.info or "XML:com.adobe.xmp" in img.info
    if not needs_strip:
        return CheckedImage(width=width, height=height, data=data)
    if GPS_IFD in exif:
        del exif[GPS_IFD]
    if content_type == "image/jpeg":
        return CheckedImage(width=width, height=height, data=_jpeg_replace_exif(data, _exif_bytes(exif)))
    return CheckedImage(width=width, height=height, data=_resave(img, content_type, exif))


def _exif_bytes(exif: Image.Exif) -> bytes:
    """``exif`` serialised; EXIF that Pillow can read but not write back (a tag stored with the wrong
    type, bad rationals...) is replaced by a minimal EXIF carrying only the orientation: never a 500,
    and never a way to smuggle the location past the strip."""
    if not exif:
        return b""
    try:
        return exif.tobytes()
    except (TypeError, ValueError, KeyError, OverflowError, ZeroDivisionError, struct.error):
        minimal = Image.Exif()
        if (orientation := exif.get(ORIENTATION)) in range(1, 9):
            minimal[ORIENTATION] = orientation
        return minimal.tobytes() if minimal else b""


def _jpeg_replace_exif(data: bytes, exif: bytes) -> bytes:
    """Rewrite the JPEG's metadata segments losslessly: new EXIF APP1, no XMP; image data untouched."""
    out = bytearray(data[:2])
    pos = 2
    wrote_exif = False
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            raise InvalidImageError(reason="malformed JPEG marker")
        marker = data[pos + 1]
        if marker in {0xDA, 0xD9}:  # start of scan: the rest is image data
            break
        length = struct.unpack(">H", data[pos + 2 : pos + 4])[0]
        segment = data[pos : pos + 2 + length]
        payload = segment[4:]
        if marker == 0xE1 and payload.startswith((b"Exif\x00\x00", _XMP_PREFIX)):
            if payload.startswith(b"Exif") and exif and not wrote_exif:
                out += b"\xff\xe1" + struct.pack(">H", len(exif) + 2) + exif
                wrote_exif = True
        else:
            out += segment
        pos += 2 + length
    out += data[pos:]
    return bytes(out)


def _resave(img: Image.Image, content_type: str, exif: Image.Exif) -> bytes:
    """Re-encode (PNG/GIF losslessly, WebP/AVIF at high quality) without GPS and XMP."""
    buf = io.BytesIO()
    fmt = _PIL_FORMATS[content_type]
    options: dict[str, object] = {"exif": _exif_bytes(exif)}
    if icc := img.info.get("icc_profile"):
        options["icc_profile"] = icc
    if fmt in {"WEBP", "AVIF"}:
        options["quality"] = 90
    animated = getattr(img, "n_frames", 1) > 1
    img.save(buf, format=fmt, save_all=animated, **options)
    return buf.getvalue()
