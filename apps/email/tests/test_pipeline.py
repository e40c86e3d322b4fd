"""The whole pipeline on real processes: this test → PostgreSQL outbox → RabbitMQ → a Celery worker
process → the SMTP sink process. Each test states the failure it injects and what must still hold."""

from __future__ import annotations

import subprocess
import time

import pytest
from django.db import transaction

from apps.email.models import OutboundEmail, Suppression
from apps.email.services import email_service
from apps.email.tests.conftest import FAST, VERIFY, restart_fast
from conftest import child_env, wait_for
from tests.support import processes

pytestmark = pytest.mark.worker
Status = OutboundEmail.Status


def row_of(email_id) -> OutboundEmail:
    return OutboundEmail.objects.get(pk=email_id)


def wait_status(email_id, status: str, timeout: float = 30) -> OutboundEmail:
    assert wait_for(lambda: row_of(email_id).status == status, timeout=timeout), row_of(email_id).__dict__
    return row_of(email_id)


def test_verification_email_arrives_with_html_text_and_inlined_css(celery_worker, smtp) -> None:
    with transaction.atomic():
        email_id = email_service.send(template="account/verify_email", to="ana@example.com", context=VERIFY)
    [message] = smtp.wait_for(1)
    row = wait_status(email_id, Status.SENT)

    assert message["Subject"] == "Confirm your email address"
    assert message["To"] == "ana@example.com"
    assert message["Message-ID"] == row.message_id == f"<{email_id}@gau.local>"
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "Hi Ana," in text
    assert "http://testserver/account/verify?token=t0k3n" in text  # relative link made absolute
    assert 'href="http://testserver/account/verify?token=t0k3n"' in html
    assert "<style" not in html  # CSS inlined, not left in a style block
    assert 'class="button" href="http://testserver/account/verify?token=t0k3n" style="' in html
    assert "background-color: #e8590c" in html
    assert row.attempts == 1
    assert "queued as" in row.smtp_response
    assert row.sent_at is not None


def test_smtp_down_retries_with_backoff_then_delivers_once(fast_worker, smtp) -> None:
    smtp.stop()
    with transaction.atomic():
        email_id = email_service.send(
            template="account/password_changed", to="bo@example.com", context={"display_name": "Bo"}
        )
    # Connection refused → queued again with a later next_attempt_at, attempt after attempt.
    assert wait_for(lambda: row_of(email_id).attempts >= 3, timeout=30)
    row = row_of(email_id)
    assert row.status in (Status.QUEUED, Status.SENDING)
    assert "Connection refused" in row.last_error or "ConnectionRefusedError" in row.last_error
    smtp.start()
    smtp.wait_for(1, timeout=30)
    row = wait_status(email_id, Status.SENT)
    time.sleep(2)  # any stray redelivery would show up now
    assert len(smtp.messages()) == 1
    assert row.attempts >= 4


def test_smtp_4xx_is_temporary(fast_worker, smtp) -> None:
    smtp.tempfail(True)
    with transaction.atomic():
        email_id = email_service.send(
            template="account/password_changed", to="cy@example.com", context={"display_name": "Cy"}
        )
    assert wait_for(lambda: row_of(email_id).attempts >= 2, timeout=20)
    assert "451" in row_of(email_id).last_error
    smtp.tempfail(False)
    wait_status(email_id, Status.SENT)
    assert len(smtp.wait_for(1)) == 1


def test_worker_killed_mid_send_delivers_exactly_once_after_restart(fast_worker, smtp) -> None:
    smtp.delay("rcpt", 30)  # the worker will sit inside the SMTP conversation
    with transaction.atomic():
        email_id = email_service.send(
            template="account/password_reset",
            to="dee@example.com",
            context={"display_name": "Dee", "reset_url": "/r/1"},
        )
    assert wait_for(lambda: smtp.stalled("rcpt"), timeout=20)
    assert row_of(email_id).status == Status.SENDING
    fast_worker.kill()  # SIGKILL: no ack, no cleanup; RabbitMQ redelivers the message
    smtp.delay("rcpt", None)
    restart_fast(fast_worker)
    smtp.wait_for(1, timeout=30)
    row = wait_status(email_id, Status.SENT)
    time.sleep(3)
    assert len(smtp.messages()) == 1
    assert row.attempts == 2
    assert row.possible_duplicate is False


def test_worker_killed_after_the_server_accepted_resends_with_the_same_message_id(fast_worker, smtp) -> None:
    """The one ambiguous window (after the final dot, before the reply): we choose at-least-once."""
    smtp.delay("data", 30)  # the sink stores the message, then withholds its 250 reply
    with transaction.atomic():
        email_id = email_service.send(
            template="account/password_reset",
            to="eve@example.com",
            context={"display_name": "Eve", "reset_url": "/r/2"},
        )
    assert wait_for(lambda: smtp.stalled("data"), timeout=20)
    assert row_of(email_id).dot_sent is True
    fast_worker.kill()
    smtp.delay("data", None)
    restart_fast(fast_worker)
    messages = smtp.wait_for(2, timeout=30)
    row = wait_status(email_id, Status.SENT)
    assert row.possible_duplicate is True
    assert len(messages) == 2
    assert messages[0]["Message-ID"] == messages[1]["Message-ID"] == row.message_id


def test_broker_unreachable_at_write_then_the_sweeper_delivers(fast_worker, smtp, s3, tmp_path) -> None:
    dead = f"amqp://guest:guest@127.0.0.1:{processes.free_port()}/gau"
    env = {**child_env(s3, smtp), "CELERY_BROKER_URL": dead}
    started = time.monotonic()
    result = subprocess.run(
        [processes.PYTHON, "manage.py", "send_test_email", "fay@example.com"],
        cwd=processes.ROOT,
        env={**__import__("os").environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert time.monotonic() - started < 20  # a broker outage does not hang the caller
    assert "email.enqueue_failed" in result.stderr
    email_id = result.stdout.strip().splitlines()[-1]
    assert row_of(email_id).status == Status.QUEUED
    time.sleep(2)
    assert smtp.messages() == []  # nobody published it

    beat_log = tmp_path / "beat.log"
    beat = processes.start(
        [processes.PYTHON, "-m", "celery", "-A", "gau", "beat", "-l", "info", "-s", str(tmp_path / "schedule")],
        env={**child_env(s3, smtp), **FAST},
        log_path=beat_log,
    )
    try:
        [message] = smtp.wait_for(1, timeout=40)
    finally:
        processes.stop(beat)
    assert message["Subject"] == "Gau test email"
    assert wait_status(email_id, Status.SENT).attempts == 1


def test_rolled_back_transaction_sends_nothing(celery_worker, smtp) -> None:
    class Abort(Exception):
        pass

    def register() -> None:
        with transaction.atomic():
            email_service.send(template="account/verify_email", to="gone@example.com", context=VERIFY)
            raise Abort

    with pytest.raises(Abort):
        register()
    # A committed email sent afterwards is a barrier: once it arrived, the queue was drained past the
    # point where the rolled-back one would have been.
    with transaction.atomic():
        barrier = email_service.send(template="account/verify_email", to="kept@example.com", context=VERIFY)
    [message] = smtp.wait_for(1)
    wait_status(barrier, Status.SENT)
    assert message["To"] == "kept@example.com"
    assert not OutboundEmail.objects.filter(to="gone@example.com").exists()


def test_permanent_rejection_fails_at_once_and_suppresses(fast_worker, smtp) -> None:
    smtp.reject("gil@example.com")
    with transaction.atomic():
        email_id = email_service.send(template="account/verify_email", to="gil@example.com", context=VERIFY)
    row = wait_status(email_id, Status.FAILED)
    assert row.attempts == 1
    assert "550" in row.last_error
    suppression = Suppression.objects.get(address="gil@example.com")
    assert suppression.source_email_id == row.id

    smtp.reject()  # the server would accept now, but Gau no longer sends ordinary mail there...
    with transaction.atomic():
        invitation = email_service.send(
            template="kanban/board_invitation",
            to="GIL@example.com",
            context={"inviter_name": "Hoa", "board_name": "Q4", "accept_url": "/b/1"},
        )
        security = email_service.send(
            template="account/password_changed", to="gil@example.com", context={"display_name": "Gil"}
        )
    assert wait_status(invitation, Status.SUPPRESSED).attempts == 0
    # ...except security notices, which always go out.
    [message] = smtp.wait_for(1)
    assert wait_status(security, Status.SENT)
    assert message["Subject"] == "Your Gau password was changed"


def test_a_burst_shares_drains_and_each_email_arrives_once(celery_worker, smtp) -> None:
    """30 requests, one email each: fewer drains than emails (one per burst), every row sent once."""
    log_start = celery_worker.log.stat().st_size
    ids = []
    for i in range(30):
        with transaction.atomic():
            ids.append(email_service.send(template="account/verify_email", to=f"burst{i}@example.com", context=VERIFY))
    messages = smtp.wait_for(30, timeout=60)
    assert wait_for(lambda: OutboundEmail.objects.filter(pk__in=ids, status=Status.SENT).count() == 30, timeout=30)
    time.sleep(1)
    assert len(smtp.messages()) == 30
    assert sorted(m["To"] for m in messages) == sorted(f"burst{i}@example.com" for i in range(30))
    log = celery_worker.log.read_bytes()[log_start:].decode(errors="replace")
    drains = log.count("Task email.drain[") // 2  # "received" and "succeeded" lines
    assert 1 <= drains < 30, log[-3000:]
    assert "Task email.deliver[" not in log  # fresh emails publish drains, not one task each


def test_worker_killed_mid_batch_delivers_every_row_exactly_once(fast_worker, smtp) -> None:
    """A drain claimed three rows and stalls in RCPT of the first: killed, the rows it never reached
    and the one it was sending are each delivered once after a restart, none flagged."""
    smtp.delay("rcpt", 30)
    with transaction.atomic():  # one commit: the three rows are claimed by one drain
        ids = [
            email_service.send(
                template="account/password_reset",
                to=f"batch{i}@example.com",
                context={"display_name": "B", "reset_url": "/r/9"},
            )
            for i in range(3)
        ]
    assert wait_for(lambda: smtp.stalled("rcpt"), timeout=20)
    assert OutboundEmail.objects.filter(pk__in=ids, status=Status.SENDING).count() == 3
    fast_worker.kill()
    smtp.delay("rcpt", None)
    restart_fast(fast_worker)
    smtp.wait_for(3, timeout=40)
    for email_id in ids:
        row = wait_status(email_id, Status.SENT)
        assert row.possible_duplicate is False
    time.sleep(3)
    assert sorted(m["To"] for m in smtp.messages()) == [f"batch{i}@example.com" for i in range(3)]


def test_a_server_without_pipelining_gets_one_command_at_a_time(fast_worker, smtp) -> None:
    """The envelope is pipelined only when the server advertises PIPELINING; without it, the same
    outcomes: delivery, and a refused recipient failed and suppressed."""
    smtp.pipelining(False)
    restart_fast(fast_worker)  # a fresh SMTP connection, which reads the server's EHLO again
    smtp.reject("ina@example.com")
    with transaction.atomic():
        sent = email_service.send(template="account/verify_email", to="hal@example.com", context=VERIFY)
        refused = email_service.send(template="account/verify_email", to="ina@example.com", context=VERIFY)
    [message] = smtp.wait_for(1)
    assert message["To"] == "hal@example.com"
    assert "queued as" in wait_status(sent, Status.SENT).smtp_response
    assert "550" in wait_status(refused, Status.FAILED).last_error
    assert Suppression.objects.filter(address="ina@example.com").exists()
