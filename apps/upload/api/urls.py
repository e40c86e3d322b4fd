"""Routes under /api/v2/upload/."""

from django.urls import URLPattern, URLResolver, path

from apps.upload.api import views

app_name = "upload"
urlpatterns: list[URLPattern | URLResolver] = [
    path("files", views.FileListCreateApi.as_view(), name="files"),
    path("files/<uuid:file_id>", views.FileDetailApi.as_view(), name="file"),
    path("quota", views.QuotaApi.as_view(), name="quota"),
]
