"""Identity benchmarks (real PostgreSQL and Redis).

1. ``account_me``: authenticated ``GET /api/v2/account/me`` (bearer JWT verified in-process with the
   cached public key and one Redis read for revocation, then one PostgreSQL query for the user) against
   the foundation's bare Django view (``bench.views.bare_ping``). Same gunicorn configuration, same wrk
   load, rounds interleaved. Target (issue 11): >= 50% of the bare view's req/s.
2. ``account_login``: ``POST /api/v2/account/login`` with the right password (Argon2 verification, the
   throttle's Redis reads, token issue through authz: session and refresh-token rows, a signed JWT)
   against a view that does only the Argon2 verification with the same hasher and parameters. Target:
   >= 85% of the raw verification's req/s.
"""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import lib
from bench.account_views import PASSWORD

ME_TARGET = 0.50
#: Ours against djangorestframework-simplejwt + ModelSerializer (bench/peer_me.py): >= 1.5x its req/s.
PEER_TARGET = 1.5
LOGIN_TARGET = 0.85
EMAIL = "bench-account@example.com"
GUNICORN = {"workers": 1, "threads": 4, "worker_class": "gthread"}


def ensure_user(env: dict[str, str]) -> None:
    code = (
        "import django; django.setup()\n"
        "from apps.account.models import User\n"
        f"u = User.objects.filter(email={EMAIL!r}).first() or User(email={EMAIL!r})\n"
        f"u.set_password({PASSWORD!r}); u.email_verified = True; u.is_active = True; u.save()\n"
    )
    done = subprocess.run(
        [lib.PYTHON, "-c", code],
        cwd=lib.ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "gau.settings"},
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise lib.BenchError(f"could not create the bench user: {done.stderr[-2000:]}")


def peer_token(env: dict[str, str]) -> str:
    """A simplejwt access token for the bench user, made the way the peer's docs do (``for_user``)."""
    code = (
        "import django; django.setup()\n"
        "from apps.account.models import User\n"
        "from rest_framework_simplejwt.tokens import AccessToken\n"
        f"print(AccessToken.for_user(User.objects.get(email={EMAIL!r})))\n"
    )
    done = subprocess.run(
        [lib.PYTHON, "-c", code],
        cwd=lib.ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "bench.settings_peer_me"},
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise lib.BenchError(f"could not make the simplejwt token: {done.stderr[-2000:]}")
    return done.stdout.strip().splitlines()[-1]


def post_json(url: str, body: dict[str, str]) -> dict[str, object]:
    request = urllib.request.Request(  # noqa: S310  # loopback URL we built
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        data: dict[str, object] = json.loads(response.read())
        return data


def main() -> int:
    lib.ensure_wrk()
    env = lib.server_env(services=True)
    lib.migrate(env)
    ensure_user(env)
    body = json.dumps({"email": EMAIL, "password": PASSWORD})
    script = lib.scratch_dir() / "login.lua"
    script.write_text(
        f'wrk.method = "POST"\nwrk.body = {json.dumps(body)}\nwrk.headers["Content-Type"] = "application/json"\n'
    )
    login_connections = int(lib.knob("login_connections", 2))
    print(
        f"account: gunicorn {GUNICORN['worker_class']} x{GUNICORN['workers']} ({GUNICORN['threads']} threads), "
        f"wrk {int(lib.knob('connections', 16))} connections for me, {login_connections} for login, "
        f"{lib.knob('duration', 6):g}s x {int(lib.knob('rounds', 3))} rounds per side, interleaved",
        flush=True,
    )
    with (
        lib.running("bare", settings="bench.settings_account", env=env, **GUNICORN) as bare,
        lib.running("gau", settings="gau.settings", env=env, **GUNICORN) as gau,
    ):
        token = post_json(gau.url + "/api/v2/account/login", {"email": EMAIL, "password": PASSWORD})["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        status, me = lib.http_get(gau.url + "/api/v2/account/me", headers=auth)
        if status != 200 or json.loads(me)["email"] != EMAIL:
            raise lib.BenchError(f"GET me answered {status}: {me[:300]!r}")

        def warm_me() -> None:
            lib.run_wrk(bare.url + "/bench/ping", duration=lib.knob("warmup", 2))
            lib.run_wrk(gau.url + "/api/v2/account/me", duration=lib.knob("warmup", 2), headers=auth)

        baseline, candidate = lib.interleave(
            lambda: lib.run_wrk(bare.url + "/bench/ping", server=bare),
            lambda: lib.run_wrk(gau.url + "/api/v2/account/me", headers=auth, server=gau),
            warmup=warm_me,
            labels=("bare", "me"),
        )
        lib.report("account_me", baseline, candidate, target=ME_TARGET)

        # me_peer: the same user and payload through simplejwt + ModelSerializer, same server settings.
        with lib.running("peer", settings="bench.settings_peer_me", env=env, **GUNICORN) as peer:
            peer_auth = {"Authorization": f"Bearer {peer_token(env)}"}
            status, peer_me = lib.http_get(peer.url + "/api/v2/peer/me", headers=peer_auth)
            if status != 200 or json.loads(peer_me)["email"] != EMAIL:
                raise lib.BenchError(f"peer GET me answered {status}: {peer_me[:300]!r}")
            baseline, candidate = lib.interleave(
                lambda: lib.run_wrk(peer.url + "/api/v2/peer/me", headers=peer_auth, server=peer),
                lambda: lib.run_wrk(gau.url + "/api/v2/account/me", headers=auth, server=gau),
                warmup=lambda: lib.run_wrk(
                    peer.url + "/api/v2/peer/me", duration=lib.knob("warmup", 2), headers=peer_auth
                ),
                labels=("simplejwt", "me"),
            )
            lib.report("me_peer", baseline, candidate, target=PEER_TARGET)

        # Each request costs one Argon2 verification (~100 MB, tens to hundreds of ms): longer runs, few
        # connections, or a round holds too few requests for a stable rate.
        login_seconds = lib.knob("login_seconds", max(10.0, 2 * lib.knob("duration", 6)))

        def load(url: str) -> lib.WrkResult:
            return lib.run_wrk(url, duration=login_seconds, connections=login_connections, script=script, timeout_s=30)

        baseline, candidate = lib.interleave(
            lambda: load(bare.url + "/bench/argon2"),
            lambda: load(gau.url + "/api/v2/account/login"),
            warmup=lambda: [
                lib.run_wrk(url, duration=2, connections=1, script=script)
                for url in (bare.url + "/bench/argon2", gau.url + "/api/v2/account/login")
            ],
            labels=("argon2", "login"),
        )
        # Single-digit rates: print them with decimals (the shared summary rounds to whole req/s).
        ratio = candidate.requests_per_sec / baseline.requests_per_sec if baseline.requests_per_sec else 0.0
        figures = "; ".join(
            f"{x.label}={x.requests_per_sec:.2f} req/s (p50 {x.p50_ms:.0f}ms p99 {x.p99_ms:.0f}ms)"
            for x in (baseline, candidate)
        )
        print(lib.bench_line("account_login", figures + ";", ratio, LOGIN_TARGET), flush=True)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except lib.BenchError as exc:
        print(f"account: error: {exc}", file=sys.stderr)
        sys.exit(2)
