"""Routes at the site root: the image CDN."""

from django.urls import URLPattern, URLResolver, path

from apps.cdn.api.views import image_view

urlpatterns: list[URLPattern | URLResolver] = [
    path("images/<str:key>", image_view, name="cdn-image"),
]
