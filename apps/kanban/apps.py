from django.apps import AppConfig


class KanbanConfig(AppConfig):
    name = "apps.kanban"
    label = "kanban"
    verbose_name = "Kanban"
    default_auto_field = "django.db.models.BigAutoField"
