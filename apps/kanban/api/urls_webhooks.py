"""Routes under /api/v2/kanban/ (webhooks part; included by ``urls``)."""

from django.urls import URLPattern, URLResolver, path

from apps.kanban.api import views_webhooks as views

urlpatterns: list[URLPattern | URLResolver] = [
    path("projects/<uuid:project_id>/webhooks", views.WebhookListCreateApi.as_view(), name="webhooks"),
    path("webhooks/<uuid:webhook_id>", views.WebhookDetailApi.as_view(), name="webhook"),
    path("webhooks/<uuid:webhook_id>/ping", views.WebhookPingApi.as_view(), name="webhook-ping"),
    path("webhooks/<uuid:webhook_id>/deliveries", views.DeliveryListApi.as_view(), name="webhook-deliveries"),
    path("deliveries/<uuid:delivery_id>/redeliver", views.DeliveryRedeliverApi.as_view(), name="delivery-redeliver"),
]
