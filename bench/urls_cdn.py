"""The production URLs, plus ``/bench/bare-image``: the same bytes as the cached variant, from memory."""

from __future__ import annotations

import os
from pathlib import Path

from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver, path

from gau.urls import urlpatterns as production

_BODY: list[bytes] = []


def bare_image(request: HttpRequest) -> HttpResponse:
    """Baseline: a plain function view returning the variant's bytes held in memory (read once)."""
    if not _BODY:
        _BODY.append(Path(os.environ["BENCH_BARE_FILE"]).read_bytes())
    return HttpResponse(_BODY[0], content_type="image/webp")


urlpatterns: list[URLPattern | URLResolver] = [path("bench/bare-image", bare_image), *production]
