"""URLs for the candidate server: every production route (gau.urls) first, then the bench view."""

from django.urls import URLPattern, URLResolver, path

from bench.views import PingApi
from gau.urls import urlpatterns as gau_urlpatterns

urlpatterns: list[URLPattern | URLResolver] = [
    *gau_urlpatterns,
    path("bench/ping", PingApi.as_view()),
]
