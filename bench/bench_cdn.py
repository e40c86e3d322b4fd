"""Image CDN: (1) a cache hit vs a bare view with the same bytes; (2) a variant miss vs raw Pillow.

(1) ``cdn_cache_hit``: ``GET /images/<key>?w=400&format=webp`` once the variant is hot in Redis, against
``/bench/bare-image``, a plain function view on the same server returning the same bytes from memory.
Same gunicorn (gthread 1x4), same wrk load, rounds interleaved. ratio = CDN req/s / bare req/s.

(2) ``cdn_variant_miss``: variants that exist nowhere yet (distinct width/quality pairs of a 6 MP JPEG),
requested one after another over HTTP: the full miss path (metadata, source from S3, decode-resize-
encode, then, after the answer, the Redis entry and the copy in S3). Baseline: the same decode-resize-
encode with Pillow in this process on bytes already in memory. Variant by variant, alternating which side
goes first (10 widths x 5 rounds, a new quality per round), so both sides see the same moments of the
machine's load; a 0.25 s pause after each CDN miss lets its post-answer writes finish (they count in the
server CPU per variant, printed beside the baseline's CPU) before the next timed request.
ratio = baseline seconds / CDN seconds (i.e. CDN variants/s over raw), medians.

Needs PostgreSQL and Redis (DATABASE_URL / REDIS_URL of the shell, as the tests); starts its own moto
S3 server. Run: ``make bench BENCH_ARGS=cdn`` or ``.venv/bin/python bench/bench_cdn.py``.
"""

from __future__ import annotations

import io
import os
import statistics
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
from PIL import Image, ImageOps

from bench import lib
from bench.s3server import django_call, moto_server

GUNICORN = {"workers": 1, "threads": 4, "worker_class": "gthread"}
SOURCE_SIZE = (3000, 2000)
MISS_WIDTHS = (128, 160, 200, 256, 320, 400, 480, 512, 640, 800)
#: Pause after each CDN miss, so the server's writes after its answer (the store pool) finish before
#: the next timed request, whichever side it is (they are counted in the server's CPU per variant).
SETTLE_S = 0.25


def photo(size: tuple[int, int]) -> bytes:
    """A photo-like JPEG (noise over gradients, so it compresses like a real picture)."""
    noise = Image.effect_noise(size, 60)
    fractal = Image.effect_mandelbrot(size, (-2.2, -1.2, 1.0, 1.2), 60)
    grad = Image.linear_gradient("L").resize(size)
    img = Image.merge("RGB", (noise, fractal, ImageOps.invert(grad)))
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=90)
    return buf.getvalue()


def raw_variant(source: bytes, width: int, quality: int) -> bytes:
    """The baseline: Pillow alone doing what a miss does (same draft decode, orientation, resize, encode)."""
    img: Image.Image = Image.open(io.BytesIO(source))
    height = round(img.height * width / img.width)
    img.draft("RGB", (width, height))
    img = ImageOps.exif_transpose(img)
    img = img.resize((width, height), Image.Resampling.LANCZOS, reducing_gap=3.0)
    buf = io.BytesIO()
    img.save(buf, format="WEBP", quality=quality, method=4)
    return buf.getvalue()


def main() -> int:
    lib.ensure_wrk()
    scratch = lib.scratch_dir()
    source_path = scratch / "source.jpg"
    source = photo(SOURCE_SIZE)
    source_path.write_bytes(source)
    bare_file = scratch / "variant.webp"
    with moto_server() as s3env:
        os.environ.update(s3env)
        env = lib.server_env(services=True, extra={"BENCH_BARE_FILE": str(bare_file)})
        lib.migrate(env)
        key = django_call(
            env,
            "import uuid, pathlib\nfrom django.core.cache import cache\ncache.clear()\n"
            "from apps.upload.services import upload_service\n"
            f"f = upload_service.create_file(owner_id=uuid.uuid4(), purpose='image', filename='p.jpg', "
            f"data=pathlib.Path({str(source_path)!r}).read_bytes())\nprint(f.url.rsplit('/', 1)[1])",
        ).splitlines()[-1]
        with lib.running("cdn", settings="bench.settings_cdn", env=env, **GUNICORN) as server:
            hot = f"{server.url}/images/{key}?w=400&format=webp"
            status, body = lib.http_get(hot)
            if status != 200:
                raise lib.BenchError(f"variant request failed: {status} {body[:300]!r}")
            bare_file.write_bytes(body)
            bare = f"{server.url}/bench/bare-image"
            if lib.http_get(bare)[1] != body or lib.http_get(hot)[1] != body:
                raise lib.BenchError("the bare view and the CDN do not return the same bytes")
            print(f"cdn: cached 400-px WebP is {len(body)} bytes; gunicorn gthread 1x4; wrk interleaved", flush=True)

            baseline, candidate = lib.wrk_ab(bare, hot, servers=(server, server), labels=("bare", "cdn-hit"))
            lib.report("cdn_cache_hit", baseline, candidate, target=0.70)

            # (2) misses: every request a variant nobody asked for yet.
            # Five rounds by default (the most the ten distinct qualities allow): a round is ~2 s per side.
            rounds = int(lib.knob("miss_rounds", 1 if lib.smoke() else 5))
            qualities = list(range(50, 100, 5))
            if rounds * 2 > len(qualities):
                raise lib.BenchError("too many rounds for distinct variants")
            raw_times: list[float] = []
            cdn_times: list[float] = []
            raw_cpu: list[float] = []
            cdn_cpu: list[float] = []
            with httpx.Client(timeout=60) as client:
                for index in range(rounds):
                    q_raw, q_cdn = qualities[2 * index], qualities[2 * index + 1]

                    raw_round = cdn_round = raw_cpu_round = cdn_cpu_round = 0.0
                    for position, width in enumerate(MISS_WIDTHS):
                        # Variant by variant, alternating which side goes first (ABBA), so both sides see
                        # the same moments of this shared machine's load.
                        for side in ("raw", "cdn") if (index + position) % 2 == 0 else ("cdn", "raw"):
                            if side == "raw":
                                started, cpu = time.perf_counter(), time.process_time()
                                raw_variant(source, width, q_raw)
                                raw_round += time.perf_counter() - started
                                raw_cpu_round += time.process_time() - cpu
                                continue
                            started, cpu = time.perf_counter(), server.cpu_seconds()
                            response = client.get(f"{server.url}/images/{key}?w={width}&format=webp&q={q_cdn}")
                            if response.status_code != 200:
                                raise lib.BenchError(f"miss failed: {response.status_code} {response.text[:300]}")
                            cdn_round += time.perf_counter() - started
                            # The server's writes after the answer (store pool) finish during the pause and
                            # count in its CPU; they never overlap the next timed request, whichever side.
                            time.sleep(SETTLE_S)
                            cdn_cpu_round += server.cpu_seconds() - cpu
                    raw_times.append(raw_round)
                    cdn_times.append(cdn_round)
                    raw_cpu.append(raw_cpu_round)
                    cdn_cpu.append(cdn_cpu_round)
                    print(
                        f"  round {index + 1}/{rounds}: raw {len(MISS_WIDTHS) / raw_times[-1]:.1f} variants/s "
                        f"(cpu {raw_cpu[-1] * 1000 / len(MISS_WIDTHS):.1f}ms/variant), "
                        f"cdn miss {len(MISS_WIDTHS) / cdn_times[-1]:.1f} variants/s "
                        f"(server cpu {cdn_cpu[-1] * 1000 / len(MISS_WIDTHS):.1f}ms/variant)",
                        flush=True,
                    )
            raw_rate = len(MISS_WIDTHS) / statistics.median(raw_times)
            cdn_rate = len(MISS_WIDTHS) / statistics.median(cdn_times)
            print(
                lib.bench_line(
                    "cdn_variant_miss",
                    f"raw-pillow={raw_rate:.1f} variants/s (cpu {statistics.median(raw_cpu) * 100:.1f}ms/variant); "
                    f"cdn-miss={cdn_rate:.1f} variants/s (server cpu {statistics.median(cdn_cpu) * 100:.1f}ms/variant, "
                    f"source {SOURCE_SIZE[0]}x{SOURCE_SIZE[1]} JPEG, WebP widths {MISS_WIDTHS[0]}-{MISS_WIDTHS[-1]});",
                    cdn_rate / raw_rate,
                    0.80,
                ),
                flush=True,
            )
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except lib.BenchError as exc:
        print(f"cdn: error: {exc}", file=sys.stderr)
        sys.exit(2)
