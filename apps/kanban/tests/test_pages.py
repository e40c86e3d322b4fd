"""The hosted invitation page (``/kanban/invitations/accept``): a GET never spends the invitation, the
sign-in on the page goes through the account interface (throttle, second factor, verified address), every
outcome is a page with the shared security headers, in English and Vietnamese, and CSRF is enforced."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from typing import Any

import pyotp
import pytest
from django.apps import apps as django_apps
from django.core.cache import cache
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from apps.authz.services import authz_service
from apps.kanban.models import Activity, Invitation, Membership, Role
from apps.kanban.tests.factories import World, make_invitation, make_world
from apps.kanban.tests.test_invitations import PASSWORD, real_user
from tests.support.pages import CSRF_RE, assert_page_headers, page_client

PAGE = "/kanban/invitations/accept"
MFA_RE = re.compile(r'name="mfa_token" value="([^"]+)"')

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clean_cache() -> None:
    """Sign-in throttle counters live in Redis: every test starts from none."""
    cache.clear()


def outcome_of(response: Any) -> str:
    found = re.search(r'data-outcome="([a-z]+)"', response.content.decode())
    return found.group(1) if found else ""


def submit(client: Client, token: str, data: dict[str, str], *, lang: str = "en", page: Any = None) -> Any:
    """POST the page's form as a browser does (CSRF token from the page, ``Origin: null``)."""
    page = page if page is not None else client.get(f"{PAGE}?token={token}&lang={lang}")
    csrf = CSRF_RE.search(page.content.decode())
    assert csrf, page.content.decode()[:500]
    return client.post(
        f"{PAGE}?token={token}&lang={lang}",
        {"csrfmiddlewaretoken": csrf.group(1), "token": token, "lang": lang, **data},
        headers={"Origin": "null", "Sec-Fetch-Site": "same-origin"},
    )


def sign_in(client: Client, token: str, email: str, password: str = PASSWORD, **kwargs: Any) -> Any:
    return submit(client, token, {"step": "password", "email": email, "password": password}, **kwargs)


def test_get_three_times_then_accept(world: World) -> None:
    user = real_user()
    token = make_invitation(world.project, user.email.upper(), role=Role.ADMIN)
    client = page_client()
    for _ in range(3):
        page = client.get(f"{PAGE}?token={token}")
        assert page.status_code == 200
        assert_page_headers(page)
        body = page.content.decode()
        assert "Apollo" in body
        assert "an admin" in body
        assert 'name="password"' in body
    assert Invitation.objects.get().accepted_at is None
    assert not Membership.objects.filter(user_id=user.id).exists()

    done = sign_in(client, token, user.email)
    assert done.status_code == 200, done.content.decode()[:800]
    assert outcome_of(done) == "done"
    assert "You joined “Apollo”" in done.content.decode()
    assert_page_headers(done)
    assert Membership.objects.get(project=world.project, user_id=user.id).role == Role.ADMIN
    assert Activity.objects.filter(verb="member.added", actor_id=user.id).count() == 1
    # the member sees the project over the API
    api = APIClient()
    tokens = authz_service.issue_tokens(user_id=user.id, user_agent="pytest", ip="127.0.0.1")
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens.access_token}")
    assert [p["name"] for p in api.get("/api/v2/kanban/projects").json()["results"]] == ["Apollo"]

    # the link is now used: GET and POST both show the neutral page, nothing changes
    again = client.get(f"{PAGE}?token={token}")
    assert again.status_code == 400
    assert outcome_of(again) == "invalid"
    assert_page_headers(again)


def test_invalid_expired_used_and_wrong_account_are_one_neutral_page(world: World) -> None:
    invitee, other = real_user(), real_user()
    expired = make_invitation(world.project, invitee.email, expires_at=timezone.now() - timedelta(seconds=1))
    used = make_invitation(world.project, invitee.email)
    Invitation.objects.filter(expires_at__gt=timezone.now()).update(accepted_at=timezone.now())
    live = make_invitation(world.project, invitee.email)
    client = page_client()
    answers = [client.get(f"{PAGE}?token={t}") for t in ("", "nope", expired, used)]
    for answer in answers:
        assert answer.status_code == 400
        assert outcome_of(answer) == "invalid"
        assert_page_headers(answer)
    assert len({re.sub(r"csrf\w*", "", a.content.decode()) for a in answers}) == 1  # byte for byte alike
    # someone else's account (right password) cannot take the invitation
    wrong = sign_in(client, live, other.email)
    assert wrong.status_code == 400
    assert outcome_of(wrong) == "invalid"
    assert "not valid for your account" in wrong.content.decode()
    assert not Membership.objects.filter(user_id__in=[invitee.id, other.id]).exists()
    assert Invitation.objects.filter(accepted_at__isnull=False).count() == 1  # only the one made used above


def test_wrong_password_is_a_form_error_and_repeated_failures_are_throttled(world: World) -> None:
    user = real_user()
    token = make_invitation(world.project, user.email)
    client = page_client()
    wrong = sign_in(client, token, user.email, "not the password")
    assert wrong.status_code == 400
    body = wrong.content.decode()
    assert 'id="errors"' in body
    assert "do not match an account" in body
    assert 'name="password"' in body
    assert user.email in body
    assert_page_headers(wrong)
    missing = submit(client, token, {"step": "password", "email": user.email, "password": ""})
    assert missing.status_code == 400
    assert "Enter your email address and your password" in missing.content.decode()
    statuses = [sign_in(client, token, user.email, f"wrong {i}").status_code for i in range(8)]
    assert statuses[0] == 400
    assert 429 in statuses
    throttled = sign_in(client, token, user.email)  # even the right password waits now
    assert throttled.status_code == 429
    assert outcome_of(throttled) == "throttled"
    assert int(throttled["Retry-After"]) > 0
    assert_page_headers(throttled)
    assert not Membership.objects.filter(user_id=user.id).exists()
    assert Invitation.objects.get().accepted_at is None


def test_unverified_account_is_told_to_confirm_first(world: World) -> None:
    user = real_user(verified=False)
    token = make_invitation(world.project, user.email)
    response = sign_in(page_client(), token, user.email)
    assert response.status_code == 403
    assert "Confirm your email address first" in response.content.decode()
    assert Invitation.objects.get().accepted_at is None


def test_second_factor_step(world: World) -> None:
    user = real_user()
    api = APIClient()
    tokens = authz_service.issue_tokens(user_id=user.id, user_agent="pytest", ip="127.0.0.1")
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens.access_token}")
    secret = api.post("/api/v2/account/mfa/totp/setup").json()["secret"]
    totp = pyotp.TOTP(secret)
    assert api.post("/api/v2/account/mfa/totp/enable", {"code": totp.now()}, format="json").status_code == 200
    token = make_invitation(world.project, user.email, role=Role.VIEWER)
    client = page_client()

    step = sign_in(client, token, user.email)
    assert step.status_code == 200
    body = step.content.decode()
    mfa_token = MFA_RE.search(body)
    assert mfa_token
    assert 'name="code"' in body
    assert 'name="password"' not in body
    assert Invitation.objects.get().accepted_at is None
    bad = submit(client, token, {"step": "mfa", "mfa_token": mfa_token.group(1), "code": "000000"}, page=step)
    assert bad.status_code == 400
    assert "This code is not correct" in bad.content.decode()
    forged = submit(client, token, {"step": "mfa", "mfa_token": "forged", "code": totp.now()}, page=step)
    assert forged.status_code == 400
    assert "Sign in again" in forged.content.decode()
    # the code already used to enable is spent: the next step's code works
    code = totp.at(int(timezone.now().timestamp()) + 30)
    done = submit(client, token, {"step": "mfa", "mfa_token": mfa_token.group(1), "code": code}, page=step)
    assert outcome_of(done) == "done", done.content.decode()[:800]
    assert Membership.objects.get(user_id=user.id).role == Role.VIEWER


def test_both_languages_render(world: World) -> None:
    user = real_user()
    token = make_invitation(world.project, user.email)
    client = page_client()
    vi = client.get(f"{PAGE}?token={token}&lang=vi")
    assert vi["Content-Language"] == "vi"
    assert 'lang="vi"' in vi.content.decode()
    assert "Tham gia “Apollo”" in vi.content.decode()
    by_header = client.get(f"{PAGE}?token={token}", headers={"Accept-Language": "vi-VN,vi;q=0.9"})
    assert by_header["Content-Language"] == "vi"
    en = client.get(f"{PAGE}?token={token}", headers={"Accept-Language": "fr"})
    assert en["Content-Language"] == "en"
    assert "Join “Apollo”" in en.content.decode()
    wrong = sign_in(client, token, user.email, "sai mật khẩu", lang="vi")
    assert "không khớp" in wrong.content.decode()
    done = sign_in(client, token, user.email, lang="vi")
    assert outcome_of(done) == "done"
    assert "Bạn đã tham gia “Apollo”" in done.content.decode()
    invalid = client.get(f"{PAGE}?token=nope&lang=vi")
    assert "Không thể dùng lời mời này" in invalid.content.decode()


def test_post_without_csrf_or_from_another_site_is_refused(world: World) -> None:
    user = real_user()
    token = make_invitation(world.project, user.email)
    client = page_client()
    form = {"token": token, "step": "password", "email": user.email, "password": PASSWORD}
    bare = client.post(PAGE, form)
    assert bare.status_code == 403
    assert outcome_of(bare) == "error"
    assert_page_headers(bare)
    page = client.get(f"{PAGE}?token={token}")
    csrf = CSRF_RE.search(page.content.decode())
    assert csrf
    for headers in ({"Origin": "null", "Sec-Fetch-Site": "cross-site"}, {"Origin": "https://evil.example"}):
        refused = client.post(PAGE, {"csrfmiddlewaretoken": csrf.group(1), **form}, headers=headers)
        assert refused.status_code == 403
    assert not Membership.objects.filter(user_id=user.id).exists()


@pytest.mark.django_db(transaction=True)
def test_the_invitation_email_links_to_the_page_in_the_inviters_language(world: World, smtp: Any) -> None:
    inviter = real_user()
    # Test set-up only (no static import of another app's models): the inviter writes Vietnamese.
    django_apps.get_model("account", "User").objects.filter(pk=inviter.id).update(locale="vi")
    Membership.objects.create(project=world.project, user_id=inviter.id, role=Role.ADMIN)
    api = APIClient()
    tokens = authz_service.issue_tokens(user_id=inviter.id, user_agent="pytest", ip="127.0.0.1")
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens.access_token}")
    address = f"x{uuid.uuid4().hex[:8]}@example.com"
    sent = api.post(f"/api/v2/kanban/projects/{world.project.id}/invitations", {"email": address}, format="json")
    assert sent.status_code == 202
    (message,) = smtp.wait_for(1)
    text = str(message.get_body(preferencelist=("plain",)).get_content())
    link = re.search(r"https?://[^/\s]+(/kanban/invitations/accept\?token=[\w\-]+&lang=vi)", text)
    assert link, text
    page = page_client().get(link.group(1))
    assert page.status_code == 200
    assert page["Content-Language"] == "vi"
    assert "Tham gia “Apollo”" in page.content.decode()


def test_account_service_down_is_a_503_page_not_a_500(gau_server: Any) -> None:
    """A real server whose account app is remote and unreachable: the sign-in step answers 503 with a page,
    and the invitation stays unused."""
    import httpx

    from tests.support import processes

    world = make_world("Vega")
    token = make_invitation(world.project, "someone@example.com")
    dead = f"http://127.0.0.1:{processes.free_port()}"
    url = gau_server(GAU_SERVED_APPS="kanban,authz,email,upload", GAU_SERVICE_URLS=f"account={dead}")
    with httpx.Client(base_url=url, timeout=20) as client:
        page = client.get(f"{PAGE}?token={token}")
        assert page.status_code == 200
        assert "Vega" in page.text
        csrf = CSRF_RE.search(page.text)
        assert csrf
        response = client.post(
            f"{PAGE}?token={token}",
            data={
                "csrfmiddlewaretoken": csrf.group(1),
                "token": token,
                "step": "password",
                "email": "someone@example.com",
                "password": PASSWORD,
            },
            # the CSRF cookie is Secure (DEBUG off); a browser keeps it for 127.0.0.1, httpx does not
            headers={
                "Origin": "null",
                "Sec-Fetch-Site": "same-origin",
                "Cookie": f"csrftoken={page.cookies['csrftoken']}",
            },
        )
    assert response.status_code == 503
    assert 'data-outcome="error"' in response.text
    assert "Try again in a minute" in response.text
    assert response.headers["content-security-policy"].startswith("default-src 'none'")
    assert Invitation.objects.get().accepted_at is None
