"""Fixtures of the kanban tests (helpers live in ``factories``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from apps.kanban.tests.factories import World, make_world


@pytest.fixture
def world(db: None) -> World:
    """A project with one user per role, a stranger, a board with two columns and a label."""
    return make_world()


@pytest.fixture(autouse=True)
def _email_in_process_without_worker(request: pytest.FixtureRequest) -> Iterator[None]:
    """Without ``celery_worker``, mail is delivered in-process after commit (never by a session worker
    that could read the outbox while a transactional test flushes the tables)."""
    if "celery_worker" in request.fixturenames:
        yield
        return
    from celery import current_app

    previous = current_app.conf.task_always_eager
    current_app.conf.task_always_eager = True
    try:
        yield
    finally:
        current_app.conf.task_always_eager = previous
