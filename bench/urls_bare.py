"""URLs for the baseline server: the bare view and a health check, nothing else."""

from django.urls import URLPattern, path

from bench.views import bare_ping
from gau import health

urlpatterns: list[URLPattern] = [
    path("healthz", health.healthz),
    path("bench/ping", bare_ping),
]
