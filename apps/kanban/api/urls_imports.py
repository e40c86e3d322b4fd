"""Routes under /api/v2/kanban/ (import/export part; included by ``urls``): Trello import and board export."""

from django.urls import URLPattern, URLResolver, path

from apps.kanban.api import views_imports as v

urlpatterns: list[URLPattern | URLResolver] = [
    path("imports/trello", v.TrelloImportApi.as_view(), name="imports-trello"),
    path("imports/<uuid:import_id>", v.ImportDetailApi.as_view(), name="import"),
    path("boards/<uuid:board_id>/export", v.BoardExportApi.as_view(), name="board-export"),
]
