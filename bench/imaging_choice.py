"""Why the CDN uses Pillow: the same thumbnail jobs with Pillow (as apps/cdn/imaging.py does them) and
pyvips (``thumbnail_buffer``, libvips' fastest path), in one process, single-threaded.

Not run by ``make bench`` (pyvips is not a Gau dependency). To rerun::

    python3 -m venv /tmp/vipsenv && /tmp/vipsenv/bin/pip install pyvips==3.2.0 pyvips-binary==8.18.7 pillow==13.0.0
    /tmp/vipsenv/bin/python bench/imaging_choice.py
"""

from __future__ import annotations

import io
import statistics
import time

import pyvips  # type: ignore[import-not-found]
from PIL import Image, ImageOps

JOBS = [("webp", 400, 80), ("webp", 800, 80), ("jpeg", 200, 80), ("avif", 400, 60)]


def photo(size: tuple[int, int]) -> bytes:
    noise = Image.effect_noise(size, 60)
    fractal = Image.effect_mandelbrot(size, (-2.2, -1.2, 1.0, 1.2), 60)
    grad = Image.linear_gradient("L").resize(size)
    buf = io.BytesIO()
    Image.merge("RGB", (noise, fractal, ImageOps.invert(grad))).save(buf, format="JPEG", quality=90)
    return buf.getvalue()


def with_pillow(source: bytes, fmt: str, width: int, quality: int) -> bytes:
    img: Image.Image = Image.open(io.BytesIO(source))
    height = round(img.height * width / img.width)
    img.draft("RGB", (width, height))
    img = ImageOps.exif_transpose(img)
    img = img.resize((width, height), Image.Resampling.LANCZOS, reducing_gap=3.0)
    buf = io.BytesIO()
    options: dict[str, object] = {"quality": quality}
    if fmt == "webp":
        options["method"] = 4
    if fmt == "avif":
        options["speed"] = 8
    img.save(buf, format=fmt.upper(), **options)
    return buf.getvalue()


def with_vips(source: bytes, fmt: str, width: int, quality: int) -> bytes:
    image = pyvips.Image.thumbnail_buffer(source, width)  # shrink-on-load, autorotate
    suffix = {"webp": ".webp", "jpeg": ".jpg", "avif": ".avif"}[fmt]
    return bytes(image.write_to_buffer(f"{suffix}[Q={quality},strip]"))


def timed(fn, *args, repeat: int = 9) -> float:
    fn(*args)
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn(*args)
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1000


def main() -> None:
    pyvips.cache_set_max(0)
    pyvips.concurrency_set(1)
    for size in ((3000, 2000), (6000, 4000)):
        source = photo(size)
        for fmt, width, quality in JOBS:
            pil = timed(with_pillow, source, fmt, width, quality)
            vips = timed(with_vips, source, fmt, width, quality)
            print(f"{size[0]}x{size[1]} JPEG -> {width}px {fmt} q{quality}: pillow {pil:.1f} ms, pyvips {vips:.1f} ms")


if __name__ == "__main__":
    main()
