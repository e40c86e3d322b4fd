"""The shared fixtures later issues build on really work against the real services."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import LoggedIn


@pytest.mark.django_db
def test_user_client_is_signed_in_with_a_real_token(user_client: LoggedIn, api_client: Any) -> None:
    me = user_client.client.get("/api/v2/account/me")
    assert me.status_code == 200, me.content
    assert me.json()["email"] == user_client.email
    api_client.credentials()  # a stranger: no token
    assert api_client.get("/api/v2/account/me").status_code == 401


def test_s3_bucket_is_the_default_storage(s3: Any) -> None:
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    name = default_storage.save("fixtures/probe.txt", ContentFile(b"gau"))
    try:
        assert name in s3.keys("fixtures/")
    finally:
        default_storage.delete(name)
    assert name not in s3.keys("fixtures/")


def test_smtp_sink_receives_mail(smtp: Any) -> None:
    from django.core.mail import send_mail

    send_mail("probe", "body", "gau@example.com", ["someone@example.com"])
    (message,) = smtp.wait_for(1)
    assert message["Subject"] == "probe"
    assert message["To"] == "someone@example.com"
