"""A pytest plugin that runs any tests with some apps called over the signed RPC endpoint.

    PYTHONPATH=. pytest -p tests.support.remote_apps --remote-apps=authz,upload,email apps/account/tests

runs the account tests with those three apps behind :func:`gau.rpc.testing.remote_mode` (real signing, routing, argument
and result validation, JSON both ways; only the socket is skipped). Calls made inside
``transaction.atomic()`` then fail with ``RemoteCallInAtomicError`` (``GAU_RPC_REMOTE_IN_ATOMIC``).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--remote-apps",
        default="",
        help="comma list of apps whose service calls go through the internal RPC endpoint in every test",
    )


@pytest.fixture(autouse=True)
def _gau_remote_apps(request: pytest.FixtureRequest) -> Iterator[None]:
    apps = [app.strip() for app in str(request.config.getoption("--remote-apps")).split(",") if app.strip()]
    if not apps:
        yield
        return
    from gau.rpc.testing import remote_mode

    with remote_mode(*apps):
        yield
