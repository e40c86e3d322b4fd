"""Celery tasks of the kanban app, named explicitly "kanban.<task>"."""

from __future__ import annotations

import uuid

from celery import shared_task
from celery.contrib.django.task import DjangoTask

from apps.kanban.services import trello_import


@shared_task(
    name="kanban.import_board",
    base=DjangoTask,
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    soft_time_limit=1700,
    time_limit=1800,
)
def import_board(import_id: str) -> None:
    """Run board import ``import_id`` (idempotent: a finished import is left alone; a rerun after a killed
    worker starts clean, since the killed run's transaction was rolled back)."""
    trello_import.run_import(uuid.UUID(import_id))
