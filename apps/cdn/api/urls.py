"""Routes under /api/v2/cdn/."""

from django.urls import URLPattern, URLResolver

app_name = "cdn"
urlpatterns: list[URLPattern | URLResolver] = []
