"""Routes under /api/v2/authz/."""

from django.urls import URLPattern, URLResolver, path

from apps.authz.api import views

app_name = "authz"
urlpatterns: list[URLPattern | URLResolver] = [
    path("token/refresh", views.TokenRefreshApi.as_view(), name="token-refresh"),
    path("api-keys", views.ApiKeyListCreateApi.as_view(), name="api-keys"),
    path("api-keys/<uuid:key_id>", views.ApiKeyDeleteApi.as_view(), name="api-key"),
]
