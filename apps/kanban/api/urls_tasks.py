"""Routes under /api/v2/kanban/ (tasks part; included by ``urls``): the board read, tasks, checklists,
comments, attachments and activity.

``GET boards/<id>`` (:class:`~apps.kanban.api.views_tasks.BoardReadApi`) is routed in ``urls_projects``,
whose board detail view serves GET, PATCH and DELETE."""

from django.urls import URLPattern, URLResolver, path

from apps.kanban.api import views_tasks as v

urlpatterns: list[URLPattern | URLResolver] = [
    path("boards/<uuid:board_id>/tasks", v.BoardTaskListCreateApi.as_view(), name="board-tasks"),
    path("boards/<uuid:board_id>/activity", v.BoardActivityApi.as_view(), name="board-activity"),
    path("tasks/<uuid:task_id>", v.TaskDetailApi.as_view(), name="task"),
    path("tasks/<uuid:task_id>/move", v.TaskMoveApi.as_view(), name="task-move"),
    path("tasks/<uuid:task_id>/activity", v.TaskActivityApi.as_view(), name="task-activity"),
    path("tasks/<uuid:task_id>/checklist", v.ChecklistCreateApi.as_view(), name="task-checklist"),
    path("tasks/<uuid:task_id>/comments", v.CommentListCreateApi.as_view(), name="task-comments"),
    path("tasks/<uuid:task_id>/attachments", v.AttachmentListCreateApi.as_view(), name="task-attachments"),
    path("checklist-items/<uuid:item_id>", v.ChecklistItemApi.as_view(), name="checklist-item"),
    path("comments/<uuid:comment_id>", v.CommentDetailApi.as_view(), name="comment"),
    path("attachments/<uuid:attachment_id>", v.AttachmentDetailApi.as_view(), name="attachment"),
]
