"""The fast MIME writer produces what the stdlib would: same headers, same decoded parts, no defects."""

from __future__ import annotations

import email
import email.policy
import uuid
from collections.abc import Iterable
from email.message import EmailMessage as StdMessage

import pytest
from django.core.mail import EmailMessage, EmailMultiAlternatives

from apps.email import catalog
from apps.email.delivery import build_message
from apps.email.mime import as_smtp_bytes
from apps.email.models import OutboundEmail
from apps.email.rendering import render

HEADERS = ["Subject", "From", "To", "Message-ID", "X-Gau-Email-Id", "Auto-Submitted", "Content-Language"]


def _parse(data: bytes) -> StdMessage:
    parsed = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(parsed, StdMessage)
    return parsed


def _context(keys: Iterable[str]) -> dict[str, str]:
    # Non-ASCII, long lines, "=", leading dots and trailing spaces: the quoted-printable edge cases.
    awkward = "Ánh Ngọc " + "x" * 90 + " a=b  \n.leading dot\n"
    return {k: "/x?a=b&c=d" if k.endswith("_url") else awkward for k in keys}


@pytest.mark.parametrize("locale", catalog.LOCALES)
@pytest.mark.parametrize("name", sorted(catalog.MESSAGES))
def test_fast_bytes_parse_back_like_the_stdlib_message(name: str, locale: str) -> None:
    context = _context(catalog.MESSAGES[name].keys)
    row = OutboundEmail(pk=uuid.uuid4(), template=name, to="ana@example.com", context=context, locale=locale)
    message = build_message(row, render(name, context, locale))

    data = as_smtp_bytes(message)

    assert data is not None
    assert b"\n" not in data.replace(b"\r\n", b""), "bare LF"
    assert max(len(line) for line in data.split(b"\r\n")) <= 78
    fast, slow = _parse(data), _parse(message.message(policy=email.policy.SMTP).as_bytes())
    for header in HEADERS:
        assert str(fast[header]) == str(slow[header]), header
    assert fast["Date"] is not None
    assert fast.get_content_type() == "multipart/alternative"
    for subtype in ("plain", "html"):
        fast_part, slow_part = fast.get_body((subtype,)), slow.get_body((subtype,))
        assert fast_part is not None
        assert slow_part is not None
        assert fast_part.get_content_charset() == "utf-8"
        assert fast_part.get_content() == slow_part.get_content()
    assert [part.defects for part in fast.walk()] == [[], [], []]


def test_unusual_messages_take_the_stdlib_path() -> None:
    def alt(**kwargs: object) -> EmailMultiAlternatives:
        params: dict[str, object] = {
            "subject": "s",
            "body": "b",
            "from_email": "a@example.com",
            "to": ["b@example.com"],
        }
        params.update(kwargs)
        message = EmailMultiAlternatives(**params)  # type: ignore[arg-type]
        message.attach_alternative("<p>b</p>", "text/html")
        return message

    assert as_smtp_bytes(alt()) is not None
    assert as_smtp_bytes(EmailMessage(subject="s", body="b", from_email="a@example.com", to=["b@x.com"])) is None
    assert as_smtp_bytes(alt(to=["Ánh <anh@example.com>"])) is None
    assert as_smtp_bytes(alt(to=["anh@ví-dụ.vn"])) is None
    assert as_smtp_bytes(alt(cc=["c@example.com"])) is None
    assert as_smtp_bytes(alt(headers={"X-Evil": "a\r\nBcc: x@example.com"})) is None
    with_attachment = alt()
    with_attachment.attach("a.txt", "hi", "text/plain")
    assert as_smtp_bytes(with_attachment) is None
