from django.apps import AppConfig


class EmailConfig(AppConfig):
    name = "apps.email"
    label = "email"
    verbose_name = "Email"
    default_auto_field = "django.db.models.BigAutoField"
