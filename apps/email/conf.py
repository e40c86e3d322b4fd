"""The email pipeline's tunables, read from ``settings.EMAIL_OUTBOX`` (environment-driven in gau/settings.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    # Delay before retry n (seconds); the last value repeats. Jitter of ±JITTER is applied.
    "RETRY_DELAYS": [30, 120, 600, 3600, 21600],
    "JITTER": 0.2,
    # Attempts in all (the first one included) before a temporary failure becomes "failed".
    "MAX_ATTEMPTS": 6,
    # A queued row due this long without being picked up is re-enqueued by the sweeper.
    "STUCK_AFTER": 300,
    # How long an attempt owns a "sending" row; after that a redelivery or the sweeper takes over.
    "SENDING_LEASE": 120,
    # Retries due sooner than this are published with a countdown; later ones wait for the sweeper
    # (long ETA messages held unacked by a worker trip RabbitMQ's consumer_timeout).
    "MAX_COUNTDOWN": 300,
    "SWEEP_INTERVAL": 60,
    "SUPPRESSION_DAYS": 30,
    # Rows one ``email.drain`` task claims at once and sends over one SMTP connection.
    "BATCH_SIZE": 50,
    # Threads a drain sends its batch with, each over its own SMTP connection (and database connection).
    "SEND_THREADS": 4,
}


@dataclass(frozen=True)
class OutboxConf:
    retry_delays: tuple[int, ...]
    jitter: float
    max_attempts: int
    stuck_after: int
    sending_lease: int
    max_countdown: int
    sweep_interval: int
    suppression_days: int
    batch_size: int
    send_threads: int


def get() -> OutboxConf:
    """The current configuration (settings are re-read on each call, so tests can override them)."""
    raw = {**DEFAULTS, **getattr(settings, "EMAIL_OUTBOX", {})}
    return OutboxConf(
        retry_delays=tuple(int(x) for x in raw["RETRY_DELAYS"]) or (30,),
        jitter=float(raw["JITTER"]),
        max_attempts=int(raw["MAX_ATTEMPTS"]),
        stuck_after=int(raw["STUCK_AFTER"]),
        sending_lease=int(raw["SENDING_LEASE"]),
        max_countdown=int(raw["MAX_COUNTDOWN"]),
        sweep_interval=int(raw["SWEEP_INTERVAL"]),
        suppression_days=int(raw["SUPPRESSION_DAYS"]),
        batch_size=max(1, int(raw["BATCH_SIZE"])),
        send_threads=max(1, int(raw["SEND_THREADS"])),
    )
