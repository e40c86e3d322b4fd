"""Gau's deployment topologies as real processes, derived from the Helm chart: no imports from ``apps/``.

A topology is a values file of ``helm/gau`` rendered by the real Helm engine (``helm-python-sdk``, Helm's
Go SDK in a shared library; no cluster, no ``helm`` binary). From the rendered manifests:

- each **Deployment** of a component becomes one gunicorn process (one worker, a few threads) with the
  rendered ``GAU_SERVED_APPS`` and ``GAU_SERVICE_URLS``, whose in-cluster Service URLs
  (``http://gau-identity:8000``) are rewritten to the loopback port of that component's process;
- the **worker** Deployment becomes a Celery worker with its rendered arguments and environment;
- the **realtime** Deployment (live board events) becomes its rendered ASGI server command (uvicorn) with
  its environment;
- the **ConfigMap** gives the shared configuration (``PUBLIC_BASE_URL`` and ``ALLOWED_HOSTS`` are
  rewritten to the proxy's address);
- the **Ingresses** become an nginx configuration (:func:`nginx_config`): each ``Prefix`` path routed to
  its Service's process (``ImplementationSpecific`` paths as nginx regular expressions, as ingress-nginx
  reads them with ``use-regex``), everything else (``/internal/`` included) a 404. A wrong route in the chart
  therefore fails the end-to-end suite.

| name | values | layout |
| --- | --- | --- |
| ``monolith`` | ``values.yaml`` | one process serving every app (the suite talks to it directly) |
| ``three`` | ``values-split.yaml`` | identity (account, authz), media (upload, cdn), core (kanban, email) |
| ``split`` | ``values-split-full.yaml`` | one process per app, every cross-app call over signed HTTP |

The backing services are the real ones: PostgreSQL (a fresh database per topology, named after
``DATABASE_URL``'s with ``_e2e_<topology>`` appended, migrated, dropped at the end), Redis (a
``redis-server`` of its own on a free port; without the binary, ``REDIS_URL``'s database, flushed),
RabbitMQ (a vhost of its own when ``rabbitmqctl`` can make one, so no other worker on the machine takes
its tasks), an S3 server and an SMTP sink (passed in).
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import os
import pwd
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

import httpx
import yaml

from tests.support import nginx

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "helm" / "gau"
RELEASE = "gau"
PYTHON = sys.executable
#: Topology name -> the values file layered on the chart's defaults (``helm -f``).
TOPOLOGIES: dict[str, str | None] = {
    "monolith": None,
    "three": "values-split.yaml",
    "split": "values-split-full.yaml",
}
SECRET_KEY = "gau-e2e-secret-key-loopback-only-00000000000000000"  # loopback test servers only
INTERNAL_KEY = "gau-e2e-internal-key-loopback-only-000000000000"
#: What the suite needs of each gunicorn: one worker process, a few threads (2 CPU cores are shared).
GUNICORN_THREADS = 3


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(predicate: Callable[[], bool], *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise TimeoutError(f"{what} not within {timeout}s")


# --- the chart ----------------------------------------------------------------------------------------


def render(values_file: str | None) -> list[dict[str, Any]]:
    """Every manifest of the chart rendered with ``values_file`` over its defaults, by the Helm engine."""
    import helm_python

    values = yaml.safe_load((CHART / values_file).read_text()) if values_file else {}
    rendered = helm_python.Chart.load(str(CHART)).render(values=values, name=RELEASE, namespace="default")
    manifests: list[dict[str, Any]] = []
    for name, text in sorted(rendered.items()):
        if name.endswith(".yaml"):
            manifests.extend(doc for doc in yaml.safe_load_all(text) if doc)
    return manifests


def _env_of(deployment: dict[str, Any]) -> dict[str, str]:
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    return {item["name"]: str(item["value"]) for item in container.get("env") or [] if "value" in item}


@dataclass(frozen=True)
class Route:
    """One Ingress path: ``Prefix`` ``path`` to the Service ``service``."""

    path: str
    path_type: str
    service: str


@dataclass(frozen=True)
class Layout:
    """What a rendered chart describes: components (by Service name), the worker and the routes."""

    components: dict[str, dict[str, str]]  # Service name -> the component's own environment
    worker_env: dict[str, str]
    worker_args: list[str]
    config: dict[str, str]
    routes: list[Route]
    #: The realtime Deployment, if enabled: (Service name, environment, command).
    realtime: tuple[str, dict[str, str], list[str]] | None = None

    def owner(self, app: str) -> str:
        """The Service whose process serves ``app``."""
        for service, env in self.components.items():
            if app in env["GAU_SERVED_APPS"].split(","):
                return service
        raise KeyError(app)


def layout(topology: str) -> Layout:
    """Read the components, worker, configuration and ingress routes out of the rendered chart."""
    manifests = render(TOPOLOGIES[topology])
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for manifest in manifests:
        by_kind.setdefault(manifest["kind"], []).append(manifest)
    services = {
        s["metadata"]["name"]: s["spec"]["selector"]["app.kubernetes.io/component"]
        for s in by_kind["Service"]
        if any(port.get("name") == "http" for port in s["spec"]["ports"])  # not the worker's metrics Service
    }
    deployments = {d["metadata"]["name"]: d for d in by_kind["Deployment"]}
    components: dict[str, dict[str, str]] = {}
    realtime: tuple[str, dict[str, str], list[str]] | None = None
    for service, component in services.items():
        matches = [
            d
            for d in deployments.values()
            if d["spec"]["selector"]["matchLabels"].get("app.kubernetes.io/component") == component
        ]
        assert len(matches) == 1, f"Service {service} selects {len(matches)} Deployments"
        if component == "realtime":
            container = matches[0]["spec"]["template"]["spec"]["containers"][0]
            realtime = (service, _env_of(matches[0]), list(container.get("command") or []))
        else:
            components[service] = _env_of(matches[0])
    worker = deployments[f"{RELEASE}-worker"]
    worker_container = worker["spec"]["template"]["spec"]["containers"][0]
    (config_map,) = by_kind["ConfigMap"]
    routes = [
        Route(p["path"], p["pathType"], p["backend"]["service"]["name"])
        for ingress in by_kind["Ingress"]
        for rule in ingress["spec"]["rules"]
        for p in rule["http"]["paths"]
    ]
    return Layout(
        components=components,
        worker_env=_env_of(worker),
        worker_args=list(worker_container.get("command") or []) + list(worker_container.get("args") or []),
        config={k: str(v) for k, v in (config_map.get("data") or {}).items()},
        routes=routes,
        realtime=realtime,
    )


def realtime_args(command: list[str], port: int) -> list[str]:
    """The realtime container's ``sh -c "exec uvicorn ... --port ${PORT}"`` as a local command on ``port``."""
    assert command[:2] == ["sh", "-c"], command
    words = shlex.split(command[2].replace("${PORT}", str(port)))
    assert words[:2] == ["exec", "uvicorn"], words
    return [PYTHON, "-m", "uvicorn", *("127.0.0.1" if w == "0.0.0.0" else w for w in words[2:])]  # noqa: S104


# --- the reverse proxy --------------------------------------------------------------------------------

_UNAVAILABLE = (
    '{"error": {"code": "service_unavailable", "message": "The service is unavailable; try again shortly.", '
    '"details": {"dependency": "upstream"}}}'
)
_NO_ROUTE = '{"error": {"code": "not_found", "message": "Not found.", "details": {}}}'


def nginx_locations(routes: list[Route]) -> list[tuple[str, str]]:
    """(nginx ``location`` argument, upstream) for each Ingress path, with Kubernetes ``Prefix`` semantics:
    ``/api/v2/account/`` and ``/unlock`` match themselves and everything below them (element-wise), not
    ``/unlockX``. Anything under ``/internal`` is refused outright, whatever the chart says."""
    locations: dict[str, str] = {}
    for route in routes:
        if route.path.rstrip("/").startswith("/internal"):
            raise ValueError(f"the Ingress routes {route.path!r}: /internal/ must never be public")
        if route.path_type == "ImplementationSpecific":  # a regular expression (ingress-nginx, use-regex)
            if locations.setdefault(f"~ ^{route.path}$", route.service) != route.service:
                raise ValueError(f"the Ingress routes {route.path!r} to two Services")
            continue
        if route.path_type not in {"Prefix", "Exact"}:
            raise ValueError(f"unsupported pathType {route.path_type!r} for {route.path!r}")
        base = route.path.rstrip("/")
        wanted = [f"= {base or '/'}"]
        if route.path_type == "Prefix":
            wanted.append(f"{base}/")
        for location in wanted:
            if locations.setdefault(location, route.service) != route.service:
                raise ValueError(f"the Ingress routes {location!r} to two Services")
    return sorted(locations.items())


def nginx_config(routes: list[Route], upstreams: Mapping[str, int], *, port: int, directory: Path) -> str:
    """An nginx configuration implementing the Ingress ``routes`` on ``127.0.0.1:port``.

    Paths no route names (``/internal/``, ``/healthz``...) answer 404; an upstream that is down or does
    not answer in time becomes a 503 in Gau's error shape with ``Retry-After`` (as an ingress controller's
    default backend would answer, but in the API's shape)."""
    lines = [
        "worker_processes 1;",
        "daemon off;",
        f"pid {directory}/nginx.pid;",
        f"error_log {directory}/error.log warn;",
        "events { worker_connections 1024; }",
        "http {",
        # As an ingress should log: no query string (links carry tokens), no Referer; the request id.
        '  log_format gau \'$remote_addr [$time_local] "$request_method $uri $server_protocol" $status '
        "$body_bytes_sent rid=$sent_http_x_request_id';",
        f"  access_log {directory}/access.log gau;",
        *(f"  {kind}_temp_path {directory}/{kind}_temp;" for kind in ("client_body", "proxy", "fastcgi", "uwsgi")),
        f"  scgi_temp_path {directory}/scgi_temp;",
        "  client_max_body_size 64m;",
        "  proxy_http_version 1.1;",
        '  proxy_set_header Connection "";',
        "  proxy_set_header Host $http_host;",
        "  proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
        "  proxy_set_header X-Forwarded-Proto $scheme;",
        "  proxy_connect_timeout 2s;",
        "  proxy_read_timeout 60s;",
        "  proxy_request_buffering off;",
    ]
    for service, upstream_port in sorted(upstreams.items()):
        lines += [f"  upstream {service} {{", f"    server 127.0.0.1:{upstream_port};", "    keepalive 16;", "  }"]
    lines += ["  server {", f"    listen 127.0.0.1:{port};", "    error_page 502 504 = @unavailable;"]
    for location, service in nginx_locations(routes):
        lines.append(f"    location {location} {{ proxy_pass http://{service}; }}")
    if not any(location in {"/", "= /"} for location, _ in nginx_locations(routes)):
        lines.append(f"    location / {{ default_type application/json; return 404 '{_NO_ROUTE}'; }}")
    lines += [
        "    location @unavailable {",
        "      default_type application/json;",
        "      add_header Retry-After 5 always;",
        f"      return 503 '{_UNAVAILABLE}';",
        "    }",
        "  }",
        "}",
    ]
    return "\n".join(lines) + "\n"


# --- the mailbox ----------------------------------------------------------------------------------------

_LINK = re.compile(r"https?://[^\s\"'<>]+")


@dataclass
class Mailbox:
    """The SMTP sink's maildir (``tests/support/smtp_sink.py``): messages as ``.eml`` files."""

    maildir: Path

    def messages(self, to: str) -> list[EmailMessage]:
        found = []
        for path in sorted(self.maildir.glob("*.eml")):
            with contextlib.suppress(FileNotFoundError):
                message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
                if isinstance(message, EmailMessage) and to.lower() in str(message["To"]).lower():
                    found.append(message)
        return found

    def link(self, to: str, path: str, *, after: int = 0, timeout: float = 30) -> str:
        """The first link to ``path`` (e.g. ``/verify-email``) in a message to ``to`` beyond the first
        ``after`` messages to that address; waits for it."""
        box: list[str] = []

        def arrived() -> bool:
            for message in self.messages(to)[after:]:
                body = message.get_body(preferencelist=("plain",))
                text = body.get_content() if body is not None else ""
                box[:] = [u for u in _LINK.findall(text) if urlsplit(u).path == path]
                if box:
                    return True
            return False

        wait_until(arrived, timeout=timeout, what=f"an email to {to} with a {path} link")
        return box[0]


# --- processes -------------------------------------------------------------------------------------------


@dataclass
class Process:
    """A child process in its own process group, its output in ``log``."""

    name: str
    args: list[str]
    env: dict[str, str]
    log: Path
    port: int | None = None
    user: str | None = None
    proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                self.args,
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                user=self.user,
                group=pwd.getpwnam(self.user).pw_gid if self.user else None,
                extra_groups=[] if self.user else None,
            )

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def signal(self, sig: int) -> None:
        """Send ``sig`` to the whole process group (gunicorn's arbiter and its worker)."""
        os.killpg(self.pid, sig)

    def stop(self, timeout: float = 10) -> None:
        if not self.alive():
            return
        assert self.proc is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGCONT)  # a stopped process cannot act on SIGTERM
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=timeout)


@dataclass(frozen=True)
class Services:
    """The backing services a topology runs on (all real)."""

    database_url: str
    redis_url: str
    broker_url: str
    email_url: str
    maildir: Path
    s3: Mapping[str, str]  # S3_ENDPOINT_URL, S3_BUCKET, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY, S3_REGION

    @classmethod
    def from_environment(cls, *, email_url: str, maildir: Path, s3: Mapping[str, str]) -> Services:
        return cls(
            database_url=os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/gau"),
            redis_url=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15"),
            broker_url=os.environ.get("CELERY_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672//"),
            email_url=email_url,
            maildir=maildir,
            s3=dict(s3),
        )


def _with_path(url: str, path: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=path))


def _rabbitmqctl(*args: str) -> bool:
    tool = shutil.which("rabbitmqctl") or ("/usr/sbin/rabbitmqctl" if Path("/usr/sbin/rabbitmqctl").exists() else None)
    if tool is None:
        return False
    result = subprocess.run([tool, "-q", *args], capture_output=True, check=False, timeout=60)
    return result.returncode == 0


class Topology:
    """One topology of the chart running as processes: :meth:`start`, use :attr:`base_url`, :meth:`stop`.

    ``proxy`` puts the chart's Ingress (as nginx) in front, and :attr:`base_url` is the proxy's; without
    it the topology must have one component, and :attr:`base_url` is that process. ``extra_env`` is
    added to every process (e.g. a small ``GAU_RPC_TIMEOUT``).
    """

    def __init__(
        self,
        name: str,
        services: Services,
        *,
        proxy: bool,
        workdir: Path | None = None,
        threads: int = GUNICORN_THREADS,
        extra_env: Mapping[str, str] | None = None,
        worker: bool = True,
    ) -> None:
        self.name = name
        self.services = services
        self.proxy = proxy
        self.layout = layout(name)
        if not proxy and len(self.layout.components) != 1:
            raise ValueError(f"{name} has {len(self.layout.components)} components: it needs the proxy")
        self.own_workdir = workdir is None  # logs go there; removed at stop only if we made it
        self.workdir = workdir or Path(tempfile.mkdtemp(prefix=f"gau-e2e-{name}-"))
        self.threads = threads
        self.extra_env = dict(extra_env or {})
        self.with_worker = worker
        self.ports = {service: free_port() for service in self.layout.components}
        if self.layout.realtime is not None:
            self.ports[self.layout.realtime[0]] = free_port()
        self.proxy_port = free_port() if proxy else None
        only = next(iter(self.ports.values()))
        self.base_url = f"http://127.0.0.1:{self.proxy_port if proxy else only}"
        suffix = f"_e2e_{name}"
        self.database_url = _with_path(services.database_url, urlsplit(services.database_url).path + suffix)
        self.vhost: str | None = None
        self.redis_url = services.redis_url
        self.redis: Process | None = None
        self.broker_url = services.broker_url
        self.servers: dict[str, Process] = {}
        self.worker: Process | None = None
        self.nginx: Process | None = None
        self.nginx_dir: Path | None = None
        self.mailbox = Mailbox(services.maildir)

    # -- environment

    def url_of(self, service: str) -> str:
        """The loopback URL of a component's process (its in-cluster Service in the chart)."""
        return f"http://127.0.0.1:{self.ports[service]}"

    def _rewrite_service_urls(self, value: str) -> str:
        for service, port in self.ports.items():
            value = re.sub(rf"http://{re.escape(service)}:\d+", f"http://127.0.0.1:{port}", value)
        return value

    def base_env(self) -> dict[str, str]:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": os.environ.get("HOME", str(self.workdir)),
            "LANG": "C.UTF-8",
            "PYTHONUNBUFFERED": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
            "DJANGO_SETTINGS_MODULE": "gau.settings",
            **self.layout.config,  # the chart's ConfigMap: DEBUG=false, JSON logs...
            "PUBLIC_BASE_URL": self.base_url,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECRET_KEY": SECRET_KEY,
            "GAU_INTERNAL_KEYS": INTERNAL_KEY,
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
            "CELERY_BROKER_URL": self.broker_url,
            "EMAIL_URL": self.services.email_url,
            **self.services.s3,
        }
        env.update(self.extra_env)
        return env

    def component_env(self, env: Mapping[str, str]) -> dict[str, str]:
        """A process's environment: the shared one, then the rendered Deployment's, Services rewritten."""
        own = {k: self._rewrite_service_urls(v) for k, v in env.items()}
        own.pop("PORT", None)
        return {**self.base_env(), **own}

    # -- lifecycle

    def start(self, timeout: float = 90) -> Topology:
        try:
            self._database()
            self._broker()
            self._cache()
            self._migrate()
            for service, env in self.layout.components.items():
                self._start_server(service, env)
            if self.layout.realtime is not None:
                self._start_realtime()
            for service in self.servers:
                self.wait_healthy(service, timeout=timeout)
            if self.with_worker:
                self._start_worker(timeout)
            if self.proxy:
                self._start_proxy(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _database(self) -> None:
        import psycopg
        from psycopg import sql

        parts = urlsplit(self.database_url)
        name = unquote(parts.path.lstrip("/"))
        admin = urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))
        with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))

    def _drop_database(self) -> None:
        import psycopg
        from psycopg import sql

        parts = urlsplit(self.database_url)
        name = unquote(parts.path.lstrip("/"))
        admin = urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))
        with contextlib.suppress(psycopg.Error), psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))

    def _broker(self) -> None:
        """A RabbitMQ vhost of the topology's own when rabbitmqctl can make one (else the configured one)."""
        vhost = f"gau_e2e_{self.name}_{uuid.uuid4().hex[:8]}"
        if _rabbitmqctl("add_vhost", vhost):
            user = urlsplit(self.services.broker_url).username or "guest"
            if _rabbitmqctl("set_permissions", "-p", vhost, user, ".*", ".*", ".*"):
                self.vhost = vhost
                self.broker_url = _with_path(self.services.broker_url, "/" + vhost)
            else:
                _rabbitmqctl("delete_vhost", vhost)

    def _cache(self) -> None:
        """A ``redis-server`` of the topology's own when the binary is there (two topologies, or a topology
        and the test session, must not share cache keys); else ``REDIS_URL``'s database, flushed."""
        binary = shutil.which("redis-server")
        if binary is not None:
            port = free_port()
            args = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
            self.redis = Process(
                "redis", args, {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}, self.workdir / "redis.log", port=port
            )
            self.redis.start()
            redis_process = self.redis

            def listening() -> bool:
                if not redis_process.alive():
                    raise RuntimeError(f"redis-server exited:\n{redis_process.output()}")
                with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                    return True
                return False

            wait_until(listening, timeout=20, what="redis-server")
            self.redis_url = f"redis://127.0.0.1:{port}/0"
            return
        import redis

        client = redis.Redis.from_url(self.redis_url)
        try:
            client.flushdb()
        finally:
            client.close()

    def _migrate(self) -> None:
        env = self.component_env(self.layout.worker_env)
        result = subprocess.run(
            [PYTHON, "manage.py", "migrate", "--noinput", "-v", "0"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=300,
        )
        if result.returncode != 0:
            raise RuntimeError(f"migrate failed:\n{result.stdout}\n{result.stderr}")

    def _start_server(self, service: str, env: Mapping[str, str]) -> None:
        port = self.ports[service]
        args = [
            PYTHON,
            "-m",
            "gunicorn",
            "gau.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--worker-class",
            "gthread",
            "--workers",
            "1",
            "--threads",
            str(self.threads),
            "--timeout",
            "30",
            "--graceful-timeout",
            "3",
            "--keep-alive",
            "5",
            "--access-logfile",
            "-",
        ]
        process = Process(service, args, self.component_env(env), self.workdir / f"{service}.log", port=port)
        process.start()
        self.servers[service] = process

    def _start_realtime(self) -> None:
        assert self.layout.realtime is not None
        service, env, command = self.layout.realtime
        port = self.ports[service]
        args = realtime_args(command, port)
        process = Process(service, args, self.component_env(env), self.workdir / f"{service}.log", port=port)
        process.start()
        self.servers[service] = process

    def wait_healthy(self, service: str, *, timeout: float = 60) -> None:
        process = self.servers[service]

        def healthy() -> bool:
            if not process.alive():
                raise RuntimeError(f"{service} exited:\n{process.output()[-4000:]}")
            try:
                return httpx.get(self.url_of(service) + "/healthz", timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        wait_until(healthy, timeout=timeout, what=f"{service} /healthz")

    def _start_worker(self, timeout: float) -> None:
        args = list(self.layout.worker_args)
        assert args[0] == "celery", args
        args = [PYTHON, "-m", *args, "--without-gossip", "--without-mingle", "-n", f"e2e-{self.name}-{os.getpid()}@%h"]
        log = self.workdir / "worker.log"
        self.worker = Process("worker", args, self.component_env(self.layout.worker_env), log)
        self.worker.start()
        worker = self.worker

        def ready() -> bool:
            if not worker.alive():
                raise RuntimeError(f"the worker exited:\n{worker.output()[-4000:]}")
            return "ready." in worker.output()

        wait_until(ready, timeout=timeout, what="the Celery worker")

    def _start_proxy(self, timeout: float) -> None:
        binary = nginx.require()
        assert self.proxy_port is not None
        # A directory of its own outside the test's private tmp (whose parents are 0700), readable by the
        # unprivileged user nginx runs as.
        self.nginx_dir = Path(tempfile.mkdtemp(prefix="gau-e2e-nginx-"))
        user = "nobody" if os.geteuid() == 0 else None
        config = nginx_config(self.layout.routes, self.ports, port=self.proxy_port, directory=self.nginx_dir)
        (self.nginx_dir / "nginx.conf").write_text(config)
        if user:
            info = pwd.getpwnam(user)
            os.chown(self.nginx_dir, info.pw_uid, info.pw_gid)
            os.chown(self.nginx_dir / "nginx.conf", info.pw_uid, info.pw_gid)
        args = [binary, "-p", str(self.nginx_dir), "-e", str(self.nginx_dir / "error.log"), "-c", "nginx.conf"]
        self.nginx = Process(
            "nginx", args, {"PATH": "/usr/sbin:/usr/bin:/bin"}, self.nginx_dir / "nginx.out", user=user
        )
        self.nginx.start()
        proxy = self.nginx

        def listening() -> bool:
            if not proxy.alive():
                raise RuntimeError(f"nginx exited:\n{proxy.output()}\n{self.proxy_log()}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.proxy_port), timeout=1):
                return True
            return False

        wait_until(listening, timeout=timeout, what="nginx")

    def proxy_log(self, name: str = "error.log") -> str:
        path = self.nginx_dir / name if self.nginx_dir else None
        return path.read_text(errors="replace") if path and path.exists() else ""

    def stop_server(self, service: str) -> None:
        self.servers[service].stop()

    def restart_server(self, service: str, *, timeout: float = 60) -> None:
        """Start a stopped component again, on the same port with the same environment."""
        self.servers[service].stop()
        self._start_server(service, self.layout.components[service])
        self.wait_healthy(service, timeout=timeout)

    def logs(self) -> dict[str, str]:
        found = {name: p.output() for name, p in self.servers.items()}
        if self.worker:
            found["worker"] = self.worker.output()
        if self.nginx:
            found["nginx"] = self.proxy_log()
            found["nginx-access"] = self.proxy_log("access.log")
        return found

    def stop(self) -> None:
        """Stop everything this topology started and drop what it created (database, vhost, temp files)."""
        # Side by side: each gunicorn may take its graceful timeout; one after another that added up.
        stopping = [
            threading.Thread(target=process.stop)
            for process in [*([self.nginx] if self.nginx else []), *self.servers.values()]
        ]
        if self.worker is not None:  # a worker holding countdown messages lingers; then SIGKILL
            stopping.append(threading.Thread(target=self.worker.stop, kwargs={"timeout": 3}))
        for thread in stopping:
            thread.start()
        for thread in stopping:
            thread.join()
        if self.redis is not None:
            self.redis.stop()
        if self.vhost:
            _rabbitmqctl("delete_vhost", self.vhost)
            self.vhost = None
        self._drop_database()
        if self.nginx_dir:
            shutil.rmtree(self.nginx_dir, ignore_errors=True)
        if self.own_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)


@contextlib.contextmanager
def running(name: str, services: Services, **kwargs: Any) -> Iterator[Topology]:
    topology = Topology(name, services, **kwargs).start()
    try:
        yield topology
    finally:
        topology.stop()


@contextlib.contextmanager
def standalone_services(workdir: Path) -> Iterator[Services]:
    """An S3 server (moto) and an SMTP sink as processes, with the shell's PostgreSQL/Redis/RabbitMQ: the
    services for a topology outside the test session (the split benchmark)."""
    import boto3

    s3_port, smtp_port = free_port(), free_port()
    maildir = workdir / "maildir"
    maildir.mkdir(parents=True, exist_ok=True)
    moto = Process(
        "s3",
        [PYTHON, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(s3_port)],
        dict(os.environ),
        workdir / "moto.log",
    )
    sink = Process(
        "smtp",
        [PYTHON, "-m", "tests.support.smtp_sink", "--port", str(smtp_port), "--maildir", str(maildir)],
        dict(os.environ),
        workdir / "smtp.log",
    )
    s3 = {
        "S3_ENDPOINT_URL": f"http://127.0.0.1:{s3_port}",
        "S3_BUCKET": "gau-e2e",
        "S3_ACCESS_KEY_ID": "gau-e2e",
        "S3_SECRET_ACCESS_KEY": "gau-e2e-secret",
        "S3_REGION": "us-east-1",
    }
    try:
        moto.start()
        sink.start()
        for port, what in ((s3_port, "moto S3 server"), (smtp_port, "SMTP sink")):

            def listening(port: int = port) -> bool:
                with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                    return True
                return False

            wait_until(listening, timeout=30, what=what)
        boto3.client(
            "s3",
            endpoint_url=s3["S3_ENDPOINT_URL"],
            aws_access_key_id=s3["S3_ACCESS_KEY_ID"],
            aws_secret_access_key=s3["S3_SECRET_ACCESS_KEY"],
            region_name=s3["S3_REGION"],
        ).create_bucket(Bucket=s3["S3_BUCKET"])
        yield Services.from_environment(email_url=f"smtp://127.0.0.1:{smtp_port}", maildir=maildir, s3=s3)
    finally:
        sink.stop()
        moto.stop()
