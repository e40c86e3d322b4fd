from django.apps import AppConfig


class KanbanConfig(AppConfig):
    name = "apps.kanban"
    label = "kanban"
    verbose_name = "Kanban"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.conf import settings

        from apps.kanban.services import changes, webhook_delivery, webhooks

        # Webhook outbox rows are written inside each change's transaction.
        changes.register_in_transaction(webhooks.outbox_hook)
        # No broker (make run): deliveries, retries and the sweep run on an in-process thread.
        if settings.KANBAN_WEBHOOKS.get("INPROCESS_AUTOSTART") and settings.CELERY_TASK_ALWAYS_EAGER:
            webhook_delivery.in_process.start()
