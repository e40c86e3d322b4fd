"""Routes under /api/v2/upload/."""

from django.urls import URLPattern, URLResolver

app_name = "upload"
urlpatterns: list[URLPattern | URLResolver] = []
