"""Routes under /api/v2/upload/."""

from django.urls import URLPattern, URLResolver, path

from apps.upload.api import tus, views

app_name = "upload"
urlpatterns: list[URLPattern | URLResolver] = [
    path("files", views.FileListCreateApi.as_view(), name="files"),
    path("files/<uuid:file_id>", views.FileDetailApi.as_view(), name="file"),
    path("tus/", tus.TusCreateApi.as_view(), name="tus"),
    path("tus/<uuid:upload_id>", tus.TusUploadApi.as_view(), name="tus-upload"),
    path("quota", views.QuotaApi.as_view(), name="quota"),
]
