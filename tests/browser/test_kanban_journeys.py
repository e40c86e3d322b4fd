"""Kanban in a real headless Chromium against a real server: a person opens the invitation link from the
email, signs in on the page and joins the project; an operator finds a project in the admin and opens
its activity."""

from __future__ import annotations

from typing import Any

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from apps.kanban.models import Invitation
from tests.browser.conftest import PASSWORD, Site

from .test_account_links import SHOTS, csp_violations, make_user, outcome, title
from .test_admin_journeys import admin_sign_in, search


def signed_in(site: Site, email: str) -> dict[str, str]:
    response = site.login(email)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def test_accept_an_invitation_from_the_email(site: Site, browser: Any, address: str) -> None:
    owner = make_user(f"owner-{address}")
    make_user(address)
    auth = signed_in(site, owner.email)
    project = site.api.post("/api/v2/kanban/projects", json={"name": "Lunar"}, headers=auth).json()
    invited = site.api.post(
        f"/api/v2/kanban/projects/{project['id']}/invitations", json={"email": address}, headers=auth
    )
    assert invited.status_code == 202
    link = site.mail_link(address, "kanban/invitations/accept")
    for _ in range(3):  # a mail scanner, a link preview, then the person: the invitation survives
        browser.get(link)
        assert title(browser) == "Join “Lunar”"
    assert Invitation.objects.get().accepted_at is None
    browser.find_element(By.ID, "email").send_keys(address)
    browser.find_element(By.ID, "password").send_keys("not my password")
    browser.find_element(By.ID, "submit").click()
    errors = WebDriverWait(browser, 15).until(lambda b: b.find_element(By.ID, "errors")).text
    assert "do not match an account" in errors
    browser.find_element(By.ID, "password").send_keys(PASSWORD)  # the address is kept
    browser.find_element(By.ID, "submit").click()
    assert outcome(browser) == "done"
    assert title(browser) == "You joined “Lunar”"
    browser.save_screenshot(str(SHOTS / "kanban-invitation-accepted.png"))
    mine = site.api.get("/api/v2/kanban/projects", headers=signed_in(site, address)).json()["results"]
    assert [(p["name"], p["role"]) for p in mine] == [("Lunar", "member")]
    browser.get(link)  # the same link again
    assert outcome(browser) == "invalid"
    assert csp_violations(browser) == []


def test_operator_finds_a_project_and_opens_its_activity(site: Site, browser: Any, address: str) -> None:
    owner = make_user(address)
    auth = signed_in(site, owner.email)
    project = site.api.post("/api/v2/kanban/projects", json={"name": "Orbit", "key": "ORB"}, headers=auth).json()
    site.api.post(f"/api/v2/kanban/projects/{project['id']}/boards", json={"name": "Launch"}, headers=auth)
    site.api.post("/api/v2/kanban/projects", json={"name": "Elsewhere"}, headers=auth)
    admin_sign_in(site, browser)
    search(browser, site, "kanban/project", str(owner.id))  # by a member's user id: both projects
    rows = [r.text for r in browser.find_elements(By.CSS_SELECTOR, "#result_list tbody th a")]
    assert sorted(rows) == ["Elsewhere", "Orbit"]
    search(browser, site, "kanban/project", "ORB")
    browser.find_element(By.LINK_TEXT, "Orbit").click()
    WebDriverWait(browser, 15).until(lambda b: "/change/" in b.current_url)
    browser.find_element(By.CSS_SELECTOR, ".field-activity_link a").click()
    WebDriverWait(browser, 15).until(lambda b: "project__id__exact" in b.current_url)
    verbs = {c.text for c in browser.find_elements(By.CSS_SELECTOR, "#result_list td.field-verb")}
    assert verbs == {"project.created", "board.created"}
    browser.save_screenshot(str(SHOTS / "admin-kanban-activity.png"))
