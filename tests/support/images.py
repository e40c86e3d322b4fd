"""Test images built with Pillow (real encoders, no fixtures on disk)."""

from __future__ import annotations

import io

from PIL import Image


def image_bytes(
    fmt: str = "JPEG",
    size: tuple[int, int] = (64, 48),
    *,
    color: str = "red",
    gps: bool = False,
    orientation: int | None = None,
) -> bytes:
    img = Image.new("RGB", size, color)
    # A gradient so encoders cannot collapse the image to nothing and resizes are visible.
    for x in range(0, size[0], max(1, size[0] // 8)):
        for y in range(size[1]):
            img.putpixel((x, y), (0, 0, 255))
    exif = Image.Exif()
    if orientation:
        exif[0x0112] = orientation
    if gps:
        ifd = exif.get_ifd(0x8825)
        ifd[1] = "N"
        ifd[2] = (48.0, 51.0, 29.0)
        ifd[3] = "E"
        ifd[4] = (2.0, 17.0, 40.0)
    buf = io.BytesIO()
    kwargs = {"exif": exif} if (gps or orientation) and fmt in {"JPEG", "PNG", "WEBP"} else {}
    img.save(buf, format=fmt, **kwargs)
    return buf.getvalue()


def png_bomb_header(width: int = 20000, height: int = 20000) -> bytes:
    """A tiny PNG whose header claims a huge canvas (decompression bomb)."""
    img = Image.new("1", (width, height))
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=True)
    return buf.getvalue()
