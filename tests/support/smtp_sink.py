"""A real SMTP server process for tests: aiosmtpd storing each message as a ``.eml`` file.

Run: ``python -m tests.support.smtp_sink --port N --maildir DIR``. Recipients listed in
``DIR/reject`` (one per line) are refused with 550, so tests can exercise permanent failures;
``DIR/tempfail`` makes every RCPT answer 451 while the file exists. ``DIR/delay_rcpt`` (seconds) stalls
the RCPT reply; ``DIR/delay_data`` stores the message, then stalls the final DATA reply (a server that
accepted a message whose reply is lost); while stalling, ``DIR/stalled_<stage>`` exists. The sink
advertises PIPELINING unless ``DIR/no_pipelining`` exists.
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller


class MaildirHandler:
    def __init__(self, maildir: Path) -> None:
        self.maildir = maildir

    async def _stall(self, stage: str) -> None:
        flag = self.maildir / f"delay_{stage}"
        if flag.exists():
            (self.maildir / f"stalled_{stage}").touch()
            await asyncio.sleep(float(flag.read_text() or 0))

    async def handle_EHLO(
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        # PIPELINING (RFC 2920), as real MTAs advertise it: aiosmtpd reads and answers commands one line at
        # a time, so a pipelined group is handled correctly. ``DIR/no_pipelining`` turns the advertisement off.
        session.host_name = hostname
        if not (self.maildir / "no_pipelining").exists():
            responses.insert(-1, "250-PIPELINING")
        return responses

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any) -> str:
        await self._stall("rcpt")
        if (self.maildir / "tempfail").exists():
            return "451 4.3.0 Try again later"
        reject = self.maildir / "reject"
        if reject.exists() and address.lower() in reject.read_text().lower().split():
            return "550 5.1.1 User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message_id = uuid.uuid4().hex
        name = f"{time.time_ns()}-{message_id}"
        header = f"X-Sink-Mail-From: {envelope.mail_from}\r\nX-Sink-Rcpt-To: {', '.join(envelope.rcpt_tos)}\r\n"
        tmp = self.maildir / f".{name}.tmp"
        tmp.write_bytes(header.encode() + envelope.original_content)
        tmp.rename(self.maildir / f"{name}.eml")  # atomic: readers never see half a message
        await self._stall("data")
        return f"250 OK queued as {message_id}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--maildir", type=Path, required=True)
    args = parser.parse_args()
    args.maildir.mkdir(parents=True, exist_ok=True)
    controller = Controller(MaildirHandler(args.maildir), hostname="127.0.0.1", port=args.port)
    controller.start()
    print(f"smtp sink listening on 127.0.0.1:{args.port}", flush=True)
    try:
        asyncio.run(asyncio.Event().wait())
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
