"""Hosted pages for the emailed links: a GET never spends a token, every outcome is a page with the
security headers, both languages render, and the POST reuses the account flows (CSRF enforced)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from apps.account import throttle
from apps.account.models import AccountToken, User
from apps.account.tokens import token_issue
from apps.authz.services import authz_service
from apps.email.services import email_service
from tests.support.pages import CSRF_RE, assert_page_headers, page_client

from .conftest import PASSWORD

P = AccountToken.Purpose


def post_form(client: Client, url: str, data: dict[str, str], *, csrf_from: str = "", **headers: str) -> Any:
    """GET the page, then POST its form with the CSRF token, as a browser does (Origin: null, see pages)."""
    page = client.get(csrf_from or url)
    match = CSRF_RE.search(page.content.decode())
    assert match, page.content.decode()[:500]
    return client.post(
        url,
        {"csrfmiddlewaretoken": match.group(1), **data},
        headers={"Origin": "null", "Sec-Fetch-Site": "same-origin", **headers},
    )


def outcome_of(response: Any) -> str:
    found = re.search(r'data-outcome="([a-z]+)"', response.content.decode())
    return found.group(1) if found else ""


@pytest.fixture
def issued(make_user: Callable[..., User]) -> Callable[..., tuple[User, str]]:
    def issue(purpose: str, **data: Any) -> tuple[User, str]:
        user = make_user(verified=purpose != P.VERIFY_EMAIL)
        _, secret = token_issue(user=user, purpose=purpose, data=data or None)
        return user, secret

    return issue


PAGES = [
    ("/verify-email", P.VERIFY_EMAIL, {}),
    ("/email/confirm", P.EMAIL_CHANGE, {"new_email": "new-address@example.com"}),
    ("/unlock", P.UNLOCK, {}),
    ("/password/reset", P.PASSWORD_RESET, {}),
]


@pytest.mark.parametrize(("path", "purpose", "data"), PAGES)
def test_get_never_spends_the_token(path: str, purpose: str, data: dict[str, str], issued: Any) -> None:
    _, secret = issued(purpose, **data)
    client = page_client()
    for _ in range(3):  # a mail scanner, a link preview, the person
        response = client.get(f"{path}?token={secret}&lang=en")
        assert response.status_code == 200
        assert_page_headers(response)
        assert 'method="post"' in response.content.decode()
    row = AccountToken.objects.get(purpose=purpose)
    assert row.used_at is None
    form = {"token": secret, "lang": "en"}
    if purpose == P.PASSWORD_RESET:
        form |= {"new_password": "a fresh passphrase 913", "new_password2": "a fresh passphrase 913"}
    done = post_form(client, f"{path}?token={secret}&lang=en", form)
    assert done.status_code == 200, done.content.decode()
    assert outcome_of(done) == "done"
    assert_page_headers(done)
    row.refresh_from_db()
    assert row.used_at is not None
    again = client.get(f"{path}?token={secret}")
    assert again.status_code == 410
    assert outcome_of(again) == "used"
    assert_page_headers(again)


def test_verify_page_verifies_through_the_flow(issued: Any) -> None:
    user, secret = issued(P.VERIFY_EMAIL)
    assert not user.email_verified
    post_form(page_client(), f"/verify-email?token={secret}", {"token": secret})
    user.refresh_from_db()
    assert user.email_verified


@pytest.mark.parametrize(("path", "purpose", "data"), PAGES)
def test_expired_used_and_invalid_are_pages(path: str, purpose: str, data: dict[str, str], issued: Any) -> None:
    _, secret = issued(purpose, **data)
    AccountToken.objects.filter(purpose=purpose).update(expires_at=timezone.now() - timedelta(seconds=1))
    client = page_client()
    expired = client.get(f"{path}?token={secret}")
    assert expired.status_code == 410
    assert outcome_of(expired) == "expired"
    assert_page_headers(expired)
    # the POST of an expired link (a form left open) is the same page, not an error
    late = post_form(
        client,
        f"{path}?token={secret}",
        {"token": secret, "new_password": "x", "new_password2": "x"},
        csrf_from="/password/forgot",
    )
    assert late.status_code == 410
    assert outcome_of(late) == "expired"
    for bad in ("", "?token=", "?token=nope", f"?token={'x' * 5000}", "?token=%00%ff"):
        response = client.get(f"{path}{bad}")
        assert (response.status_code, outcome_of(response)) == (400, "invalid"), bad
        assert_page_headers(response)
    # a token for another purpose is not valid here
    _, other = issued(P.MFA_LOGIN)
    assert outcome_of(client.get(f"{path}?token={other}")) == "invalid"


def test_expired_links_offer_a_new_one(issued: Any) -> None:
    for path, purpose, action in (
        ("/verify-email", P.VERIFY_EMAIL, "/verify-email/resend?lang=vi"),
        ("/password/reset", P.PASSWORD_RESET, "/password/forgot?lang=vi"),
    ):
        _, secret = issued(purpose)
        AccountToken.objects.filter(purpose=purpose).update(expires_at=timezone.now() - timedelta(seconds=1))
        body = page_client().get(f"{path}?token={secret}&lang=vi").content.decode()
        assert f'href="{action}"' in body


def test_reset_form_shows_errors_and_keeps_the_token(issued: Any) -> None:
    user, secret = issued(P.PASSWORD_RESET)
    authz_service.issue_tokens(user_id=user.id, user_agent="old device", ip="127.0.0.1")
    client = page_client()
    url = f"/password/reset?token={secret}&lang=en"
    mismatch = post_form(client, url, {"token": secret, "new_password": "abc", "new_password2": "abd"})
    assert mismatch.status_code == 400
    assert "not the same" in mismatch.content.decode()
    weak = post_form(client, url, {"token": secret, "new_password": "123", "new_password2": "123"})
    body = weak.content.decode()
    assert weak.status_code == 400
    assert 'id="errors"' in body
    assert "too short" in body
    assert "entirely numeric" in body
    assert AccountToken.objects.get(purpose=P.PASSWORD_RESET).used_at is None
    done = post_form(
        client,
        url,
        {"token": secret, "new_password": "a fresh passphrase 913", "new_password2": "a fresh passphrase 913"},
    )
    assert outcome_of(done) == "done"
    user.refresh_from_db()
    assert user.check_password("a fresh passphrase 913")
    assert not [s for s in authz_service.list_sessions(user_id=user.id) if s.revoked_at is None]


def test_both_languages_render(issued: Any) -> None:
    _, secret = issued(P.PASSWORD_RESET)
    client = page_client()
    vi = client.get(f"/password/reset?token={secret}&lang=vi")
    assert 'lang="vi"' in vi.content.decode()
    assert "Chọn mật khẩu mới" in vi.content.decode()
    assert vi["Content-Language"] == "vi"
    en = client.get(f"/password/reset?token={secret}", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert "Choose a new password" in en.content.decode()
    by_header = client.get(f"/password/reset?token={secret}", headers={"Accept-Language": "vi-VN,vi;q=0.9"})
    assert "Chọn mật khẩu mới" in by_header.content.decode()
    assert "Accept-Language" in by_header["Vary"]
    # an unknown lang falls back to the header, then English
    assert "Choose a new password" in client.get(f"/password/reset?token={secret}&lang=xx").content.decode()
    # Django's validator messages come in the page's language too
    weak = post_form(
        client,
        f"/password/reset?token={secret}&lang=vi",
        {"token": secret, "lang": "vi", "new_password": "1", "new_password2": "1"},
    )
    assert weak.status_code == 400
    assert "Mật khẩu này hoàn toàn là số" in weak.content.decode()  # Django's own Vietnamese


def test_post_without_csrf_is_refused_with_a_page(issued: Any) -> None:
    user, secret = issued(P.VERIFY_EMAIL)
    client = page_client()
    response = client.post("/verify-email", {"token": secret})
    assert response.status_code == 403
    assert outcome_of(response) == "error"
    assert "text/html" in response["Content-Type"]
    assert_page_headers(response)
    # a cross-site form post: the token is right, but another site's page cannot pass as same-origin
    page = client.get(f"/verify-email?token={secret}")
    csrf = CSRF_RE.search(page.content.decode())
    assert csrf
    cross = client.post(
        "/verify-email",
        {"csrfmiddlewaretoken": csrf.group(1), "token": secret},
        headers={"Origin": "null", "Sec-Fetch-Site": "cross-site"},
    )
    assert cross.status_code == 403
    evil = client.post(
        "/verify-email",
        {"csrfmiddlewaretoken": csrf.group(1), "token": secret},
        headers={"Origin": "https://evil.example"},
    )
    assert evil.status_code == 403
    same_site = client.post(
        "/verify-email",
        {"csrfmiddlewaretoken": csrf.group(1), "token": secret},
        headers={"Origin": "null", "Sec-Fetch-Site": "same-site"},
    )
    assert same_site.status_code == 403  # a sibling subdomain is another origin
    user.refresh_from_db()
    assert not user.email_verified
    assert AccountToken.objects.get(purpose=P.VERIFY_EMAIL).used_at is None
    # a browser without fetch metadata (Origin: null, no Sec-Fetch-Site) and the right token gets through
    legacy = client.post(
        f"/verify-email?token={secret}",
        {"csrfmiddlewaretoken": csrf.group(1), "token": secret},
        headers={"Origin": "null"},
    )
    assert outcome_of(legacy) == "done"


def test_email_change_page_shows_the_address_and_applies_it(issued: Any) -> None:
    user, secret = issued(P.EMAIL_CHANGE, new_email="moved@example.com")
    client = page_client()
    page = client.get(f"/email/confirm?token={secret}")
    assert "moved@example.com" in page.content.decode()
    done = post_form(client, f"/email/confirm?token={secret}", {"token": secret})
    assert "moved@example.com" in done.content.decode()
    user.refresh_from_db()
    assert user.email == "moved@example.com"


def test_email_change_to_a_taken_address_is_a_page(issued: Any, make_user: Any) -> None:
    _, secret = issued(P.EMAIL_CHANGE, new_email="taken@example.com")
    make_user("taken@example.com")
    response = post_form(page_client(), f"/email/confirm?token={secret}", {"token": secret})
    assert response.status_code == 409
    assert outcome_of(response) == "error"
    assert_page_headers(response)


def test_unlock_page_lifts_the_throttle(issued: Any) -> None:
    user, secret = issued(P.UNLOCK)
    for _ in range(throttle.ACCOUNT_FREE_FAILURES + 1):
        throttle.record_failure(account_key=str(user.id), ip="203.0.113.9")
    assert throttle.retry_after(account_key=str(user.id), ip="203.0.113.9") is not None
    post_form(page_client(), f"/unlock?token={secret}", {"token": secret})
    assert throttle.retry_after(account_key=str(user.id), ip="203.0.113.9") is None


def templates_sent_to(address: str) -> list[str]:
    return [m.template for m in email_service.export_recipient_data(address=address)]


def test_forgot_and_resend_forms(make_user: Any) -> None:
    user = make_user(verified=False)
    client = page_client()
    bad = post_form(client, "/password/forgot", {"email": "not an address"})
    assert bad.status_code == 400
    assert 'id="errors"' in bad.content.decode()
    same = post_form(client, "/password/forgot", {"email": "nobody@example.com"})
    done = post_form(client, "/password/forgot", {"email": user.email})
    assert outcome_of(same) == outcome_of(done) == "done"  # no enumeration
    assert templates_sent_to(user.email) == ["account/password_reset"]
    resent = post_form(client, "/verify-email/resend", {"email": user.email})
    assert outcome_of(resent) == "done"
    assert sorted(templates_sent_to(user.email)) == ["account/password_reset", "account/verify_email"]
    wait = post_form(client, "/verify-email/resend", {"email": user.email})
    assert wait.status_code == 400
    assert "less than a minute" in wait.content.decode()
    for path in ("/password/forgot", "/verify-email/resend"):
        assert_page_headers(client.get(path))


def test_links_in_emails_point_at_the_pages_with_the_language(
    make_user: Any, settings: Any, smtp: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from apps.account import flows

    user = make_user(locale="vi")
    with django_capture_on_commit_callbacks(execute=True):
        flows.forgot_password(email=user.email)
    (message,) = smtp.wait_for(1)
    text = message.get_body(("plain",)).get_content()
    assert re.search(r"http://testserver/password/reset\?token=[\w-]+&lang=vi\b", text), text
    settings.ACCOUNT_LINK_BASE_URL = "https://app.example.com/account"
    cache.clear()  # the forgot form is limited per address per minute
    with django_capture_on_commit_callbacks(execute=True):
        flows.forgot_password(email=user.email)
    text = smtp.wait_for(2)[-1].get_body(("plain",)).get_content()
    assert re.search(r"https://app\.example\.com/account/password/reset\?token=[\w-]+&lang=vi\b", text), text


def test_a_new_password_signs_in(issued: Any, api_client: Any) -> None:
    user, secret = issued(P.PASSWORD_RESET)
    post_form(
        page_client(),
        f"/password/reset?token={secret}",
        {"token": secret, "new_password": "a fresh passphrase 913", "new_password2": "a fresh passphrase 913"},
    )
    old = api_client.post("/api/v2/account/login", {"email": user.email, "password": PASSWORD}, format="json")
    assert old.status_code == 401
    new = api_client.post(
        "/api/v2/account/login", {"email": user.email, "password": "a fresh passphrase 913"}, format="json"
    )
    assert new.status_code == 200
    assert new.json()["access_token"]


def test_a_service_down_is_a_page_not_a_500(gau_server: Any, make_user: Any) -> None:
    """A real server whose authz is remote and unreachable: the reset page answers 503 with a page."""
    import httpx

    from tests.support import processes

    dead = f"http://127.0.0.1:{processes.free_port()}"
    url = gau_server(GAU_SERVED_APPS="account,email", GAU_SERVICE_URLS=f"authz={dead}")
    user = make_user()
    _, secret = token_issue(user=user, purpose=P.PASSWORD_RESET)
    with httpx.Client(base_url=url, timeout=20) as client:
        page = client.get(f"/password/reset?token={secret}")
        assert page.status_code == 200
        csrf = CSRF_RE.search(page.text)
        assert csrf
        response = client.post(
            f"/password/reset?token={secret}",
            data={
                "csrfmiddlewaretoken": csrf.group(1),
                "token": secret,
                "new_password": "a fresh passphrase 913",
                "new_password2": "a fresh passphrase 913",
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
