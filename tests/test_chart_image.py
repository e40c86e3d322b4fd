"""The Dockerfile, checked as far as it can be without Docker (no image can be built here).

The Dockerfile is parsed (ENV, WORKDIR, RUN, USER, VOLUME, HEALTHCHECK, CMD) and:

- checked against the Helm chart: the image's fixed UID/GID is the chart's ``runAsUser``/``runAsGroup``,
  its VOLUME list is exactly the emptyDirs the chart mounts on a read-only root filesystem, and the
  gunicorn settings its command reads from the environment are the ones the chart's ConfigMap sets;
- "built": the build context (``.dockerignore`` applied) is copied to a directory standing in for
  ``/app``, and the build's collectstatic step runs there as written (``DEBUG=false``, the image's
  settings), with the runtime requirements of the shared virtualenv standing in for ``pip install``;
- run on a read-only root filesystem (a private mount namespace: ``/`` and ``/app`` read-only, the
  VOLUME paths writable, a fresh tmpfs on ``/tmp``), as the chart runs it: the image's exact CMD with the
  image's ENV plus the runtime secrets the chart's Secret gives (the test database, Redis, RabbitMQ) serves
  ``/healthz`` and ``/readyz``; the HEALTHCHECK command exits 0 against it, and non-zero once SIGTERM has
  stopped it (gracefully, within gunicorn's graceful timeout); the chart's worker, beat and migration
  Job run with their rendered commands and environment. Nothing writes outside the volumes.

The processes run as the current user, not the image's UID: the virtualenv's interpreter may live where
that UID cannot read it (under /root here).
"""

from __future__ import annotations

import functools
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.support import processes
from tests.test_chart import RELEASE, WRITABLE_PATHS, of_kind, pod_templates, rendered

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = ROOT / "Dockerfile"
CHART_VALUES = ROOT / "helm" / "gau" / "values.yaml"
VENV_BIN = Path(sys.executable).parent
TMP = "/tmp"  # noqa: S108 - the image's /tmp, a volume of its own


# --- the Dockerfile, parsed --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Instruction:
    keyword: str
    args: str


@dataclass
class Image:
    """What the Dockerfile says about the image (single stage)."""

    env: dict[str, str] = field(default_factory=dict)
    workdir: str = "/"
    user: str = "root"
    runs: list[str] = field(default_factory=list)
    volumes: list[str] = field(default_factory=list)
    healthcheck: list[str] = field(default_factory=list)
    healthcheck_options: dict[str, str] = field(default_factory=dict)
    cmd: list[str] = field(default_factory=list)
    entrypoint: list[str] = field(default_factory=list)


def instructions(text: str) -> list[Instruction]:
    """The Dockerfile's instructions: comments dropped, backslash continuations joined."""
    found: list[Instruction] = []
    pending = ""
    for line in text.splitlines():
        if line.lstrip().startswith("#") or (not line.strip() and not pending):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        full = (pending + line).strip()
        pending = ""
        if full:
            keyword, _, args = full.partition(" ")
            found.append(Instruction(keyword.upper(), args.strip()))
    assert not pending, "the Dockerfile ends inside a continuation"
    return found


def parse(text: str) -> Image:
    image = Image()
    for instruction in instructions(text):
        keyword, args = instruction.keyword, instruction.args
        if keyword == "ENV":
            for item in shlex.split(args):
                key, _, value = item.partition("=")
                image.env[key] = value
        elif keyword == "WORKDIR":
            image.workdir = args
        elif keyword == "USER":
            image.user = args
        elif keyword == "RUN":
            image.runs.append(args)
        elif keyword == "VOLUME":
            image.volumes.extend(json.loads(args) if args.startswith("[") else args.split())
        elif keyword == "HEALTHCHECK":
            options, _, command = args.partition(" CMD ")
            image.healthcheck = json.loads(command)  # exec form: no shell between Docker and the check
            image.healthcheck_options = dict(item.lstrip("-").split("=", 1) for item in options.split())
        elif keyword in {"CMD", "ENTRYPOINT"}:
            assert args.startswith("["), f"{keyword} must be in exec form (JSON), so signals reach the process"
            setattr(image, keyword.lower(), json.loads(args))
        else:
            assert keyword in {"FROM", "COPY", "EXPOSE", "LABEL", "ARG"}, f"the test does not know {keyword}"
    return image


IMAGE = parse(DOCKERFILE.read_text())


def chart_defaults() -> dict[str, Any]:
    loaded = yaml.safe_load(CHART_VALUES.read_text())
    assert isinstance(loaded, dict)
    return loaded


# --- the image against the chart --------------------------------------------------------------------------


def _useradd() -> tuple[int, int]:
    """The UID and GID the Dockerfile gives its user (groupadd --gid, useradd --uid)."""
    (run,) = [run for run in IMAGE.runs if "useradd" in run]
    gid = re.search(r"groupadd\b.*?--gid\s+(\d+)", run)
    uid = re.search(r"useradd\b.*?--uid\s+(\d+)", run)
    assert gid, run
    assert uid, run
    return int(uid.group(1)), int(gid.group(1))


def test_the_image_runs_as_the_charts_fixed_non_root_user() -> None:
    uid, gid = _useradd()
    assert uid >= 1000
    # Numeric, so the kubelet can check runAsNonRoot without the image's /etc/passwd.
    assert IMAGE.user == f"{uid}:{gid}"
    pod = chart_defaults()["podSecurityContext"]
    assert (pod["runAsUser"], pod["runAsGroup"], pod["fsGroup"]) == (uid, gid, gid)
    for name, template in pod_templates(rendered("split")).items():
        security = template["spec"]["securityContext"]
        assert (security["runAsUser"], security["runAsGroup"]) == (uid, gid), name


def test_the_images_writable_paths_are_the_charts_emptydirs() -> None:
    assert set(IMAGE.volumes) == WRITABLE_PATHS
    for name, template in pod_templates(rendered("three")).items():
        for container in template["spec"]["containers"]:
            assert {m["mountPath"] for m in container["volumeMounts"]} == set(IMAGE.volumes), name
    # What the build creates for the app user is what the chart mounts (besides /tmp).
    assert IMAGE.env["PROMETHEUS_MULTIPROC_DIR"] in IMAGE.volumes
    (build,) = [run for run in IMAGE.runs if "collectstatic" in run]
    made = re.search(r"mkdir -p ([^&]+)", build)
    owned = re.search(r"chown \S+ ([^&]+)", build)
    assert made, build
    assert owned, build
    assert set(made.group(1).split()) == set(owned.group(1).split()) == set(IMAGE.volumes) - {TMP}


def test_the_gunicorn_settings_the_command_reads_are_the_ones_the_chart_sets() -> None:
    assert not IMAGE.entrypoint
    assert IMAGE.cmd[:2] == ["sh", "-c"]
    script = IMAGE.cmd[2]
    assert script.startswith("exec gunicorn "), "exec, so gunicorn is PID 1 and receives SIGTERM"
    read = set(re.findall(r"\$\{(\w+)\}", script))
    assert read == {"PORT", "WEB_CONCURRENCY", "GUNICORN_THREADS", "GUNICORN_TIMEOUT", "GUNICORN_GRACEFUL_TIMEOUT"}
    (config,) = of_kind(rendered("monolith"), "ConfigMap").values()
    assert read - {"PORT"} <= set(config["data"])
    defaults = chart_defaults()
    gunicorn = defaults["gunicorn"]
    assert IMAGE.env["PORT"] == str(defaults["port"])
    assert IMAGE.env["WEB_CONCURRENCY"] == str(gunicorn["workers"])
    assert IMAGE.env["GUNICORN_THREADS"] == str(gunicorn["threads"])
    assert IMAGE.env["GUNICORN_TIMEOUT"] == str(gunicorn["timeout"])
    assert IMAGE.env["GUNICORN_GRACEFUL_TIMEOUT"] == str(gunicorn["gracefulTimeout"])
    # The worker heartbeat files go to a tmpfs that exists on a read-only root (not to the image's /tmp).
    assert "--worker-tmp-dir /dev/shm" in script


# --- the image, "built" and run ---------------------------------------------------------------------------


def _ignore_patterns() -> list[re.Pattern[str]]:
    """``.dockerignore`` as regular expressions over context-relative paths (``**``, ``*``, ``?``)."""
    patterns = []
    for raw in (ROOT / ".dockerignore").read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        assert not line.startswith("!"), "exceptions (!) are not supported by this test"
        regex = ""
        for token in re.split(r"(\*\*/?|\*|\?)", line.strip("/")):
            regex += {"**/": "(.*/)?", "**": ".*", "*": "[^/]*", "?": "[^/]"}.get(token, re.escape(token))
        patterns.append(re.compile(regex))
    return patterns


def copy_build_context(destination: Path) -> None:
    """``COPY . .``: the repository less what ``.dockerignore`` excludes (a path or any parent of it)."""
    patterns = _ignore_patterns()

    def ignored(relative: str) -> bool:
        return any(p.fullmatch(relative) for p in patterns)

    for directory, dirs, files in os.walk(ROOT):
        relative_dir = Path(directory).relative_to(ROOT).as_posix()
        prefix = "" if relative_dir == "." else relative_dir + "/"
        dirs[:] = [d for d in dirs if not ignored(prefix + d)]
        target = destination / prefix
        target.mkdir(parents=True, exist_ok=True)
        for name in files:
            if not ignored(prefix + name):
                shutil.copy2(Path(directory) / name, target / name, follow_symlinks=False)
    for path in [destination, *destination.rglob("*")]:
        if not path.is_symlink():
            path.chmod(0o755 if path.is_dir() else path.stat().st_mode | 0o444)


def snapshot(directory: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``directory``: (size, mtime in ns), to tell what a process wrote."""
    return {
        path.relative_to(directory).as_posix(): (path.stat().st_size, path.stat().st_mtime_ns)
        for path in directory.rglob("*")
        if not path.is_dir()
    }


@dataclass
class Built:
    """The image's ``/app`` stood in for by a directory, and how its processes run."""

    app: Path
    build_log: str

    def path(self, image_path: str) -> Path:
        """A path of the image (``/app/var/media``) in the stand-in directory."""
        workdir = IMAGE.workdir.rstrip("/")
        assert image_path.startswith(workdir + "/"), image_path
        return self.app / image_path[len(workdir) + 1 :]


def _os_env() -> dict[str, str]:
    return {
        "PATH": f"{VENV_BIN}:/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        **IMAGE.env,
    }


@pytest.fixture(scope="module")
def built() -> Iterator[Built]:
    # Outside /tmp: the read-only root puts a tmpfs of its own over /tmp.
    top = Path(tempfile.mkdtemp(prefix="gau-image-", dir="/var/tmp"))
    app = top / "app"
    try:
        copy_build_context(app)
        assert not (app / "tests").exists(), "the build context leaves the tests out"
        assert (app / "requirements.txt").read_text() == (ROOT / "requirements.txt").read_text()
        owner = f"{os.getuid()}:{os.getgid()}"  # for gau:gau (the user is not created here)
        logs = []
        for run in IMAGE.runs:
            if run.startswith("pip install -r requirements.txt"):
                continue  # the shared virtualenv has requirements.txt installed
            if run.startswith("groupadd "):
                continue  # the user is checked above; the stand-in runs as its numeric UID
            assert "collectstatic" in run, f"the test does not know the build step {run!r}"
            script = run.replace(IMAGE.workdir.rstrip("/") + "/", f"{app}/").replace("gau:gau", owner)
            result = subprocess.run(
                ["sh", "-c", script], cwd=app, env=_os_env(), capture_output=True, text=True, check=False, timeout=300
            )
            assert result.returncode == 0, f"{script}\n{result.stdout}\n{result.stderr}"
            logs.append(result.stdout + result.stderr)
        yield Built(app, "\n".join(logs))
    finally:
        shutil.rmtree(top, ignore_errors=True)


def test_collectstatic_with_debug_off_collects_compressed_static_files(built: Built) -> None:
    (build,) = [run for run in IMAGE.runs if "collectstatic" in run]
    assert "DEBUG=false" in build.split("python", 1)[0]
    static = built.app / "var" / "static"
    for name in ("admin/css/base.css", "rest_framework/css/bootstrap.min.css", "pages/pages.css"):
        assert (static / name).is_file(), name
        assert (static / f"{name}.gz").is_file(), f"{name}: WhiteNoise's compressed copy"
    for image_path in set(IMAGE.volumes) - {TMP}:
        assert built.path(image_path).is_dir(), image_path


#: Run a command as the image would on the chart's read-only root filesystem: in a private mount namespace
#: where / and the app directory are read-only, the VOLUME paths under /app are writable, /tmp is a fresh
#: tmpfs and /dev/shm stays writable (as in a pod). Args: the app directory, its volumes, the command.
_READ_ONLY_ROOT = """
set -e
app="$1"; volumes="$2"; keep="$3"; shift 3
mount --bind "$app" "$app"
for volume in $volumes; do mount --bind "$app/$volume" "$app/$volume"; done
mount -o remount,bind,ro "$app"
if [ -n "$keep" ]; then hold="$app/../keep"; mkdir -p "$hold"; mount --bind "$keep" "$hold"; fi
mount -t tmpfs -o mode=1777,size=256m gau-tmp /tmp
if [ -n "$keep" ]; then mkdir -p "$keep"; mount --bind "$hold" "$keep"; mount -o remount,bind,ro "$keep"; fi
mount -o remount,bind,ro /
cd "$app"
exec "$@"
"""


@functools.cache
def read_only_root_available() -> bool:
    """Whether this machine lets the tests make mount namespaces (root with CAP_SYS_ADMIN)."""
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "--mount", "--propagation", "private", "true"], capture_output=True, check=False)
    return probe.returncode == 0


def on_read_only_root(app: Path, argv: list[str]) -> list[str]:
    """``argv`` wrapped to run in ``app`` (the image's ``/app``) on a read-only root filesystem (see
    :data:`_READ_ONLY_ROOT`); unwrapped when mount namespaces are not available here."""
    if not read_only_root_available():
        return argv
    workdir = IMAGE.workdir.rstrip("/") + "/"
    volumes = " ".join(v.removeprefix(workdir) for v in IMAGE.volumes if v.startswith(workdir))
    return [
        "unshare",
        "--mount",
        "--propagation",
        "private",
        "sh",
        "-c",
        _READ_ONLY_ROOT,
        "sh",
        str(app),
        volumes,
        _kept_under_tmp(),
        *argv,
    ]


def _kept_under_tmp() -> str:
    """The virtualenv, when it lives under /tmp (a checkout there): the fresh /tmp must still show it."""
    prefix = Path(sys.prefix).resolve()
    return str(prefix) if prefix.is_relative_to(TMP) else ""


def runtime_secrets() -> dict[str, str]:
    """What the chart's Secret holds, pointed at the test session's services (the test database)."""
    from conftest import child_database_url
    from gau.settings_test import TEST_DEFAULTS

    return {
        "SECRET_KEY": TEST_DEFAULTS["SECRET_KEY"],
        "GAU_INTERNAL_KEYS": TEST_DEFAULTS["GAU_INTERNAL_KEYS"],
        "DATABASE_URL": child_database_url(),
        "REDIS_URL": os.environ.get("REDIS_URL", TEST_DEFAULTS["REDIS_URL"]),
        "CELERY_BROKER_URL": os.environ.get("CELERY_BROKER_URL", TEST_DEFAULTS["CELERY_BROKER_URL"]),
    }


def start(argv: list[str], *, app: Path, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        proc = subprocess.Popen(
            on_read_only_root(app, argv), cwd=app, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    proc.log_path = log  # type: ignore[attr-defined]
    return proc


@dataclass
class Server:
    proc: subprocess.Popen[bytes]
    url: str
    env: dict[str, str]
    app: Path
    before: dict[str, tuple[int, int]]
    log: Path


@pytest.fixture(scope="module")
def server(built: Built, django_db_setup: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The image's CMD, as written, with the image's environment and the Secret's runtime settings, on a
    read-only root. ALLOWED_HOSTS stays the default (it must admit the HEALTHCHECK's 127.0.0.1)."""
    port = processes.free_port()
    env = {**_os_env(), "HOME": str(built.app), "PORT": str(port), **runtime_secrets()}  # HOME: useradd's /app
    log = tmp_path_factory.mktemp("image") / "gunicorn.log"
    before = snapshot(built.app)
    proc = start(IMAGE.entrypoint + IMAGE.cmd, app=built.app, env=env, log=log)
    url = f"http://127.0.0.1:{port}"
    try:
        processes.wait_until(lambda: processes.http_ready(f"{url}/healthz"), timeout=90, what="the image", proc=proc)
        yield Server(proc, url, env, built.app, before, log)
    finally:
        processes.stop(proc, timeout=40)


@pytest.mark.django_db  # the server uses the test database (created for db tests only)
def test_the_image_command_serves_health_and_readiness(server: Server) -> None:
    health = httpx.get(f"{server.url}/healthz", timeout=10)
    assert (health.status_code, health.json()) == (200, {"status": "ok"})
    ready = httpx.get(f"{server.url}/readyz", timeout=30)
    assert ready.status_code == 200, ready.text
    assert {name for name, check in ready.json()["checks"].items() if check["ok"]} >= {
        "database",
        "cache",
        "broker",
        "storage",  # the media directory, writable by the image's user
    }
    style = httpx.get(f"{server.url}/static/pages/pages.css", timeout=10)
    assert style.status_code == 200
    assert style.content == (server.app / "var" / "static" / "pages" / "pages.css").read_bytes()
    # exec: the process the runtime started is gunicorn's arbiter itself, with WEB_CONCURRENCY workers.
    cmdline = Path(f"/proc/{server.proc.pid}/cmdline").read_bytes().split(b"\0")
    assert any(b"gunicorn" in part for part in cmdline), cmdline
    children = Path(f"/proc/{server.proc.pid}/task/{server.proc.pid}/children").read_text().split()
    assert len(children) == int(IMAGE.env["WEB_CONCURRENCY"])


@pytest.mark.django_db  # the server uses the test database (created for db tests only)
def test_the_image_writes_nothing_outside_its_volumes(server: Server) -> None:
    """After serving requests (static files, the media storage check of /readyz) on the read-only root,
    nothing failed to write and nothing under /app changed but the VOLUME paths. (The server runs as the
    current user: the virtualenv's interpreter may live where the image's UID cannot read it.)"""
    assert httpx.get(f"{server.url}/readyz", timeout=30).status_code == 200
    assert httpx.get(f"{server.url}/static/pages/pages.css", timeout=10).status_code == 200
    workdir = IMAGE.workdir.rstrip("/") + "/"
    volumes = [server.app / path.removeprefix(workdir) for path in IMAGE.volumes if path.startswith(workdir)]
    assert len(volumes) == len(IMAGE.volumes) - 1  # all but /tmp
    changed = {
        name
        for name, stat in snapshot(server.app).items()
        if server.before.get(name) != stat and not any((server.app / name).is_relative_to(v) for v in volumes)
    }
    assert not changed, f"written outside the image's volumes: {sorted(changed)}"
    assert_read_only_root(server.proc.pid, server.app)
    assert "Read-only file system" not in server.log.read_text(errors="replace")


def assert_read_only_root(pid: int, app: Path) -> None:
    """The process ``pid`` sees / and ``app`` read-only and the volumes writable (skips where this machine
    cannot make mount namespaces; the snapshot checks above still apply)."""
    if not read_only_root_available():
        pytest.skip("no mount namespaces here (unshare): the read-only root is not enforced")
    options = {}
    for line in Path(f"/proc/{pid}/mountinfo").read_text().splitlines():
        fields = line.split()
        options[fields[4]] = set(fields[5].split(","))
    assert "ro" in options["/"]
    assert "ro" in options[str(app)]
    assert "rw" in options[TMP]
    for volume in IMAGE.volumes:
        if volume != TMP:
            assert "rw" in options[str(app / volume.removeprefix(IMAGE.workdir.rstrip("/") + "/"))], volume


def healthcheck(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    timeout = float(IMAGE.healthcheck_options["timeout"].rstrip("s"))
    return subprocess.run(IMAGE.healthcheck, env=env, capture_output=True, text=True, check=False, timeout=timeout + 10)


@pytest.mark.django_db  # the server uses the test database (created for db tests only)
def test_the_healthcheck_passes_and_after_sigterm_the_server_drains_and_it_fails(server: Server) -> None:
    """Last in the module: it stops the server."""
    assert healthcheck(server.env).returncode == 0
    started = time.monotonic()
    os.kill(server.proc.pid, signal.SIGTERM)  # what the runtime sends PID 1 (after the chart's preStop)
    assert server.proc.wait(timeout=int(IMAGE.env["GUNICORN_GRACEFUL_TIMEOUT"]) + 10) == 0
    assert time.monotonic() - started < int(IMAGE.env["GUNICORN_GRACEFUL_TIMEOUT"]) + 5
    failed = healthcheck(server.env)
    assert failed.returncode != 0
    assert "Connection refused" in failed.stderr


# --- the chart's other roles on the read-only root ---------------------------------------------------------


def _rabbitmqctl(*args: str) -> bool:
    binary = shutil.which("rabbitmqctl")
    if binary is None:
        return False
    return subprocess.run([binary, *args], capture_output=True, check=False, timeout=60).returncode == 0


@pytest.fixture
def own_broker() -> Iterator[str]:
    """CELERY_BROKER_URL on a RabbitMQ vhost of its own: beat's periodic tasks and the worker's consumers
    stay away from the test session's queues."""
    from urllib.parse import urlsplit, urlunsplit

    from gau.settings_test import TEST_DEFAULTS

    vhost = f"gau_image_{os.getpid()}_{time.monotonic_ns()}"
    if not _rabbitmqctl("add_vhost", vhost):
        pytest.skip("rabbitmqctl cannot make a vhost here")
    url = os.environ.get("CELERY_BROKER_URL", TEST_DEFAULTS["CELERY_BROKER_URL"])
    user = urlsplit(url).username or "guest"
    try:
        assert _rabbitmqctl("set_permissions", "-p", vhost, user, ".*", ".*", ".*")
        yield urlunsplit(urlsplit(url)._replace(path="/" + vhost))
    finally:
        _rabbitmqctl("delete_vhost", vhost)


def role_process(role: str, built: Built, **env: str) -> tuple[list[str], dict[str, str]]:
    """The rendered command and environment of a chart role's container (ConfigMap, Secret, container env
    over the image's ENV), for the monolith."""
    manifests = rendered("monolith")
    (container,) = pod_templates(manifests)[role]["spec"]["containers"]
    (config,) = of_kind(manifests, "ConfigMap").values()
    full = {
        **_os_env(),
        "HOME": str(built.app),
        **config["data"],
        **runtime_secrets(),
        **env,
        **{item["name"]: str(item["value"]) for item in container["env"]},
    }
    return list(container["command"]) + list(container.get("args") or []), full


def says(log: Path, text: str) -> Callable[[], bool]:
    return lambda: text in log.read_text(errors="replace")


def changed_outside_volumes(built: Built, before: dict[str, tuple[int, int]]) -> set[str]:
    volumes = tuple(f"{v.removeprefix(IMAGE.workdir.rstrip('/') + '/')}/" for v in IMAGE.volumes if v != TMP)
    return {
        name for name, stat in snapshot(built.app).items() if before.get(name) != stat and not name.startswith(volumes)
    }


@pytest.mark.live
@pytest.mark.django_db  # the roles use the test database (created for db tests only)
def test_the_worker_and_beat_run_on_the_read_only_root(built: Built, own_broker: str, tmp_path: Path) -> None:
    """The chart's worker and beat, their rendered commands and environment, from the image's /app on the
    read-only root (beat writes its schedule to /tmp), together on a broker vhost of their own; both stop
    cleanly on SIGTERM."""
    before = snapshot(built.app)
    started: dict[str, tuple[subprocess.Popen[bytes], Path]] = {}
    try:
        for role in ("worker", "beat"):
            argv, env = role_process(f"Deployment/{RELEASE}-{role}", built, CELERY_BROKER_URL=own_broker)
            log = tmp_path / f"{role}.log"
            started[role] = (start(argv, app=built.app, env=env, log=log), log)
        for role, ready in (("worker", "ready."), ("beat", "beat: Starting...")):
            proc, log = started[role]
            processes.wait_until(says(log, ready), timeout=90, what=role, proc=proc)
        time.sleep(1)  # beat stores its schedule, the worker's pool settles
        for proc, log in started.values():
            assert proc.poll() is None, log.read_text(errors="replace")
            assert_read_only_root(proc.pid, built.app)
    finally:
        for proc, _ in started.values():
            processes.stop(proc, timeout=20)
    for role, (proc, log) in started.items():
        output = log.read_text(errors="replace")
        assert proc.returncode == 0, f"{role}: {output[-3000:]}"
        assert "Read-only file system" not in output, role
    assert not changed_outside_volumes(built, before)


@pytest.mark.live
@pytest.mark.django_db  # the Job uses the test database (created for db tests only)
def test_the_migration_job_runs_on_the_read_only_root(built: Built, tmp_path: Path) -> None:
    argv, env = role_process(f"Job/{RELEASE}-migrate", built)
    assert argv == ["python", "manage.py", "migrate", "--noinput"]
    before = snapshot(built.app)
    log = tmp_path / "migrate.log"
    proc = start(argv, app=built.app, env=env, log=log)
    try:
        assert proc.wait(timeout=180) == 0, log.read_text(errors="replace")[-3000:]
    finally:
        processes.stop(proc)
    output = log.read_text(errors="replace")
    assert "No migrations to apply." in output
    assert "Read-only file system" not in output
    assert not changed_outside_volumes(built, before)
