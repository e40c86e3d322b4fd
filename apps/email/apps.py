from django.apps import AppConfig
from django.conf import settings


class EmailConfig(AppConfig):
    name = "apps.email"
    label = "email"
    verbose_name = "Email"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        if settings.GAU_METRICS and "email" in settings.GAU_SERVED_APPS:
            from apps.email.metrics import collector
            from gau.metrics import register_scrape_collector

            register_scrape_collector(collector)
