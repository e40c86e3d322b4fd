"""Routes under /api/v2/kanban/ (projects part; included by ``urls``)."""

from django.urls import URLPattern, URLResolver, path

from apps.kanban.api import views_projects as views

urlpatterns: list[URLPattern | URLResolver] = [
    path("projects", views.ProjectListCreateApi.as_view(), name="projects"),
    path("projects/<uuid:project_id>", views.ProjectDetailApi.as_view(), name="project"),
    path("projects/<uuid:project_id>/members", views.MemberListApi.as_view(), name="members"),
    path("projects/<uuid:project_id>/members/<uuid:user_id>", views.MemberDetailApi.as_view(), name="member"),
    path("projects/<uuid:project_id>/invitations", views.InvitationCreateApi.as_view(), name="invitations"),
    path("invitations/accept", views.InvitationAcceptApi.as_view(), name="invitation-accept"),
    path("projects/<uuid:project_id>/boards", views.BoardListCreateApi.as_view(), name="boards"),
    path("boards/<uuid:board_id>", views.BoardDetailApi.as_view(), name="board"),
    path("boards/<uuid:board_id>/columns", views.ColumnCreateApi.as_view(), name="columns"),
    path("columns/<uuid:column_id>", views.ColumnDetailApi.as_view(), name="column"),
    path("boards/<uuid:board_id>/labels", views.LabelListCreateApi.as_view(), name="labels"),
    path("labels/<uuid:label_id>", views.LabelDetailApi.as_view(), name="label"),
]
