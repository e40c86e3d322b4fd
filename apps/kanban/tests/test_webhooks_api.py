"""Webhooks API: role matrix, validation, the secret shown once and stored encrypted, SSRF at creation."""

from __future__ import annotations

import ipaddress
import uuid
from typing import Any

import pytest

from apps.kanban.models import Webhook, WebhookDelivery
from apps.kanban.services import webhook_net, webhooks
from apps.kanban.tests.factories import API, ROLES, World, expected_status

pytestmark = pytest.mark.django_db

PUBLIC_URL = "https://93.184.215.14/hooks"  # a literal public address: no DNS needed


@pytest.fixture(autouse=True)
def _private_refused(settings: Any) -> None:
    settings.KANBAN_WEBHOOKS = {**settings.KANBAN_WEBHOOKS, "ALLOW_PRIVATE": False}


def make_hook(world: World, **fields: Any) -> Webhook:
    webhook, _ = webhooks.webhook_create(
        user_id=world.users["owner"], project_id=world.project.id, url=PUBLIC_URL, events=["*"], **fields
    )
    return webhook


CASES = [
    ("get", "list", None, 200),
    ("post", "list", {"url": PUBLIC_URL, "events": ["task.created"]}, 201),
    ("get", "detail", None, 200),
    ("patch", "detail", {"description": "changed"}, 200),
    ("delete", "detail", None, 204),
    ("post", "ping", None, 202),
    ("get", "deliveries", None, 200),
    ("post", "redeliver", None, 202),
]


@pytest.mark.parametrize("role", [*ROLES, "stranger"])
@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}-{c[1]}")
def test_role_matrix(world: World, role: str, case: tuple[Any, ...], django_capture_on_commit_callbacks: Any) -> None:
    method, target, body, ok = case
    hook = make_hook(world, description="before")
    delivery = webhooks.ping(user_id=world.users["owner"], webhook_id=hook.id)
    url = {
        "list": f"{API}/projects/{world.project.id}/webhooks",
        "detail": f"{API}/webhooks/{hook.id}",
        "ping": f"{API}/webhooks/{hook.id}/ping",
        "deliveries": f"{API}/webhooks/{hook.id}/deliveries",
        "redeliver": f"{API}/deliveries/{delivery.id}/redeliver",
    }[target]
    with django_capture_on_commit_callbacks(execute=False):  # nothing is sent from this test
        response = getattr(world.client(role), method)(url, body)
    assert response.status_code == expected_status(role, needs="admin", ok=ok), response.content
    if response.status_code >= 400:
        assert response.json()["error"]["code"] in {"kanban.not_found", "kanban.role_required"}
        assert Webhook.objects.filter(project=world.project).count() == 1
        assert Webhook.objects.get(pk=hook.id).description == "before"
        assert WebhookDelivery.objects.count() == 1


def test_unknown_ids_are_404(world: World) -> None:
    client = world.client("owner")
    assert client.get(f"{API}/webhooks/{uuid.uuid4()}").status_code == 404
    assert client.post(f"{API}/deliveries/{uuid.uuid4()}/redeliver").status_code == 404
    assert client.get(f"{API}/projects/{uuid.uuid4()}/webhooks").status_code == 404


def test_secret_shown_once_and_stored_encrypted(world: World) -> None:
    response = world.client("admin").post(
        f"{API}/projects/{world.project.id}/webhooks",
        {"url": PUBLIC_URL, "events": ["task.moved", "task.created"], "description": "CI"},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    secret = body["secret"]
    assert secret.startswith("whsec_")
    assert len(secret) > 40
    assert body["events"] == ["task.created", "task.moved"]
    assert (body["url"], body["description"], body["is_active"]) == (PUBLIC_URL, "CI", True)
    row = Webhook.objects.get(pk=body["id"])
    assert secret not in row.secret_sealed
    assert webhooks.unseal(row.secret_sealed) == secret
    read = world.client("admin").get(f"{API}/webhooks/{body['id']}").json()
    listed = world.client("admin").get(f"{API}/projects/{world.project.id}/webhooks").json()["results"]
    assert "secret" not in read
    assert all("secret" not in w for w in listed)
    assert [w["id"] for w in listed] == [body["id"]]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"url": PUBLIC_URL, "events": []}, "events"),
        ({"url": PUBLIC_URL, "events": ["task.exploded"]}, "events"),
        ({"url": PUBLIC_URL, "events": "task.created"}, "events"),
        ({"url": PUBLIC_URL}, "events"),
        ({"events": ["*"]}, "url"),
        ({"url": "ftp://93.184.215.14/x", "events": ["*"]}, "url"),
        ({"url": "not a url", "events": ["*"]}, "url"),
        ({"url": "https://user:pw@93.184.215.14/", "events": ["*"]}, "url"),
        ({"url": "http://93.184.215.14:99999/", "events": ["*"]}, "url"),
        ({"url": PUBLIC_URL, "events": ["*"], "description": "x" * 501}, "description"),
    ],
)
def test_invalid_input_is_400(world: World, payload: dict[str, Any], field: str) -> None:
    response = world.client("admin").post(f"{API}/projects/{world.project.id}/webhooks", payload)
    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["details"]["fields"], response.json()
    assert not Webhook.objects.exists()


@pytest.mark.parametrize(
    ("url", "allow_private", "reason"),
    [
        ("http://127.0.0.1:8000/", False, "loopback"),
        ("http://localhost/", False, "loopback"),
        ("http://[::1]/", False, "loopback"),
        ("http://10.1.2.3/", False, "private"),
        ("http://192.168.1.10/", False, "private"),
        ("http://[fd12::1]/", False, "private"),
        ("http://100.64.0.1/", False, "private"),
        ("http://[::ffff:127.0.0.1]/", False, "loopback"),
        ("http://0.0.0.0/", True, "unspecified"),
        ("http://224.0.0.1/", True, "multicast"),
        ("http://169.254.169.254/latest/meta-data/", True, "cloud metadata"),
        ("http://[fd00:ec2::254]/", True, "cloud metadata"),
        ("http://[::ffff:169.254.169.254]/", True, "cloud metadata"),
        ("http://169.254.10.10/", True, "link-local"),
        ("http://[fe80::1]/", True, "link-local"),
    ],
)
def test_ssrf_refused_at_creation(world: World, settings: Any, url: str, allow_private: bool, reason: str) -> None:
    settings.KANBAN_WEBHOOKS = {**settings.KANBAN_WEBHOOKS, "ALLOW_PRIVATE": allow_private}
    response = world.client("admin").post(f"{API}/projects/{world.project.id}/webhooks", {"url": url, "events": ["*"]})
    assert response.status_code == 400, response.content
    assert reason in response.json()["error"]["details"]["fields"]["url"][0]
    assert not Webhook.objects.exists()


def test_ssrf_refused_when_the_url_is_changed(world: World) -> None:
    hook = make_hook(world)
    response = world.client("admin").patch(f"{API}/webhooks/{hook.id}", {"url": "http://127.0.0.1/"})
    assert response.status_code == 400
    assert Webhook.objects.get(pk=hook.id).url == PUBLIC_URL


def test_allow_private_opens_loopback_and_private_only(world: World, settings: Any) -> None:
    settings.KANBAN_WEBHOOKS = {**settings.KANBAN_WEBHOOKS, "ALLOW_PRIVATE": True}
    for url in ("http://127.0.0.1:9/", "http://10.0.0.5/", "http://[fd12::1]/"):
        response = world.client("admin").post(
            f"{API}/projects/{world.project.id}/webhooks", {"url": url, "events": ["*"]}
        )
        assert response.status_code == 201, (url, response.content)


def test_a_name_resolving_to_any_refused_address_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    addresses = [ipaddress.ip_address("93.184.215.14"), ipaddress.ip_address("10.0.0.1")]
    monkeypatch.setattr(webhook_net, "resolve", lambda host, port: addresses)
    with pytest.raises(webhook_net.UnsafeUrlError, match="private"):
        webhook_net.check_url("https://mixed.example/", allow_private=False)


def test_refusal_table() -> None:
    def refused(ip: str, allow: bool = False) -> str | None:
        return webhook_net.refusal(ipaddress.ip_address(ip), allow_private=allow)

    assert refused("93.184.215.14") is None
    assert refused("2606:2800:21f:cb07:6820:80da:af6b:8b2c") is None
    assert refused("127.0.0.1", allow=True) is None
    assert refused("172.16.0.1", allow=True) is None
    assert refused("64:ff9b::7f00:1") == "loopback"  # NAT64 of 127.0.0.1
    assert refused("2002:a9fe:a9fe::1", allow=True) == "cloud metadata"  # 6to4 of 169.254.169.254
    assert refused("100.100.100.200", allow=True) == "cloud metadata"
    assert refused("::", allow=True) == "unspecified"
    assert refused("ff02::1", allow=True) == "multicast"
    assert refused("240.0.0.1", allow=True) == "reserved"


def test_redeliver_to_a_disabled_webhook_is_409(world: World, django_capture_on_commit_callbacks: Any) -> None:
    hook = make_hook(world)
    from apps.kanban.services import tasks

    with django_capture_on_commit_callbacks(execute=False):
        tasks.task_create(user_id=world.users["member"], board_id=world.board.id, column_id=world.todo.id, title="A")
    delivery = WebhookDelivery.objects.get(webhook=hook)
    Webhook.objects.filter(pk=hook.id).update(is_active=False)
    response = world.client("admin").post(f"{API}/deliveries/{delivery.id}/redeliver")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "kanban.conflict"


def test_at_most_20_webhooks_per_project(world: World) -> None:
    for _ in range(webhooks.MAX_WEBHOOKS_PER_PROJECT):
        make_hook(world)
    response = world.client("admin").post(
        f"{API}/projects/{world.project.id}/webhooks", {"url": PUBLIC_URL, "events": ["*"]}
    )
    assert response.status_code == 409


def test_allow_private_is_read_from_the_environment() -> None:
    from gau.config import ConfigError, load

    assert load({"DEBUG": "true"}).kanban_webhook_allow_private is False
    assert load({"DEBUG": "true", "KANBAN_WEBHOOK_ALLOW_PRIVATE": "true"}).kanban_webhook_allow_private is True
    with pytest.raises(ConfigError, match="KANBAN_WEBHOOK_ALLOW_PRIVATE"):
        load({"DEBUG": "true", "KANBAN_WEBHOOK_ALLOW_PRIVATE": "maybe"})
