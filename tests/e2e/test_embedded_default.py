"""The embedded default end to end: a fresh ``make run``-equivalent server (SQLite in a new ``var/``,
local files, local-memory cache, in-process tasks, console email, DEBUG on) driven over HTTP only.

The suite itself runs on PostgreSQL; only the child server is on the embedded defaults, which is
where SQLite-only and local-storage-only defects live (issue 12, finding 6). Every step must answer
what it should, and no request may answer a 5xx.
"""

from __future__ import annotations

import io
import uuid

import pyotp
import pytest
from PIL import Image

from tests.e2e.client import PASSWORD, ConsoleMailbox, EmbeddedServer, GauClient

pytestmark = pytest.mark.live


def jpeg(size: tuple[int, int] = (320, 200), color: str = "teal") -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, format="JPEG", quality=90)
    return buf.getvalue()


def test_server_runs_on_the_embedded_defaults(embedded_server: EmbeddedServer, client: GauClient) -> None:
    assert (embedded_server.workdir / "var" / "gau.sqlite3").exists()
    ready = client.get("/readyz")
    assert ready.status_code == 200, ready.text
    client.expect(client.get("/api/schema/", headers={"Accept": "application/json"}), 200)


def test_smoke_every_app(embedded_server: EmbeddedServer, client: GauClient, mailbox: ConsoleMailbox) -> None:
    email = f"smoke-{uuid.uuid4().hex[:8]}@example.com"

    # account: register, verify from the console email, sign in
    client.sign_up(mailbox, email, PASSWORD)

    # me: read, update, export (each loads the signed-in user's profile)
    me = client.expect(client.get("/api/v2/account/me"), 200)
    assert me["email"] == email
    assert me["email_verified"] is True
    patched = client.expect(client.patch("/api/v2/account/me", json={"display_name": "Smoke Test"}), 200)
    assert patched["display_name"] == "Smoke Test"
    exported = client.expect(client.get("/api/v2/account/me/export"), 200)
    assert isinstance(exported, dict)
    assert email in str(exported)

    # avatar (account -> upload), served by the CDN
    avatar = client.expect(
        client.post("/api/v2/account/me/avatar", files={"file": ("me.jpg", jpeg((256, 256)), "image/jpeg")}), 200
    )
    avatar_image = client.get(avatar["avatar_url"].removeprefix(embedded_server.base_url), auth=False)
    assert avatar_image.status_code == 200
    assert avatar_image.headers["content-type"].startswith("image/")

    # upload + CDN: the original and a resized variant
    uploaded = client.upload(jpeg(), "photo.jpg", purpose="image")
    assert uploaded["content_type"] == "image/jpeg"
    image_path = uploaded["url"].removeprefix(embedded_server.base_url)
    assert image_path.startswith("/images/")
    original = client.get(image_path, auth=False)
    assert original.status_code == 200
    assert original.content == jpeg()
    variant = client.get(image_path, params={"w": 128, "format": "webp"}, auth=False)
    assert variant.status_code == 200, variant.text
    assert variant.headers["content-type"] == "image/webp"
    assert Image.open(io.BytesIO(variant.content)).size == (128, 80)
    listed = client.expect(client.get("/api/v2/upload/files"), 200)
    assert uploaded["id"] in {f["id"] for f in listed["results"]}

    # authz: refresh rotates the pair; the new access token works
    old_access = client.access_token
    client.refresh()
    assert client.access_token != old_access
    client.expect(client.get("/api/v2/account/me"), 200)

    # more profile-loading endpoints: TOTP setup, email change
    setup = client.expect(client.post("/api/v2/account/mfa/totp/setup", json={}), 200)
    totp = pyotp.TOTP(setup["secret"])
    codes = client.expect(client.post("/api/v2/account/mfa/totp/enable", json={"code": totp.now()}), 200)
    assert codes["recovery_codes"]
    assert client.expect(client.get("/api/v2/account/me"), 200)["mfa_enabled"] is True
    recovery = codes["recovery_codes"][0]
    client.expect(client.post("/api/v2/account/mfa/totp/disable", json={"code": recovery}), 204)
    assert client.expect(client.get("/api/v2/account/me"), 200)["mfa_enabled"] is False
    client.expect(
        client.post("/api/v2/account/email/change", json={"new_email": f"new-{email}", "password": PASSWORD}), 202
    )

    # password forgot / reset from the console email, then sign in with the new password
    client.expect(client.post("/api/v2/account/password/forgot", json={"email": email}, auth=False), 202)
    token = mailbox.token(email, "reset your")
    new_password = PASSWORD + " new"
    client.expect(
        client.post("/api/v2/account/password/reset", json={"token": token, "new_password": new_password}, auth=False),
        200,
    )
    client.login(email, new_password)

    # delete the file: its CDN URL is gone (404, not a 500 from the local store)
    client.expect(client.delete(f"/api/v2/upload/files/{uploaded['id']}"), 204)
    gone = client.get(image_path, auth=False)
    assert gone.status_code == 404, gone.text
    assert gone.json()["error"]["code"] == "not_found"

    # delete the account: the token stops working
    client.expect(client.delete("/api/v2/account/me"), 204)
    assert client.get("/api/v2/account/me").status_code == 401

    client.assert_no_5xx()
    assert "Traceback (most recent call last)" not in embedded_server.output()


def test_a_stranger_sees_nothing_of_anothers(
    embedded_server: EmbeddedServer, signed_in: GauClient, client: GauClient, mailbox: ConsoleMailbox
) -> None:
    mine = signed_in.upload(jpeg((64, 64), "olive"), "mine.jpg", purpose="attachment")
    client.sign_up(mailbox, f"stranger-{uuid.uuid4().hex[:8]}@example.com", PASSWORD)
    assert client.get(f"/api/v2/upload/files/{mine['id']}").status_code == 404
    assert client.delete(f"/api/v2/upload/files/{mine['id']}").status_code == 404
    assert client.expect(client.get("/api/v2/upload/files"), 200)["results"] == []
    private = mine["url"].removeprefix(embedded_server.base_url)
    assert client.get(private.split("?", 1)[0], auth=False).status_code == 404  # unsigned: no hint it exists
    assert signed_in.get(private, auth=False).status_code == 200  # the signed URL itself works
