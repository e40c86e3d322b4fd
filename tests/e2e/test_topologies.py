"""The black-box end-to-end suite, run against three topologies of the Helm chart (``topology.py``):

1. ``monolith``: one gunicorn serving every app (``values.yaml``);
2. ``split``: account, authz, upload, cdn, kanban and email each in its own gunicorn, calling each other
   only over signed HTTP, plus the Celery worker (``values-split-full.yaml``);
3. ``three``: identity, media and core (``values-split.yaml``).

In (2) and (3) the suite talks to one base URL, nginx configured from the chart's rendered Ingress. Only
HTTP and email are used: the token of each step comes from the message the SMTP sink received.
``E2E_TOPOLOGY=split`` (or ``make e2e TOPOLOGY=split``) runs one topology; by default all three run.
"""

from __future__ import annotations

import io
import json
import os
import re
import signal
import time
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from PIL import Image

from tests.e2e.client import PASSWORD, SECRETS_USED, GauClient
from tests.e2e.topology import TOPOLOGIES, Mailbox, Route, Services, Topology, free_port, nginx_locations
from tests.support import otlp
from tests.support.metrics import METRICS_TOKEN, auth, value

pytestmark = pytest.mark.live

#: The split topology's internal-call timeout: small, so the slow-callee test is quick.
RPC_TIMEOUT = 3.0


def selected() -> list[str]:
    wanted = [name.strip() for name in os.environ.get("E2E_TOPOLOGY", "").split(",") if name.strip()]
    unknown = set(wanted) - set(TOPOLOGIES)
    if unknown:
        raise pytest.UsageError(f"E2E_TOPOLOGY: unknown topologies {sorted(unknown)} (known: {sorted(TOPOLOGIES)})")
    return wanted or ["monolith", "three", "split"]


@pytest.fixture(scope="module")
def traces() -> Iterator[otlp.Receiver]:
    """An OTLP/HTTP receiver: the fully split topology's processes export their spans to it."""
    with otlp.receiving() as receiver:
        yield receiver


def tracing_env(receiver: otlp.Receiver) -> dict[str, str]:
    """Tracing on, exported to ``receiver`` within ~0.1 s of a span's end (the standard OTEL_* variables)."""
    return {"OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint, "OTEL_BSP_SCHEDULE_DELAY": "100"}


@pytest.fixture(scope="module", params=selected())
def topology(
    request: pytest.FixtureRequest,
    s3: Any,
    _smtp_session: Any,
    tmp_path_factory: pytest.TempPathFactory,
    traces: otlp.Receiver,
) -> Iterator[Topology]:
    """One topology of the chart on the real services, started once for the module and stopped after.
    The fully split one is traced (to ``traces``)."""
    name: str = request.param
    services = Services.from_environment(email_url=_smtp_session.url(), maildir=_smtp_session.maildir, s3=s3.env())
    running = Topology(
        name,
        services,
        proxy=name != "monolith",
        workdir=tmp_path_factory.mktemp(f"e2e-{name}"),  # the processes' logs, kept by pytest
        extra_env={
            # Metrics on in every process (gunicorn makes each server's multiprocess directory; the worker
            # serves its own on a free port): the flows run with them, and the proxy must not expose them.
            "GAU_METRICS": "true",
            "GAU_METRICS_TOKEN": METRICS_TOKEN,
            "GAU_METRICS_WORKER_PORT": str(free_port()),
            **({"GAU_RPC_TIMEOUT": str(RPC_TIMEOUT), **tracing_env(traces)} if name == "split" else {}),
        },
    ).start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def client(topology: Topology) -> Iterator[GauClient]:
    api = GauClient(topology.base_url)
    yield api
    api.close()


def jpeg(size: tuple[int, int] = (320, 200), color: str = "teal") -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, format="JPEG", quality=90)
    return buf.getvalue()


def new_email(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}@example.com"


def token_of(link: str) -> str:
    return parse_qs(urlsplit(link).query)["token"][0]


def sign_up(topology: Topology, api: GauClient, email: str) -> None:
    """Register, open the emailed link (the hosted page, through the proxy), verify, sign in."""
    api.register(email, PASSWORD)
    link = topology.mailbox.link(email, "/verify-email")
    assert link.startswith(topology.base_url + "/verify-email?"), link
    page = api.get(link, auth=False)
    assert page.status_code == 200, page.text[:500]
    assert page.headers["content-type"].startswith("text/html")
    api.verify(token_of(link))
    api.login(email, PASSWORD)


def assert_5xx(client: GauClient, *, expected: int) -> None:
    """Exactly the ``expected`` 5xx answers a fault test provoked on purpose, and no other."""
    failures = [f"{s.method} {s.path} -> {s.status}: {s.body}" for s in client.seen if s.status >= 500]
    assert len(failures) == expected, "5xx answers:\n" + "\n".join(failures)


def assert_error(response: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, f"{response.request.url.path}: {response.status_code} {response.text}"
    body = response.json()
    assert set(body) == {"error"}, body
    assert {"code", "message", "details"} <= set(body["error"]), body
    if code is not None:
        assert body["error"]["code"] == code, body
    error: dict[str, Any] = body["error"]
    return error


# --- the topology is what the chart says ----------------------------------------------------------------


def test_each_process_serves_its_apps_and_is_ready(topology: Topology) -> None:
    served: list[str] = []
    for service, env in topology.layout.components.items():
        apps = env["GAU_SERVED_APPS"].split(",")
        served += apps
        ready = httpx.get(topology.url_of(service) + "/readyz", timeout=20)
        assert ready.status_code == 200, f"{service}: {ready.text}"
        checks = ready.json()["checks"]
        # Every app this process calls over HTTP is checked (and answered).
        remote = [k for k in checks if k.startswith("service:")]
        assert sorted(k.removeprefix("service:") for k in remote) == sorted(
            app
            for other, e in topology.layout.components.items()
            if other != service
            for app in e["GAU_SERVED_APPS"].split(",")
        )
    assert sorted(served) == ["account", "authz", "cdn", "email", "kanban", "upload"]


def test_internal_rpc_is_unreachable_through_the_proxy(topology: Topology) -> None:
    if not topology.proxy:
        pytest.skip("the monolith is reached directly (no proxy)")
    for path in ("/internal/rpc/authz/ping/", "/internal/rpc/account/get_user/", "/internal/", "/internal"):
        answer = httpx.post(topology.base_url + path, json={}, timeout=10)
        assert_error(answer, 404, "not_found")
    # ... while the component itself does serve it (so the 404 above is the proxy's doing).
    authz = topology.url_of(topology.layout.owner("authz"))
    assert httpx.post(authz + "/internal/rpc/authz/ping/", json={}, timeout=10).status_code in {401, 403}
    # Unrouted paths are 404 too, and routed prefixes do not leak to look-alikes.
    assert_error(httpx.get(topology.base_url + "/healthz", timeout=10), 404, "not_found")
    assert_error(httpx.get(topology.base_url + "/unlockX", timeout=10), 404, "not_found")


def test_the_proxy_routes_refuse_internal_paths() -> None:
    with pytest.raises(ValueError, match="internal"):
        nginx_locations([Route("/internal/", "Prefix", "gau-authz")])
    assert nginx_locations([Route("/api/v2/kanban/", "Prefix", "gau-kanban")]) == [
        ("/api/v2/kanban/", "gau-kanban"),
        ("= /api/v2/kanban", "gau-kanban"),
    ]


# --- every app's main flows ----------------------------------------------------------------------------


def test_every_app_end_to_end(topology: Topology, client: GauClient) -> None:
    base = topology.base_url
    email = new_email("e2e")

    # account + email: register, verify with the token from the received email, sign in
    sign_up(topology, client, email)
    me = client.expect(client.get("/api/v2/account/me"), 200)
    assert me["email"] == email
    assert me["email_verified"] is True

    # authz: refresh rotates the pair; the old refresh token is spent
    old_refresh = client.refresh_token
    client.refresh()
    assert client.refresh_token != old_refresh
    client.expect(client.get("/api/v2/account/me"), 200)
    # replaying the spent refresh token is theft: the whole session ends, on every process
    assert_error(client.post("/api/v2/authz/token/refresh", json={"refresh_token": old_refresh}, auth=False), 401)
    assert_error(client.get("/api/v2/account/me"), 401)
    client.login(email, PASSWORD)
    jwks = client.expect(client.get("/.well-known/jwks.json", auth=False), 200)
    assert jwks["keys"]

    # avatar: account -> upload, served by the CDN through the proxy
    avatar = client.expect(
        client.post("/api/v2/account/me/avatar", files={"file": ("me.jpg", jpeg((256, 256)), "image/jpeg")}), 200
    )
    assert avatar["avatar_url"].startswith(base + "/images/")
    avatar_image = client.get(avatar["avatar_url"], auth=False)
    assert avatar_image.status_code == 200
    assert avatar_image.headers["content-type"].startswith("image/")

    # upload + CDN: the original and a resized, converted variant
    original_bytes = jpeg()
    uploaded = client.expect(
        client.post("/api/v2/upload/files", params={"purpose": "image"}, files={"file": ("p.jpg", original_bytes)}),
        201,
    )
    assert uploaded["url"].startswith(base + "/images/")
    original = client.get(uploaded["url"], auth=False)
    assert original.status_code == 200
    assert original.content == original_bytes
    variant = client.get(uploaded["url"], params={"w": 128, "format": "webp"}, auth=False)
    assert variant.status_code == 200, variant.text
    assert variant.headers["content-type"] == "image/webp"
    assert Image.open(io.BytesIO(variant.content)).size == (128, 80)
    listed = client.expect(client.get("/api/v2/upload/files"), 200)
    assert uploaded["id"] in {f["id"] for f in listed["results"]}

    # kanban: project, board, columns, task, board read, move
    project = client.expect(client.post("/api/v2/kanban/projects", json={"name": "E2E", "key": "ETE"}), 201)
    board = client.expect(client.post(f"/api/v2/kanban/projects/{project['id']}/boards", json={"name": "B"}), 201)
    todo = client.expect(client.post(f"/api/v2/kanban/boards/{board['id']}/columns", json={"name": "To do"}), 201)
    done = client.expect(
        client.post(f"/api/v2/kanban/boards/{board['id']}/columns", json={"name": "Done", "is_done": True}), 201
    )
    task = client.expect(
        client.post(f"/api/v2/kanban/boards/{board['id']}/tasks", json={"column_id": todo["id"], "title": "Ship"}),
        201,
    )
    read = client.expect(client.get(f"/api/v2/kanban/boards/{board['id']}"), 200)
    assert str(read).count(task["id"]) >= 1
    assert [c["name"] for c in read["columns"]] == ["To do", "Done"]
    moved = client.expect(client.post(f"/api/v2/kanban/tasks/{task['id']}/move", json={"column_id": done["id"]}), 200)
    assert moved["column_id"] == done["id"]
    assert moved["done"] is True
    again = client.expect(client.get(f"/api/v2/kanban/boards/{board['id']}"), 200)
    by_column = {c["name"]: str(c) for c in again["columns"]}
    assert task["id"] in by_column["Done"]
    assert task["id"] not in by_column["To do"]

    # a stranger sees none of it
    stranger = GauClient(base)
    try:
        sign_up(topology, stranger, new_email("stranger"))
        assert_error(stranger.get(f"/api/v2/kanban/boards/{board['id']}"), 404)
        assert_error(stranger.post(f"/api/v2/kanban/tasks/{task['id']}/move", json={"column_id": todo["id"]}), 404)
        assert uploaded["id"] not in {
            f["id"] for f in stranger.expect(stranger.get("/api/v2/upload/files"), 200)["results"]
        }
        stranger.assert_no_5xx()
    finally:
        stranger.close()

    # password reset: the emailed token sets a new password and ends every session
    old_access = client.access_token
    sent = len(topology.mailbox.messages(email))
    client.expect(client.post("/api/v2/account/password/forgot", json={"email": email}, auth=False), 202)
    link = topology.mailbox.link(email, "/password/reset", after=sent)
    assert client.get(link, auth=False).status_code == 200  # the hosted page, routed by the chart
    new_password = PASSWORD + " again"
    client.expect(
        client.post(
            "/api/v2/account/password/reset", json={"token": token_of(link), "new_password": new_password}, auth=False
        ),
        200,
    )
    assert_error(client.get("/api/v2/account/me", headers={"Authorization": f"Bearer {old_access}"}), 401)
    assert_error(
        client.post("/api/v2/account/login", json={"email": email, "password": PASSWORD}, auth=False),
        401,
        "account.invalid_credentials",
    )
    client.login(email, new_password)
    client.expect(client.get(f"/api/v2/kanban/boards/{board['id']}"), 200)

    # delete account: 204, then the token and the password are dead and the user's files go
    client.expect(client.delete("/api/v2/account/me"), 204)
    assert_error(client.get("/api/v2/account/me"), 401)
    gone = client.post("/api/v2/account/login", json={"email": email, "password": new_password}, auth=False)
    assert_error(gone, 401, "account.invalid_credentials")
    deadline = time.monotonic() + 30
    while client.get(uploaded["url"], auth=False).status_code != 404:
        assert time.monotonic() < deadline, "the deleted user's image is still served after 30 s"
        time.sleep(0.5)

    client.assert_no_5xx()


# --- faults in the fully split topology -----------------------------------------------------------------


def _split_only(topology: Topology) -> None:
    if topology.name != "split":
        pytest.skip("fault tests run on the fully split topology")


def test_metrics_are_scraped_inside_and_never_through_the_proxy(topology: Topology) -> None:
    """Each process answers /internal/metrics to the bearer; the proxy built from the Ingress never does."""
    for service in topology.layout.components:
        direct = topology.url_of(service) + "/internal/metrics"
        assert_error(httpx.get(direct, timeout=10), 404, "not_found")  # no bearer: as if it did not exist
        text = httpx.get(direct, headers=auth(), timeout=10).raise_for_status().text
        assert value(text, "gau_http_requests_total", route="healthz") >= 1, service
    if topology.proxy:
        for path in ("/internal/metrics", "/metrics"):
            assert_error(httpx.get(topology.base_url + path, headers=auth(), timeout=10), 404, "not_found")
    # The worker's own endpoint: the deliveries of the flows above (a burst of emails shares one
    # email.drain; a single one may go as email.deliver), counted by its pool's children.
    worker = f"http://127.0.0.1:{topology.extra_env['GAU_METRICS_WORKER_PORT']}/internal/metrics"
    text = httpx.get(worker, headers=auth(), timeout=10).raise_for_status().text
    sends = [
        value(text, "gau_celery_tasks_total", task=task, state="SUCCESS") for task in ("email.drain", "email.deliver")
    ]
    assert sum(sends) >= 1, text


def test_authz_down_is_a_503_with_retry_after_and_nothing_else_breaks(topology: Topology, client: GauClient) -> None:
    _split_only(topology)
    email = new_email("fault")
    sign_up(topology, client, email)
    image = client.expect(
        client.post("/api/v2/upload/files", params={"purpose": "image"}, files={"file": ("f.jpg", jpeg())}), 201
    )
    project = client.expect(client.post("/api/v2/kanban/projects", json={"name": "Faults"}), 201)
    board = client.expect(client.post(f"/api/v2/kanban/projects/{project['id']}/boards", json={"name": "B"}), 201)
    authz = topology.layout.owner("authz")

    topology.stop_server(authz)
    try:
        # Requests that need authz: a sign-in (account -> authz) and a refresh (routed to authz itself).
        login = client.post("/api/v2/account/login", json={"email": email, "password": PASSWORD}, auth=False)
        error = assert_error(login, 503, "service_unavailable")
        assert int(login.headers["Retry-After"]) > 0
        assert error["details"], error
        refresh = client.post("/api/v2/authz/token/refresh", json={"refresh_token": client.refresh_token}, auth=False)
        assert_error(refresh, 503, "service_unavailable")
        assert int(refresh.headers["Retry-After"]) > 0

        # /readyz of every caller names authz.
        for service in topology.layout.components:
            if service == authz:
                continue
            ready = httpx.get(topology.url_of(service) + "/readyz", timeout=30)
            assert_error(ready, 503, "not_ready")
            assert "service:authz" in ready.json()["error"]["message"], (service, ready.text)
            assert ready.headers["Retry-After"]

        # Nothing else breaks: signed-in reads and writes, the CDN.
        assert client.get(image["url"], auth=False).status_code == 200
        assert client.get(image["url"], params={"w": 64, "format": "webp"}, auth=False).status_code == 200
        client.expect(client.get(f"/api/v2/kanban/boards/{board['id']}"), 200)
        client.expect(client.post(f"/api/v2/kanban/boards/{board['id']}/columns", json={"name": "Later"}), 201)
        client.expect(client.get("/api/v2/upload/files"), 200)
        client.expect(client.get("/api/v2/account/me"), 200)
    finally:
        topology.restart_server(authz)

    # Everything recovers when it returns.
    deadline = time.monotonic() + 30
    while httpx.get(topology.url_of(topology.layout.owner("account")) + "/readyz", timeout=30).status_code != 200:
        assert time.monotonic() < deadline, "account's /readyz did not recover"
        time.sleep(0.5)
    client.login(email, PASSWORD)
    client.refresh()
    client.expect(client.get(f"/api/v2/kanban/boards/{board['id']}"), 200)
    assert_5xx(client, expected=2)


def test_a_stalled_callee_hits_the_rpc_timeout_instead_of_hanging_a_thread(
    topology: Topology, client: GauClient
) -> None:
    _split_only(topology)
    email = new_email("slow")
    sign_up(topology, client, email)
    authz = topology.servers[topology.layout.owner("authz")]

    authz.signal(signal.SIGSTOP)  # accepts connections (the kernel's backlog) but never answers
    try:
        started = time.monotonic()
        login = client.post("/api/v2/account/login", json={"email": email, "password": PASSWORD}, auth=False)
        elapsed = time.monotonic() - started
        assert_error(login, 503, "service_unavailable")
        assert login.headers["Retry-After"]
        # One attempt (or one retry of an idempotent method) bounded by GAU_RPC_TIMEOUT, not the proxy's 60 s.
        assert RPC_TIMEOUT <= elapsed < 2 * RPC_TIMEOUT + 3, elapsed
        # The account process's threads are free again: it answers at once.
        started = time.monotonic()
        client.expect(client.get("/api/v2/account/me"), 200)
        assert time.monotonic() - started < 2
    finally:
        authz.signal(signal.SIGCONT)
    client.login(email, PASSWORD)
    assert_5xx(client, expected=1)


#: The layouts the issue and the chart's README describe, written out independently of the values files:
#: Service -> the apps its process serves, and the component the worker (and /admin/, docs, static) use.
EXPECTED_LAYOUTS: dict[str, tuple[dict[str, set[str]], str, str]] = {
    "monolith": (
        {"gau-monolith": {"account", "authz", "cdn", "upload", "kanban", "email"}},
        "gau-monolith",
        "gau-monolith",
    ),
    "three": (
        {"gau-identity": {"account", "authz"}, "gau-media": {"upload", "cdn"}, "gau-core": {"kanban", "email"}},
        "gau-core",
        "gau-core",
    ),
    "split": (
        {f"gau-{app}": {app} for app in ("account", "authz", "cdn", "upload", "kanban", "email")},
        "gau-email",
        "gau-account",
    ),
}


@pytest.mark.parametrize("name", sorted(EXPECTED_LAYOUTS))
def test_topologies_are_described_by_the_chart(name: str) -> None:
    """What each topology runs (processes, what they serve and call, the worker, the proxy's routes) is
    the layout its values file renders, and that is the layout written out above: the fully split
    topology is values-split-full.yaml, one component per app, calling the five others over HTTP."""
    import yaml

    from tests.e2e.topology import CHART, layout

    assert TOPOLOGIES == {"monolith": None, "three": "values-split.yaml", "split": "values-split-full.yaml"}
    served, worker_of, default = EXPECTED_LAYOUTS[name]
    rendered = layout(name)
    owner = {app: service for service, apps in served.items() for app in apps}
    assert {service: set(env["GAU_SERVED_APPS"].split(",")) for service, env in rendered.components.items()} == served
    for service, env in rendered.components.items():
        calls = dict(item.split("=", 1) for item in env["GAU_SERVICE_URLS"].split(",") if item)
        assert calls == {app: f"http://{owner[app]}:8000" for app in owner if owner[app] != service}, service
        assert {rendered.owner(app) for app in served[service]} == {service}
    assert rendered.worker_env == rendered.components[worker_of]
    assert rendered.worker_args[:3] == ["celery", "-A", "gau"]
    assert rendered.worker_args[rendered.worker_args.index("-Q") + 1] == "default,email"
    # The routes: each app's API and root paths to the process serving it, the shared paths to the
    # default component, nothing else (nothing under /internal/).
    defaults = yaml.safe_load((CHART / "values.yaml").read_text())
    expected = {Route(f"/api/v2/{app}/", "Prefix", service) for app, service in owner.items()}
    expected |= {Route(path, "Prefix", owner[app]) for app, paths in defaults["appRootPaths"].items() for path in paths}
    expected |= {Route(path, "Prefix", default) for path in defaults["ingress"]["sharedPaths"]}
    # ... and the live board events to the realtime process (a regex path of its own Ingress).
    assert rendered.realtime is not None
    realtime = rendered.realtime[0]
    expected |= {Route(path, "ImplementationSpecific", realtime) for path in defaults["realtime"]["paths"]}
    assert rendered.realtime[1] == rendered.components[owner["kanban"]]
    assert set(rendered.routes) == expected
    assert len(rendered.routes) == len(expected)
    assert not [route for route in rendered.routes if route.path.startswith("/internal")]
    assert {upstream for _, upstream in nginx_locations(rendered.routes)} == set(served) | {realtime}


def test_live_board_events_reach_a_follower_through_the_ingress(topology: Topology, client: GauClient) -> None:
    """The chart's realtime process serves the event streams (routed by its own Ingress path behind the
    proxy; the monolith without a proxy is asked directly); a move through the API reaches a follower."""
    from tests.support.sse import SseClient

    assert topology.layout.realtime is not None
    sign_up(topology, client, new_email("live"))
    project = client.expect(client.post("/api/v2/kanban/projects", json={"name": "Live", "key": "LIV"}), 201)
    board = client.expect(client.post(f"/api/v2/kanban/projects/{project['id']}/boards", json={"name": "B"}), 201)
    columns = [
        client.expect(client.post(f"/api/v2/kanban/boards/{board['id']}/columns", json={"name": name}), 201)
        for name in ("To do", "Done")
    ]
    task = client.expect(
        client.post(f"/api/v2/kanban/boards/{board['id']}/tasks", json={"column_id": columns[0]["id"], "title": "Go"}),
        201,
    )
    grant = client.expect(client.post(f"/api/v2/kanban/boards/{board['id']}/events/token"), 201)
    base = topology.base_url if topology.proxy else topology.url_of(topology.layout.realtime[0])
    stream = SseClient(base + grant["url"]).start()
    try:
        assert stream.status == 200, stream.error_body
        ready = stream.next_of("ready")
        client.expect(client.post(f"/api/v2/kanban/tasks/{task['id']}/move", json={"column_id": columns[1]["id"]}), 200)
        moved = stream.next_of("task.moved")
        assert int(moved.id or 0) == int(ready.id or 0) + 1
        assert moved.json()["data"]["task_id"] == task["id"]
    finally:
        stream.close()
    assert_error(httpx.get(f"{base}/api/v2/kanban/boards/{board['id']}/events", timeout=10), 401)
    client.assert_no_5xx()


# --- one trace per request across the split --------------------------------------------------------------


def _complete_trace(receiver: otlp.Receiver, request_id: str, *, last: str) -> list[otlp.Span]:
    """The trace of the request sent with ``X-Request-ID: request_id``, once it holds a ``last`` span and
    every span's parent (all but the root's) arrived."""
    trace: list[otlp.Span] = []

    def complete(spans: list[otlp.Span]) -> bool:
        roots = [s for s in spans if s.attributes.get("gau.request_id") == request_id and s.service == "gau-account"]
        if not roots:
            return False
        trace[:] = [s for s in spans if s.trace_id == roots[0].trace_id]
        ids = {s.span_id for s in trace}
        return any(s.name == last for s in trace) and sum(s.parent_id not in ids for s in trace) == 1

    try:
        receiver.wait_for(f"the trace of request {request_id}", complete, timeout=30)
    except TimeoutError:
        ids = {s.span_id for s in trace}
        lines = [f"{s.service} {s.name} {s.span_id} <- {s.parent_id or 'root'}" for s in trace]
        orphans = [s.name for s in trace if s.parent_id and s.parent_id not in ids]
        raise AssertionError(f"incomplete trace (orphans: {orphans}):\n" + "\n".join(lines)) from None
    return trace


def _path_to_root(trace: list[otlp.Span], span: otlp.Span) -> list[otlp.Span]:
    by_id = {s.span_id: s for s in trace}
    path = [span]
    while path[-1].parent_id:
        path.append(by_id[path[-1].parent_id])
    return path[::-1]


def _services_along(path: list[otlp.Span]) -> list[str]:
    services: list[str] = []
    for span in path:
        if not services or services[-1] != span.service:
            services.append(span.service)
    return services


def test_a_registration_and_a_password_reset_are_one_trace_each_across_the_split(
    topology: Topology, client: GauClient, traces: otlp.Receiver
) -> None:
    """account -> (authz) -> email's outbox -> the worker's SMTP delivery, in one trace, parent links intact."""
    _split_only(topology)
    email = new_email("traced")

    # Registration: account asks email (signed HTTP) to send the verification link; the outbox publishes the
    # delivery after commit; the worker sends it over SMTP.
    rid = f"e2e-register-{uuid.uuid4().hex}"
    answer = client.post(
        "/api/v2/account/register",
        json={"email": email, "password": PASSWORD},
        headers={"X-Request-ID": rid},
        auth=False,
    )
    client.expect(answer, 201)
    assert answer.headers["X-Request-ID"] == rid  # honoured and returned, through the proxy
    trace = _complete_trace(traces, rid, last="email.smtp_send")
    (root,) = [s for s in trace if not s.parent_id]
    assert root.service == "gau-account"
    assert root.attributes.get("gau.request_id") == rid
    (smtp,) = [s for s in trace if s.name == "email.smtp_send"]
    assert _services_along(_path_to_root(trace, smtp)) == ["gau-account", "gau-email", "gau-worker"]
    # The internal call is an httpx client span in account whose child is email's server span.
    rpc = [s for s in trace if s.service == "gau-email" and "/internal/rpc/email/send/" in str(s.attributes)]
    assert rpc, [(s.service, s.name) for s in trace]
    assert {s.service for s in trace} >= {"gau-account", "gau-email", "gau-worker"}

    # Password reset: account -> authz (every session revoked) and -> email (the "password changed" notice),
    # delivered by the worker: four processes, one trace.
    sent = len(topology.mailbox.messages(email))
    client.expect(client.post("/api/v2/account/password/forgot", json={"email": email}, auth=False), 202)
    link = topology.mailbox.link(email, "/password/reset", after=sent)
    rid = f"e2e-reset-{uuid.uuid4().hex}"
    client.expect(
        client.post(
            "/api/v2/account/password/reset",
            json={"token": token_of(link), "new_password": PASSWORD + " reset"},
            headers={"X-Request-ID": rid},
            auth=False,
        ),
        200,
    )
    trace = _complete_trace(traces, rid, last="email.smtp_send")
    assert {s.service for s in trace} >= {"gau-account", "gau-authz", "gau-email", "gau-worker"}
    (smtp,) = [s for s in trace if s.name == "email.smtp_send"]
    assert _services_along(_path_to_root(trace, smtp)) == ["gau-account", "gau-email", "gau-worker"]
    authz = [s for s in trace if s.service == "gau-authz"]
    assert all(_path_to_root(trace, s)[0].service == "gau-account" for s in authz)
    # Database and cache calls are traced too (psycopg, Redis).
    assert any(s.attributes.get("db.system") == "postgresql" or "postgresql" in str(s.attributes) for s in trace)
    client.assert_no_5xx()


# --- logs: request ids in, secrets out -------------------------------------------------------------------


def _mail_secrets(mailbox: Mailbox) -> set[str]:
    """What the emails sent during the run carried: their links, the tokens in them, their body lines."""
    found: set[str] = set()
    for message in mailbox.messages(""):
        body = message.get_body(preferencelist=("plain",))
        text = body.get_content() if body is not None else ""
        for link in re.findall(r"https?://[^\s\"'<>]+", text):
            found.add(link)
            found.update(v for values in parse_qs(urlsplit(link).query).values() for v in values if len(v) >= 16)
        found.update(line.strip() for line in text.splitlines() if len(line.strip()) >= 30)
    return found


def test_the_logs_carry_request_ids_and_no_secret(topology: Topology) -> None:
    """Runs last: every secret the suite used (passwords, tokens, emailed links and text) is absent from
    every process's output and the proxy's logs; the JSON lines of requests carry their request id."""
    secrets = SECRETS_USED | _mail_secrets(topology.mailbox)
    assert PASSWORD in secrets
    assert any(len(s) > 100 for s in secrets), "no access token was seen"  # JWTs are long
    logs = topology.logs()
    # Not vacuous: the requests that carried secrets in their query string or body are in the access logs.
    access = "\n".join(text for name, text in logs.items() if name != "nginx")
    for path in ("/verify-email", "/password/reset", "/api/v2/account/login", "/api/v2/authz/token/refresh"):
        assert path in access, f"no access log line for {path}"
    leaks = [f"{name}: {secret[:12]}..." for name, text in logs.items() for secret in secrets if secret in text]
    assert not leaks, "secrets in the logs:\n" + "\n".join(sorted(set(leaks)))

    lines = [
        json.loads(line)
        for name, text in logs.items()
        if name not in {"nginx", "nginx-access"}
        for line in text.splitlines()
        if line.startswith("{")
    ]
    assert lines, "no JSON log line"
    with_rid = [line for line in lines if line.get("request_id")]
    assert with_rid, "no JSON log line carries a request id"
    if topology.name == "split":  # traced: the lines of a request carry its trace and span ids
        traced = [line for line in with_rid if line.get("trace_id")]
        assert traced, "no JSON log line carries a trace id"
        assert all(len(line["trace_id"]) == 32 and len(line["span_id"]) == 16 for line in traced)
