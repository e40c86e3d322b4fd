"""Data owned by the email app: the outbox and the suppression list.

No ForeignKey to another app's models: store ids.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone


class OutboundEmail(models.Model):
    """One email asked for: written in the caller's transaction, delivered by the ``email.deliver`` task.

    Life cycle: ``queued`` → ``sending`` → ``sent`` | ``failed``, or ``suppressed`` (never sent because the
    address hard-bounced). A temporary failure puts the row back to ``queued`` with a later
    ``next_attempt_at``. ``attempt_token`` identifies the attempt that owns a ``sending`` row;
    ``dot_sent`` records that the attempt reached the end of SMTP DATA (the point after which the server
    may have accepted the message), see README "Guarantees".
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        SUPPRESSED = "suppressed", "Suppressed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    template = models.CharField(max_length=100)
    to = models.EmailField(max_length=254)
    context = models.JSONField(default=dict, blank=True)
    locale = models.CharField(max_length=16, default="en")
    idempotency_key = models.CharField(max_length=200, null=True, blank=True, unique=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    send_at = models.DateTimeField(null=True, blank=True, help_text="Not before this time (None: at once).")
    next_attempt_at = models.DateTimeField(default=timezone.now)
    enqueued_at = models.DateTimeField(
        null=True, blank=True, help_text="When a delivery task was last published (or is due to run)."
    )
    attempt_token = models.UUIDField(null=True, blank=True)
    sending_started_at = models.DateTimeField(null=True, blank=True)
    dot_sent = models.BooleanField(default=False)
    #: The W3C trace context of the request that asked for the email: its delivery joins that trace even
    #: when the sweeper publishes it later (gau/tracing.py). Empty with tracing off.
    traceparent = models.CharField(max_length=64, blank=True, default="")
    possible_duplicate = models.BooleanField(
        default=False, help_text="A previous attempt died after the server may have accepted the message."
    )
    last_error = models.TextField(blank=True)
    smtp_response = models.CharField(max_length=500, blank=True)
    message_id = models.CharField(max_length=255, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="email_out_status_due"),
            models.Index(fields=["template", "created_at"], name="email_out_template"),
            models.Index(fields=["to"], name="email_out_to"),
            models.Index(fields=["created_at"], name="email_out_created"),
        ]

    def __str__(self) -> str:
        return f"{self.template} to {self.to} ({self.status})"


class Suppression(models.Model):
    """An address Gau stops sending to (a permanent SMTP rejection) until ``expires_at``.

    Security messages are sent regardless (see ``apps.email.catalog``).
    """

    address = models.EmailField(max_length=254, unique=True, help_text="Lower-cased.")
    reason = models.CharField(max_length=500, blank=True)
    source_email_id = models.UUIDField(null=True, blank=True, help_text="The outbox row that bounced.")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.address} until {self.expires_at:%Y-%m-%d}"
