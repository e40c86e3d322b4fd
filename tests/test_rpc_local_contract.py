"""In-process calls are held to the interface like remote ones (GAU_RPC_VALIDATE_LOCAL, on in the suite),
and a call to a remote service inside ``transaction.atomic()`` is caught (GAU_RPC_REMOTE_IN_ATOMIC)."""

from __future__ import annotations

import abc
import datetime as dt
import logging
import uuid
from typing import Any

import pytest
from django.db import transaction

from apps.account.services import account_service
from apps.account.services.local import LocalAccountService
from gau.rpc import ContractError, DataModel, RemoteCallInAtomicError, Service, rpc_method
from gau.rpc.testing import remote_mode


class ProbeData(DataModel):
    id: uuid.UUID
    tags: list[str]


class ProbeService(Service):
    """A test-only interface whose implementation breaks its own contract in the ways a split would show."""

    app = "contract_probe"
    local_implementation = "tests.test_rpc_local_contract.LocalProbeService"

    @rpc_method
    @abc.abstractmethod
    def echo(self, *, item_id: uuid.UUID, tags: list[str]) -> ProbeData: ...

    @rpc_method
    @abc.abstractmethod
    def as_dict(self) -> ProbeData: ...

    @rpc_method
    @abc.abstractmethod
    def export(self) -> dict[str, Any]: ...

    @rpc_method
    @abc.abstractmethod
    def count(self) -> int: ...


class LocalProbeService(ProbeService):
    def echo(self, *, item_id: uuid.UUID, tags: list[str]) -> ProbeData:
        return ProbeData(id=item_id, tags=tags)

    def as_dict(self) -> ProbeData:
        return {"id": uuid.UUID(int=1), "tags": []}  # type: ignore[return-value]  # the bug under test

    def export(self) -> dict[str, Any]:
        return {"at": dt.datetime(2026, 1, 1, tzinfo=dt.UTC)}  # a string once it crosses the wire

    def count(self) -> int:
        return 3


probe = ProbeService.resolve()


def test_good_calls_pass_unchanged() -> None:
    item = uuid.uuid4()
    assert probe.echo(item_id=item, tags=["a"]) == ProbeData(id=item, tags=["a"])
    assert probe.count() == 3


def test_arguments_that_would_change_on_the_wire_are_refused() -> None:
    with pytest.raises(ContractError, match="item_id"):
        probe.echo(item_id=str(uuid.uuid4()), tags=["a"])  # type: ignore[arg-type]
    with pytest.raises(ContractError, match="tags"):
        probe.echo(item_id=uuid.uuid4(), tags=("a", "b"))  # type: ignore[arg-type]


def test_invalid_arguments_fail_like_a_remote_call() -> None:
    with pytest.raises(TypeError, match="item_id"):
        probe.echo(item_id="not-a-uuid", tags=[])  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        probe.echo(tags=[])  # type: ignore[call-arg]


def test_results_must_be_the_declared_type() -> None:
    with pytest.raises(ContractError, match="as_dict"):
        probe.as_dict()


def test_results_must_survive_the_wire_unchanged() -> None:
    with pytest.raises(ContractError, match="export"):
        probe.export()


def test_off_the_local_path_is_the_plain_method(settings) -> None:
    settings.GAU_RPC_VALIDATE_LOCAL = False
    assert probe.export() == {"at": dt.datetime(2026, 1, 1, tzinfo=dt.UTC)}
    method = account_service.get_user
    assert getattr(method, "__func__", None) is LocalAccountService.get_user  # no wrapper, no per-call overhead


@pytest.mark.django_db
def test_real_interface_calls_are_checked_locally() -> None:
    created = account_service.create_user(email="lc@example.com", password="correct horse battery")
    assert account_service.get_user(user_id=created.id) == created
    with pytest.raises(ContractError):
        account_service.get_user(user_id=str(created.id))  # type: ignore[arg-type]


@pytest.mark.django_db
def test_remote_call_inside_atomic_is_an_error() -> None:
    created = account_service.create_user(email="atomic@example.com", password="correct horse battery")
    with remote_mode("account") as transport:
        assert account_service.get_user(user_id=created.id) == created  # outside atomic: fine
        with transaction.atomic(), pytest.raises(RemoteCallInAtomicError, match=r"account\.get_user"):
            account_service.get_user(user_id=created.id)
        assert transport.calls == ["/internal/rpc/account/get_user/"]  # the refused call was not sent
    with transaction.atomic():
        assert account_service.get_user(user_id=created.id) == created  # in-process: shares the transaction


@pytest.mark.django_db
def test_remote_call_inside_atomic_is_logged_in_production(settings, caplog: pytest.LogCaptureFixture) -> None:
    settings.GAU_RPC_REMOTE_IN_ATOMIC = "log"
    created = account_service.create_user(email="atomic2@example.com", password="correct horse battery")
    with remote_mode("account"), transaction.atomic():
        assert account_service.get_user(user_id=created.id) == created
    errors = [r for r in caplog.records if r.name == "gau.rpc" and r.levelno == logging.ERROR]
    assert any("inside transaction.atomic()" in r.getMessage() for r in errors)
