"""Fast SMTP bytes for the outbox's one message shape: text/plain + text/html alternative.

Building a message with the stdlib ``email`` package (what Django's ``EmailMessage.message()`` does)
cost ~2.5 ms per email, most of it parsing every header through ``email.headerregistry``: as much as
the whole SMTP exchange with a local server. The outbox always sends the same shape — ASCII
addresses, a handful of known headers, two UTF-8 text parts — so :func:`as_smtp_bytes` writes that
shape directly (quoted-printable parts, RFC 2047 only for a header that needs it, CRLF line ends) and
returns None for anything else (attachments, Cc/Bcc/Reply-To, non-ASCII addresses, other content
types...), which the caller then builds with the stdlib as before. Tests check that the stdlib parses
the result back to the same headers and parts.
"""

from __future__ import annotations

import binascii
import email.policy
import re
import secrets
from datetime import UTC, datetime
from email.utils import format_datetime, formataddr, make_msgid, parseaddr
from functools import lru_cache

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.core.mail.utils import DNS_NAME

#: A plain ASCII addr-spec (no display name, no quoting, no IDN): anything else takes the stdlib path.
PLAIN_ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9.-]+")
_HANDLED = frozenset({"from", "to", "subject", "date", "message-id"})
_FORBIDDEN = frozenset({"cc", "bcc", "reply-to", "content-type", "content-transfer-encoding", "mime-version"})


@lru_cache(maxsize=32)
def _from_header(value: str) -> str | None:
    """``value`` if it is an ASCII address the stdlib would write unchanged, else None."""
    if not value.isascii() or "\n" in value or "\r" in value:
        return None
    name, address = parseaddr(value)
    if not PLAIN_ADDRESS.fullmatch(address) or formataddr((name, address)) != value:
        return None
    return value


def _header(name: str, value: str) -> str | None:
    """One header line (folded/encoded by the stdlib only when needed); None for a multi-line value."""
    if "\n" in value or "\r" in value:
        return None  # the stdlib path raises the proper error for a header injection attempt
    line = f"{name}: {value}"
    if value.isascii() and len(line) <= 78:
        return line + "\r\n"
    return str(email.policy.SMTP.fold(name, value))


def _qp(text: str) -> bytes:
    normalised = text.replace("\r\n", "\n").replace("\r", "\n")
    if not normalised.endswith("\n"):
        normalised += "\n"
    return binascii.b2a_qp(normalised.encode("utf-8"), istext=True).replace(b"\n", b"\r\n")


def as_smtp_bytes(message: EmailMessage) -> bytes | None:
    """The message as it goes on the wire (before dot-stuffing), or None if it is not the simple shape."""
    if type(message) is not EmailMultiAlternatives or message.attachments or message.cc or message.bcc:
        return None
    if (
        message.reply_to
        or message.content_subtype != "plain"
        or (message.encoding or settings.DEFAULT_CHARSET).lower() not in ("utf-8", "utf8")
    ):
        return None
    if len(message.alternatives) != 1 or message.alternatives[0][1] != "text/html":
        return None
    html = message.alternatives[0][0]
    if not isinstance(html, str) or not isinstance(message.body, str):
        return None
    extra = {name.lower(): (name, str(value)) for name, value in message.extra_headers.items()}
    if _FORBIDDEN & extra.keys() or "from" in extra or "to" in extra:
        return None
    sender = _from_header(str(message.from_email))
    if sender is None or not message.to or not all(PLAIN_ADDRESS.fullmatch(str(a)) for a in message.to):
        return None

    if "date" in extra:
        date = extra["date"][1]
    else:
        now = datetime.now(UTC)
        date = format_datetime(now.astimezone() if settings.EMAIL_USE_LOCALTIME else now)
    message_id = extra["message-id"][1] if "message-id" in extra else make_msgid(domain=DNS_NAME)
    lines = [
        _header("Subject", str(message.subject)),
        _header("From", sender),
        _header("To", ", ".join(str(a) for a in message.to)),
        _header("Date", date),
        _header("Message-ID", message_id),
    ]
    lines += [_header(name, value) for key, (name, value) in extra.items() if key not in _HANDLED]
    if any(line is None for line in lines):
        return None
    # "==" never occurs in quoted-printable output ("=" is written "=3D"), so this cannot clash.
    boundary = f"==============={secrets.token_hex(10)}=="
    head = f'MIME-Version: 1.0\r\nContent-Type: multipart/alternative;\r\n boundary="{boundary}"\r\n' + "".join(
        line for line in lines if line is not None
    )
    part = '\r\n--{}\r\nContent-Type: text/{}; charset="utf-8"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n'
    return b"".join(
        (
            head.encode("ascii"),
            part.format(boundary, "plain").encode("ascii"),
            _qp(message.body),
            part.format(boundary, "html").encode("ascii"),
            _qp(html),
            f"\r\n--{boundary}--\r\n".encode("ascii"),
        )
    )
