"""URLs for the candidate server: the bench view at an API path, then every production route (gau.urls)."""

from django.urls import URLPattern, URLResolver, path

from bench.views import PingApi
from gau.urls import urlpatterns as gau_urlpatterns

urlpatterns: list[URLPattern | URLResolver] = [
    # Where an app's API lives (/api/v2/<app>/...), so it runs the middleware every API request runs.
    path("api/v2/bench/ping", PingApi.as_view()),
    *gau_urlpatterns,
]
