"""The same interface calls, in-process and over the signed RPC endpoint, give identical results and errors."""

from __future__ import annotations

import uuid

import pytest

from apps.account.services import AccountService, EmailTakenError, InvalidPasswordError, UserData, account_service
from gau.rpc.client import HttpxTransport
from gau.rpc.service import ServiceStatusData
from gau.rpc.testing import DjangoClientTransport, remote_mode, transport_modes

pytestmark = pytest.mark.django_db


mode = transport_modes("account")


def test_handle_resolves_to_the_transport_the_settings_name(mode: DjangoClientTransport | None) -> None:
    target = account_service.target()  # type: ignore[attr-defined]
    assert isinstance(target, AccountService)
    assert type(target).__name__ == ("LocalAccountService" if mode is None else "RemoteAccountService")


def test_create_then_read_back(mode: DjangoClientTransport | None) -> None:
    created = account_service.create_user(email="Ana@Example.com", password="correct horse battery", display_name="Ana")
    assert isinstance(created, UserData)
    assert created.email == "ana@example.com"
    assert created.email_verified is False
    assert account_service.get_user(user_id=created.id) == created
    assert account_service.get_user_by_email(email="ANA@example.COM") == created
    assert account_service.get_user(user_id=uuid.uuid4()) is None
    if mode is not None:
        assert mode.calls == [
            "/internal/rpc/account/create_user/",
            "/internal/rpc/account/get_user/",
            "/internal/rpc/account/get_user_by_email/",
            "/internal/rpc/account/get_user/",
        ]


def test_local_and_remote_results_are_identical() -> None:
    created = account_service.create_user(email="bo@example.com", password="correct horse battery")
    local = account_service.get_user(user_id=created.id)
    with remote_mode("account"):
        remote = account_service.get_user(user_id=created.id)
    assert remote == local == created


def test_domain_errors_are_raised_as_the_same_class(mode: DjangoClientTransport | None) -> None:
    account_service.create_user(email="cy@example.com", password="correct horse battery")
    with pytest.raises(EmailTakenError) as taken:
        account_service.create_user(email="CY@example.com", password="correct horse battery")
    assert taken.value.code == "account.email_taken"
    assert taken.value.message == "An account with this email address already exists."

    with pytest.raises(InvalidPasswordError) as weak:
        account_service.create_user(email="dee@example.com", password="12345")
    assert "This password is too short. It must contain at least 8 characters." in weak.value.extra["messages"]


def test_errors_are_identical_both_ways() -> None:
    def error(call) -> InvalidPasswordError:
        with pytest.raises(InvalidPasswordError) as caught:
            call()
        return caught.value

    local = error(lambda: account_service.create_user(email="e@example.com", password="password"))
    with remote_mode("account"):
        remote = error(lambda: account_service.create_user(email="e@example.com", password="password"))
    assert local == remote
    assert local.extra == remote.extra


def test_bad_arguments_fail_like_a_local_call(mode: DjangoClientTransport | None) -> None:
    with pytest.raises(TypeError):
        account_service.get_user(uid=uuid.uuid4())  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        account_service.get_user()  # type: ignore[call-arg]


def test_ping_reports_the_app(mode: DjangoClientTransport | None) -> None:
    status = account_service.ping()
    assert isinstance(status, ServiceStatusData)
    assert status.app == "account"


def test_remote_unreachable_raises_service_unavailable(settings) -> None:
    from gau.rpc import ServiceUnavailableError
    from gau.rpc import client as rpc_client

    settings.GAU_SERVICE_URLS = {"account": "http://127.0.0.1:9"}  # nothing listens on the discard port
    previous = rpc_client.set_transport(HttpxTransport())
    try:
        with pytest.raises(ServiceUnavailableError) as caught:
            account_service.get_user(user_id=uuid.uuid4())
    finally:
        rpc_client.set_transport(previous)
    assert caught.value.http_status == 503
    assert caught.value.extra == {"app": "account"}


def test_every_interface_method_is_keyword_only_and_typed() -> None:
    from gau.config import APP_NAMES
    from gau.rpc.service import service_for_app

    for app in APP_NAMES:
        specs = service_for_app(app).specs()
        assert "ping" in specs
        for spec in specs.values():
            params = list(spec.signature.parameters.values())[1:]
            assert all(p.kind is p.KEYWORD_ONLY for p in params), f"{app}.{spec.name}"
