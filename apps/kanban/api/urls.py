"""Routes under /api/v2/kanban/: projects, members, invitations, boards, columns and labels in
``urls_projects``; tasks, checklists, comments, attachments and activity in ``urls_tasks``."""

from django.urls import URLPattern, URLResolver

from apps.kanban.api import urls_events, urls_imports, urls_notify, urls_projects, urls_tasks, urls_webhooks

app_name = "kanban"
urlpatterns: list[URLPattern | URLResolver] = [
    *urls_projects.urlpatterns,
    *urls_tasks.urlpatterns,
    *urls_imports.urlpatterns,
    *urls_webhooks.urlpatterns,
    *urls_notify.urlpatterns,
    *urls_events.urlpatterns,
]
