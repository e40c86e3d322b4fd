"""drf-spectacular helpers: hide internal endpoints, document the one error shape."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers

from gau.api.errors import STATUS_DEFAULTS

ErrorSerializer = inline_serializer(
    name="Error",
    fields={
        "error": inline_serializer(
            name="ErrorBody",
            fields={
                "code": serializers.CharField(help_text="Stable machine-readable code, snake_case."),
                "message": serializers.CharField(help_text="Human-readable sentence."),
                "details": serializers.DictField(help_text="Structured context, e.g. field errors."),
            },
        )
    },
)


CURSOR_400 = (
    " `invalid_cursor`: the `cursor` is not one this list handed out;"
    " `invalid_input`: `page_size` is not a whole number from 1 to 200."
)


def errors(*statuses: int) -> dict[int, OpenApiResponse]:
    """``responses=`` entries for ``extend_schema``: each status documented with the error shape."""
    return {
        status: OpenApiResponse(response=ErrorSerializer, description=STATUS_DEFAULTS.get(status, ("", ""))[1])
        for status in statuses
    }


def exclude_internal_endpoints(endpoints: list[tuple[Any, ...]], **kwargs: Any) -> list[tuple[Any, ...]]:
    """Preprocessing hook: internal RPC and operational endpoints are not part of the public API."""
    return [e for e in endpoints if not e[0].startswith(("/internal/", "/healthz", "/readyz"))]


def add_error_responses(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """Postprocessing hook: every operation documents the 400/405/413/500 family in the error shape.

    Endpoint-specific errors (401, 403, 404, 409, 429...) are declared on each view with :func:`errors`.
    Every paginated list (an operation taking ``cursor``) documents the 400 ``invalid_cursor``.
    """
    ref = {"$ref": "#/components/schemas/Error"}
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    if "Error" not in schemas:
        schemas["Error"] = {
            "type": "object",
            "properties": {
                "error": {
                    "type": "object",
                    "properties": {
                        "code": {"type": "string"},
                        "message": {"type": "string"},
                        "details": {"type": "object", "additionalProperties": {}},
                    },
                    "required": ["code", "message", "details"],
                }
            },
            "required": ["error"],
        }
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            responses = operation.setdefault("responses", {})
            if method in {"post", "put", "patch"}:
                for status in ("400", "413", "415"):
                    responses.setdefault(
                        status,
                        {
                            "description": STATUS_DEFAULTS[int(status)][1],
                            "content": {"application/json": {"schema": ref}},
                        },
                    )
            if any(p.get("name") == "cursor" and p.get("in") == "query" for p in operation.get("parameters", [])):
                bad = responses.setdefault(
                    "400",
                    {"description": STATUS_DEFAULTS[400][1], "content": {"application/json": {"schema": ref}}},
                )
                bad["description"] = (bad.get("description") or STATUS_DEFAULTS[400][1]) + CURSOR_400
            responses.setdefault(
                "500", {"description": STATUS_DEFAULTS[500][1], "content": {"application/json": {"schema": ref}}}
            )
    return result
