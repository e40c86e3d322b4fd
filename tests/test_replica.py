"""Reads that decide a write go to the primary, even with a lagging read replica (issue 12, finding 4).

The replica is a real, separate PostgreSQL database on the same server (not a test mirror of the
primary): it gets the primary's rows only when the test "replicates", so it lags by construction.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from django.db import connections, transaction
from django.test.utils import override_settings

from apps.account.models import User
from apps.account.services import account_service
from apps.authz.models import RefreshToken, Session
from apps.authz.services import authz_service
from apps.authz.tokens import digest
from gau import dbrouters

REPLICA = dbrouters.REPLICA
ROUTERS = ["gau.dbrouters.ReplicaRouter"]


def _conninfo(settings_dict: dict[str, Any], name: str) -> dict[str, Any]:
    return {
        "dbname": name,
        "host": settings_dict.get("HOST") or "127.0.0.1",
        "port": settings_dict.get("PORT") or 5432,
        "user": settings_dict.get("USER") or "postgres",
        "password": settings_dict.get("PASSWORD") or None,
    }


def _copy_schema(primary: dict[str, Any], name: str) -> None:
    """The primary's schema (no rows) into database ``name``: ``pg_dump --schema-only | psql``.

    Not ``CREATE DATABASE ... TEMPLATE``: that needs the test database without other sessions, and the
    session's Celery worker may hold one."""
    missing = [tool for tool in ("pg_dump", "psql") if shutil.which(tool) is None]
    if missing:
        pytest.fail(f"the replica test needs {' and '.join(missing)} (Debian: apt-get install postgresql-client)")
    info = _conninfo(primary, primary["NAME"])
    env = {**os.environ, "PGPASSWORD": info["password"] or ""}
    common = ["-h", str(info["host"]), "-p", str(info["port"]), "-U", info["user"]]
    dump = subprocess.run(
        ["pg_dump", "--schema-only", "--no-owner", "--no-privileges", *common, "-d", primary["NAME"]],
        env=env,
        capture_output=True,
        check=True,
    )
    subprocess.run(
        ["psql", "-q", "-v", "ON_ERROR_STOP=1", *common, "-d", name],
        input=dump.stdout,
        env=env,
        capture_output=True,
        check=True,
    )


@pytest.fixture(scope="session")
def replica_database(django_db_setup: None, django_db_blocker: Any) -> Iterator[str]:
    """A second database with the test database's schema, registered as the ``replica`` alias."""
    with django_db_blocker.unblock():
        primary = dict(connections["default"].settings_dict)
        name = f"{primary['NAME']}_replica"
        with psycopg.connect(**_conninfo(primary, "postgres"), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{name}"')
        _copy_schema(primary, name)
        connections.settings[REPLICA] = {**primary, "NAME": name, "TEST": {**primary["TEST"], "NAME": name}}
    try:
        yield name
    finally:
        with django_db_blocker.unblock():
            if REPLICA in connections:
                connections[REPLICA].close()
            connections.settings.pop(REPLICA, None)
            with psycopg.connect(**_conninfo(primary, "postgres"), autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def replicate() -> None:
    """Make the replica catch up: copy every table of the primary (COPY, constraints off while loading)."""
    primary = connections["default"].settings_dict
    with (
        psycopg.connect(**_conninfo(primary, primary["NAME"])) as src,
        psycopg.connect(**_conninfo(primary, connections[REPLICA].settings_dict["NAME"])) as dst,
    ):
        tables = [r[0] for r in src.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
        dst.execute("SET session_replication_role = replica")
        dst.execute("TRUNCATE " + ", ".join(f'"{t}"' for t in tables))
        for table in tables:
            with (
                src.cursor().copy(f'COPY "{table}" TO STDOUT (FORMAT BINARY)') as out,
                dst.cursor().copy(f'COPY "{table}" FROM STDIN (FORMAT BINARY)') as into,
            ):
                for chunk in out:
                    into.write(chunk)
        dst.commit()


@pytest.fixture
def lagging_replica(replica_database: str) -> Iterator[None]:
    with override_settings(DATABASE_ROUTERS=ROUTERS):
        dbrouters.reset_pin()
        yield
    dbrouters.reset_pin()


pytestmark = pytest.mark.django_db(transaction=True, databases=["default", REPLICA])


def test_the_replica_is_separate_and_lags(lagging_replica: None) -> None:
    """The set-up proves something only if the replica really is another database."""
    before = account_service.create_user(email="before@example.com", password="correct horse battery")
    replicate()
    after = account_service.create_user(email="after@example.com", password="correct horse battery")
    dbrouters.reset_pin()  # a new request: no write yet
    assert User.objects.all().db == REPLICA
    assert User.objects.filter(id=before.id).exists()
    assert not User.objects.filter(id=after.id).exists()  # not replicated yet
    assert User.objects.using("default").filter(id=after.id).exists()


def test_reads_inside_a_transaction_or_after_a_write_go_to_the_primary(lagging_replica: None) -> None:
    replicate()
    user = account_service.create_user(email="fresh@example.com", password="correct horse battery")
    dbrouters.reset_pin()
    assert not User.objects.filter(id=user.id).exists()  # outside a transaction: the lagging replica
    with transaction.atomic():
        assert User.objects.all().db == "default"
        assert User.objects.filter(id=user.id).exists()  # before the fix: read from the replica, missing
    assert User.objects.all().db == REPLICA
    User.objects.filter(id=user.id).update(display_name="x")  # a write in this request ...
    assert User.objects.filter(id=user.id).exists()  # ... and its reads see the primary from now on
    dbrouters.reset_pin()
    assert User.objects.all().db == REPLICA


def test_reused_refresh_token_is_detected_although_the_replica_has_the_old_row(
    lagging_replica: None, api_client: Any
) -> None:
    user = account_service.create_user(email="rotate@example.com", password="correct horse battery")
    first = authz_service.issue_tokens(user_id=user.id, user_agent="pytest", ip="127.0.0.1")
    replicate()  # the replica has the session and the unused refresh token

    refresh = "/api/v2/authz/token/refresh"
    rotated = api_client.post(refresh, {"refresh_token": first.refresh_token}, format="json")
    assert rotated.status_code == 200, rotated.json()
    # The replica still says the first token is unused, and does not know the new one.
    assert RefreshToken.objects.using(REPLICA).get(token_hash=digest(first.refresh_token)).used_at is None
    second_token = rotated.json()["refresh_token"]
    assert not RefreshToken.objects.using(REPLICA).filter(token_hash=digest(second_token)).exists()

    # The fresh token works although only the primary has it (before the fix: 401 invalid token).
    again = api_client.post(refresh, {"refresh_token": second_token}, format="json")
    assert again.status_code == 200, again.json()

    # The first token, replayed, is a reuse: the session is revoked (before the fix: a new pair, or a 500).
    replay = api_client.post(refresh, {"refresh_token": first.refresh_token}, format="json")
    assert replay.status_code == 401, replay.json()
    assert replay.json()["error"]["code"] == "authz.token_reused"
    session = Session.objects.using("default").get(id=first.session_id)
    assert session.revoked_at is not None
    assert authz_service.list_sessions(user_id=user.id)[0].revoked_at is not None


def test_an_eager_task_keeps_the_requests_pin(lagging_replica: None) -> None:
    """Without a broker a task runs inside the request that queued it: its start must not unpin the request."""
    from types import SimpleNamespace

    User.objects.filter(email="nobody@example.com").update(display_name="x")  # a write: pinned
    assert User.objects.all().db == "default"
    dbrouters.reset_pin(task=SimpleNamespace(request=SimpleNamespace(is_eager=True)))
    assert User.objects.all().db == "default"
    dbrouters.reset_pin(task=SimpleNamespace(request=SimpleNamespace(is_eager=False)))  # a worker's next task
    assert User.objects.all().db == REPLICA
