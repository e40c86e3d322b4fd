"""Routes under /api/v2/kanban/ (projects part; included by ``urls``)."""

from django.urls import URLPattern, URLResolver

urlpatterns: list[URLPattern | URLResolver] = []
