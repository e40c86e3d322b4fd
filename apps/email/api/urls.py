"""Routes under /api/v2/email/."""

from django.urls import URLPattern, URLResolver

app_name = "email"
urlpatterns: list[URLPattern | URLResolver] = []
