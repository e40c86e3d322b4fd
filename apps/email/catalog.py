"""The messages Gau sends: template name → required context keys, and whether it is a security notice.

Security notices are sent even to a suppressed address: a user must learn that their password changed.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Message:
    """One kind of email: its template name, the context keys it needs, whether it bypasses suppression."""

    name: str
    keys: frozenset[str]
    security: bool = False


def _m(name: str, *keys: str, security: bool = False) -> Message:
    return Message(name=name, keys=frozenset(keys), security=security)


MESSAGES: dict[str, Message] = {
    m.name: m
    for m in (
        _m("account/verify_email", "display_name", "verify_url"),
        _m("account/already_registered", "display_name", "login_url", "reset_url"),
        _m("account/password_reset", "display_name", "reset_url", security=True),
        _m("account/password_changed", "display_name", security=True),
        _m("account/email_change_new", "display_name", "confirm_url"),
        _m("account/email_change_old", "display_name", "new_email", security=True),
        _m("account/unlock", "display_name", "unlock_url", security=True),
        _m("account/security_alert", "display_name", "reason", security=True),
        _m("account/new_signin", "display_name", "user_agent", "ip", "when"),
        _m("kanban/board_invitation", "inviter_name", "board_name", "accept_url"),
        _m("kanban/task_due", "task_title", "board_name", "due_at", "task_url"),
        _m("kanban/webhook_disabled", "project_name", "endpoint", "failing_since", "last_error"),
        _m("kanban/notifications", "display_name", "items", "count"),
        _m("email/test", "sent_at"),
    )
}

#: Locales with their own templates; anything else falls back to the first.
LOCALES: tuple[str, ...] = ("en", "vi")


def get(name: str) -> Message | None:
    """The message called ``name``, or None."""
    return MESSAGES.get(name)


def normalise_locale(locale: str | None) -> str:
    """``"vi-VN"`` → ``"vi"``; unknown or missing → ``"en"``."""
    if not locale:
        return LOCALES[0]
    base = locale.strip().lower().replace("_", "-").split("-")[0]
    return base if base in LOCALES else LOCALES[0]
