"""Image CDN against thumbor, the Python image service a user would pick instead (``cdn_peer_*``).

Same source (a 6 MP photo-like JPEG), same output (WebP, 400 px wide for the hit), one server process
each with 4 threads, loaded from this process:

- ``cdn_peer_miss``: variants that exist nowhere yet (10 widths x one quality per round, new in every
  round, the same pairs on both sides), requested one after another; blocks of 10 per side, ABBA order,
  5 rounds, a 1 s pause after each block so post-answer writes finish before the other side's block.
  ratio = Gau variants/s / thumbor variants/s (medians). Target >= 1.0.
- ``cdn_peer_hit``: the cached 400 px WebP (q 80), wrk, rounds interleaved. ratio = Gau req/s / thumbor
  req/s. Target >= 1.0.

Gau: gunicorn gthread 1x4 with the production settings (``bench.settings_cdn``), real PostgreSQL and
Redis, its own moto S3 server; the source uploaded through the upload service.

thumbor 7.8.0 (PyPI), configured as its documentation recommends for production: HMAC-signed URLs only
(``SECURITY_KEY``, ``ALLOW_UNSAFE_URL = False``), the file loader (``thumbor.loaders.file_loader`` over a
directory holding the same JPEG), the file result storage (``thumbor.result_storages.file_storage``:
every variant is written once and served from disk afterwards), the PIL engine with a 4-thread engine
pool (``ENGINE_THREADPOOL_SIZE = 4``, the same 4 threads as Gau's worker), one process
(``--processes 1``, as Gau's one worker), EXIF orientation respected (Gau applies it too), no source
storage (``thumbor.storages.no_storage``: the loader already reads a local file, a second copy on disk
would only add writes). thumbor runs in its own virtualenv that this benchmark creates on first use
(``~/.cache/gau-bench/thumbor-7.8.0-py<version>``, or ``BENCH_THUMBOR_VENV``; never in the repository),
with the first Python that installs it: this interpreter's base Python, then pyenv's 3.12 and 3.11.
Its Pillow is whatever thumbor pins (12.x at the time of writing; Gau's is 13).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import sysconfig
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx

from bench import lib
from bench.bench_cdn import GUNICORN, MISS_WIDTHS, SOURCE_SIZE, photo
from bench.s3server import django_call, moto_server

THUMBOR = "thumbor==7.8.0"
HIT_WIDTH = 400
HIT_QUALITY = 80
QUALITIES = tuple(range(50, 100, 5))
#: Pause after each block of misses: the side's writes after its last answers finish there.
SETTLE_S = 1.0


def _candidate_pythons() -> list[str]:
    found = []
    base = Path(sysconfig.get_config_var("BINDIR") or "") / f"python{sys.version_info[0]}.{sys.version_info[1]}"
    if base.exists():
        found.append(str(base))
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    for minor in ("3.12", "3.11"):
        found += sorted(
            str(p / "bin" / "python3") for p in pyenv.glob(f"{minor}.*") if (p / "bin" / "python3").exists()
        )
    return found


def thumbor_venv() -> Path:
    """A virtualenv with thumbor installed (created once, reused; outside the repository)."""
    configured = os.environ.get("BENCH_THUMBOR_VENV")
    errors = []
    for python in _candidate_pythons():
        version = subprocess.run(
            [python, "-c", "import sys; print(f'{sys.version_info[0]}.{sys.version_info[1]}')"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        venv = Path(configured) if configured else Path.home() / ".cache" / "gau-bench" / f"thumbor-7.8.0-py{version}"
        if (venv / ".installed").exists():
            return venv
        print(f"cdn_peer: creating {venv} with Python {version} and installing {THUMBOR}", flush=True)
        shutil.rmtree(venv, ignore_errors=True)
        subprocess.run([python, "-m", "venv", str(venv)], check=True)
        done = subprocess.run(
            [str(venv / "bin" / "pip"), "install", "--quiet", "--disable-pip-version-check", THUMBOR],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode == 0:
            (venv / ".installed").write_text(THUMBOR + "\n")
            return venv
        errors.append(f"Python {version}: {done.stderr[-500:]}")
        shutil.rmtree(venv, ignore_errors=True)
    raise lib.BenchError("could not install thumbor with any Python: " + "\n".join(errors or ["none found"]))


def thumbor_paths(venv: Path, key: str, pairs: list[tuple[int, int]]) -> list[str]:
    """Signed thumbor paths (libthumbor, as thumbor's docs sign URLs) for (width, quality) WebP variants."""
    code = (
        "import json, sys\nfrom libthumbor import CryptoURL\n"
        "key, pairs = sys.argv[1], json.loads(sys.argv[2])\n"
        "c = CryptoURL(key=key)\n"
        "print(json.dumps([c.generate(width=w, height=0, filters=['format(webp)', f'quality({q})'], "
        "image_url='source.jpg') for w, q in pairs]))\n"
    )
    done = subprocess.run(
        [str(venv / "bin" / "python"), "-c", code, key, json.dumps(pairs)], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise lib.BenchError(f"libthumbor could not sign URLs: {done.stderr[-1000:]}")
    paths: list[str] = json.loads(done.stdout)
    return paths


@contextmanager
def thumbor_server(venv: Path, images: Path, security_key: str) -> Iterator[lib.Server]:
    """thumbor on a free loopback port with the production configuration described above."""
    scratch = lib.scratch_dir()
    conf = scratch / "thumbor.conf"
    conf.write_text(
        "\n".join(
            [
                f"SECURITY_KEY = {security_key!r}",
                "ALLOW_UNSAFE_URL = False",
                "LOADER = 'thumbor.loaders.file_loader'",
                f"FILE_LOADER_ROOT_PATH = {str(images)!r}",
                "STORAGE = 'thumbor.storages.no_storage'",
                "RESULT_STORAGE = 'thumbor.result_storages.file_storage'",
                f"RESULT_STORAGE_FILE_STORAGE_ROOT_PATH = {str(scratch / 'thumbor-results')!r}",
                "RESULT_STORAGE_STORES_UNSAFE = False",
                "ENGINE = 'thumbor.engines.pil'",
                "ENGINE_THREADPOOL_SIZE = 4",
                "RESPECT_ORIENTATION = True",
                "QUALITY = 80",
                "WEBP_QUALITY = 80",
                "MAX_AGE = 31536000",
                "",
            ]
        )
    )
    port = lib.free_port()
    log_path = scratch / f"thumbor-{port}.log"
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(
            [str(venv / "bin" / "thumbor"), "-c", str(conf), "-i", lib.HOST, "-p", str(port), "--processes", "1"],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = lib.Server(name="thumbor", url=f"http://{lib.HOST}:{port}", proc=proc, log_path=log_path)
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise lib.BenchError(f"thumbor exited with {proc.returncode}:\n{server.log_tail()}")
            try:
                if lib.http_get(server.url + "/healthcheck", timeout=2)[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise lib.BenchError(f"thumbor did not answer /healthcheck within 60s:\n{server.log_tail()}")
            time.sleep(0.1)
        yield server
    finally:
        server.stop()


def main() -> int:
    lib.ensure_wrk()
    venv = thumbor_venv()
    scratch = lib.scratch_dir()
    images = scratch / "images"
    images.mkdir()
    source = photo(SOURCE_SIZE)
    (images / "source.jpg").write_bytes(source)
    security_key = secrets.token_urlsafe(24)
    rounds = int(lib.knob("miss_rounds", 1 if lib.smoke() else 5))
    if rounds > len(QUALITIES) - 1:
        raise lib.BenchError("too many rounds for distinct variants")
    # Round i uses quality QUALITIES[i] for every width; the hit variant's quality (80) is never a miss.
    miss_qualities = [q for q in QUALITIES if q != HIT_QUALITY][:rounds]
    pairs = [(HIT_WIDTH, HIT_QUALITY)] + [(w, q) for q in miss_qualities for w in MISS_WIDTHS]
    signed = dict(zip(pairs, thumbor_paths(venv, security_key, pairs), strict=True))

    with moto_server() as s3env:
        os.environ.update(s3env)
        env = lib.server_env(services=True)
        lib.migrate(env)
        key = django_call(
            env,
            "import uuid, pathlib\nfrom django.core.cache import cache\ncache.clear()\n"
            "from apps.upload.services import upload_service\n"
            f"f = upload_service.create_file(owner_id=uuid.uuid4(), purpose='image', filename='p.jpg', "
            f"data=pathlib.Path({str(images / 'source.jpg')!r}).read_bytes())\nprint(f.url.rsplit('/', 1)[1])",
        ).splitlines()[-1]
        with (
            lib.running("gau", settings="bench.settings_cdn", env=env, **GUNICORN) as gau,
            thumbor_server(venv, images, security_key) as thumbor,
        ):

            def gau_url(width: int, quality: int) -> str:
                return f"{gau.url}/images/{key}?w={width}&format=webp&q={quality}"

            def thumbor_url(width: int, quality: int) -> str:
                return thumbor.url + signed[(width, quality)]

            with httpx.Client(timeout=120) as client:
                # Same kind of answer from both: a WebP 400 px wide.
                for url in (gau_url(HIT_WIDTH, HIT_QUALITY), thumbor_url(HIT_WIDTH, HIT_QUALITY)):
                    response = client.get(url)
                    if response.status_code != 200 or response.content[8:12] != b"WEBP":
                        raise lib.BenchError(f"{url} answered {response.status_code} {response.content[:200]!r}")
                    print(f"cdn_peer: {url.split('/')[2]} 400-px WebP is {len(response.content)} bytes", flush=True)

                # Misses.
                times: dict[str, list[float]] = {"thumbor": [], "gau": []}
                cpu: dict[str, list[float]] = {"thumbor": [], "gau": []}
                sides = {"thumbor": (thumbor, thumbor_url), "gau": (gau, gau_url)}
                for index, quality in enumerate(miss_qualities):
                    order = ("thumbor", "gau") if index % 2 == 0 else ("gau", "thumbor")
                    for side in order:
                        server, url_of = sides[side]
                        started, cpu_before = time.perf_counter(), server.cpu_seconds()
                        for width in MISS_WIDTHS:
                            response = client.get(url_of(width, quality))
                            if response.status_code != 200:
                                raise lib.BenchError(f"{side} miss failed: {response.status_code}")
                        times[side].append(time.perf_counter() - started)
                        time.sleep(SETTLE_S)  # post-answer writes finish (counted in the server's CPU)
                        cpu[side].append(server.cpu_seconds() - cpu_before)
                    print(
                        f"  round {index + 1}/{rounds} (q{quality}): "
                        + ", ".join(
                            f"{side} {len(MISS_WIDTHS) / times[side][-1]:.1f} variants/s "
                            f"(cpu {cpu[side][-1] * 1000 / len(MISS_WIDTHS):.1f}ms/variant)"
                            for side in ("thumbor", "gau")
                        ),
                        flush=True,
                    )
                rate = {side: len(MISS_WIDTHS) / statistics.median(times[side]) for side in times}
                per = {side: statistics.median(cpu[side]) * 1000 / len(MISS_WIDTHS) for side in cpu}
                print(
                    lib.bench_line(
                        "cdn_peer_miss",
                        f"thumbor={rate['thumbor']:.1f} variants/s (cpu {per['thumbor']:.1f}ms/variant); "
                        f"gau={rate['gau']:.1f} variants/s (cpu {per['gau']:.1f}ms/variant, source "
                        f"{SOURCE_SIZE[0]}x{SOURCE_SIZE[1]} JPEG, WebP widths {MISS_WIDTHS[0]}-{MISS_WIDTHS[-1]});",
                        rate["gau"] / rate["thumbor"],
                        1.0,
                    ),
                    flush=True,
                )

            # Hits: the 400 px WebP, hot on both sides.
            hot_gau, hot_thumbor = gau_url(HIT_WIDTH, HIT_QUALITY), thumbor_url(HIT_WIDTH, HIT_QUALITY)

            baseline, candidate = lib.wrk_ab(hot_thumbor, hot_gau, servers=(thumbor, gau), labels=("thumbor", "gau"))
            lib.report("cdn_peer_hit", baseline, candidate, target=1.0)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except lib.BenchError as exc:
        print(f"cdn_peer: error: {exc}", file=sys.stderr)
        sys.exit(2)
