"""The chart with metrics on, rendered by Helm's engine: where Prometheus scrapes, and that the public
Ingress (and the nginx built from it, as in the e2e suite) never reaches a metrics endpoint."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from tests.e2e.topology import CHART, Route, layout, nginx_locations, render

pytest.importorskip("helm_python")

METRICS_VALUES = {"metrics": {"enabled": True}}


def rendered(values_file: str | None) -> list[dict[str, Any]]:
    import helm_python

    values = yaml.safe_load((CHART / values_file).read_text()) if values_file else {}
    values.update(METRICS_VALUES)
    out = helm_python.Chart.load(str(CHART)).render(values=values, name="gau", namespace="default")
    return [
        doc for name, text in sorted(out.items()) if name.endswith(".yaml") for doc in yaml.safe_load_all(text) if doc
    ]


def matches(location: str, path: str) -> bool:
    if location.startswith("= "):
        return path == location[2:]
    return path.startswith(location)


@pytest.mark.parametrize("values_file", [None, "values-split-full.yaml"])
def test_metrics_ports_are_scrapeable_and_never_public(values_file: str | None) -> None:
    manifests = rendered(values_file)
    services = {m["metadata"]["name"]: m for m in manifests if m["kind"] == "Service"}
    deployments = [m for m in manifests if m["kind"] == "Deployment"]
    ingresses = [m for m in manifests if m["kind"] == "Ingress"]  # the components' and the realtime process's

    for deployment in deployments:
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        env = {e["name"]: e.get("value") for e in container.get("env", [])}
        assert env["GAU_METRICS"] == "true"
        assert env["PROMETHEUS_MULTIPROC_DIR"] == "/app/var/prometheus"  # the pod's in-memory emptyDir
    worker = next(d for d in deployments if d["metadata"]["name"] == "gau-worker")
    (worker_port,) = worker["spec"]["template"]["spec"]["containers"][0]["ports"]
    assert (worker_port["name"], worker_port["containerPort"]) == ("metrics", 9100)

    metrics_service = services.pop("gau-worker-metrics")
    assert [p["name"] for p in metrics_service["spec"]["ports"]] == ["metrics"]
    assert metrics_service["spec"]["selector"]["app.kubernetes.io/component"] == "worker"
    realtime = services.pop("gau-realtime")  # event streams only: not scraped
    assert [p["name"] for p in realtime["spec"]["ports"]] == ["http"]
    for service in services.values():  # the web components: scraped on their http port
        assert [p["name"] for p in service["spec"]["ports"]] == ["http"]
        assert service["metadata"]["annotations"]["prometheus.io/path"] == "/internal/metrics"

    routes = [
        Route(p["path"], p["pathType"], p["backend"]["service"]["name"])
        for ingress in ingresses
        for rule in ingress["spec"]["rules"]
        for p in rule["http"]["paths"]
    ]
    ports = {
        p["backend"]["service"]["port"]["name"]
        for i in ingresses
        for r in i["spec"]["rules"]
        for p in r["http"]["paths"]
    }
    assert ports == {"http"}
    assert "gau-worker-metrics" not in {r.service for r in routes}
    for location, _ in nginx_locations(routes):
        assert not matches(location, "/internal/metrics"), location
        assert not matches(location, "/metrics"), location


def test_the_e2e_layout_ignores_the_worker_metrics_service(monkeypatch: pytest.MonkeyPatch) -> None:
    """The e2e suite turns Services into server processes: the worker's metrics Service is not one."""
    from tests.e2e import topology

    monkeypatch.setattr(topology, "render", rendered)
    assert set(layout("three").components) == {"gau-identity", "gau-media", "gau-core"}


def test_metrics_are_off_by_default() -> None:
    manifests = render(None)
    assert all(m["metadata"]["name"] != "gau-worker-metrics" for m in manifests)
    for m in manifests:
        if m["kind"] == "Deployment":
            env = {e["name"] for e in m["spec"]["template"]["spec"]["containers"][0].get("env", [])}
            assert "GAU_METRICS" not in env
