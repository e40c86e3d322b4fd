"""DELETE me is durable: the deletion is recorded with the anonymisation, and every app's cleanup is
driven until it succeeds, even when the app is down at the time (issue 12, finding 3)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from apps.account.models import DeletionRequest, DeletionStep, User
from apps.account.tests.conftest import PASSWORD, KanbanCalls
from apps.authz.services import authz_service
from apps.email.services import email_service
from apps.upload.services import upload_service
from conftest import S3Server, ServerFactory
from gau.rpc import ServiceUnavailableError, UnauthenticatedError
from gau.rpc import client as rpc_client
from tests.support.images import image_bytes

ME = "/api/v2/account/me"
EXPORT = "/api/v2/account/me/export"


def _signed_in(api_client: Any, user: User) -> tuple[Any, str]:
    response = api_client.post("/api/v2/account/login", {"email": user.email, "password": PASSWORD}, format="json")
    assert response.status_code == 200, response.json()
    token = response.json()["access_token"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return api_client, token


def _steps(user_id: uuid.UUID) -> dict[str, DeletionStep]:
    return {s.name: s for s in DeletionStep.objects.filter(request__user_id=user_id)}


def _assert_nothing_left(user_id: uuid.UUID, address: str, token: str, s3: S3Server, keys_before: set[str]) -> None:
    assert not DeletionRequest.objects.filter(user_id=user_id).exists()
    assert not DeletionStep.objects.filter(request__user_id=user_id).exists()
    assert authz_service.list_sessions(user_id=user_id) == []
    assert authz_service.export_user_data(user_id=user_id) == authz_service.export_user_data(user_id=uuid.uuid4())
    with pytest.raises(UnauthenticatedError):
        authz_service.authenticate_token(access_token=token)
    assert email_service.export_recipient_data(address=address) == []
    assert set(s3.keys()) == keys_before  # the user's objects are gone from the bucket
    user = User.objects.get(id=user_id)
    assert not user.is_active
    assert user.email == f"deleted-{user_id}@deleted.invalid"


@pytest.mark.django_db(transaction=True)
def test_delete_me_with_upload_failing_is_recorded_and_finished_later(
    api_client, make_user, kanban_calls: KanbanCalls, s3: S3Server, monkeypatch
) -> None:
    """In-process: the upload app's cleanup fails once; the API still answers 204 and nothing is lost."""
    keys_before = set(s3.keys())
    user = make_user()
    address = user.email
    file = upload_service.create_file(owner_id=user.id, purpose="avatar", filename="a.jpg", data=image_bytes())
    assert set(s3.keys()) != keys_before
    client, token = _signed_in(api_client, user)

    impl = type(upload_service.local())

    def down(self: Any, *, owner_id: uuid.UUID) -> int:
        raise ServiceUnavailableError("upload is down")

    with monkeypatch.context() as patched:
        patched.setattr(impl, "delete_user_files", down)
        response = client.delete(ME)
        assert response.status_code == 204, response.content  # before the fix: 503, and nothing recorded
        steps = _steps(user.id)
        assert set(steps) == {"authz_sessions", "authz_data", "upload", "email", "kanban"}
        assert steps["upload"].done_at is None
        assert steps["upload"].attempts == 1
        assert "upload is down" in steps["upload"].last_error
        assert all(s.done_at is not None for name, s in steps.items() if name != "upload")
        request = DeletionRequest.objects.get(user_id=user.id)
        assert request.address == address
        assert request.attempts == 1
        assert request.next_attempt_at > request.created_at  # backoff
        # The user's sessions ended in the first pass, whatever upload did.
        with pytest.raises(UnauthenticatedError):
            authz_service.authenticate_token(access_token=token)
        assert kanban_calls.deleted == [user.id]
        assert upload_service.get_file(file_id=file.id) is not None

        # A sweep while upload is still down keeps the step (and counts the attempt).
        call_command("account_finish_deletions", "--all")
        assert _steps(user.id)["upload"].attempts == 2

    # Upload is back: the fallback command (no broker in the embedded default) finishes the deletion.
    call_command("account_finish_deletions", "--all")
    assert upload_service.get_file(file_id=file.id) is None
    assert kanban_calls.deleted == [user.id]  # a step that succeeded is not called again
    _assert_nothing_left(user.id, address, token, s3, keys_before)


@pytest.mark.django_db(transaction=True)
def test_recording_rolls_back_with_the_anonymisation(api_client, make_user, monkeypatch) -> None:
    """The outbox row and the anonymisation commit together: if recording fails, the user is untouched."""
    from apps.account import deletion

    user = make_user()
    client, _ = _signed_in(api_client, user)

    def broken(**kwargs: Any) -> Any:
        raise RuntimeError("the outbox table is gone")

    monkeypatch.setattr(deletion, "record", broken)
    client.raise_request_exception = False
    assert client.delete(ME).status_code == 500
    user.refresh_from_db()
    assert user.is_active
    assert not DeletionRequest.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_export_includes_kanban(api_client, make_user, kanban_calls: KanbanCalls) -> None:
    user = make_user()
    client, _ = _signed_in(api_client, user)
    body = client.get(EXPORT).json()
    assert "kanban" in body
    assert isinstance(body["kanban"], dict)
    assert kanban_calls.exported == [user.id]


@pytest.fixture
def real_http() -> Iterator[None]:
    """The production transport (pooled httpx client) in this process."""
    previous = rpc_client.set_transport(rpc_client.HttpxTransport())
    yield
    rpc_client.set_transport(previous)


def _wait(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.live
@pytest.mark.worker
def test_split_delete_me_with_upload_stopped_completes_when_upload_returns(
    *,
    api_client,
    make_user,
    gau_server: ServerFactory,
    celery_worker,
    s3: S3Server,
    settings,
    real_http: None,
    kanban_calls: KanbanCalls,
) -> None:
    """Upload in its own gunicorn process, stopped during DELETE me: the API answers 204, the upload step
    stays pending while the real worker retries it, and once upload runs again the worker finishes the
    deletion: no session, file, object, mail or outbox row of the user is left anywhere."""
    upload_url = gau_server(GAU_SERVED_APPS="upload")
    # The worker calls upload over HTTP too, and retries every second (the publisher's first delay below).
    celery_worker.restart(GAU_SERVICE_URLS=f"upload={upload_url}", ACCOUNT_DELETION_RETRY_DELAYS="1")
    settings.GAU_SERVICE_URLS = {"upload": upload_url}
    settings.ACCOUNT_DELETION = {"RETRY_DELAYS": (1,), "JITTER": 0.0}

    keys_before = set(s3.keys())
    user = make_user()
    address = user.email
    assert type(upload_service.target()).__name__ == "RemoteUploadService"  # type: ignore[attr-defined]
    file = upload_service.create_file(owner_id=user.id, purpose="avatar", filename="a.jpg", data=image_bytes())
    assert set(s3.keys()) - keys_before
    client, token = _signed_in(api_client, user)

    gau_server.stop(upload_url)
    response = client.delete(ME)
    assert response.status_code == 204, response.content
    steps = _steps(user.id)
    assert steps["upload"].done_at is None
    assert steps["upload"].last_error.startswith("ServiceUnavailableError")
    assert kanban_calls.deleted == [user.id]  # kanban ran in this process, in the first pass
    assert all(s.done_at is not None for name, s in steps.items() if name != "upload")

    # The worker keeps retrying while upload is down; the step stays pending.
    _wait(lambda: _steps(user.id)["upload"].attempts >= 3, 20, "the worker to retry the upload step")
    assert _steps(user.id)["upload"].done_at is None

    gau_server.restart(upload_url)
    _wait(lambda: not DeletionRequest.objects.filter(user_id=user.id).exists(), 30, "the deletion to finish")
    assert upload_service.get_file(file_id=file.id) is None  # asked of the upload process over HTTP
    _assert_nothing_left(user.id, address, token, s3, keys_before)


@pytest.mark.worker
def test_beat_sweeper_finishes_a_deletion_left_pending(
    *, api_client, make_user, celery_worker, kanban_calls: KanbanCalls, s3: S3Server, settings, monkeypatch
) -> None:
    """A pass that failed with a delay too long for a broker countdown is left to the sweeper: the
    ``account.sweep_deletions`` beat task, run by the real worker, publishes it once due and the worker
    finishes it."""
    from apps.account.tasks import sweep_deletions

    settings.ACCOUNT_DELETION = {"RETRY_DELAYS": (7200,), "JITTER": 0.0}  # beyond MAX_COUNTDOWN: no publish
    keys_before = set(s3.keys())
    user = make_user()
    address = user.email
    upload_service.create_file(owner_id=user.id, purpose="avatar", filename="a.jpg", data=image_bytes())
    client, token = _signed_in(api_client, user)

    def down(self: Any, *, owner_id: uuid.UUID) -> int:
        raise ServiceUnavailableError("upload is down")

    with monkeypatch.context() as patched:  # down in this process only; the worker's upload works
        patched.setattr(type(upload_service.local()), "delete_user_files", down)
        assert client.delete(ME).status_code == 204
    assert _steps(user.id)["upload"].done_at is None

    assert sweep_deletions.apply().get() == 0  # not due for two hours: nothing to publish
    DeletionRequest.objects.filter(user_id=user.id).update(next_attempt_at=timezone.now())  # ... time passes
    sweep_deletions.delay()  # what beat publishes every ACCOUNT_DELETION["SWEEP_INTERVAL"] seconds
    _wait(lambda: not DeletionRequest.objects.filter(user_id=user.id).exists(), 30, "the worker to finish")
    _assert_nothing_left(user.id, address, token, s3, keys_before)


@pytest.mark.django_db(transaction=True)
def test_admin_lists_pending_deletions_read_only(api_client, make_user, monkeypatch) -> None:
    from django.test import Client

    user = make_user()
    client, _ = _signed_in(api_client, user)

    def down(self: Any, *, owner_id: uuid.UUID) -> int:
        raise ServiceUnavailableError("upload is down")

    monkeypatch.setattr(type(upload_service.local()), "delete_user_files", down)
    assert client.delete(ME).status_code == 204
    request = DeletionRequest.objects.get(user_id=user.id)
    admin_user = User.objects.create_superuser(email="root@example.com", password="correct horse battery")
    browser = Client()
    browser.force_login(admin_user)
    listing = browser.get("/admin/account/deletionrequest/")
    assert listing.status_code == 200
    assert str(user.id).encode() in listing.content
    detail = browser.get(f"/admin/account/deletionrequest/{request.pk}/change/")
    assert detail.status_code == 200
    assert b"upload is down" in detail.content
    assert user.email.encode() not in detail.content  # the address it holds is not shown
    assert browser.get("/admin/account/deletionrequest/add/").status_code == 403


@pytest.mark.django_db(transaction=True)
def test_a_crash_in_the_first_pass_leaves_the_deletion_to_the_sweeper(
    api_client, make_user, kanban_calls: KanbanCalls, monkeypatch
) -> None:
    """The deletion is committed before the first pass: a defect there is logged, the answer is still 204."""
    from apps.account import deletion

    user = make_user()
    client, token = _signed_in(api_client, user)
    real_drive = deletion.drive

    def crash(request_id: uuid.UUID) -> tuple[str, float]:
        raise RuntimeError("the first pass crashed")

    monkeypatch.setattr(deletion, "drive", crash)
    assert client.delete(ME).status_code == 204
    assert DeletionRequest.objects.filter(user_id=user.id).exists()
    assert deletion.due() == [DeletionRequest.objects.get(user_id=user.id).pk]  # due now, not leased

    monkeypatch.setattr(deletion, "drive", real_drive)
    call_command("account_finish_deletions")
    assert not DeletionRequest.objects.filter(user_id=user.id).exists()
    assert kanban_calls.deleted == [user.id]
    with pytest.raises(UnauthenticatedError):
        authz_service.authenticate_token(access_token=token)
