"""Routes under /api/v2/kanban/."""

from django.urls import URLPattern, URLResolver

app_name = "kanban"
urlpatterns: list[URLPattern | URLResolver] = []
