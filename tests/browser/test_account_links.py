"""What a person does with the links in Gau's emails, in a real headless Chromium against a real server:
register and verify, forgot password, email change, unlock; the pages in both languages, with their
security headers, and with a GET that never spends a token."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import httpx
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from apps.account.models import AccountToken, User
from tests.browser.conftest import PASSWORD, Site

NEW_PASSWORD = "a much better passphrase 2026"
#: Screenshots of the pages a person sees, for a person to look at after a run.
SHOTS = Path(tempfile.gettempdir()) / "gau-browser-shots"
SHOTS.mkdir(exist_ok=True)


def outcome(browser: Any) -> str:
    """Wait for an outcome page and return its kind (done, expired, used, invalid, error)."""
    # The previous page's element may go stale while the next one loads: keep waiting through that.
    WebDriverWait(browser, 15, ignored_exceptions=(NoSuchElementException, StaleElementReferenceException)).until(
        lambda b: b.find_element(By.ID, "page").get_attribute("data-outcome")
    )
    return str(browser.find_element(By.ID, "page").get_attribute("data-outcome"))


def title(browser: Any) -> str:
    return str(browser.find_element(By.ID, "title").text)


def csp_violations(browser: Any) -> list[str]:
    return [e["message"] for e in browser.get_log("browser") if "Content Security Policy" in e["message"]]


def make_user(email: str, *, locale: str = "en") -> User:
    return User.objects.create_user(
        email=email, password=PASSWORD, email_verified=True, display_name="Lan", locale=locale
    )


def test_register_verify_in_the_browser_then_sign_in(site: Site, browser: Any, address: str) -> None:
    response = site.api.post(
        "/api/v2/account/register", json={"email": address, "password": PASSWORD, "display_name": "Lan"}
    )
    assert response.status_code == 201
    assert site.login(address).status_code == 403  # not verified yet
    link = site.mail_link(address, "verify-email")
    for _ in range(3):  # a mail scanner, a link preview, then the person: the token survives
        browser.get(link)
        assert title(browser) == "Confirm your email address"
    assert AccountToken.objects.get(user__email=address, purpose="verify_email").used_at is None
    browser.find_element(By.ID, "submit").click()
    assert outcome(browser) == "done"
    assert title(browser) == "Your address is confirmed"
    browser.save_screenshot(str(SHOTS / "page-verified.png"))
    assert site.login(address).status_code == 200
    browser.get(link)  # the same link again
    assert outcome(browser) == "used"
    assert csp_violations(browser) == []


def test_forgot_password_weak_then_good_then_sign_in(site: Site, browser: Any, address: str) -> None:
    make_user(address)
    old = site.login(address).json()
    assert site.api.post("/api/v2/account/password/forgot", json={"email": address}).status_code == 202
    link = site.mail_link(address, "password/reset")
    browser.get(link)
    assert title(browser) == "Choose a new password"
    browser.find_element(By.ID, "new_password").send_keys("12345678")
    browser.find_element(By.ID, "new_password2").send_keys("12345678")
    browser.find_element(By.ID, "submit").click()
    errors = WebDriverWait(browser, 15).until(lambda b: b.find_element(By.ID, "errors")).text
    assert "too common" in errors
    assert "entirely numeric" in errors
    browser.find_element(By.ID, "new_password").send_keys(NEW_PASSWORD)
    browser.find_element(By.ID, "new_password2").send_keys(NEW_PASSWORD)
    browser.find_element(By.ID, "submit").click()
    assert outcome(browser) == "done"
    assert site.login(address).status_code == 401  # the old password is gone
    assert site.login(address, NEW_PASSWORD).status_code == 200
    refresh = site.api.post("/api/v2/authz/token/refresh", json={"refresh_token": old["refresh_token"]})
    assert refresh.status_code == 401  # and so is every session from before
    assert (
        site.api.get("/api/v2/account/me", headers={"Authorization": f"Bearer {old['access_token']}"}).status_code
        == 401
    )
    assert csp_violations(browser) == []


def test_confirm_an_email_change(site: Site, browser: Any, address: str) -> None:
    make_user(address)
    token = site.login(address).json()["access_token"]
    new_address = f"moved-{address}"
    response = site.api.post(
        "/api/v2/account/email/change",
        json={"new_email": new_address, "password": PASSWORD},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 202
    link = site.mail_link(new_address, "email/confirm")
    browser.get(link)
    assert browser.find_element(By.ID, "detail").text == new_address
    browser.find_element(By.ID, "submit").click()
    assert outcome(browser) == "done"
    assert new_address in browser.find_element(By.ID, "message").text
    assert site.login(new_address).status_code == 200
    assert site.login(address).status_code == 401


def test_unlock_after_too_many_wrong_passwords(site: Site, browser: Any, address: str) -> None:
    make_user(address)
    statuses = [site.login(address, "wrong password").status_code for _ in range(7)]
    assert statuses[-1] == 429
    assert site.login(address).status_code == 429  # locked, even with the right password
    link = site.mail_link(address, "unlock")
    browser.get(link)
    assert title(browser) == "Unlock sign-in"
    browser.find_element(By.ID, "submit").click()
    assert outcome(browser) == "done"
    assert site.login(address).status_code == 200


def test_vietnamese_pages_look_like_the_emails_on_a_phone(
    site: Site, browser: Any, address: str, tmp_path: Any
) -> None:
    make_user(address, locale="vi")
    site.api.post("/api/v2/account/password/forgot", json={"email": address})
    link = site.mail_link(address, "password/reset")
    assert link.endswith("&lang=vi")
    browser.set_window_size(390, 844)
    browser.get(link)
    assert title(browser) == "Chọn mật khẩu mới"
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "vi"
    button = browser.find_element(By.ID, "submit")
    # the stylesheet loaded under the CSP: the emails' orange button, full width on a phone
    assert button.value_of_css_property("background-color") in {"rgba(232, 89, 12, 1)", "rgb(232, 89, 12)"}
    assert button.size["width"] > 250
    assert browser.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
    browser.save_screenshot(str(tmp_path / "reset-vi-phone.png"))
    browser.find_element(By.ID, "new_password").send_keys(NEW_PASSWORD)
    browser.find_element(By.ID, "new_password2").send_keys(NEW_PASSWORD + "x")
    button.click()
    errors = WebDriverWait(browser, 15).until(lambda b: b.find_element(By.ID, "errors")).text
    assert errors == "Hai mật khẩu không giống nhau."
    assert csp_violations(browser) == []


def test_expired_link_offers_a_new_one(site: Site, browser: Any, address: str) -> None:
    site.api.post("/api/v2/account/register", json={"email": address, "password": PASSWORD})
    link = site.mail_link(address, "verify-email")
    AccountToken.objects.filter(user__email=address).update(expires_at="2000-01-01T00:00:00Z")
    browser.get(link)
    assert outcome(browser) == "expired"
    browser.save_screenshot(str(SHOTS / "page-expired.png"))
    browser.find_element(By.ID, "action").click()
    browser.find_element(By.ID, "email").send_keys(address)
    site.smtp.clear()
    browser.find_element(By.ID, "submit").click()
    assert outcome(browser) == "done"
    browser.get(site.mail_link(address, "verify-email"))
    browser.find_element(By.ID, "submit").click()
    assert outcome(browser) == "done"
    assert site.login(address).status_code == 200


def test_every_page_sends_the_security_headers(site: Site) -> None:
    user = make_user(f"h-{AccountToken.objects.count()}@example.com")
    from apps.account.tokens import token_issue

    _, secret = token_issue(user=user, purpose="password_reset")
    pages = [
        f"/verify-email?token={secret}",
        "/verify-email?token=",
        f"/password/reset?token={secret}",
        f"/password/reset?token={secret}&lang=vi",
        "/email/confirm?token=nope",
        "/unlock",
        "/password/forgot",
        "/verify-email/resend?lang=vi",
    ]
    for path in pages:
        response = httpx.get(f"{site.url}{path}", timeout=10)
        assert response.status_code in {200, 400, 410}, path
        headers = response.headers
        assert "script-src" not in headers["content-security-policy"]
        assert "default-src 'none'" in headers["content-security-policy"], path
        assert headers["x-frame-options"] == "DENY", path
        assert headers["referrer-policy"] == "no-referrer", path
        assert "no-store" in headers["cache-control"], path
        assert headers["x-content-type-options"] == "nosniff", path
    css = httpx.get(f"{site.url}/static/pages/pages.css", timeout=10)
    assert css.status_code == 200
    assert "#e8590c" in css.text
    # three GETs of a reset link from a scanner did not spend it
    assert AccountToken.objects.get(user=user, purpose="password_reset").used_at is None
