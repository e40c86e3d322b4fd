"""The headless browser of the browser tests: Chromium and chromedriver from Debian's packages.

``make test`` runs ``python -m tests.support.browser --install`` first: when either is missing it installs
them with apt-get (as root, where apt-get exists), else it says what is missing and how to install it and
fails. The browser fixture (tests/browser/conftest.py) fails with the same message, never skips.
``CHROMIUM_PATH`` / ``CHROMEDRIVER_PATH`` name other binaries.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

CHROMIUM = ("chromium", "chromium-browser")
CHROMEDRIVER = ("chromedriver",)
PACKAGES = ("chromium", "chromium-driver")
HOW_TO_INSTALL = (
    "install them from Debian's packages: sudo apt-get update && sudo apt-get install -y chromium chromium-driver"
)

#: Flags for a quiet, reproducible headless browser on a CI machine (no network of its own).
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1280,900",
)


def _which(names: tuple[str, ...]) -> str | None:
    for name in names:
        found = shutil.which(name) or (f"/usr/bin/{name}" if Path(f"/usr/bin/{name}").exists() else None)
        if found:
            return found
    return None


def _chosen(variable: str, names: tuple[str, ...]) -> str | None:
    """``$variable`` when set (a path that must exist), else the first of ``names`` found."""
    chosen = os.environ.get(variable, "").strip()
    if chosen:
        return chosen if Path(chosen).is_file() else None
    return _which(names)


def chromium_path() -> str | None:
    return _chosen("CHROMIUM_PATH", CHROMIUM)


def chromedriver_path() -> str | None:
    return _chosen("CHROMEDRIVER_PATH", CHROMEDRIVER)


def missing() -> list[str]:
    """One line per missing piece, saying how to get it."""
    lines = []
    if chromium_path() is None:
        lines.append("  - Chromium is not installed (no chromium on PATH)")
    if chromedriver_path() is None:
        lines.append("  - chromedriver is not installed (no chromedriver on PATH)")
    try:
        import selenium  # noqa: F401
    except ImportError:
        lines.append("  - the selenium package is missing: .venv/bin/pip install -r requirements-dev.txt")
    if lines and any("Chromium" in line or "chromedriver" in line for line in lines):
        lines.append(f"    {HOW_TO_INSTALL}")
    return lines


def install() -> bool:
    """apt-get install Chromium and its driver when we are root and apt-get exists; True if it ran."""
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        return False
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    print("browser: installing " + " ".join(PACKAGES) + " with apt-get", flush=True)
    subprocess.run(["apt-get", "update", "-qq"], check=False, env=env, timeout=600)
    result = subprocess.run(
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *PACKAGES], check=False, env=env, timeout=1200
    )
    return result.returncode == 0


def main(argv: list[str]) -> int:
    lines = missing()
    if lines and "--install" in argv and (chromium_path() is None or chromedriver_path() is None) and install():
        lines = missing()
    if lines:
        print("The browser tests need a headless Chromium, and these are missing:", file=sys.stderr)
        print("\n".join(lines), file=sys.stderr)
        return 4
    print(f"browser: {chromium_path()} with {chromedriver_path()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
