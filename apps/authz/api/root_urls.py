"""Routes at the site root: the JWKS document."""

from django.urls import URLPattern, URLResolver, path

from apps.authz.api import views

urlpatterns: list[URLPattern | URLResolver] = [
    path(".well-known/jwks.json", views.JwksApi.as_view(), name="authz-jwks"),
]
