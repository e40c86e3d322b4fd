"""Prometheus metrics in one process: the guarded scrape endpoint, request labels, config, internal calls."""

from __future__ import annotations

import uuid

import pytest
from django.test import Client, override_settings

from gau.config import ConfigError, load
from gau.metrics.middleware import MetricsMiddleware
from gau.rpc import ServiceUnavailableError
from tests.support.metrics import METRICS_TOKEN, auth, label_values, value

MIDDLEWARE_PATH = f"{MetricsMiddleware.__module__}.{MetricsMiddleware.__name__}"


@pytest.fixture
def metrics_on(settings):
    settings.GAU_METRICS = True
    settings.GAU_METRICS_TOKEN = METRICS_TOKEN
    settings.MIDDLEWARE = [MIDDLEWARE_PATH, *settings.MIDDLEWARE]
    return settings


def scrape(client: Client) -> str:
    response = client.get("/internal/metrics", headers=auth())
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain")
    assert response["Cache-Control"] == "no-store"
    return response.content.decode()


def test_off_by_default_the_endpoint_does_not_exist(settings) -> None:
    assert settings.GAU_METRICS is False
    assert MIDDLEWARE_PATH not in settings.MIDDLEWARE
    response = Client().get("/internal/metrics", headers=auth())
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("header", [None, "Bearer wrong-token-wrong-token-wrong-token-00", f"Basic {METRICS_TOKEN}"])
def test_a_stranger_gets_404_in_the_error_shape(metrics_on, header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    response = Client().get("/internal/metrics", headers=headers)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert b"gau_http" not in response.content


def test_only_get_scrapes(metrics_on) -> None:
    response = Client().post("/internal/metrics", headers=auth())
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"


@pytest.mark.django_db
def test_requests_are_labelled_by_route_template_never_the_raw_path(metrics_on) -> None:
    client = Client()
    before = scrape(client)
    project = uuid.uuid4()
    for _ in range(3):
        assert client.get(f"/api/v2/kanban/projects/{project}").status_code == 401
    assert client.get(f"/no/such/page/{uuid.uuid4()}").status_code == 404
    text = scrape(client)

    routes = label_values(text, "gau_http_requests_total", "route")
    assert str(project) not in text
    assert "unmatched" in routes  # the unknown path, under one label
    (template,) = [r for r in routes if r.startswith("api/v2/kanban/projects/<")]
    labels = {"route": template, "method": "GET", "status": "401"}
    delta = value(text, "gau_http_requests_total", **labels) - value(before, "gau_http_requests_total", **labels)
    assert delta == 3
    assert value(text, "gau_http_request_duration_seconds_count", **labels) >= 3
    assert value(text, "gau_http_request_duration_seconds_bucket", le="+Inf", **labels) >= 3


@pytest.mark.django_db
def test_internal_call_latency_and_errors_per_app_and_method(metrics_on, settings) -> None:
    """A call to an app whose process is down: ``unavailable`` latency and a ``service_unavailable`` error."""
    from apps.account.services import account_service

    settings.GAU_SERVICE_URLS = {"account": "http://127.0.0.1:9"}  # discard port: refused at once
    client = Client()
    labels = {"app": "account", "method": "get_user"}
    before = scrape(client)
    with pytest.raises(ServiceUnavailableError):
        account_service.get_user(user_id=uuid.uuid4())
    text = scrape(client)
    assert (
        value(text, "gau_rpc_client_duration_seconds_count", outcome="unavailable", **labels)
        - value(before, "gau_rpc_client_duration_seconds_count", outcome="unavailable", **labels)
        == 1
    )
    assert (
        value(text, "gau_rpc_client_errors_total", code="service_unavailable", **labels)
        - value(before, "gau_rpc_client_errors_total", code="service_unavailable", **labels)
        == 1
    )


def test_config_requires_a_token_outside_debug() -> None:
    base = {"SECRET_KEY": "x" * 40, "GAU_METRICS": "true"}
    with pytest.raises(ConfigError, match="GAU_METRICS_TOKEN"):
        load(base)
    with pytest.raises(ConfigError, match="GAU_METRICS_TOKEN"):
        load({**base, "GAU_METRICS_TOKEN": "short"})
    with pytest.raises(ConfigError, match="GAU_METRICS_WORKER_PORT"):
        load({**base, "GAU_METRICS_TOKEN": METRICS_TOKEN, "GAU_METRICS_WORKER_PORT": "70000"})
    config = load({**base, "GAU_METRICS_TOKEN": METRICS_TOKEN, "GAU_METRICS_WORKER_PORT": "9191"}).metrics
    assert (config.enabled, config.token, config.worker_port) == (True, METRICS_TOKEN, 9191)
    assert load({"DEBUG": "true", "GAU_METRICS": "true"}).metrics.token is None  # make run: no token needed
    assert load({"DEBUG": "true"}).metrics.enabled is False


@override_settings(GAU_METRICS=False)
def test_helpers_are_no_ops_when_off(monkeypatch: pytest.MonkeyPatch) -> None:
    from gau import metrics

    monkeypatch.setattr(metrics, "_instance", None)
    metrics.observe_request(method="GET", route="x", status=200, seconds=0.1)
    metrics.observe_rpc(app="a", method="m", seconds=0.1, outcome="ok")
    metrics.cdn_hit("memory")
    metrics.observe_task(task="t", state="SUCCESS", seconds=0.1)
    assert metrics._instance is None  # no metric object was even created
