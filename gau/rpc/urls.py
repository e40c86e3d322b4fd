"""Internal RPC routes, mounted by ``gau.urls`` under ``/internal/rpc/``."""

from django.urls import path

from gau.rpc.views import rpc_view

urlpatterns = [
    path("<slug:app>/<slug:method>/", rpc_view, name="rpc"),
]
