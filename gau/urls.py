"""Root URLs: admin, API schema and docs, health, each served app's API, internal RPC."""

from __future__ import annotations

import importlib.util

from django.conf import settings
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from apps.account.admin import admin_login
from gau import health
from gau.metrics.views import metrics_view

admin.site.site_header = "Gau administration"
admin.site.site_title = "Gau admin"
admin.site.site_url = None  # no "view site" link: Gau has no home page

urlpatterns: list[URLPattern | URLResolver] = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    # The admin's sign-in under the account rules (throttle, MFA, verified address, new-device notice).
    path("admin/login/", admin_login, name="admin-login"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    path("internal/rpc/", include("gau.rpc.urls")),
    # Prometheus scrape (404 unless GAU_METRICS is on and the bearer matches); never routed by the ingress.
    path("internal/metrics", metrics_view, name="metrics"),
]

# Each served app mounts apps/<app>/api/urls.py under /api/v2/<app>/, and, if it has one,
# apps/<app>/api/root_urls.py at the site root (e.g. /images/ or /.well-known/jwks.json).
for _app in settings.GAU_SERVED_APPS:
    if importlib.util.find_spec(f"apps.{_app}.api.urls"):
        urlpatterns.append(path(f"api/v2/{_app}/", include(f"apps.{_app}.api.urls")))
    if importlib.util.find_spec(f"apps.{_app}.api.root_urls"):
        urlpatterns.append(path("", include(f"apps.{_app}.api.root_urls")))
