"""Routes under /api/v2/account/."""

from django.urls import URLPattern, URLResolver

app_name = "account"
urlpatterns: list[URLPattern | URLResolver] = []
