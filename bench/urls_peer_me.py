"""Gau's routes plus the simplejwt peer's ``me`` at an API path (same middleware as Gau's API)."""

from django.urls import URLPattern, URLResolver, path

from bench.peer_me import PeerMeApi
from gau.urls import urlpatterns as gau_urlpatterns

urlpatterns: list[URLPattern | URLResolver] = [
    path("api/v2/peer/me", PeerMeApi.as_view()),
    *gau_urlpatterns,
]
