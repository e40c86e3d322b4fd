"""The test bed: real PostgreSQL, Redis and RabbitMQ at their default local addresses, plus an
S3-compatible server (moto) and an SMTP server (aiosmtpd) started as processes for the session.

Fixtures later issues reuse:
- ``s3``: the S3 server (endpoint, bucket, a boto3 client); Django's default storage points at it.
- ``smtp``: the SMTP sink; ``smtp.messages()``, ``smtp.wait_for(n)``, ``smtp.clear()``, ``smtp.stop()``.
- ``celery_worker``: a real Celery worker process on RabbitMQ, against the test database.
- ``gau_server``: start the real app (gunicorn) with extra environment, e.g. ``GAU_SERVED_APPS``.
- ``api_client``: a DRF test client.
"""

from __future__ import annotations

import email
import email.policy
import os
import shutil
import signal
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from tests.support import processes


def pytest_sessionstart(session: pytest.Session) -> None:
    """Fail at once, saying which service is missing and how to start it; never fall back silently."""
    from django.conf import settings

    from tests.support.services import missing

    engine = settings.DATABASES["default"]["ENGINE"]
    if not engine.endswith("postgresql"):
        pytest.exit(f"The test suite runs on PostgreSQL; DATABASE_URL points at {engine}.", returncode=4)
    lines = missing()
    if lines:
        pytest.exit(
            "The test suite runs against real services, and these are not running:\n" + "\n".join(lines), returncode=4
        )


# --- S3-compatible server -------------------------------------------------------------------


@dataclass
class S3Server:
    endpoint_url: str
    bucket: str
    access_key: str = "gau-test"
    secret_key: str = "gau-test-secret"
    region: str = "us-east-1"

    def client(self) -> Any:
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            region_name=self.region,
        )

    def keys(self, prefix: str = "") -> list[str]:
        """Every object key in the bucket (under ``prefix``)."""
        pages = self.client().get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix)
        return [obj["Key"] for page in pages for obj in page.get("Contents", [])]

    def env(self) -> dict[str, str]:
        return {
            "S3_ENDPOINT_URL": self.endpoint_url,
            "S3_BUCKET": self.bucket,
            "S3_ACCESS_KEY_ID": self.access_key,
            "S3_SECRET_ACCESS_KEY": self.secret_key,
            "S3_REGION": self.region,
        }


@pytest.fixture(scope="session")
def s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    """A moto S3 server process for the session, with a fresh bucket."""
    port = processes.free_port()
    log = tmp_path_factory.mktemp("s3") / "moto.log"
    proc = processes.start([processes.PYTHON, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)], log_path=log)
    try:
        processes.wait_until(
            lambda: processes.port_open("127.0.0.1", port), timeout=30, what="moto S3 server", proc=proc
        )
        server = S3Server(endpoint_url=f"http://127.0.0.1:{port}", bucket="gau-test")
        server.client().create_bucket(Bucket=server.bucket)
        yield server
    finally:
        processes.stop(proc)


# --- SMTP server ------------------------------------------------------------------------------


@dataclass
class SmtpSink:
    port: int
    maildir: Path
    log: Path
    host: str = "127.0.0.1"
    proc: Any = field(default=None, repr=False)

    def start(self) -> None:
        """Start (or restart) the SMTP server process."""
        if self.proc is not None and self.proc.poll() is None:
            return
        self.proc = processes.start(
            [
                processes.PYTHON,
                "-m",
                "tests.support.smtp_sink",
                "--port",
                str(self.port),
                "--maildir",
                str(self.maildir),
            ],
            log_path=self.log,
        )
        processes.wait_until(
            lambda: processes.port_open(self.host, self.port), timeout=20, what="SMTP sink", proc=self.proc
        )

    def stop(self) -> None:
        """Stop the server: connections are refused until :meth:`start` (for outage tests)."""
        if self.proc is not None:
            processes.stop(self.proc)

    def url(self) -> str:
        return f"smtp://{self.host}:{self.port}"

    def messages(self) -> list[EmailMessage]:
        """Messages received so far, oldest first."""
        found = []
        for path in sorted(self.maildir.glob("*.eml")):
            found.append(email.message_from_bytes(path.read_bytes(), policy=email.policy.default))
        return found

    def wait_for(self, count: int = 1, *, timeout: float = 20) -> list[EmailMessage]:
        """Wait until at least ``count`` messages arrived; return them all."""
        processes.wait_until(
            lambda: len(list(self.maildir.glob("*.eml"))) >= count, timeout=timeout, what=f"{count} email(s)"
        )
        return self.messages()

    def clear(self) -> None:
        for path in self.maildir.glob("*.eml"):
            path.unlink()
        for name in ("reject", "tempfail", "delay_rcpt", "delay_data", "stalled_rcpt", "stalled_data", "no_pipelining"):
            (self.maildir / name).unlink(missing_ok=True)

    def pipelining(self, on: bool) -> None:
        """Advertise PIPELINING to new connections (the default) or not."""
        flag = self.maildir / "no_pipelining"
        if on:
            flag.unlink(missing_ok=True)
        else:
            flag.touch()

    def reject(self, *addresses: str) -> None:
        """Answer 550 to these recipients (a permanent failure)."""
        (self.maildir / "reject").write_text("\n".join(addresses))

    def delay(self, stage: str, seconds: float | None) -> None:
        """Stall the reply to RCPT (``stage="rcpt"``) or, after storing the message, to the end of DATA
        (``"data"``) for ``seconds`` (None: stop stalling). ``stalled(stage)`` says a client is waiting."""
        flag = self.maildir / f"delay_{stage}"
        if seconds is None:
            flag.unlink(missing_ok=True)
        else:
            flag.write_text(str(seconds))

    def stalled(self, stage: str) -> bool:
        return (self.maildir / f"stalled_{stage}").exists()

    def tempfail(self, on: bool = True) -> None:
        """Answer 451 to every recipient while on (a temporary failure)."""
        flag = self.maildir / "tempfail"
        if on:
            flag.touch()
        else:
            flag.unlink(missing_ok=True)


@pytest.fixture(scope="session")
def _smtp_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SmtpSink]:
    base = tmp_path_factory.mktemp("smtp")
    sink = SmtpSink(port=processes.free_port(), maildir=base / "maildir", log=base / "smtp.log")
    sink.start()
    try:
        yield sink
    finally:
        sink.stop()


@pytest.fixture
def smtp(_smtp_session: SmtpSink) -> Iterator[SmtpSink]:
    """The SMTP sink, emptied for this test (and restarted if a previous test stopped it)."""
    _smtp_session.start()
    _smtp_session.clear()
    yield _smtp_session
    _smtp_session.start()


# --- Point Django at the session's servers ------------------------------------------------------


@pytest.fixture(scope="session", autouse=True)
def _real_backends(django_test_environment: None, s3: S3Server, _smtp_session: SmtpSink) -> Iterator[None]:
    """Default storage on the S3 server, email to the SMTP sink, a clean Redis db and RabbitMQ queues."""
    from django.conf import settings
    from django.core.cache import cache
    from django.test.utils import override_settings

    storage = dict(settings.STORAGES)
    storage["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": s3.bucket,
            "endpoint_url": s3.endpoint_url,
            "access_key": s3.access_key,
            "secret_key": s3.secret_key,
            "region_name": s3.region,
            "default_acl": None,
            "querystring_auth": True,
            "file_overwrite": False,
            "addressing_style": "path",
            "signature_version": "s3v4",
        },
    }
    override = override_settings(
        STORAGES=storage,
        MAILERS={
            "default": {
                "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "OPTIONS": {"host": _smtp_session.host, "port": _smtp_session.port, "timeout": 10},
            }
        },
    )
    override.enable()
    cache.clear()
    _purge_queues()
    try:
        yield
    finally:
        override.disable()


def _purge_queues() -> None:
    from gau.celery import app

    with app.connection_for_write() as conn:
        for queue in ("default", "email"):
            channel: Any = conn.channel()
            try:
                channel.queue_purge(queue)
            except Exception:  # noqa: S110  # the queue does not exist yet: nothing to purge
                pass
            finally:
                channel.close()


# --- Processes that share the test database --------------------------------------------------


def child_database_url() -> str:
    """DATABASE_URL of the test database (what child processes must use)."""
    from django.db import connection

    db = connection.settings_dict
    user = db.get("USER") or "postgres"
    auth = f"{user}:{db['PASSWORD']}@" if db.get("PASSWORD") else f"{user}@"
    return f"postgres://{auth}{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


def child_env(s3: S3Server, smtp: SmtpSink, **extra: str) -> dict[str, str]:
    """Environment for a Gau process that shares this test session's database and servers."""
    env = {
        "DJANGO_SETTINGS_MODULE": "gau.settings_test",
        "DATABASE_URL": child_database_url(),
        "EMAIL_URL": smtp.url(),
        **s3.env(),
    }
    env.update(extra)
    return env


class CeleryWorkerProcess:
    """The session's real Celery worker process (queues ``default,email``, solo pool).

    Tests may :meth:`kill` it (SIGKILL, e.g. in the middle of a task) and :meth:`restart` it, optionally
    with extra environment (e.g. fast retry settings); ``pid`` and ``poll()`` work as on a Popen.
    """

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env = env
        self.log = log
        self.extra: dict[str, str] = {}
        self.proc: Any = None

    @property
    def pid(self) -> int:
        return int(self.proc.pid)

    def poll(self) -> int | None:
        return None if self.proc is None else self.proc.poll()

    def start(self, **extra: str) -> None:
        """Start the worker (no-op if it runs) and wait until it consumes."""
        if self.proc is not None and self.proc.poll() is None:
            return
        self.extra = extra
        offset = self.log.stat().st_size if self.log.exists() else 0
        self.proc = processes.start(
            [
                processes.PYTHON,
                "-m",
                "celery",
                "-A",
                "gau",
                "worker",
                "-Q",
                "default,email",
                "-P",
                "solo",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-l",
                "info",
                "-n",
                f"test-{os.getpid()}@%h",
            ],
            env={**self.env, **extra},
            log_path=self.log,
        )
        processes.wait_until(
            lambda: b"ready." in self.log.read_bytes()[offset:], timeout=60, what="Celery worker", proc=self.proc
        )

    def kill(self) -> None:
        """SIGKILL the worker at once (no chance to ack, finish or clean up)."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None:
            processes.stop(self.proc, timeout=3)  # a worker holding countdown messages lingers; then SIGKILL

    def restart(self, **extra: str) -> None:
        """Start again with ``extra`` environment (none: the defaults).

        The running worker is SIGKILLed (a graceful stop waits for held countdown messages); whatever it
        held unacknowledged is redelivered by RabbitMQ.
        """
        self.kill()
        self.start(**extra)


@pytest.fixture(scope="session")
def _celery_worker_session(
    django_db_setup: None,
    django_db_blocker: Any,
    s3: S3Server,
    _smtp_session: SmtpSink,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[CeleryWorkerProcess]:
    log = tmp_path_factory.mktemp("celery") / "worker.log"
    with django_db_blocker.unblock():
        env = child_env(s3, _smtp_session)
    worker = CeleryWorkerProcess(env, log)
    worker.start()
    try:
        yield worker
    finally:
        worker.stop()


@pytest.fixture
def celery_worker(_celery_worker_session: CeleryWorkerProcess, transactional_db: None) -> CeleryWorkerProcess:
    """A real Celery worker process consuming RabbitMQ (queues ``default`` and ``email``).

    Implies ``transactional_db``: the worker sees only committed rows. Restarted with the default
    environment if a previous test killed it or changed its environment.
    """
    if _celery_worker_session.extra:
        _celery_worker_session.restart()
    else:
        _celery_worker_session.start()
    return _celery_worker_session


class ServerFactory:
    """``factory(**env)`` starts gunicorn serving Gau with extra environment and returns its base URL;
    ``factory.stop(url)`` stops that server (e.g. to simulate an outage)."""

    def __init__(self, tmp_path: Path, s3: S3Server, smtp: SmtpSink) -> None:
        self.tmp_path, self.s3, self.smtp = tmp_path, s3, smtp
        self.servers: dict[str, Any] = {}
        self.envs: dict[str, dict[str, str]] = {}

    def __call__(self, port: int | None = None, *, workers: int = 1, **env: str) -> str:
        return self._start(port or processes.free_port(), env, workers=workers)

    def restart(self, url: str) -> None:
        """Start a server stopped with :meth:`stop` again, on the same port with the same environment."""
        processes.stop(self.servers[url])
        self._start(int(url.rsplit(":", 1)[1]), self.envs[url])

    def _start(self, port: int, env: dict[str, str], *, workers: int = 1) -> str:
        proc = processes.start(
            [
                processes.PYTHON,
                "-m",
                "gunicorn",
                "gau.wsgi",
                "-b",
                f"127.0.0.1:{port}",
                "-w",
                str(workers),
                "--threads",
                "4",
                "--access-logfile",
                "-",
            ],
            env=child_env(self.s3, self.smtp, PORT=str(port), **env),
            log_path=self.tmp_path / f"gunicorn-{port}.log",
        )
        url = f"http://127.0.0.1:{port}"
        self.servers[url] = proc
        self.envs[url] = env
        # gunicorn binds before its worker has imported the app: wait for an answer, so a test's first
        # request (with its own short timeout) never pays the app's import time on a loaded machine.
        processes.wait_until(lambda: processes.http_ready(f"{url}/healthz"), timeout=60, what="gunicorn", proc=proc)
        return url

    def stop(self, url: str) -> None:
        processes.stop(self.servers[url])

    def stop_all(self) -> None:
        for proc in self.servers.values():
            processes.stop(proc)


@pytest.fixture
def gau_server(
    tmp_path: Path, s3: S3Server, _smtp_session: SmtpSink, transactional_db: None
) -> Iterator[ServerFactory]:
    """Start real Gau server processes sharing the test database: ``gau_server(GAU_SERVED_APPS="account")``."""
    factory = ServerFactory(tmp_path, s3, _smtp_session)
    yield factory
    factory.stop_all()


@pytest.fixture
def api_client() -> Any:
    """A DRF API client (JSON by default)."""
    from rest_framework.test import APIClient

    client = APIClient()
    client.default_format = "json"
    return client


@dataclass
class LoggedIn:
    """What :func:`user_client` logged in as: the user, its session and the raw tokens."""

    client: Any
    user_id: Any
    email: str
    session_id: Any
    access_token: str
    refresh_token: str


@pytest.fixture
def user_client(api_client: Any, db: None) -> LoggedIn:
    """An API client signed in as a new user, with a real access token from the authz interface.

    The user is created through ``account_service`` and the tokens through ``authz_service``: requests
    go through the same bearer-token verification as production. Apps may override this fixture with
    a lighter one in their own conftest.
    """
    from apps.account.services import account_service
    from apps.authz.services import authz_service

    email = f"user-{uuid.uuid4().hex[:12]}@example.com"
    user = account_service.create_user(email=email, password="correct horse battery staple", display_name="Test")
    tokens = authz_service.issue_tokens(user_id=user.id, user_agent="pytest", ip="127.0.0.1")
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens.access_token}")
    return LoggedIn(api_client, user.id, email, tokens.session_id, tokens.access_token, tokens.refresh_token)


@pytest.fixture
def scratch_dir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="gau-test-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def wait_for(predicate: Callable[[], bool], timeout: float = 20, interval: float = 0.1) -> bool:
    """Poll ``predicate`` until true or ``timeout``; returns the last result."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())


# --- account/authz: in-process key caches must not outlive a flushed test database -------------------


@pytest.fixture(autouse=True)
def _authz_key_caches() -> Iterator[None]:
    """Transactional tests truncate every table, signing keys included; authz keeps the active key and
    the JWKS in process memory, so after such a test they would name keys that no longer exist."""
    yield
    if "apps.authz.services" in sys.modules:
        from apps.authz.services import clear_local_caches

        clear_local_caches()
