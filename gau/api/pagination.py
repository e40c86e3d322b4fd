"""Cursor pagination: the one way Gau lists things."""

from rest_framework import pagination


class CursorPagination(pagination.CursorPagination):
    """Opaque ``cursor`` links, newest first by default; ``page_size`` up to 200."""

    ordering = "-created_at"
    page_size_query_param = "page_size"
    max_page_size = 200
