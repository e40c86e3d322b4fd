"""Pillow's own bad images (``Tests/images`` of its source distribution on PyPI), fetched once and cached.

The sdist is downloaded with pip (``pip download --no-deps --no-binary :all: pillow==<installed>``) into
``$GAU_TEST_CACHE`` (default ``~/.cache/gau-test``); the selected images are extracted next to it. No
network: :class:`CorpusUnavailable` says so (the test skips with that message).
"""

from __future__ import annotations

import fnmatch
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import PIL

#: Malformed, truncated, fuzzer-found (crash / oom / timeout) and bomb images, by file-name pattern.
PATTERNS = (
    "*crash*",
    "*oom-*",
    "*timeout-*",
    "*ossfuzz*",
    "*truncat*",
    "*broken*",
    "*bomb*",
    "*invalid*",
    "*overflow*",
    "*overrun*",
    "*_dos*",
    "*bad*",
    "*corrupt*",
    "*damaged*",
    "*leak*",
    "*oob*",
    "*cve*",
)
#: Then odd but valid files of the formats the image purposes accept (EXIF, MPO, CMYK, APNG edge cases).
EXTRA_PATTERNS = ("*exif*", "*mpo*", "*cmyk*", "apng/*")
PER_FOLDER = 8  # e.g. fli_oob/ holds dozens of near-identical files
MAX_FILES = 150
MAX_BYTES = 8 * 1024 * 1024  # the largest image purpose accepts less; a few huge fixtures are left out


class CorpusUnavailable(RuntimeError):
    pass


def cache_dir() -> Path:
    return Path(os.environ.get("GAU_TEST_CACHE") or Path.home() / ".cache" / "gau-test")


def _sdist(version: str, cache: Path) -> Path:
    found = sorted(cache.glob(f"pillow-{version}.tar.gz")) + sorted(cache.glob(f"Pillow-{version}.tar.gz"))
    if found:
        return found[0]
    cache.mkdir(parents=True, exist_ok=True)
    try:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--quiet",
                "--disable-pip-version-check",
                "--no-deps",
                "--no-binary",
                ":all:",
                f"pillow=={version}",
                "-d",
                str(cache),
            ],
            capture_output=True,
            text=True,
            timeout=600,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise CorpusUnavailable(f"pip download pillow=={version} failed: {exc}") from None
    found = sorted(cache.glob(f"[pP]illow-{version}.tar.gz"))
    if done.returncode != 0 or not found:
        raise CorpusUnavailable(
            f"could not download Pillow {version}'s source distribution from PyPI (no network?): "
            f"{(done.stderr or done.stdout).strip()[-500:]}"
        )
    return found[0]


def rank(name: str) -> int | None:
    """0 for a bad image, 1 for an odd valid one, None if not selected."""
    relative = name.split("/Tests/images/", 1)[-1].lower()
    base = relative.rsplit("/", 1)[-1]
    for order, patterns in enumerate((PATTERNS, EXTRA_PATTERNS)):
        if any(fnmatch.fnmatch(base, p) or fnmatch.fnmatch(relative, p) for p in patterns):
            return order
    return None


def corpus() -> list[Path]:
    """The selected bad images of the installed Pillow's test suite (downloaded and extracted once)."""
    version = PIL.__version__
    cache = cache_dir()
    target = cache / f"pillow-{version}-bad-images"
    marker = target / ".complete"
    if not marker.exists():
        sdist = _sdist(version, cache)
        target.mkdir(parents=True, exist_ok=True)
        with tarfile.open(sdist) as tar:
            members = [
                m
                for m in tar.getmembers()
                if m.isfile() and "/Tests/images/" in m.name and rank(m.name) is not None and m.size <= MAX_BYTES
            ]
            members.sort(key=lambda m: (rank(m.name), m.name))
            per_folder: dict[str, int] = {}
            chosen = []
            for member in members:
                folder = member.name.split("/Tests/images/", 1)[1].rpartition("/")[0].split("/")[0]
                per_folder[folder] = per_folder.get(folder, 0) + 1
                if not folder or per_folder[folder] <= PER_FOLDER:
                    chosen.append(member)
            for index, member in enumerate(chosen[:MAX_FILES]):
                source = tar.extractfile(member)
                if source is None:
                    continue
                relative = member.name.split("/Tests/images/", 1)[1].replace("/", "__")
                (target / f"{index:03d}-{relative}").write_bytes(source.read())
        marker.touch()
    return sorted(p for p in target.iterdir() if p.is_file() and p.name != ".complete")
