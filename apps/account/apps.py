from django.apps import AppConfig


class AccountConfig(AppConfig):
    name = "apps.account"
    label = "account"
    verbose_name = "Account"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from apps.account import me_cache

        me_cache.connect()
