"""Routes under /api/v2/authz/."""

from django.urls import URLPattern, URLResolver

app_name = "authz"
urlpatterns: list[URLPattern | URLResolver] = []
