"""The authz admin: every page renders, the revoke action ends sessions at once, secrets never show."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from apps.authz.models import ApiKey, Session, SigningKey
from apps.authz.services import InvalidTokenError, authz_service

pytestmark = pytest.mark.django_db


def test_changelists_and_pages_render(admin_client: Any, user_id: uuid.UUID) -> None:
    pair = authz_service.issue_tokens(user_id=user_id, device_id="d")
    created = authz_service.create_api_key(user_id=user_id, name="ci", scopes=frozenset({"kanban:read"}))
    for model in ("session", "role", "userrole", "apikey", "signingkey"):
        assert admin_client.get(f"/admin/authz/{model}/").status_code == 200, model
    assert admin_client.get(f"/admin/authz/session/{pair.session_id}/change/").status_code == 200
    page = admin_client.get(f"/admin/authz/apikey/{created.api_key.id}/change/")
    assert page.status_code == 200
    key = ApiKey.objects.get()
    assert key.key_hash not in page.content.decode()
    kid = SigningKey.objects.get().kid
    signing_page = admin_client.get(f"/admin/authz/signingkey/{kid}/change/").content.decode()
    assert "private_key_encrypted" not in signing_page
    assert admin_client.get("/admin/authz/session/?q=" + str(user_id)).status_code == 200


def test_revoke_action(admin_client: Any, user_id: uuid.UUID) -> None:
    pair = authz_service.issue_tokens(user_id=user_id)
    response = admin_client.post(
        "/admin/authz/session/", {"action": "revoke", "_selected_action": [str(pair.session_id)]}, follow=True
    )
    assert response.status_code == 200
    assert Session.objects.get(id=pair.session_id).revoked_reason == "admin"
    with pytest.raises(InvalidTokenError):
        authz_service.authenticate_token(access_token=pair.access_token)
