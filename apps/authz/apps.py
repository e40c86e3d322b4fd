from django.apps import AppConfig


class AuthzConfig(AppConfig):
    name = "apps.authz"
    label = "authz"
    verbose_name = "Authz"
    default_auto_field = "django.db.models.BigAutoField"
