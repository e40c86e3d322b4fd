"""Routes under /api/v2/kanban/ (reminders and notifications part; included by ``urls``)."""

from django.urls import URLPattern, URLResolver, path

from apps.kanban.api import views_notify as v

urlpatterns: list[URLPattern | URLResolver] = [
    path("tasks/<uuid:task_id>/watch", v.TaskWatchApi.as_view(), name="task-watch"),
    path("boards/<uuid:board_id>/watch", v.BoardWatchApi.as_view(), name="board-watch"),
    path("me/notifications", v.NotificationPrefsApi.as_view(), name="notification-prefs"),
]
