"""Live board events: ``GET boards/{id}/events`` (Server-Sent Events) and ``POST boards/{id}/events/token``.

The stream is a plain async Django view, not DRF (DRF views are sync, and a stream must not hold a
thread): served by an ASGI server it costs a coroutine per follower. It authenticates itself with a
``?token=`` from the token endpoint (EventSource cannot send headers) or the usual bearer JWT / API key
(``kanban:read``), verified through the authz service package. Under WSGI (``make run``'s runserver)
the same stream is consumed on the request's thread.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Iterator

from django.core.handlers.asgi import ASGIRequest
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponseBase, StreamingHttpResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from redis.exceptions import RedisError
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.response import Response

from apps.authz.services import ApiKeyAuthentication, BearerTokenAuthentication, PrincipalData
from apps.kanban.api.permissions import KanbanApiView, caller_id
from apps.kanban.services import live
from apps.kanban.services.boards import board_access
from apps.kanban.services.errors import KanbanNotFoundError
from gau.api.errors import UNAVAILABLE_RETRY_AFTER, error_response
from gau.api.schema import errors
from gau.rpc import ServiceError

logger = logging.getLogger(__name__)

_AUTHENTICATORS = (BearerTokenAuthentication(), ApiKeyAuthentication())


class _Refused(Exception):
    def __init__(self, status: int, code: str | None = None, message: str | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _header_principal(request: HttpRequest) -> PrincipalData:
    """The bearer-token or API-key principal (blocking: a revocation check may read Redis)."""
    drf_request = Request(request)
    for authenticator in _AUTHENTICATORS:
        try:
            found = authenticator.authenticate(drf_request)
        except exceptions.AuthenticationFailed as exc:
            codes = exc.get_codes()
            raise _Refused(401, codes if isinstance(codes, str) else None, str(exc.detail)) from None
        if found is not None:
            principal = found[0]
            if not principal.allows("kanban", "read"):
                raise _Refused(403, "authz.insufficient_scope", "This API key's scopes do not allow this request.")
            return principal
    raise _Refused(401)


def _last_event_id(request: HttpRequest) -> int | None:
    raw = request.headers.get("Last-Event-ID") or request.GET.get("last_event_id")
    if raw is None or raw.strip() == "":
        return None
    try:
        value = int(raw.strip())
    except ValueError:
        value = -1
    if value < 0:
        raise _Refused(400, "invalid_input", "Last-Event-ID must be an event id (a whole number, 0 or more).")
    return value


def _open(request: HttpRequest, board_id: uuid.UUID) -> tuple[uuid.UUID, uuid.UUID]:
    """The follower and the board's project; raises :class:`_Refused` (blocking: database)."""
    token = request.GET.get("token")
    if token:
        try:
            user_id = live.token_user(token=token, board_id=board_id)
        except live.EventsTokenError as exc:
            raise _Refused(exc.status, exc.code, exc.message) from None
    else:
        user_id = _header_principal(request).user_id
    try:
        return user_id, live.follow_access(board_id=board_id, user_id=user_id)
    except KanbanNotFoundError as exc:
        raise _Refused(404, exc.code, exc.message) from None


def _in_private_loop(source: AsyncIterator[bytes]) -> Iterator[bytes]:
    """Consume an async stream on this (WSGI) thread with an event loop of its own."""
    loop = asyncio.new_event_loop()
    try:
        while True:
            try:
                yield loop.run_until_complete(anext(source))
            except StopAsyncIteration:
                return
    finally:
        loop.run_until_complete(source.aclose())  # type: ignore[attr-defined]
        loop.close()


async def board_events(request: HttpRequest, board_id: uuid.UUID) -> HttpResponseBase:
    """``GET boards/{id}/events``: the board's live events as ``text/event-stream`` (see the kanban README)."""
    if request.method != "GET":
        response = error_response(405)
        response["Allow"] = "GET"
        return response
    try:
        last_event_id = _last_event_id(request)
        user_id, project_id = await live.in_thread(_open, request, board_id)
    except _Refused as exc:
        response = error_response(exc.status, exc.code, exc.message)
        if exc.status == 401:
            response["WWW-Authenticate"] = 'Bearer realm="api"'
        return response
    except ServiceError as exc:  # e.g. the revocation store or a remote authz is down (503)
        return error_response(exc.http_status, exc.code, exc.message, retry_after=exc.extra.get("retry_after"))
    except (DatabaseError, RedisError):
        logger.exception("cannot open a board event stream")
        return error_response(503, retry_after=UNAVAILABLE_RETRY_AFTER)
    events = live.stream(board_id=board_id, project_id=project_id, user_id=user_id, last_event_id=last_event_id)
    content = events if isinstance(request, ASGIRequest) else _in_private_loop(events)
    stream = StreamingHttpResponse(content, content_type="text/event-stream; charset=utf-8")
    stream["Cache-Control"] = "no-cache"
    stream["X-Accel-Buffering"] = "no"  # nginx: pass each event on at once
    return stream


class BoardEventsTokenApi(KanbanApiView):
    """``POST boards/{id}/events/token``: a short-lived token to open the board's event stream."""

    @extend_schema(
        operation_id="kanban_board_events_token",
        request=None,
        responses={
            201: {
                "type": "object",
                "properties": {
                    "token": {"type": "string"},
                    "expires_in": {"type": "integer"},
                    "url": {"type": "string"},
                },
                "required": ["token", "expires_in", "url"],
            },
            **errors(401, 403, 404),
        },
        parameters=[OpenApiParameter("board_id", str, OpenApiParameter.PATH)],
    )
    def post(self, request: Request, board_id: uuid.UUID) -> Response:
        user_id = caller_id(request)
        board_access(board_id=board_id, user_id=user_id)
        token, ttl = live.token_issue(user_id=user_id, board_id=board_id)
        url = f"/api/v2/kanban/boards/{board_id}/events?token={token}"
        return Response({"token": token, "expires_in": ttl, "url": url}, status=201)
