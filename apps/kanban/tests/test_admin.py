"""The operator's journey in the admin: find a project (by name, key, id or a member's user id), then
open its boards and its activity from the project page. Read-only throughout."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.test import Client

from apps.kanban.models import Activity
from apps.kanban.tests.factories import World, make_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator(django_user_model: Any) -> Client:
    django_user_model.objects.create_superuser(email="root@example.com", password="correct horse battery")
    client = Client()
    assert client.login(username="root@example.com", password="correct horse battery")
    return client


def names_found(client: Client, query: str) -> set[str]:
    response = client.get("/admin/kanban/project/", {"q": query})
    assert response.status_code == 200, query
    body = response.content.decode()
    return {name for name in ("Apollo", "Gemini") if f">{name}<" in body}


def test_find_a_project_by_name_key_id_and_member(world: World, operator: Client) -> None:
    other = make_world("Gemini")
    assert names_found(operator, "apollo") == {"Apollo"}
    assert names_found(operator, "APO") == {"Apollo", "Gemini"}  # both use the key APO
    assert names_found(operator, str(other.project.id)) == {"Gemini"}
    assert names_found(operator, str(world.users["viewer"])) == {"Apollo"}
    assert names_found(operator, str(uuid.uuid4())) == set()  # a stranger's id finds nothing
    assert names_found(operator, "nothing-like-it") == set()


def test_project_page_links_to_its_boards_and_activity(world: World, operator: Client) -> None:
    other = make_world("Gemini")
    page = operator.get(f"/admin/kanban/project/{world.project.id}/change/")
    assert page.status_code == 200
    body = page.content.decode()
    activity_url = f"/admin/kanban/activity/?project__id__exact={world.project.id}"
    boards_url = f"/admin/kanban/board/?project__id__exact={world.project.id}"
    assert activity_url in body
    assert boards_url in body
    assert str(world.users["viewer"]) in body  # the members inline, each linked to the account admin
    assert f'href="/admin/account/user/{world.users["viewer"]}/change/"' in body

    activity = operator.get(activity_url)
    assert activity.status_code == 200
    mine = Activity.objects.filter(project=world.project).count()
    assert mine > 0
    assert f"{mine} activit" in activity.content.decode()  # the changelist's result count: this project only
    assert Activity.objects.filter(project=other.project).exists()
    boards = operator.get(boards_url)
    assert boards.status_code == 200
    assert "Main" in boards.content.decode()
    assert "1 board" in boards.content.decode()
    # the activity is searchable by project key and exact actor id, and stays read-only
    by_actor = operator.get("/admin/kanban/activity/", {"q": str(world.users["owner"])})
    assert by_actor.status_code == 200
    assert "project.created" in by_actor.content.decode()
    entry = Activity.objects.filter(project=world.project).first()
    assert entry is not None
    assert operator.post(f"/admin/kanban/activity/{entry.pk}/delete/").status_code == 403


def test_a_stranger_cannot_open_the_kanban_admin(world: World, django_user_model: Any) -> None:
    django_user_model.objects.create_user(email="plain@example.com", password="correct horse battery")
    client = Client()
    assert client.login(username="plain@example.com", password="correct horse battery")
    response = client.get(f"/admin/kanban/project/{world.project.id}/change/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
    assert Client().get("/admin/kanban/activity/").status_code == 302


# --- the issue 10 models: webhooks, deliveries (with attempts), reminder states, imports, notifications --


def issue10_rows(world: World) -> dict[str, Any]:
    """One row of each issue 10 model, keyed by its admin URL name."""
    from datetime import timedelta

    from django.utils import timezone

    from apps.kanban.models import (
        BoardImport,
        Notification,
        ReminderKind,
        ReminderState,
        Webhook,
        WebhookAttempt,
        WebhookDelivery,
    )
    from apps.kanban.tests.factories import make_task

    hook = Webhook.objects.create(
        project=world.project, url="https://hooks.example.com/in", events=["*"], secret_sealed="SEALED-SECRET-TOKEN"
    )
    delivery = WebhookDelivery.objects.create(webhook=hook, event="task.created", body='{"event":"task.created"}')
    WebhookAttempt.objects.create(delivery=delivery, status_code=502, duration_ms=12, response_excerpt="bad gateway")
    due = timezone.now() + timedelta(days=1)
    task = make_task(world.todo, "Due soon", due_at=due)
    reminder = ReminderState.objects.create(
        task=task, due_at=due, kind=ReminderKind.REMINDER, offset=60, fire_at=timezone.now()
    )
    board_import = BoardImport.objects.create(project=world.project, filename="board.json", size=10)
    notification = Notification.objects.create(
        user_id=world.users["member"], kind="assigned", project_id=world.project.id
    )
    return {
        "webhook": hook,
        "webhookdelivery": delivery,
        "reminderstate": reminder,
        "boardimport": board_import,
        "notification": notification,
    }


def test_issue10_admin_pages_render_for_staff_read_only(world: World, django_user_model: Any) -> None:
    from django.contrib.auth.models import Permission

    rows = issue10_rows(world)
    staff = django_user_model.objects.create_user(email="ops@example.com", password="correct horse battery")
    staff.is_staff = True
    staff.save()
    staff.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="kanban", codename__in=[f"view_{m}" for m in [*rows, "webhookattempt"]]
        )
    )
    client = Client()
    assert client.login(username="ops@example.com", password="correct horse battery")
    for model, row in rows.items():
        listing = client.get(f"/admin/kanban/{model}/")
        assert listing.status_code == 200, model
        assert f"1 {row._meta.verbose_name}" in listing.content.decode(), model  # the result count: one row
        page = client.get(f"/admin/kanban/{model}/{row.pk}/change/")
        assert page.status_code == 200, model
        body = page.content.decode()
        assert 'name="_save"' not in body, model  # read-only: no save button
        assert client.post(f"/admin/kanban/{model}/{row.pk}/delete/").status_code == 403, model
        assert client.get(f"/admin/kanban/{model}/add/").status_code == 403, model
    hook_page = client.get(f"/admin/kanban/webhook/{rows['webhook'].pk}/change/").content.decode()
    assert "https://hooks.example.com/in" in hook_page
    assert "SEALED-SECRET-TOKEN" not in hook_page  # the secret never reaches the admin
    delivery_page = client.get(f"/admin/kanban/webhookdelivery/{rows['webhookdelivery'].pk}/change/").content.decode()
    assert "bad gateway" in delivery_page  # the attempts inline
    assert "502" in delivery_page


def test_issue10_admin_pages_refuse_non_staff(world: World, django_user_model: Any) -> None:
    rows = issue10_rows(world)
    django_user_model.objects.create_user(email="plain@example.com", password="correct horse battery")
    plain = Client()
    assert plain.login(username="plain@example.com", password="correct horse battery")
    for client in (plain, Client()):  # a signed-in non-staff user, and nobody
        for model, row in rows.items():
            for url in (f"/admin/kanban/{model}/", f"/admin/kanban/{model}/{row.pk}/change/"):
                response = client.get(url)
                assert response.status_code == 302, url
                assert "/admin/login/" in response["Location"], url
