"""Cursor pagination: the one way Gau lists things.

A cursor that this server did not hand out (not base64, unknown fields, a position that is not a
value of the ordering field) is a 400 ``invalid_cursor`` in the error shape, never a 404 or a 500, and
a ``page_size`` that is not a positive whole number a 400 ``invalid_input`` (it was silently ignored);
the schema documents both on every paginated list (:func:`gau.api.schema.add_error_responses`).
"""

from __future__ import annotations

import binascii
from base64 import b64decode
from collections.abc import Sequence
from typing import Any
from urllib import parse

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from rest_framework import exceptions, pagination
from rest_framework.request import Request
from rest_framework.views import APIView

INVALID_CURSOR = "invalid_cursor"
_CURSOR_FIELDS = frozenset({"o", "r", "p"})


def invalid_cursor() -> exceptions.APIException:
    """The 400 a bad cursor answers (code ``invalid_cursor``)."""
    return exceptions.ParseError("The cursor is not valid; start again from the first page.", code=INVALID_CURSOR)


class CursorPagination(pagination.CursorPagination):
    """Opaque ``cursor`` links, newest first by default; ``page_size`` up to 200."""

    ordering = "-created_at"
    page_size_query_param = "page_size"
    max_page_size = 200

    def decode_cursor(self, request: Request) -> pagination.Cursor | None:
        encoded = request.query_params.get(self.cursor_query_param)
        if not encoded:  # absent, or the empty cursor of the first page
            return None
        try:
            querystring = b64decode(encoded.encode("ascii"), validate=True).decode("ascii")
            tokens = parse.parse_qs(querystring, keep_blank_values=True, strict_parsing=True)
        except (UnicodeError, ValueError, binascii.Error):
            raise invalid_cursor() from None
        if not tokens or set(tokens) - _CURSOR_FIELDS or any(len(v) != 1 for v in tokens.values()):
            raise invalid_cursor()
        try:
            return super().decode_cursor(request)
        except exceptions.NotFound:
            raise invalid_cursor() from None

    def get_page_size(self, request: Request) -> int | None:
        """``page_size`` must be a positive whole number (a larger one is capped at ``max_page_size``)."""
        raw = request.query_params.get(self.page_size_query_param or "page_size")
        if raw is None:
            return self.page_size
        if not raw.isdigit() or int(raw) < 1:
            raise exceptions.ValidationError({"page_size": [f"A whole number from 1 to {self.max_page_size}."]})
        return min(int(raw), self.max_page_size or int(raw))

    def paginate_queryset(
        self, queryset: QuerySet[Any, Any] | Sequence[Any], request: Request, view: APIView | None = None
    ) -> list[Any] | None:
        try:
            return super().paginate_queryset(queryset, request, view)
        except DjangoValidationError:  # the cursor's position is not a value of the ordering field
            raise invalid_cursor() from None
