from django.apps import AppConfig


class KanbanConfig(AppConfig):
    name = "apps.kanban"
    label = "kanban"
    verbose_name = "Kanban"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from apps.kanban import scheduler
        from apps.kanban.services import changes, notifications, reminders

        changes.register_in_transaction(reminders.on_change)
        changes.register_in_transaction(notifications.on_change)
        scheduler.start_if_embedded()
