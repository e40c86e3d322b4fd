"""Fixtures of the account tests: users, authenticated clients, Argon2 on demand."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache

from apps.account.models import User
from apps.authz.services import PrincipalData
from tests.support import processes

PASSWORD = "correct horse battery staple 42"


@pytest.fixture(autouse=True)
def _clean_cache() -> None:
    """Throttle counters live in Redis: every test starts from none."""
    cache.clear()


@pytest.fixture(autouse=True)
def _email_in_process_without_worker(request: pytest.FixtureRequest) -> Iterator[None]:
    """Tests that do not ask for ``celery_worker`` deliver the mail they cause in-process (the embedded,
    broker-less mode, eagerly after commit), so the session's worker, still running after an earlier
    test, never reads an outbox row while this test's database flush truncates the tables (a deadlock)."""
    if "celery_worker" in request.fixturenames:
        yield
        return
    from celery import current_app

    previous = current_app.conf.task_always_eager
    current_app.conf.task_always_eager = True
    try:
        yield
    finally:
        current_app.conf.task_always_eager = previous


@pytest.fixture
def make_user(db: None) -> Callable[..., User]:
    def make(email: str | None = None, *, password: str = PASSWORD, verified: bool = True, **fields: Any) -> User:
        return User.objects.create_user(
            email=email or f"u{uuid.uuid4().hex[:10]}@example.com",
            password=password,
            email_verified=verified,
            display_name=fields.pop("display_name", "Test User"),
            **fields,
        )

    return make


@pytest.fixture
def as_principal(api_client: Any) -> Callable[..., Any]:
    """Authenticate ``api_client`` as a principal for ``user`` (session, or an API key with scopes)."""

    def login(user: User, *, scopes: frozenset[str] | None = None, session_id: uuid.UUID | None = None) -> Any:
        kind = "user" if scopes is None else "api_key"
        principal = PrincipalData(
            user_id=user.id,
            kind=kind,
            session_id=session_id or (uuid.uuid4() if kind == "user" else None),
            api_key_id=uuid.uuid4() if kind == "api_key" else None,
            roles=frozenset({"user"}),
            scopes=scopes,
        )
        api_client.force_authenticate(user=principal)
        return api_client

    return login


@pytest.fixture
def argon2(settings: Any) -> None:
    """Hash with Argon2 as production does (the test settings use MD5 for speed)."""
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.Argon2PasswordHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]


# --- a real OpenID provider on loopback ------------------------------------------------------------

OIDC_DIR = Path(__file__).parent / "oidc"
CALLBACK = "http://testserver/api/v2/account/oauth/google/callback"


@dataclass
class OidcProvider:
    issuer: str
    client_id: str = "gau-test"
    client_secret: str = "gau-test-secret"

    @property
    def discovery_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"


@pytest.fixture(scope="session")
def _oidc_provider_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OidcProvider]:
    if shutil.which("node") is None:
        pytest.fail("node is required for the OpenID provider used by the Google sign-in tests")
    if not (OIDC_DIR / "node_modules" / "oidc-provider").is_dir():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=OIDC_DIR, check=True, timeout=300)
    port = processes.free_port()
    log = tmp_path_factory.mktemp("oidc") / "provider.log"
    env = {"PORT": str(port), "REDIRECT_URIS": CALLBACK, "CLIENT_SECRET": "gau-test-secret"}
    proc = processes.start(["node", str(OIDC_DIR / "provider.mjs")], env=env, log_path=log)
    try:
        processes.wait_until(
            lambda: processes.port_open("127.0.0.1", port), timeout=30, what="oidc-provider", proc=proc
        )
        yield OidcProvider(issuer=f"http://127.0.0.1:{port}")
    finally:
        processes.stop(proc)


@pytest.fixture
def oidc_provider(_oidc_provider_process: OidcProvider, settings: Any) -> OidcProvider:
    """oidc-provider (npm, OpenID certified) on a loopback port, configured as our "Google"."""
    settings.GOOGLE_OIDC_DISCOVERY_URL = _oidc_provider_process.discovery_url
    settings.GOOGLE_CLIENT_ID = _oidc_provider_process.client_id
    settings.GOOGLE_CLIENT_SECRET = _oidc_provider_process.client_secret
    return _oidc_provider_process


@dataclass
class KanbanCalls:
    """What the account app asked kanban's user-data methods (see :func:`_kanban_user_data`)."""

    deleted: list[uuid.UUID]
    exported: list[uuid.UUID]


@pytest.fixture(autouse=True)
def kanban_calls(monkeypatch: pytest.MonkeyPatch) -> KanbanCalls:
    """Record the calls to kanban's in-process ``delete_user_data`` / ``export_user_data``.

    Each call goes through to the real method; only while kanban is not built in this branch (the real
    method raises ``NotImplementedError``) does the stand-in answer instead (nothing deleted, ``{}``
    exported). The account tests need the call to be made, not kanban's behaviour (kanban tests that).
    """
    from apps.kanban.services import kanban_service

    impl = type(kanban_service.local())
    calls = KanbanCalls(deleted=[], exported=[])
    real_delete, real_export = impl.delete_user_data, impl.export_user_data

    def delete_user_data(self: Any, *, user_id: uuid.UUID) -> None:
        calls.deleted.append(user_id)
        with contextlib.suppress(NotImplementedError):
            real_delete(self, user_id=user_id)

    def export_user_data(self: Any, *, user_id: uuid.UUID) -> dict[str, Any]:
        calls.exported.append(user_id)
        try:
            return dict(real_export(self, user_id=user_id))
        except NotImplementedError:
            return {}

    monkeypatch.setattr(impl, "delete_user_data", delete_user_data)
    monkeypatch.setattr(impl, "export_user_data", export_user_data)
    return calls
