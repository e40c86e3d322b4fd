from django.apps import AppConfig


class UploadConfig(AppConfig):
    name = "apps.upload"
    label = "upload"
    verbose_name = "Upload"
    default_auto_field = "django.db.models.BigAutoField"
