"""Routes under /api/v2/kanban/ (live board events; included by ``urls``)."""

from django.urls import URLPattern, URLResolver, path

from apps.kanban.api import views_events as views

urlpatterns: list[URLPattern | URLResolver] = [
    path("boards/<uuid:board_id>/events", views.board_events, name="board-events"),
    path("boards/<uuid:board_id>/events/token", views.BoardEventsTokenApi.as_view(), name="board-events-token"),
]
