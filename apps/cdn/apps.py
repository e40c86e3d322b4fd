from django.apps import AppConfig


class CdnConfig(AppConfig):
    name = "apps.cdn"
    label = "cdn"
    verbose_name = "Cdn"
    default_auto_field = "django.db.models.BigAutoField"
