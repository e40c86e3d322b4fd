from django.apps import AppConfig


class KanbanConfig(AppConfig):
    name = "apps.kanban"
    label = "kanban"
    verbose_name = "Kanban"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.conf import settings

        from apps.kanban import scheduler
        from apps.kanban.services import changes, live, notifications, reminders, webhook_delivery, webhooks

        # Outbox rows (webhook deliveries, reminder schedules, notifications) are written inside each
        # change's transaction, so a rolled-back change leaves none.
        changes.register_in_transaction(webhooks.outbox_hook)
        changes.register_in_transaction(reminders.on_change)
        changes.register_in_transaction(notifications.on_change)
        # Live board events: after commit, to the board's stream (Redis, or this process without it).
        changes.subscribe(live.on_committed)
        # No broker (make run): webhook deliveries, retries and sweeps, reminder scans and notification
        # flushes run on in-process threads of the serving process.
        if settings.KANBAN_WEBHOOKS.get("INPROCESS_AUTOSTART") and settings.CELERY_TASK_ALWAYS_EAGER:
            webhook_delivery.in_process.start()
        scheduler.start_if_embedded()
