"""Invitations by email: 202 whatever the address, a single-use hashed token valid 7 days, accepted only by
the signed-in user whose verified email is the invited one; end to end through the real worker and SMTP."""

from __future__ import annotations

import hashlib
import re
import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.apps import apps as django_apps
from django.utils import timezone
from rest_framework.test import APIClient

from apps.account.services import account_service
from apps.kanban.models import Activity, Invitation, Membership, Role
from apps.kanban.services.projects import INVITATION_PATH
from apps.kanban.tests.factories import API, ROLES, World, add_member, client_for, expected_status, make_invitation

PASSWORD = "correct horse battery staple 42"
ACCEPT = f"{API}/invitations/accept"


def body_of(message: Any) -> str:
    return str(message.get_body(preferencelist=("plain", "html")).get_content())


def token_in(message: Any) -> str:
    match = re.search(r"token=([A-Za-z0-9_\-]+)", body_of(message))
    assert match, body_of(message)
    return match.group(1)


def real_user(email: str | None = None, *, verified: bool = True) -> Any:
    """A real account (through the account interface), its email verified if asked."""
    user = account_service.create_user(
        email=email or f"u{uuid.uuid4().hex[:10]}@example.com", password=PASSWORD, display_name="Invitee"
    )
    if verified:
        # Test set-up only: the account interface offers no "mark verified"; the flow itself is in the
        # end-to-end test below. (get_model avoids a static import of another app's models.)
        django_apps.get_model("account", "User").objects.filter(pk=user.id).update(email_verified=True)
    return user


@pytest.mark.worker
def test_invitation_by_email_end_to_end(api_client: Any, user_client: Any, celery_worker: Any, smtp: Any) -> None:
    owner = user_client.client
    project = owner.post(f"{API}/projects", {"name": "Lunar"}).json()
    invited = owner.post(f"{API}/projects/{project['id']}/invitations", {"email": "Invitee@Example.com"})
    assert invited.status_code == 202
    assert invited.content in (b"", b"null")

    # someone without an account registers, verifies the address, signs in, then accepts
    registered = api_client.post(
        "/api/v2/account/register", {"email": "invitee@example.com", "password": PASSWORD, "display_name": "Ivy"}
    )
    assert registered.status_code == 201
    messages = smtp.wait_for(2)
    invitation = next(m for m in messages if "invited you" in str(m["Subject"]))
    verify = next(m for m in messages if m is not invitation)
    assert "Invitee@Example.com" in str(invitation["To"])
    assert str(invitation["Subject"]).strip() == "Test invited you to Lunar"
    assert f"http://testserver{INVITATION_PATH}?token=" in body_of(invitation)
    token = token_in(invitation)
    assert not Invitation.objects.filter(token_hash=token).exists()  # only the hash is stored
    assert Invitation.objects.get().token_hash == hashlib.sha256(token.encode()).hexdigest()

    assert api_client.post("/api/v2/account/verify-email", {"token": token_in(verify)}).status_code == 200
    login = api_client.post("/api/v2/account/login", {"email": "invitee@example.com", "password": PASSWORD})
    assert login.status_code == 200, login.json()
    invitee = APIClient()
    invitee.credentials(HTTP_AUTHORIZATION=f"Bearer {login.json()['access_token']}")
    accepted = invitee.post(ACCEPT, {"token": token}, format="json")
    assert accepted.status_code == 200, accepted.json()
    assert accepted.json() == {"project_id": project["id"], "role": "member"}
    again = invitee.post(ACCEPT, {"token": token}, format="json")
    assert again.status_code == 400
    assert again.json()["error"]["code"] == "kanban.invitation_invalid"

    members = owner.get(f"{API}/projects/{project['id']}/members").json()["results"]
    assert [(m["display_name"], m["role"]) for m in members] == [("Test", "owner"), ("Ivy", "member")]
    assert invitee.get(f"{API}/projects/{project['id']}").json()["role"] == "member"


@pytest.mark.django_db
def test_the_answer_never_reveals_an_account(world: World) -> None:
    existing = real_user()
    admin = world.client("admin")
    url = f"{API}/projects/{world.project.id}/invitations"
    known = admin.post(url, {"email": existing.email, "role": "viewer"})
    unknown = admin.post(url, {"email": "nobody-here@example.com", "role": "viewer"})
    assert known.status_code == unknown.status_code == 202
    assert known.content == unknown.content
    assert dict(known.items()).keys() == dict(unknown.items()).keys()
    rows = Invitation.objects.order_by("created_at")
    assert [(r.email, r.role, r.invited_by) for r in rows] == [
        (existing.email, "viewer", world.users["admin"]),
        ("nobody-here@example.com", "viewer", world.users["admin"]),
    ]
    row = rows[0]
    assert len(row.token_hash) == 64
    assert timedelta(days=7) - (row.expires_at - row.created_at) < timedelta(seconds=1)
    assert Activity.objects.filter(verb="invitation.created").count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize("role", [*ROLES, "stranger"])
def test_invite_role_matrix(world: World, role: str) -> None:
    url = f"{API}/projects/{world.project.id}/invitations"
    response = world.client(role).post(url, {"email": "x@example.com", "role": "member"})
    assert response.status_code == expected_status(role, needs="admin", ok=202)
    assert Invitation.objects.exists() == (response.status_code == 202)


@pytest.mark.django_db
def test_only_owners_invite_owners_and_input_is_checked(world: World) -> None:
    url = f"{API}/projects/{world.project.id}/invitations"
    assert world.client("admin").post(url, {"email": "o@example.com", "role": "owner"}).status_code == 403
    assert world.client("owner").post(url, {"email": "o@example.com", "role": "owner"}).status_code == 202
    assert world.client("owner").post(url, {"email": "not an address"}).status_code == 400
    assert world.client("owner").post(url, {"email": "a@example.com", "role": "king"}).status_code == 400


@pytest.mark.django_db
def test_accept_joins_and_records(world: World) -> None:
    user = real_user()
    token = make_invitation(world.project, user.email.upper(), role=Role.ADMIN)
    response = client_for(user.id).post(ACCEPT, {"token": token})
    assert response.status_code == 200
    assert response.json() == {"project_id": str(world.project.id), "role": "admin"}
    assert Membership.objects.get(project=world.project, user_id=user.id).role == "admin"
    entry = Activity.objects.get(verb="member.added")
    assert (entry.actor_id, entry.data["user_id"], entry.data["role"]) == (user.id, str(user.id), "admin")
    invitation = Invitation.objects.get()
    assert (invitation.accepted_by, invitation.accepted_at is not None) == (user.id, True)


@pytest.mark.django_db
def test_accept_by_a_member_keeps_the_higher_role(world: World) -> None:
    user = real_user()
    add_member(world.project, Role.MEMBER, user.id)
    lower = make_invitation(world.project, user.email, role=Role.VIEWER)
    assert client_for(user.id).post(ACCEPT, {"token": lower}).json()["role"] == "member"
    higher = make_invitation(world.project, user.email, role=Role.ADMIN)
    assert client_for(user.id).post(ACCEPT, {"token": higher}).json()["role"] == "admin"
    assert Membership.objects.filter(project=world.project, user_id=user.id).count() == 1


@pytest.mark.django_db
def test_every_invalid_invitation_gets_one_answer(world: World) -> None:
    user = real_user()
    unverified = real_user(verified=False)
    answers = []
    answers.append(client_for(user.id).post(ACCEPT, {"token": "unknown-token"}))
    other = make_invitation(world.project, "someone-else@example.com")
    answers.append(client_for(user.id).post(ACCEPT, {"token": other}))
    expired = make_invitation(world.project, user.email, expires_at=timezone.now() - timedelta(seconds=1))
    answers.append(client_for(user.id).post(ACCEPT, {"token": expired}))
    mine = make_invitation(world.project, unverified.email)
    answers.append(client_for(unverified.id).post(ACCEPT, {"token": mine}))
    answers.append(client_for(uuid.uuid4()).post(ACCEPT, {"token": mine}))  # no such account
    used = make_invitation(world.project, user.email)
    assert client_for(user.id).post(ACCEPT, {"token": used}).status_code == 200
    answers.append(client_for(user.id).post(ACCEPT, {"token": used}))
    assert {a.status_code for a in answers} == {400}
    assert len({a.content for a in answers}) == 1
    assert answers[0].json()["error"]["code"] == "kanban.invitation_invalid"
    assert not Membership.objects.filter(user_id=unverified.id).exists()
    assert client_for(user.id).post(ACCEPT, {}).status_code == 400
    assert client_for(user.id).post(ACCEPT, {"token": "x" * 500}).status_code == 400


@pytest.mark.django_db
def test_accept_needs_a_principal_and_write_scope(api_client: Any, world: World) -> None:
    user = real_user()
    token = make_invitation(world.project, user.email)
    assert api_client.post(ACCEPT, {"token": token}, format="json").status_code == 401
    assert client_for(user.id, scopes=frozenset({"kanban:read"})).post(ACCEPT, {"token": token}).status_code == 403
    assert client_for(user.id, scopes=frozenset({"kanban:write"})).post(ACCEPT, {"token": token}).status_code == 200


@pytest.mark.django_db
def test_a_project_sends_a_bounded_number_of_invitations_per_day(world: World, monkeypatch: Any) -> None:
    from apps.kanban.services import projects

    monkeypatch.setattr(projects, "INVITATIONS_PER_DAY", 2)
    url = f"{API}/projects/{world.project.id}/invitations"
    admin = world.client("admin")
    assert [admin.post(url, {"email": f"p{i}@example.com"}).status_code for i in range(2)] == [202, 202]
    limited = admin.post(url, {"email": "p3@example.com"})
    assert limited.status_code == 429
    assert limited["Retry-After"] == "3600"
    assert Invitation.objects.count() == 2
    Invitation.objects.update(created_at=timezone.now() - timedelta(days=1, seconds=1))
    assert admin.post(url, {"email": "p3@example.com"}).status_code == 202
