"""gau.tasks.OutboxTask (the base of the email, account and kanban outbox tasks): a broker that is away
never makes the caller fail; the publish is logged as ``<app>.enqueue_failed`` and left to the sweeper."""

from __future__ import annotations

import logging
import time

import pytest
from celery import Celery
from django.db import transaction

from gau.tasks import OutboxTask
from tests.support import processes


@pytest.fixture
def dead_broker_app(monkeypatch: pytest.MonkeyPatch) -> Celery:
    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)  # Celery prefers it to the broker argument
    broker = f"amqp://guest:guest@127.0.0.1:{processes.free_port()}//"
    # Not the current app: the shared tasks of later tests must keep publishing to the real broker.
    app = Celery("outbox-task-test", broker=broker, set_as_current=False)
    assert app.connection_for_write().port != 5672
    app.conf.broker_connection_timeout = 1
    app.conf.task_always_eager = False
    return app


def test_publish_to_an_unreachable_broker_is_logged_not_raised(dead_broker_app, caplog) -> None:
    @dead_broker_app.task(name="kanban.example", base=OutboxTask, shared=False)
    def example(x: str) -> str:
        return x

    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="apps.kanban"):
        assert example.apply_async_safely("1") is None
        assert example.delay("2") is None  # delay goes through the same path
    assert time.monotonic() - started < 15
    messages = [r.getMessage() for r in caplog.records if r.name == "apps.kanban"]
    assert len(messages) == 2
    assert messages[0].startswith("kanban.enqueue_failed task=kanban.example error=")


@pytest.mark.django_db(transaction=True)
def test_publish_on_commit_waits_for_the_commit_and_never_runs_on_rollback(dead_broker_app, caplog) -> None:
    @dead_broker_app.task(name="account.example", base=OutboxTask, shared=False)
    def example() -> None:
        return None

    def rolled_back() -> None:
        with transaction.atomic():
            example.apply_async_safely_on_commit()
            raise RuntimeError

    with caplog.at_level(logging.WARNING, logger="apps.account"):
        with pytest.raises(RuntimeError):
            rolled_back()
        assert not caplog.records  # rolled back: nothing published
        with transaction.atomic():
            example.apply_async_safely_on_commit()
            assert not caplog.records  # not before the commit
    assert [r.getMessage().split(" ", 1)[0] for r in caplog.records] == ["account.enqueue_failed"]
