"""ASGI entry point: the realtime process (live board events, docs/decisions/0004-realtime-server.md).

Django's ASGI handler runs each request in a "thread-sensitive context": the sync parts of the request
(middleware, the request_started/finished signal receivers) get a thread of their own that lives as long
as the request. For an event stream that is a thread per open connection for hours, which is what this
process exists to avoid. So event-stream paths are handled without that context, by a handler whose
middleware is only what a stream needs and is async-native (CORS, for browsers' EventSource from another
origin): the view authenticates and answers errors in the JSON shape itself. What sync work remains
(the request_started/finished signal receivers, once when a stream opens and once when it ends) shares
the process's one thread-sensitive thread, and the stream itself is a coroutine. Every other path is
handled as Django does.
"""

import os
import re
from typing import Any

from django.core.handlers.asgi import ASGIHandler

from gau import tracing

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gau.settings")

import django

#: Paths served as long-lived streams (async views end to end).
STREAM_PATHS = re.compile(r"^/api/v2/kanban/boards/[0-9a-fA-F-]{32,36}/events/?$")


#: The middleware of stream paths: async-native only (a sync one would put each stream back on a thread).
STREAM_MIDDLEWARE = ["corsheaders.middleware.CorsMiddleware"]


class StreamASGIHandler(ASGIHandler):
    """Serves :data:`STREAM_PATHS` with :data:`STREAM_MIDDLEWARE` and no per-request thread."""

    def load_middleware(self, is_async: bool = False) -> None:
        from django.conf import settings

        full = settings.MIDDLEWARE
        settings.MIDDLEWARE = STREAM_MIDDLEWARE  # read once here, at start-up, before any request
        try:
            super().load_middleware(is_async=is_async)
        finally:
            settings.MIDDLEWARE = full

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        await self.handle(scope, receive, send)


class GauASGIHandler(ASGIHandler):
    """Django's ASGI handler; :data:`STREAM_PATHS` go to a :class:`StreamASGIHandler`."""

    def __init__(self) -> None:
        super().__init__()
        self.streams = StreamASGIHandler()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope.get("type") == "http" and STREAM_PATHS.match(scope.get("path", "")):
            await self.streams(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


tracing.setup_from_settings()  # before the middleware loads; a no-op (no import) when tracing is off
django.setup(set_prefix=False)
application = GauASGIHandler()
