"""Schema fuzzing: schemathesis over the whole public ``/api/schema/``, signed in as a real user (bearer
token) and anonymous, through Django's WSGI application on the real test database, S3 and Redis.

Every response must be: not a 5xx (but a documented 503); a status code the operation documents; a
documented content type, headers and body; invalid data refused; and, for every 4xx, the one error
shape. Bounded for CI (``FUZZ_EXAMPLES`` examples per operation and generation mode, default 5, at most
``FUZZ_OPERATION_SECONDS`` each, no shrinking, derandomised); ``make fuzz`` runs the long, random
version (``FUZZ_ONLY=upload/files`` narrows it to matching operations). Each operation and mode gets a
fresh signed-in user (``DELETE me`` or ``logout`` end theirs), and the cache is cleared between them
(throttles). All failures are collected and reported together.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hsettings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

# tus PATCH bodies are raw bytes (the tus protocol's own media type).
schemathesis.serializer.alias("application/offset+octet-stream", "application/octet-stream")

pytestmark = [pytest.mark.fuzz, pytest.mark.django_db(transaction=True)]

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "5"))
#: Seconds one operation may take per generation mode (keeps CI bounded on a slow box; 0: no limit).
OPERATION_SECONDS = float(os.environ.get("FUZZ_OPERATION_SECONDS", "1"))
CHECKS = [
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
ONLY = os.environ.get("FUZZ_ONLY", "")  # e.g. "upload/files": only operations whose label contains it
CALLS: list[int] = []
PASSWORD = "correct horse battery staple"


def invalid_data_rejected(ctx: Any, response: Any, case: Any) -> bool | None:
    """schemathesis' negative_data_rejection, except that tus answers a missing or wrong
    ``Tus-Resumable`` with the 412 its protocol prescribes."""
    if response.status_code == 412 and case.operation.path.startswith("/api/v2/upload/tus/"):
        return None
    return negative_data_rejection(ctx, response, case)


CHECKS.append(invalid_data_rejected)


def no_server_error(case: Any, response: Any) -> None:
    """No 5xx, except a 503 the operation documents (a fail-closed dependency or a feature that is
    switched off by configuration), which must then be in the error shape."""
    if response.status_code < 500:
        return
    documented = case.operation.definition.raw.get("responses", {})
    assert response.status_code == 503, f"server error {response.status_code}: {response.text[:300]}"
    assert "503" in documented, f"undocumented 503: {response.text[:300]}"
    assert response.json()["error"]["code"], response.text


def error_shape(response: Any) -> None:
    """Every 4xx is ``{"error": {"code", "message", "details"}}`` (JSON)."""
    if not 400 <= response.status_code < 500:
        return
    headers = {name.lower(): value for name, value in response.headers.items()}
    content_type = headers.get("content-type", "")
    content_type = content_type[0] if isinstance(content_type, list) else content_type
    assert "json" in content_type, f"{response.status_code} is not JSON: {content_type}"
    body = response.json()
    error = body.get("error") if isinstance(body, dict) else None
    assert isinstance(error, dict), f"{response.status_code} body is not the error shape: {body!r}"
    assert isinstance(error.get("code"), str), body
    assert error["code"], body
    assert isinstance(error.get("message"), str), body
    assert error["message"], body
    assert isinstance(error.get("details"), dict), body


def _signed_in_headers() -> dict[str, str]:
    from apps.account.services import account_service
    from apps.authz.services import authz_service

    user = account_service.create_user(
        email=f"fuzz-{uuid.uuid4().hex[:12]}@example.com", password=PASSWORD, display_name="Fuzz"
    )
    tokens = authz_service.issue_tokens(user_id=user.id, user_agent="schemathesis", ip="127.0.0.1")
    return {"Authorization": f"Bearer {tokens.access_token}"}


def _runner(operation: Any, mode: GenerationMode, headers: dict[str, str], deadline: float) -> Callable[[], None]:
    @given(case=operation.as_strategy(generation_mode=mode))
    @hsettings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=os.environ.get("FUZZ_RANDOM") != "1",
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        if time.monotonic() > deadline:
            return  # this operation had its share of the budget
        response = case.call(headers=headers)
        CALLS.append(response.status_code)
        no_server_error(case, response)
        case.validate_response(response, checks=CHECKS)
        error_shape(response)

    return run


def fuzz(headers_for: Callable[[], dict[str, str]]) -> list[str]:
    """Run every operation in both generation modes; return the failures (one line each)."""
    from django.core.cache import cache

    from gau.wsgi import application

    schema = schemathesis.openapi.from_wsgi("/api/schema/", application)
    failures: list[str] = []
    started = time.monotonic()
    for result in schema.get_all_operations():
        if not isinstance(result, Ok):
            failures.append(f"the schema has an operation schemathesis cannot load: {result.err()}")
            continue
        operation = result.ok()
        if ONLY not in operation.label:
            continue
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            cache.clear()  # throttles would otherwise turn the rest of the run into 429s
            headers = headers_for()
            deadline = time.monotonic() + OPERATION_SECONDS if OPERATION_SECONDS else float("inf")

            run = _runner(operation, mode, headers, deadline)
            try:
                run()
            except (KeyboardInterrupt, SystemExit):
                raise
            except Unsatisfiable:  # nothing to negate (no parameters, no body): nothing to test
                continue
            except BaseException as exc:  # a FailureGroup is a BaseExceptionGroup; collect them all
                first = str(exc).strip().splitlines()
                failures.append(f"{operation.label} [{mode.value}]: {' | '.join(first[:12])}")
    elapsed = time.monotonic() - started
    print(
        f"schema fuzz: {len(CALLS)} requests ({EXAMPLES} examples/operation/mode) in {elapsed:.1f}s, "
        f"statuses {sorted(set(CALLS))}, {len(failures)} failure(s)"
    )
    CALLS.clear()
    return failures


def test_fuzz_signed_in() -> None:
    failures = fuzz(_signed_in_headers)
    assert not failures, "\n\n".join(failures)


def test_fuzz_anonymous() -> None:
    failures = fuzz(dict)
    assert not failures, "\n\n".join(failures)
