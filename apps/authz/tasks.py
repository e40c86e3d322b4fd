"""Celery tasks of the authz app, named explicitly "authz.<task>"."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.db.models import Q
from django.utils import timezone

from apps.authz import conf, revocation
from apps.authz.models import Session


@shared_task(name="authz.purge_expired_sessions")
def purge_expired_sessions(keep_days: int = 30) -> int:
    """Delete sessions past their expiry or revoked more than ``keep_days`` ago. Returns how many."""
    now = timezone.now()
    _, per_model = Session.objects.filter(
        Q(expires_at__lte=now) | Q(revoked_at__lte=now - timedelta(days=keep_days))
    ).delete()
    return per_model.get(Session._meta.label, 0)  # not counting their refresh-token rows


@shared_task(name="authz.republish_revocations")
def republish_revocations() -> int:
    """Re-publish revocations whose tokens may still be live (heals a Redis outage or flush). Returns how many."""
    window = timedelta(seconds=conf.get("AUTHZ_ACCESS_TOKEN_LIFETIME") + conf.get("AUTHZ_LEEWAY") + 60)
    ids = list(Session.objects.filter(revoked_at__gte=timezone.now() - window).values_list("id", flat=True))
    revocation.publish(ids)
    return len(ids)
