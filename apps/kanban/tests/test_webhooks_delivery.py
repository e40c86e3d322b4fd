"""Webhook delivery against a real HTTP receiver on 127.0.0.1: signature, retries, log, redelivery,
SSRF at delivery time, the outbox's transaction, disabling, the sweeper and a real Celery worker."""

from __future__ import annotations

import ipaddress
import json
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from apps.account.services import account_service
from apps.email.services import email_service
from apps.kanban.models import Webhook, WebhookAttempt, WebhookDelivery
from apps.kanban.services import tasks, webhook_delivery, webhook_net, webhooks
from apps.kanban.tests.factories import API, World, add_member, make_world
from apps.kanban.tests.webhook_receiver import Receiver, make_tls, readme_verify_snippet, receiver_fixture

FAST = {"ALLOW_PRIVATE": True, "RETRY_DELAYS": [0.2, 0.2, 0.2, 0.2, 0.2, 0.2], "JITTER": 0.0, "SWEEP_INTERVAL": 3600}


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    yield from receiver_fixture()


@pytest.fixture
def fast(settings: Any) -> Iterator[dict[str, Any]]:
    """Private addresses allowed (the receiver is on 127.0.0.1), 0.2 s retries; the in-process thread
    is stopped after the test."""
    settings.KANBAN_WEBHOOKS = {**settings.KANBAN_WEBHOOKS, **FAST}
    yield settings.KANBAN_WEBHOOKS
    webhook_delivery.in_process.stop()


def create_webhook(world: World, url: str, events: list[str] | None = None) -> dict[str, Any]:
    response = world.client("admin").post(
        f"{API}/projects/{world.project.id}/webhooks", {"url": url, "events": events or ["*"]}
    )
    assert response.status_code == 201, response.content
    body: dict[str, Any] = response.json()
    return body


def make_task(world: World, title: str = "Ship it") -> str:
    response = world.client("member").post(
        f"{API}/boards/{world.board.id}/tasks", {"title": title, "column_id": str(world.todo.id)}
    )
    assert response.status_code == 201, response.content
    return str(response.json()["id"])


def deliveries(world: World, hook: dict[str, Any]) -> list[dict[str, Any]]:
    response = world.client("admin").get(f"{API}/webhooks/{hook['id']}/deliveries")
    assert response.status_code == 200, response.content
    results: list[dict[str, Any]] = response.json()["results"]
    return results


# --- in-process (no broker) path, end to end through the API ---------------------------------------


@pytest.mark.django_db(transaction=True)
def test_delivery_is_signed_and_verified_by_the_readme_snippet(fast: Any, receiver: Receiver) -> None:
    world = make_world()
    hook = create_webhook(world, receiver.url, ["task.created"])
    task_id = make_task(world)
    [request] = receiver.wait_for(1)
    verify = readme_verify_snippet()

    assert verify(hook["secret"], request.body, request.headers["X-Gau-Signature"])
    assert not verify(hook["secret"], request.body + b" ", request.headers["X-Gau-Signature"])
    assert not verify("whsec_wrong", request.body, request.headers["X-Gau-Signature"])
    assert request.path == "/hooks/gau"
    assert request.headers["X-Gau-Event"] == "task.created"
    assert request.headers["Content-Type"] == "application/json"
    body = json.loads(request.body)
    assert set(body) == {"id", "event", "created_at", "project_id", "board_id", "actor_id", "data"}
    assert body["id"] == request.headers["X-Gau-Delivery"]
    assert (body["event"], body["project_id"], body["board_id"]) == (
        "task.created",
        str(world.project.id),
        str(world.board.id),
    )
    assert body["actor_id"] == str(world.users["member"])
    assert body["data"]["task_id"] == task_id
    [logged] = _settled(world, hook, attempts=1)
    assert logged["id"] == body["id"]
    assert logged["status"] == "succeeded"
    assert logged["payload"] == body
    assert [(a["status_code"], a["response_excerpt"], a["error"]) for a in logged["attempt_log"]] == [(200, "ok", "")]


@pytest.mark.django_db(transaction=True)
def test_retried_after_two_failures_logged_then_redelivered(fast: Any, receiver: Receiver) -> None:
    world = make_world()
    hook = create_webhook(world, receiver.url)
    receiver.script.extend([(500, b"boom " * 1000), (503, b"busy")])
    make_task(world)
    first_three = receiver.wait_for(3)
    verify = readme_verify_snippet()

    assert len({r.headers["X-Gau-Delivery"] for r in first_three}) == 1  # stable across retries
    assert all(r.body == first_three[0].body for r in first_three)
    assert all(verify(hook["secret"], r.body, r.headers["X-Gau-Signature"]) for r in first_three)
    [logged] = _settled(world, hook)
    assert (logged["status"], logged["attempts"]) == ("succeeded", 3)
    log = logged["attempt_log"]
    assert [a["status_code"] for a in log] == [500, 503, 200]
    assert [a["succeeded"] for a in log] == [False, False, True]
    assert len(log[0]["response_excerpt"].encode()) == 2048  # the excerpt is capped at 2 KiB
    assert log[0]["error"] == "HTTP 500"
    assert all(a["duration_ms"] >= 0 for a in log)

    response = world.client("admin").post(f"{API}/deliveries/{logged['id']}/redeliver")
    assert response.status_code == 202, response.content
    fourth = receiver.wait_for(4)[3]
    assert fourth.headers["X-Gau-Delivery"] == logged["id"]
    assert fourth.body == first_three[0].body
    [again] = _settled(world, hook, attempts=4)
    assert (again["status"], again["attempts"], len(again["attempt_log"])) == ("succeeded", 1, 4)


def _settled(world: World, hook: dict[str, Any], attempts: int = 0, timeout: float = 10.0) -> list[dict[str, Any]]:
    """The delivery log once nothing is pending (the receiver answered before the row was updated)."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        rows = deliveries(world, hook)
        done = all(r["status"] != "pending" for r in rows) and all(len(r["attempt_log"]) >= attempts for r in rows)
        if done or time.monotonic() > deadline:
            return rows
        time.sleep(0.05)


@pytest.mark.django_db(transaction=True)
def test_gives_up_after_the_last_retry(fast: Any, settings: Any, receiver: Receiver) -> None:
    settings.KANBAN_WEBHOOKS = {**settings.KANBAN_WEBHOOKS, "RETRY_DELAYS": [0.1, 0.1]}
    world = make_world()
    hook = create_webhook(world, receiver.url)
    receiver.script.extend([(500, b"no")] * 5)
    make_task(world)
    receiver.wait_for(3)
    [logged] = _settled(world, hook, attempts=3)
    assert (logged["status"], logged["attempts"]) == ("failed", 3)
    assert logged["last_error"].startswith("gave up after 3 attempts")
    assert len(receiver.requests) == 3


@pytest.mark.django_db(transaction=True)
def test_rolled_back_change_sends_nothing(fast: Any, receiver: Receiver) -> None:
    world = make_world()
    hook = create_webhook(world, receiver.url, ["task.created"])

    class Boom(Exception):
        pass

    inside: list[int] = []

    def change_then_fail() -> None:
        with transaction.atomic():
            tasks.task_create(
                user_id=world.users["member"], board_id=world.board.id, column_id=world.todo.id, title="No"
            )
            inside.append(WebhookDelivery.objects.filter(webhook_id=hook["id"]).count())
            raise Boom

    with pytest.raises(Boom):
        change_then_fail()
    assert inside == [1]  # the row was written in the change's transaction
    assert not WebhookDelivery.objects.filter(webhook_id=hook["id"]).exists()

    make_task(world, "Yes")  # a committed change afterwards is delivered, and it is the only one
    [request] = receiver.wait_for(1)
    assert json.loads(request.body)["data"]["title"] == "Yes"
    assert WebhookDelivery.objects.filter(webhook_id=hook["id"]).count() == 1
    assert len(receiver.requests) == 1


@pytest.mark.django_db(transaction=True)
def test_only_subscribed_events_of_active_webhooks(fast: Any, receiver: Receiver) -> None:
    world = make_world()
    moved = create_webhook(world, receiver.url, ["task.moved"])
    off = create_webhook(world, receiver.url, ["*"])
    assert world.client("admin").patch(f"{API}/webhooks/{off['id']}", {"is_active": False}).status_code == 200
    task_id = make_task(world)
    response = world.client("member").post(f"{API}/tasks/{task_id}/move", {"column_id": str(world.done.id)})
    assert response.status_code == 200, response.content
    [request] = receiver.wait_for(1)
    assert request.headers["X-Gau-Event"] == "task.moved"
    assert WebhookDelivery.objects.filter(webhook_id=moved["id"]).count() == 1
    assert not WebhookDelivery.objects.filter(webhook_id=off["id"]).exists()


@pytest.mark.django_db(transaction=True)
def test_ping(fast: Any, receiver: Receiver) -> None:
    world = make_world()
    hook = create_webhook(world, receiver.url, ["board.created"])
    response = world.client("admin").post(f"{API}/webhooks/{hook['id']}/ping")
    assert response.status_code == 202, response.content
    [request] = receiver.wait_for(1)
    assert request.headers["X-Gau-Event"] == "ping"
    assert request.headers["X-Gau-Delivery"] == response.json()["id"]
    assert json.loads(request.body)["data"] == {"webhook_id": hook["id"], "events": ["board.created"]}


@pytest.mark.django_db(transaction=True)
def test_in_process_sweep_resumes_rows_left_by_a_restart(fast: Any, settings: Any, receiver: Receiver) -> None:
    """Without a broker, a row nobody scheduled (the process restarted before its retry) is picked up by
    the in-process thread's periodic sweep, with no other process running."""
    settings.KANBAN_WEBHOOKS = {**settings.KANBAN_WEBHOOKS, "SWEEP_INTERVAL": 0.2}
    world = make_world()
    hook = create_webhook(world, receiver.url)
    delivery = webhooks.ping(user_id=world.users["admin"], webhook_id=uuid.UUID(hook["id"]))  # sent at once
    receiver.wait_for(1)
    _settled(world, hook, attempts=1)  # the thread recorded the outcome
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=WebhookDelivery.Status.PENDING, next_attempt_at=timezone.now(), enqueued_at=None
    )  # as if a retry was due when the process restarted
    [_, resumed] = receiver.wait_for(2)
    assert resumed.headers["X-Gau-Delivery"] == str(delivery.pk)


# --- SSRF at delivery time (direct calls, no scheduler) --------------------------------------------


def _resolver(monkeypatch: pytest.MonkeyPatch, table: dict[str, str]) -> None:
    real = webhook_net.resolve

    def resolve(host: str, port: int) -> list[webhook_net.IPAddress]:
        if host in table:
            return [ipaddress.ip_address(table[host])]
        return real(host, port)

    monkeypatch.setattr(webhook_net, "resolve", resolve)


@pytest.mark.django_db
def test_dns_rebinding_to_loopback_is_refused_at_delivery(
    settings: Any, monkeypatch: pytest.MonkeyPatch, receiver: Receiver
) -> None:
    settings.KANBAN_WEBHOOKS = {**settings.KANBAN_WEBHOOKS, "ALLOW_PRIVATE": False}
    world = make_world()
    _resolver(monkeypatch, {"rebind.example": "93.184.215.14"})  # public at creation
    hook = create_webhook(world, f"http://rebind.example:{receiver.port}/hooks/gau")
    _resolver(monkeypatch, {"rebind.example": "127.0.0.1"})  # then the name points at us
    delivery = webhooks.ping(user_id=world.users["admin"], webhook_id=uuid.UUID(hook["id"]))

    assert webhook_delivery.deliver(delivery.id) == "retry"
    attempt = WebhookAttempt.objects.get(delivery=delivery)
    assert attempt.status_code is None
    assert "loopback" in attempt.error
    assert attempt.error.startswith("refused:")
    assert receiver.requests == []

    _resolver(monkeypatch, {"rebind.example": "169.254.169.254"})
    settings.KANBAN_WEBHOOKS = {**settings.KANBAN_WEBHOOKS, "ALLOW_PRIVATE": True}  # never opens metadata
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    assert webhook_delivery.deliver(delivery.id) == "retry"
    assert "cloud metadata" in WebhookAttempt.objects.filter(delivery=delivery).latest("id").error
    assert receiver.requests == []


@pytest.mark.django_db
def test_connects_to_the_checked_address_keeping_the_host_name(
    settings: Any, monkeypatch: pytest.MonkeyPatch, receiver: Receiver
) -> None:
    """``hooks.invalid`` has no DNS: the request can only have reached the receiver through the one
    address the guard resolved and checked."""
    settings.KANBAN_WEBHOOKS = {**settings.KANBAN_WEBHOOKS, "ALLOW_PRIVATE": True}
    world = make_world()
    _resolver(monkeypatch, {"hooks.invalid": "127.0.0.1"})
    hook = create_webhook(world, f"http://hooks.invalid:{receiver.port}/in?x=1")
    delivery = webhooks.ping(user_id=world.users["admin"], webhook_id=uuid.UUID(hook["id"]))
    assert webhook_delivery.deliver(delivery.id) == "delivered"
    [request] = receiver.requests
    assert request.headers["Host"] == f"hooks.invalid:{receiver.port}"
    assert request.path == "/in?x=1"


@pytest.mark.django_db
def test_https_is_pinned_with_sni_and_the_certificate_checked_against_the_url_host(
    settings: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    """TLS to the checked address: the certificate must be valid for the URL's host (sent as SNI), not
    for the IP connected to; an unknown CA or a certificate for another name fails the attempt."""
    ca, tls = make_tls(tmp_path, "hooks.invalid")
    receiver = Receiver(tls=tls)
    try:
        settings.KANBAN_WEBHOOKS = {**settings.KANBAN_WEBHOOKS, "ALLOW_PRIVATE": True, "CA_BUNDLE": str(ca)}
        world = make_world()
        _resolver(monkeypatch, {"hooks.invalid": "127.0.0.1", "other.invalid": "127.0.0.1"})
        good = create_webhook(world, f"https://hooks.invalid:{receiver.port}/tls")
        wrong_name = create_webhook(world, f"https://other.invalid:{receiver.port}/tls")
        admin = world.users["admin"]
        ok = webhooks.ping(user_id=admin, webhook_id=uuid.UUID(good["id"]))
        assert webhook_delivery.deliver(ok.id) == "delivered"
        assert receiver.requests[0].headers["Host"] == f"hooks.invalid:{receiver.port}"
        bad = webhooks.ping(user_id=admin, webhook_id=uuid.UUID(wrong_name["id"]))
        assert webhook_delivery.deliver(bad.id) == "retry"
        assert "certificate" in WebhookAttempt.objects.get(delivery=bad).error.lower()
        settings.KANBAN_WEBHOOKS = {**settings.KANBAN_WEBHOOKS, "CA_BUNDLE": None}  # public CAs only
        untrusted = webhooks.ping(user_id=admin, webhook_id=uuid.UUID(good["id"]))
        assert webhook_delivery.deliver(untrusted.id) == "retry"
        assert "certificate" in WebhookAttempt.objects.get(delivery=untrusted).error.lower()
        assert len(receiver.requests) == 1
    finally:
        receiver.close()


@pytest.mark.django_db
def test_redirects_are_not_followed(settings: Any, receiver: Receiver) -> None:
    settings.KANBAN_WEBHOOKS = {**settings.KANBAN_WEBHOOKS, "ALLOW_PRIVATE": True}
    world = make_world()
    hook = create_webhook(world, receiver.url)
    receiver.script.append((302, b""))
    delivery = webhooks.ping(user_id=world.users["admin"], webhook_id=uuid.UUID(hook["id"]))
    assert webhook_delivery.deliver(delivery.id) == "retry"
    assert len(receiver.requests) == 1
    assert WebhookAttempt.objects.get(delivery=delivery).error == "HTTP 302 (redirects are not followed)"


# --- disabling after 24 h of consecutive failures (faked clock via ``now``) --------------------------


def disabled_mails(address: str) -> list[Any]:
    return [m for m in email_service.export_recipient_data(address=address) if m.template == "kanban/webhook_disabled"]


@pytest.mark.django_db
def test_disabled_after_24h_of_failures_and_admins_emailed(settings: Any, receiver: Receiver) -> None:
    settings.KANBAN_WEBHOOKS = {**settings.KANBAN_WEBHOOKS, "ALLOW_PRIVATE": True}
    world = make_world()
    people = {}
    for role, locale in (("admin", "vi"), ("member", "en")):
        user = account_service.create_user(email=f"{role}-{uuid.uuid4().hex[:8]}@example.com", password="x" * 20)
        get_user_model().objects.filter(pk=user.id).update(locale=locale)  # no locale setter in account's interface
        add_member(world.project, role, user.id)
        people[role] = user
    hook = create_webhook(world, receiver.url)
    receiver.script.extend([(500, b"down")] * 10)
    t0 = timezone.now()
    tasks.task_create(user_id=world.users["member"], board_id=world.board.id, column_id=world.todo.id, title="A")
    delivery = WebhookDelivery.objects.get(webhook_id=hook["id"])

    assert webhook_delivery.deliver(delivery.id, now=t0) == "retry"
    assert Webhook.objects.get(pk=hook["id"]).failing_since == t0
    assert webhook_delivery.deliver(delivery.id, now=t0 + timedelta(hours=23)) == "retry"
    assert Webhook.objects.get(pk=hook["id"]).is_active
    assert not any(disabled_mails(u.email) for u in people.values())

    assert webhook_delivery.deliver(delivery.id, now=t0 + timedelta(hours=24, seconds=1)) == "failed"
    webhook = Webhook.objects.get(pk=hook["id"])
    assert not webhook.is_active
    assert webhook.disabled_at == t0 + timedelta(hours=24, seconds=1)
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.FAILED
    assert delivery.last_error.startswith("webhook disabled")
    # Admins and owners with an account (here the admin, in their language), not members.
    assert [m.locale for m in disabled_mails(people["admin"].email)] == ["vi"]
    assert disabled_mails(people["member"].email) == []
    assert len(receiver.requests) == 3

    # New changes queue nothing for a disabled webhook; re-enabling clears the failure run.
    tasks.task_create(user_id=world.users["member"], board_id=world.board.id, column_id=world.todo.id, title="B")
    assert WebhookDelivery.objects.filter(webhook_id=hook["id"]).count() == 1
    response = world.client("admin").patch(f"{API}/webhooks/{hook['id']}", {"is_active": True})
    assert response.status_code == 200
    assert (response.json()["is_active"], response.json()["failing_since"]) == (True, None)


@pytest.mark.django_db
def test_a_success_ends_the_failure_run(settings: Any, receiver: Receiver) -> None:
    settings.KANBAN_WEBHOOKS = {**settings.KANBAN_WEBHOOKS, "ALLOW_PRIVATE": True}
    world = make_world()
    hook = create_webhook(world, receiver.url)
    receiver.script.append((500, b"down"))
    t0 = timezone.now()
    delivery = webhooks.ping(user_id=world.users["admin"], webhook_id=uuid.UUID(hook["id"]))
    assert webhook_delivery.deliver(delivery.id, now=t0) == "retry"
    assert webhook_delivery.deliver(delivery.id, now=t0 + timedelta(hours=20)) == "delivered"
    assert Webhook.objects.get(pk=hook["id"]).failing_since is None
    second = webhooks.ping(user_id=world.users["admin"], webhook_id=uuid.UUID(hook["id"]))
    receiver.script.append((500, b"down"))
    assert webhook_delivery.deliver(second.id, now=t0 + timedelta(hours=25)) == "retry"  # a new run starts
    assert Webhook.objects.get(pk=hook["id"]).is_active


# --- sweeper ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_sweeper_republishes_only_due_unclaimed_rows(
    settings: Any, monkeypatch: pytest.MonkeyPatch, receiver: Receiver
) -> None:
    settings.KANBAN_WEBHOOKS = {**settings.KANBAN_WEBHOOKS, "ALLOW_PRIVATE": True, "STUCK_AFTER": 60}
    published: list[uuid.UUID] = []
    monkeypatch.setattr(webhook_delivery, "schedule", lambda delivery_id, countdown: published.append(delivery_id))
    world = make_world()
    hook = create_webhook(world, receiver.url)
    admin, webhook_id = world.users["admin"], uuid.UUID(hook["id"])
    now = timezone.now()
    lost = webhooks.ping(user_id=admin, webhook_id=webhook_id)  # published 2 min ago, never ran
    never = webhooks.ping(user_id=admin, webhook_id=webhook_id)  # a long wait: never published
    fresh = webhooks.ping(user_id=admin, webhook_id=webhook_id)  # just published
    claimed = webhooks.ping(user_id=admin, webhook_id=webhook_id)  # a worker holds it
    later = webhooks.ping(user_id=admin, webhook_id=webhook_id)  # not due yet
    old = now - timedelta(minutes=2)
    WebhookDelivery.objects.filter(pk=lost.pk).update(next_attempt_at=old, enqueued_at=old)
    WebhookDelivery.objects.filter(pk=never.pk).update(next_attempt_at=now, enqueued_at=None)
    WebhookDelivery.objects.filter(pk=fresh.pk).update(next_attempt_at=now, enqueued_at=now)
    WebhookDelivery.objects.filter(pk=claimed.pk).update(
        next_attempt_at=old, enqueued_at=old, lease_token=uuid.uuid4(), lease_until=now + timedelta(seconds=30)
    )
    WebhookDelivery.objects.filter(pk=later.pk).update(next_attempt_at=now + timedelta(hours=1), enqueued_at=None)

    assert webhook_delivery.sweep(now=now) == 2
    assert set(published) == {lost.pk, never.pk}
    assert webhook_delivery.sweep(now=now) == 0  # re-stamped: not again until STUCK_AFTER passes
    assert webhook_delivery.deliver(claimed.pk, now=now) == "skipped"  # the lease holder's, not ours


# --- with a broker: a real Celery worker on RabbitMQ -------------------------------------------------


def test_delivered_by_a_real_celery_worker(celery_worker: Any, settings: Any, receiver: Receiver) -> None:
    celery_worker.restart(KANBAN_WEBHOOK_ALLOW_PRIVATE="true")
    settings.KANBAN_WEBHOOKS = {**settings.KANBAN_WEBHOOKS, "ALLOW_PRIVATE": True}
    assert webhook_delivery.broker_configured()
    world = make_world()
    hook = create_webhook(world, receiver.url, ["task.created"])
    make_task(world)
    [request] = receiver.wait_for(1, timeout=30)
    assert readme_verify_snippet()(hook["secret"], request.body, request.headers["X-Gau-Signature"])
    [logged] = _settled(world, hook, attempts=1)
    assert logged["status"] == "succeeded"
    assert webhook_delivery.in_process._thread is None  # the worker delivered it, not this process


@pytest.mark.django_db
def test_sweeper_deletes_finished_deliveries_after_the_retention(
    settings: Any, monkeypatch: pytest.MonkeyPatch, receiver: Receiver
) -> None:
    settings.KANBAN_WEBHOOKS = {**settings.KANBAN_WEBHOOKS, "ALLOW_PRIVATE": True, "RETENTION_DAYS": 30}
    world = make_world()
    hook = create_webhook(world, receiver.url)
    admin, webhook_id = world.users["admin"], uuid.UUID(hook["id"])
    old, recent = (webhooks.ping(user_id=admin, webhook_id=webhook_id) for _ in range(2))
    for delivery in (old, recent):
        assert webhook_delivery.deliver(delivery.id) == "delivered"
    now = timezone.now()
    WebhookDelivery.objects.filter(pk=old.pk).update(finished_at=now - timedelta(days=31))
    assert webhook_delivery.sweep(now=now) == 0
    assert list(WebhookDelivery.objects.values_list("id", flat=True)) == [recent.id]
    assert not WebhookAttempt.objects.filter(delivery_id=old.id).exists()


@pytest.mark.django_db
def test_undecryptable_secret_fails_without_sending(settings: Any, receiver: Receiver) -> None:
    settings.KANBAN_WEBHOOKS = {**settings.KANBAN_WEBHOOKS, "ALLOW_PRIVATE": True}
    world = make_world()
    hook = create_webhook(world, receiver.url)
    delivery = webhooks.ping(user_id=world.users["admin"], webhook_id=uuid.UUID(hook["id"]))
    settings.SECRET_KEY = "another-secret-key-with-no-fallback-0000000000000000"
    settings.SECRET_KEY_FALLBACKS = []
    assert webhook_delivery.deliver(delivery.id) == "failed"
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.FAILED
    assert "cannot be decrypted" in delivery.last_error
    assert receiver.requests == []


@pytest.mark.django_db
def test_deleting_a_webhook_drops_its_pending_deliveries(settings: Any, receiver: Receiver) -> None:
    settings.KANBAN_WEBHOOKS = {**settings.KANBAN_WEBHOOKS, "ALLOW_PRIVATE": True}
    world = make_world()
    hook = create_webhook(world, receiver.url)
    delivery = webhooks.ping(user_id=world.users["admin"], webhook_id=uuid.UUID(hook["id"]))
    assert world.client("admin").delete(f"{API}/webhooks/{hook['id']}").status_code == 204
    assert webhook_delivery.deliver(delivery.id) == "skipped"
    assert not WebhookDelivery.objects.exists()
    assert receiver.requests == []
