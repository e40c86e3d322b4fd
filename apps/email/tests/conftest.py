"""Fixtures of the email tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture
def eager() -> Iterator[None]:
    """Run Celery tasks in-process (the embedded, broker-less mode) for this test."""
    from gau.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        yield
    finally:
        app.conf.task_always_eager = previous


VERIFY = {"display_name": "Ana", "verify_url": "/account/verify?token=t0k3n"}
