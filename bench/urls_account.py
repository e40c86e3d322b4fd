"""URLs of the account benchmarks' baseline server: the foundation's bare view and raw Argon2."""

from django.urls import URLPattern, path

from bench.account_views import raw_argon2
from bench.views import bare_ping
from gau import health

urlpatterns: list[URLPattern] = [
    path("healthz", health.healthz),
    path("bench/ping", bare_ping),
    path("bench/argon2", raw_argon2),
]
