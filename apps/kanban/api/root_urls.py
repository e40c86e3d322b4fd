"""Hosted pages at the site root, at the path the invitation emails link to (see ``pages.py``)."""

from django.urls import URLPattern, URLResolver, path

from apps.kanban.api import pages
from gau.pages import page_view

urlpatterns: list[URLPattern | URLResolver] = [
    path("kanban/invitations/accept", page_view(pages.InvitationAcceptPage), name="page-kanban-invitation-accept"),
]
