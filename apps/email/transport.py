"""SMTP delivery through Django's mailers API, one reused connection per process.

For the SMTP backend the envelope is driven step by step (MAIL, RCPT, DATA) on the backend's own
connection, so that (1) the server's reply to DATA (its queue id) can be recorded, (2) failures are
classified as temporary or permanent, and (3) a callback runs just before the final ``.`` that ends
DATA. Up to that dot the server has accepted nothing, so an attempt abandoned earlier can be repeated
without any risk of a duplicate. Other backends (console, locmem...) are called with
``send_messages``.
"""

from __future__ import annotations

import contextlib
import email.policy
import re
import smtplib
import socket
import threading
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, mailers
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend

from apps.email import mime

_LEADING_DOT = re.compile(rb"(?m)^\.")


class TemporaryFailure(Exception):
    """Worth retrying later: connection refused or dropped, timeout, a 4xx reply.

    ``after_dot``: the failure happened after the final dot was sent, so the server may have accepted
    the message anyway.
    """

    def __init__(self, message: str, *, after_dot: bool = False) -> None:
        super().__init__(message)
        self.after_dot = after_dot


class PermanentFailure(Exception):
    """Retrying will not help: a 5xx reply. ``suppress``: the recipient itself was refused."""

    def __init__(self, message: str, *, suppress: bool = False) -> None:
        super().__init__(message)
        self.suppress = suppress


class LeaseLost(Exception):
    """The attempt no longer owns the row (it took too long, or another attempt took over)."""


def _reply(code: int, text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    return f"{code} {text}".strip()[:500]


def _classify(code: int, text: bytes | str, *, stage: str, after_dot: bool = False) -> Exception:
    reply = _reply(code, text)
    if 400 <= code < 500:
        return TemporaryFailure(f"{stage}: {reply}", after_dot=after_dot)
    return PermanentFailure(f"{stage}: {reply}", suppress=stage == "RCPT" and code >= 500)


def _prep_address(backend: SmtpBackend, address: str) -> str:
    """The envelope address: a plain ASCII addr-spec as it is (Django's ``prep_address`` parses every
    address with ``email.headerregistry``, ~0.2 ms), anything else through ``prep_address``."""
    if mime.PLAIN_ADDRESS.fullmatch(address):
        return address
    cached_address, cached = _sender_cache[0]  # one tuple: read and replaced atomically across threads
    if address == cached_address:  # the sender: the same "Name <addr>" on every message
        return cached
    prepared = str(backend.prep_address(address))
    _sender_cache[0] = (address, prepared)
    return prepared


#: The last non-plain address prepared and its envelope form (in practice DEFAULT_FROM_EMAIL).
_sender_cache: list[tuple[str, str]] = [("", "")]


class Mailer:
    """Sends one message at a time over a connection kept open between messages (one per thread:
    :func:`current_mailer`)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._backend: Any = None
        self._key: str | None = None

    def _get_backend(self) -> Any:
        key = repr(settings.MAILERS.get("default"))
        if self._backend is None or key != self._key:  # settings changed (tests): start afresh
            self.close()
            self._backend = mailers.default
            self._key = key
        return self._backend

    def close(self) -> None:
        """Close the connection (if any)."""
        backend, self._backend = self._backend, None
        if backend is not None:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                backend.close()

    def _drop(self, backend: SmtpBackend) -> None:
        """Forget a connection in an unknown state (closing the socket aborts any open SMTP transaction)."""
        connection = backend.connection
        backend.connection = None
        if connection is not None:
            with contextlib.suppress(OSError):
                connection.close()

    def send(self, message: EmailMessage, *, before_dot: Callable[[], bool]) -> str:
        """Send ``message``; return the server's final reply.

        ``before_dot`` is called once the whole message but the final dot is sent; if it returns False
        the transaction is abandoned (nothing delivered) and :class:`LeaseLost` raised.
        Raises :class:`TemporaryFailure` or :class:`PermanentFailure`.
        """
        with self._lock:
            backend = self._get_backend()
            if not isinstance(backend, SmtpBackend):
                if not before_dot():
                    raise LeaseLost()
                try:
                    backend.send_messages([message])
                except (OSError, smtplib.SMTPException) as exc:
                    raise TemporaryFailure(f"{type(exc).__name__}: {exc}", after_dot=True) from exc
                return f"accepted by {type(backend).__module__}"
            return self._send_smtp(backend, message, before_dot)

    def _send_smtp(self, backend: SmtpBackend, message: EmailMessage, before_dot: Callable[[], bool]) -> str:
        try:
            sender = _prep_address(backend, message.from_email)
            recipients = [_prep_address(backend, address) for address in message.recipients()]
        except ValueError as exc:
            raise PermanentFailure(f"address: {exc}") from exc
        data = mime.as_smtp_bytes(message) or message.message(policy=email.policy.SMTP).as_bytes()
        data = _LEADING_DOT.sub(b"..", data)
        if not data.endswith(b"\r\n"):
            data += b"\r\n"

        connection, replies = self._open_and_envelope(backend, sender, recipients)
        dot_sent = False
        try:
            (code, text), rcpt_replies, (data_code, data_text) = replies[0], replies[1:-1], replies[-1]
            failure: Exception | None = None
            if code != 250:
                failure = _classify(code, text, stage="MAIL")
            for rcpt_code, rcpt_text in rcpt_replies:
                if failure is None and rcpt_code not in (250, 251):
                    failure = _classify(rcpt_code, rcpt_text, stage="RCPT")
            if failure is None and data_code != 354:
                failure = _classify(data_code, data_text, stage="DATA")
            if failure is not None:
                if data_code == 354:  # a pipelined DATA was accepted anyway: abandon it, deliver nothing
                    self._drop(backend)
                else:
                    self._rset(backend)
                raise failure
            connection.send(data)
            if not before_dot():
                self._drop(backend)
                raise LeaseLost()
            dot_sent = True
            connection.send(b".\r\n")
            code, text = connection.getreply()
            if code != 250:
                raise _classify(code, text, stage="DATA", after_dot=True)
            return _reply(code, text)
        except (OSError, smtplib.SMTPServerDisconnected, smtplib.SMTPResponseException) as exc:
            self._drop(backend)
            stage = "after DATA" if dot_sent else "SMTP"
            raise TemporaryFailure(f"{stage}: {type(exc).__name__}: {exc}", after_dot=dot_sent) from exc

    def _open_and_envelope(
        self, backend: SmtpBackend, sender: str, recipients: list[str]
    ) -> tuple[smtplib.SMTP, list[tuple[int, bytes]]]:
        """Open (or reuse) the connection and send MAIL, RCPT (each recipient) and DATA; return their
        replies. Pipelined (one write, then the replies) when the server advertises PIPELINING (RFC 2920);
        otherwise one command at a time, stopping at the first failure (the later replies then read as
        ``(0, b"")``). Reconnects once if a reused connection went stale: nothing was sent yet that the
        server could deliver."""
        for attempt in (1, 2):
            try:
                fresh = backend.open()
            except (OSError, smtplib.SMTPException) as exc:
                self._drop(backend)
                raise TemporaryFailure(f"connect: {type(exc).__name__}: {exc}") from exc
            connection: smtplib.SMTP | None = backend.connection
            try:
                if connection is None:
                    raise smtplib.SMTPServerDisconnected("no connection")
                if fresh and connection.sock is not None:
                    # The body and the final dot are separate writes: without this, Nagle's algorithm
                    # holds the dot until the body is ACKed (a delayed ACK: ~40 ms per message).
                    connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                connection.ehlo_or_helo_if_needed()
                if connection.does_esmtp and connection.has_extn("pipelining"):
                    commands = [f"mail FROM:{smtplib.quoteaddr(sender)}\r\n"]
                    commands += [f"rcpt TO:{smtplib.quoteaddr(r)}\r\n" for r in recipients]
                    connection.send("".join(commands) + "data\r\n")
                    replies = [connection.getreply() for _ in range(len(recipients) + 2)]
                else:
                    replies = [connection.mail(sender)]
                    for recipient in recipients:
                        replies.append(connection.rcpt(recipient) if replies[-1][0] in (250, 251) else (0, b""))
                    replies.append(connection.docmd("data") if replies[-1][0] in (250, 251) else (0, b""))
            except (OSError, smtplib.SMTPException) as exc:
                # A reused connection the server closed while idle: nothing was delivered, reconnect once
                # (not after a timeout: the server is slow, not gone).
                self._drop(backend)
                stale = isinstance(exc, (smtplib.SMTPServerDisconnected, ConnectionError))
                if fresh or attempt == 2 or not stale:
                    raise TemporaryFailure(f"SMTP: {type(exc).__name__}: {exc}") from exc
                continue
            return connection, replies
        raise TemporaryFailure("MAIL: no connection")  # not reached: the loop returns or raises

    def _rset(self, backend: SmtpBackend) -> None:
        try:
            if backend.connection is not None:
                backend.connection.rset()
        except (OSError, smtplib.SMTPException):
            self._drop(backend)


_local = threading.local()


def current_mailer() -> Mailer:
    """This thread's mailer: each thread (a Celery worker process's main thread, or one of its drain's
    sending threads) keeps its own SMTP connection open between messages."""
    found: Mailer | None = getattr(_local, "mailer", None)
    if found is None:
        found = _local.mailer = Mailer()
    return found
