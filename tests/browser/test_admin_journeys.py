"""An operator's everyday journeys in the admin site, in a real headless Chromium against a real server:
sign in (through the account's rules), find a user and verify or deactivate them, revoke a session and
an API key, preview a failed email and send it again."""

from __future__ import annotations

from typing import Any

import pyotp
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select, WebDriverWait

from apps.account.models import User
from apps.authz.services import authz_service
from apps.email.models import OutboundEmail
from tests.browser.conftest import PASSWORD, Site

from .test_account_links import SHOTS, make_user


def admin_sign_in(site: Site, browser: Any) -> None:
    User.objects.create_superuser(email="operator@example.com", password=PASSWORD)
    browser.get(f"{site.url}/admin/")
    assert "/admin/login/" in browser.current_url
    browser.find_element(By.ID, "id_username").send_keys("operator@example.com")
    browser.find_element(By.ID, "id_password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "#login-form input[type=submit]").click()
    WebDriverWait(browser, 15).until(lambda b: b.current_url.rstrip("/").endswith("/admin"))
    assert "Site administration" in browser.title


def search(browser: Any, site: Site, changelist: str, query: str) -> None:
    browser.get(f"{site.url}/admin/{changelist}/")
    box = browser.find_element(By.ID, "searchbar")
    box.send_keys(query)
    box.send_keys(Keys.ENTER)
    WebDriverWait(browser, 15).until(lambda b: "q=" in b.current_url)


def run_action(browser: Any, action: str) -> str:
    """Tick every row shown, run ``action``, return the confirmation message."""
    for box in browser.find_elements(By.NAME, "_selected_action"):
        box.click()
    Select(browser.find_element(By.NAME, "action")).select_by_value(action)
    browser.find_element(By.CSS_SELECTOR, "button[name=index]").click()
    message = WebDriverWait(browser, 15).until(lambda b: b.find_element(By.CSS_SELECTOR, "ul.messagelist li"))
    return str(message.text)


def test_sign_in_with_a_wrong_password_shows_the_error(site: Site, browser: Any) -> None:
    User.objects.create_superuser(email="operator@example.com", password=PASSWORD)
    browser.get(f"{site.url}/admin/login/")
    browser.find_element(By.ID, "id_username").send_keys("operator@example.com")
    browser.find_element(By.ID, "id_password").send_keys("not it")
    browser.find_element(By.CSS_SELECTOR, "#login-form input[type=submit]").click()
    note = WebDriverWait(browser, 15).until(lambda b: b.find_element(By.CSS_SELECTOR, "p.errornote"))
    assert "correct email and password" in note.text
    assert "/admin/login/" in browser.current_url


def test_staff_with_totp_sign_in_with_a_code(site: Site, browser: Any) -> None:
    from apps.account import mfa
    from apps.account.models import TotpDevice

    staff = User.objects.create_superuser(email="operator@example.com", password=PASSWORD)
    secret, _ = mfa.setup(staff)
    mfa.enable(staff, pyotp.TOTP(secret).now())
    browser.get(f"{site.url}/admin/")
    browser.find_element(By.ID, "id_username").send_keys("operator@example.com")
    browser.find_element(By.ID, "id_password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "#login-form input[type=submit]").click()
    code_box = WebDriverWait(browser, 15).until(lambda b: b.find_element(By.ID, "id_code"))
    browser.save_screenshot(str(SHOTS / "admin-mfa.png"))
    assert "/admin/login/" in browser.current_url  # the password alone did not open the admin
    code_box.send_keys("000000")
    browser.find_element(By.CSS_SELECTOR, "#login-form input[type=submit]").click()
    error = WebDriverWait(browser, 15).until(lambda b: b.find_element(By.CSS_SELECTOR, ".errorlist"))
    assert "not correct" in error.text
    step = TotpDevice.objects.get(user=staff).last_used_step + 1  # the enabling code is spent
    browser.find_element(By.ID, "id_code").send_keys(pyotp.TOTP(secret).at(step * 30))
    browser.find_element(By.CSS_SELECTOR, "#login-form input[type=submit]").click()
    WebDriverWait(browser, 15).until(lambda b: b.current_url.rstrip("/").endswith("/admin"))
    assert "Gau administration" in browser.page_source


def test_find_a_user_verify_and_deactivate(site: Site, browser: Any, address: str) -> None:
    user = make_user(address)
    unverified = User.objects.create_user(email=f"new-{address}", password=PASSWORD)
    tokens = site.login(address).json()
    admin_sign_in(site, browser)

    search(browser, site, "account/user", f"new-{address}")
    assert f"new-{address}" in browser.find_element(By.ID, "result_list").text
    assert run_action(browser, "mark_verified") == "1 user(s) marked verified."
    unverified.refresh_from_db()
    assert unverified.email_verified

    search(browser, site, "account/user", address)
    rows = browser.find_elements(By.CSS_SELECTOR, "#result_list tbody tr")
    assert len(rows) == 2  # the search matches both addresses; deactivate only ours
    browser.find_element(By.LINK_TEXT, address).click()
    browser.save_screenshot(str(SHOTS / "admin-user.png"))
    links = browser.find_element(By.CSS_SELECTOR, ".field-operator_links").text
    assert "Sessions" in links
    assert "API keys" in links
    assert "Emails" in links
    browser.find_element(By.LINK_TEXT, "Sessions").click()
    assert address in browser.find_element(By.ID, "result_list").text  # the user's one session
    search(browser, site, "account/user", address)
    for row in browser.find_elements(By.CSS_SELECTOR, "#result_list tbody tr"):
        if f">{address}<" in row.get_attribute("innerHTML"):
            row.find_element(By.NAME, "_selected_action").click()
    Select(browser.find_element(By.NAME, "action")).select_by_value("deactivate")
    browser.find_element(By.CSS_SELECTOR, "button[name=index]").click()
    message = WebDriverWait(browser, 15).until(lambda b: b.find_element(By.CSS_SELECTOR, "ul.messagelist li"))
    assert message.text == "1 user(s) deactivated; 1 session(s) ended."
    user.refresh_from_db()
    assert not user.is_active
    # the deactivated user is out: no sign-in, and the session from before is ended
    assert site.login(address).status_code == 401
    refresh = site.api.post("/api/v2/authz/token/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert refresh.status_code == 401


def test_revoke_a_session_and_an_api_key(site: Site, browser: Any, address: str) -> None:
    user = make_user(address)
    tokens = site.login(address).json()
    key = authz_service.create_api_key(user_id=user.id, name="ci deploy", scopes=frozenset({"account:read"}))
    assert site.api.get("/api/v2/account/me", headers={"X-API-Key": key.key}).status_code == 200
    admin_sign_in(site, browser)

    search(browser, site, "authz/session", address)  # operators know people by their email
    assert address in browser.find_element(By.ID, "result_list").text
    browser.save_screenshot(str(SHOTS / "admin-sessions.png"))
    assert run_action(browser, "revoke") == "Revoked 1 session(s)."
    refresh = site.api.post("/api/v2/authz/token/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert refresh.status_code == 401
    me = site.api.get("/api/v2/account/me", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert me.status_code == 401  # the access token stops at once, not at its expiry

    search(browser, site, "authz/apikey", "ci deploy")
    assert "ci deploy" in browser.find_element(By.ID, "result_list").text
    assert address in browser.find_element(By.ID, "result_list").text
    assert run_action(browser, "revoke") == "Revoked 1 key(s)."
    assert site.api.get("/api/v2/account/me", headers={"X-API-Key": key.key}).status_code == 401


def failed_email(address: str, *, status: str = OutboundEmail.Status.FAILED) -> OutboundEmail:
    """An email the pipeline gave up on (the SMTP server kept answering 451)."""
    return OutboundEmail.objects.create(
        template="account/password_changed",
        to=address,
        context={"display_name": "Lan"},
        status=status,
        attempts=5,
        last_error="451 4.3.0 mailbox temporarily unavailable (gave up after 5 attempts)",
        idempotency_key=f"browser-test:{address}",
    )


def delivered(row: OutboundEmail) -> bool:
    return OutboundEmail.objects.get(id=row.id).status == OutboundEmail.Status.SENT


def test_preview_and_retry_a_failed_email(site: Site, browser: Any, address: str) -> None:
    failed = failed_email(address)
    admin_sign_in(site, browser)
    browser.get(f"{site.url}/admin/email/outboundemail/?status__exact=failed")
    browser.find_element(By.CSS_SELECTOR, "#result_list tbody tr th a").click()
    browser.save_screenshot(str(SHOTS / "admin-email-preview.png"))
    preview = browser.find_element(By.CSS_SELECTOR, ".field-preview").text
    assert "Subject:" in preview
    assert "password" in preview.lower()
    assert "mailbox temporarily unavailable" in browser.find_element(By.CSS_SELECTOR, ".field-last_error").text
    browser.find_element(By.ID, "retry-button").click()
    message = WebDriverWait(browser, 15).until(lambda b: b.find_element(By.CSS_SELECTOR, "ul.messagelist li"))
    assert message.text == "The email is queued again."
    assert not browser.find_elements(By.ID, "retry-button")  # no longer failed
    site.smtp.wait_for(1)
    assert any(address in str(m["To"]) for m in site.smtp.messages())
    WebDriverWait(browser, 20, poll_frequency=0.2).until(lambda _: delivered(failed))


def test_retry_failed_emails_from_the_list(site: Site, browser: Any, address: str) -> None:
    failed = failed_email(address, status=OutboundEmail.Status.SUPPRESSED)
    admin_sign_in(site, browser)
    browser.get(f"{site.url}/admin/email/outboundemail/?status__exact=suppressed")
    assert run_action(browser, "retry") == "1 email(s) queued again."
    WebDriverWait(browser, 20, poll_frequency=0.2).until(lambda _: delivered(failed))
    assert any(address in str(m["To"]) for m in site.smtp.messages())
