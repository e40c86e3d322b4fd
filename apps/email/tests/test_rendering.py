"""Every message renders in both locales; errors are explicit, never a blank email."""

from __future__ import annotations

from typing import Any

import pytest

from apps.email import catalog
from apps.email.rendering import RenderError, render

SAMPLE: dict[str, Any] = {
    "display_name": "Ana",
    "verify_url": "/v/1",
    "login_url": "/login",
    "reset_url": "/reset/1",
    "confirm_url": "https://app.gau.vn/c/1",
    "new_email": "new@example.com",
    "unlock_url": "/u/1",
    "reason": "a sign-in from a new country",
    "user_agent": "Firefox on Linux",
    "ip": "203.0.113.9",
    "when": "2026-11-22 09:00",
    "inviter_name": "Hoa",
    "board_name": "Q4 <plans>",
    "accept_url": "/b/1/accept",
    "task_title": "Ship & tell",
    "due_at": "tomorrow",
    "task_url": "/t/1",
    "sent_at": "now",
    "project_name": "Apollo",
    "endpoint": "https://hooks.example.com/gau",
    "failing_since": "2026-11-27 08:00 UTC",
    "last_error": "HTTP 500",
    "items": [
        {
            "kind": "assigned",
            "number": "T-0001",
            "task_title": "A & B",
            "task_url": "/t/1",
            "actor_name": "Hoa",
            "you": True,
        },
        {"kind": "mentioned", "number": "T-0002", "task_title": "C", "task_url": "/t/2", "excerpt": "hi @ana"},
        {"kind": "done", "number": "T-0003", "task_title": "D", "task_url": "/t/3", "column": "Done"},
    ],
    "count": 3,
}


@pytest.mark.parametrize("locale", catalog.LOCALES)
@pytest.mark.parametrize("name", sorted(catalog.MESSAGES))
def test_every_message_renders(name: str, locale: str) -> None:
    message = catalog.MESSAGES[name]
    rendered = render(name, {k: SAMPLE[k] for k in message.keys}, locale)
    assert rendered.locale == locale
    assert rendered.subject
    assert "\n" not in rendered.subject
    assert rendered.text.strip()
    assert "<style" not in rendered.html
    assert 'style="' in rendered.html
    assert f'<html lang="{locale}">' in rendered.html
    for key in message.keys:
        if key.endswith("_url"):
            url = SAMPLE[key] if SAMPLE[key].startswith("http") else f"http://testserver{SAMPLE[key]}"
            assert url in rendered.text
            assert f'href="{url}"' in rendered.html


def test_vietnamese_rendering() -> None:
    rendered = render("account/password_reset", {"display_name": "Lan", "reset_url": "/r/9"}, "vi")
    assert rendered.subject == "Đặt lại mật khẩu Gau của bạn"
    assert "Chào Lan," in rendered.text
    assert "Chọn mật khẩu mới: http://testserver/r/9" in rendered.text
    assert "Bạn nhận được email này" in rendered.html


def test_unknown_locale_falls_back_to_english() -> None:
    assert render("account/password_changed", {"display_name": "X"}, "fr-FR").subject == "Your Gau password was changed"


def test_html_escapes_values_text_does_not() -> None:
    context = {"inviter_name": "Hoa", "board_name": "Q4 <plans> & co", "accept_url": "/b/1"}
    rendered = render("kanban/board_invitation", context, "en")
    assert rendered.subject == "Hoa invited you to Q4 <plans> & co"
    assert "Q4 <plans> & co" in rendered.text
    assert "Q4 &lt;plans&gt; &amp; co" in rendered.html


def test_render_errors_are_explicit() -> None:
    with pytest.raises(RenderError, match="unknown template"):
        render("account/nope", {}, "en")
    with pytest.raises(RenderError, match="needs context key"):
        render("account/verify_email", {"display_name": "A"}, "en")
