"""nginx from Debian's packages, the reverse proxy of the end-to-end topologies (``tests/e2e/topology.py``).

``make test`` runs ``python -m tests.support.nginx --install`` first: it installs ``nginx-light`` with
apt-get when nginx is missing and it runs as root, and otherwise says what is missing and how to install
it. ``NGINX_PATH`` points at another binary. The topology runs nginx as an unprivileged process (as
``nobody`` when the suite runs as root) with its own configuration in a temporary directory.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

PACKAGES = ("nginx-light",)
HOW_TO_INSTALL = "install it from Debian's packages: sudo apt-get update && sudo apt-get install -y nginx-light"


def nginx_path() -> str | None:
    """The nginx binary: ``NGINX_PATH``, else ``nginx`` on PATH or in /usr/sbin (not on a user's PATH)."""
    chosen = os.environ.get("NGINX_PATH")
    if chosen:
        return chosen if Path(chosen).is_file() else None
    found = shutil.which("nginx")
    if found:
        return found
    return "/usr/sbin/nginx" if Path("/usr/sbin/nginx").is_file() else None


def missing() -> list[str]:
    """One line per missing piece, saying how to get it."""
    if nginx_path() is None:
        return ["  - nginx is not installed (no nginx on PATH or in /usr/sbin)", f"    {HOW_TO_INSTALL}"]
    return []


def install() -> bool:
    """apt-get install nginx when we are root and apt-get exists; True if it ran and succeeded.

    The package's own service is not started (``policy-rc.d`` is not touched: Debian's postinst may
    try, and without an init system it does nothing); the suite never uses it.
    """
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        return False
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    print("nginx: installing " + " ".join(PACKAGES) + " with apt-get", flush=True)
    subprocess.run(["apt-get", "update", "-qq"], check=False, env=env, timeout=600)
    result = subprocess.run(
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *PACKAGES], check=False, env=env, timeout=1200
    )
    return result.returncode == 0


def require() -> str:
    """The nginx binary, installing it when missing and allowed; else an error saying how to get it."""
    path = nginx_path()
    if path is None and install():
        path = nginx_path()
    if path is None:
        raise RuntimeError("The end-to-end topologies need nginx as their reverse proxy:\n" + "\n".join(missing()))
    return path


def main(argv: list[str]) -> int:
    lines = missing()
    if lines and "--install" in argv and install():
        lines = missing()
    if lines:
        print("The end-to-end topologies need nginx as their reverse proxy, and it is missing:", file=sys.stderr)
        print("\n".join(lines), file=sys.stderr)
        return 4
    print(f"nginx: {nginx_path()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
