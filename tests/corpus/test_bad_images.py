"""Real-world bad images through upload and the CDN: Pillow's own malformed, truncated, fuzzer-found
(crash / oom / timeout) and decompression-bomb test images, against a real gunicorn server on the real
test database and S3. Never a 5xx, never a hang (every request has a timeout), every 4xx in the
error shape; what upload accepts must be servable (original and variants) or refused with a 4xx.
"""

from __future__ import annotations

import os
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.corpus.pillow_images import CorpusUnavailable, corpus

pytestmark = [pytest.mark.live, pytest.mark.corpus]

REQUEST_TIMEOUT = 30.0  # seconds: a decoder stuck in a loop shows as a ReadTimeout, named with its file
VARIANTS = ("w=64&format=png", "w=128&h=128&fit=cover&format=webp")


@pytest.fixture(scope="module")
def images() -> list[Path]:
    try:
        found = corpus()
    except CorpusUnavailable as exc:
        pytest.skip(f"Pillow's test images are not available: {exc}")
    only = os.environ.get("CORPUS_ONLY", "")  # e.g. CORPUS_ONLY=exif: just the files whose name contains it
    return [path for path in found if only in path.name]


def _token() -> str:
    from apps.account.services import account_service
    from apps.authz.services import authz_service

    user = account_service.create_user(
        email=f"corpus-{uuid.uuid4().hex[:10]}@example.com", password="correct horse battery staple"
    )
    return authz_service.issue_tokens(user_id=user.id, user_agent="corpus", ip="127.0.0.1").access_token


def _problem(response: httpx.Response) -> str | None:
    """Why this answer is not acceptable, or None."""
    if response.status_code >= 500:
        return f"{response.status_code}: {response.text[:300]}"
    if response.status_code >= 400:
        try:
            error = response.json()["error"]
            shaped = bool(error["code"]) and bool(error["message"]) and isinstance(error["details"], dict)
        except (ValueError, KeyError, TypeError):
            shaped = False
        if not shaped:
            return f"{response.status_code} not in the error shape: {response.text[:300]}"
    return None


def _exercise(http: httpx.Client, token: str, image: Path) -> tuple[list[str], list[str]]:
    """Upload ``image`` as the avatar, as an image and as a plain file, then fetch what was stored;
    (problems, log)."""
    problems: list[str] = []
    log: list[str] = []
    auth = {"Authorization": f"Bearer {token}"}

    def call(label: str, method: str, url: str, **kwargs: Any) -> httpx.Response | None:
        started = time.monotonic()
        try:
            response = http.request(method, url, **kwargs)
        except httpx.HTTPError as exc:  # a timeout (hang) or a dropped connection (worker killed)
            problems.append(f"{image.name}: {label}: {type(exc).__name__} after {time.monotonic() - started:.1f}s")
            return None
        log.append(f"{image.name}: {label} ({time.monotonic() - started:.2f}s) -> {response.status_code}")
        if (why := _problem(response)) is not None:
            problems.append(f"{image.name}: {label}: {why}")
        return response

    data = image.read_bytes()
    # The avatar goes account -> upload: the upload app's refusals must come back as 4xx through account.
    avatar = call(
        "avatar",
        "POST",
        "/api/v2/account/me/avatar",
        files={"file": (image.name, data, "application/octet-stream")},
        headers=auth,
    )
    if avatar is not None and avatar.status_code == 200:
        shown = avatar.json()["avatar_url"].split("://", 1)[-1].partition("/")[2]
        call("avatar variant", "GET", f"/{shown}?{VARIANTS[0]}")
    for purpose in ("image", "file"):
        created = call(
            f"upload {purpose}",
            "POST",
            "/api/v2/upload/files",
            params={"purpose": purpose},
            files={"file": (image.name, data, "application/octet-stream")},
            headers=auth,
        )
        if created is None or created.status_code != 201:
            continue
        body = created.json()
        path = body["url"].split("://", 1)[-1].partition("/")[2]
        original = call(f"{purpose} original", "GET", "/" + path)
        if original is not None and original.status_code != 200:
            problems.append(f"{image.name}: accepted as {purpose} but the original answers {original.status_code}")
        if purpose == "image":
            for query in VARIANTS:
                call(f"variant {query}", "GET", f"/{path}?{query}")
        call(f"delete {purpose}", "DELETE", f"/api/v2/upload/files/{body['id']}", headers=auth)
    return problems, log


def _seconds(line: str) -> float:
    return float(line.rsplit("(", 1)[1].split("s)", 1)[0])


def test_bad_images_never_5xx_never_hang(images: list[Path], gau_server: Any) -> None:
    base_url = gau_server()
    token = _token()
    started = time.monotonic()
    with (
        httpx.Client(base_url=base_url, timeout=REQUEST_TIMEOUT) as http,
        ThreadPoolExecutor(max_workers=4) as pool,
    ):
        results = list(pool.map(lambda image: _exercise(http, token, image), images))
    problems = [p for found, _ in results for p in found]
    statuses = [line.rsplit(" -> ", 1)[1] for _, log in results for line in log]
    slowest = sorted((line for _, log in results for line in log), key=_seconds, reverse=True)[:5]
    print(
        f"corpus: {len(images)} images, {len(statuses)} requests in {time.monotonic() - started:.1f}s; "
        f"statuses {sorted(set(statuses))}; {len(problems)} problem(s); slowest: {slowest}"
    )
    assert not problems, "\n".join(problems)
