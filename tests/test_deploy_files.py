"""The deployment files that can be checked without Docker or a cluster: the Helm values.

The chart (``helm/gau``) derives each component's ``GAU_SERVED_APPS`` from its ``apps`` and its
``GAU_SERVICE_URLS`` from the apps of the other enabled components; these tests check that every values
file describes a deployment Gau's own configuration loader accepts, with each app served exactly once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from gau.config import APP_NAMES, load

CHART = Path(__file__).resolve().parent.parent / "helm" / "gau"
VALUES_FILES = sorted(path.name for path in CHART.glob("values*.yaml"))
#: Deployments to check: the chart's defaults, and each example file layered on top (as ``helm -f``).
DEPLOYMENTS = [["values.yaml"]] + [["values.yaml", name] for name in VALUES_FILES if name != "values.yaml"]


def merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Helm's values merge: maps merge recursively, anything else replaces, ``null`` deletes."""
    merged = dict(base)
    for key, value in override.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def values_for(files: list[str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in files:
        loaded = yaml.safe_load((CHART / name).read_text())
        assert isinstance(loaded, dict), f"{name} is not a YAML mapping"
        values = merge(values, loaded)
    return values


def enabled_components(values: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: c for name, c in values["components"].items() if c and c.get("enabled")}


def service_urls(values: dict[str, Any], component: str) -> str:
    """GAU_SERVICE_URLS as the chart renders it (templates/_helpers.tpl, gau.serviceUrls)."""
    owners = {app: name for name, c in enabled_components(values).items() for app in c["apps"]}
    return ",".join(f"{app}=http://gau-{owners[app]}:{values['port']}" for app in APP_NAMES if owners[app] != component)


def test_the_chart_has_its_values_and_the_split_example() -> None:
    assert {"values.yaml", "values-split.yaml"} <= set(VALUES_FILES)
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    assert chart["apiVersion"] == "v2"
    assert chart["name"] == "gau"


@pytest.mark.parametrize("files", DEPLOYMENTS, ids="+".join)
def test_every_app_is_served_by_exactly_one_component(files: list[str]) -> None:
    values = values_for(files)
    components = enabled_components(values)
    assert components, "no component is enabled"
    served: list[str] = []
    for name, component in components.items():
        apps = component.get("apps") or []
        assert apps, f"component {name} serves no app"
        unknown = set(apps) - set(APP_NAMES)
        assert not unknown, f"component {name} names unknown apps {sorted(unknown)} (known: {APP_NAMES})"
        served.extend(apps)
    assert sorted(served) == sorted(APP_NAMES), f"apps served per component: {served}"


@pytest.mark.parametrize("files", DEPLOYMENTS, ids="+".join)
def test_each_component_environment_passes_gau_config(files: list[str]) -> None:
    values = values_for(files)
    for name, component in enabled_components(values).items():
        env = {
            "SECRET_KEY": "x" * 50,
            "GAU_INTERNAL_KEYS": "k" * 40,
            "REDIS_URL": "redis://redis:6379/0",  # the existing Secret holds it (required when split)
            **{key: str(value) for key, value in values["config"].items()},
            "PORT": str(values["port"]),
            "GAU_SERVED_APPS": ",".join(component["apps"]),
            "GAU_SERVICE_URLS": service_urls(values, name),
            **{key: str(value) for key, value in (component.get("env") or {}).items()},
        }
        config = load(env)
        assert set(config.served_apps) == set(component["apps"])
        assert set(config.served_apps).isdisjoint(config.service_urls)
        assert set(config.served_apps) | set(config.service_urls) == set(APP_NAMES)


@pytest.mark.parametrize("files", DEPLOYMENTS, ids="+".join)
def test_roles_point_at_enabled_components_and_nothing_internal_is_public(files: list[str]) -> None:
    values = values_for(files)
    components = enabled_components(values)
    for role in ("worker", "beat", "migrations"):
        assert values[role]["component"] in components, f"{role}.component is not an enabled component"
    assert values["ingress"]["defaultComponent"] in components
    public = list(values["ingress"]["sharedPaths"])
    for paths in (values.get("appRootPaths") or {}).values():
        public.extend(paths)
    assert all(path.startswith("/") and not path.startswith("/internal") for path in public), public
    assert values["existingSecret"], "secrets must come from an existing Secret"


def test_the_realtime_route_is_the_path_gau_asgi_serves_as_a_stream() -> None:
    """The chart's realtime Ingress paths and ``gau.asgi.STREAM_PATHS`` name the same URLs (and no other API)."""
    import re
    import uuid

    from gau.asgi import STREAM_PATHS

    values = values_for(["values.yaml"])
    assert values["realtime"]["enabled"] is True
    events = f"/api/v2/kanban/boards/{uuid.uuid4()}/events"
    others = [f"/api/v2/kanban/boards/{uuid.uuid4()}", f"/api/v2/kanban/boards/{uuid.uuid4()}/events/token"]
    for pattern in values["realtime"]["paths"]:
        assert re.fullmatch(pattern, events)
        assert not any(re.fullmatch(pattern, other) for other in others)
    assert STREAM_PATHS.match(events)
    assert not any(STREAM_PATHS.match(other) for other in others)
