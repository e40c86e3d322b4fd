"""The Helm chart rendered by Helm's own engine (``helm-python-sdk``) and checked as Kubernetes would see it.

- Every manifest of the monolith (``values.yaml``), three-component (``values-split.yaml``) and fully split
  (``values-split-full.yaml``) renders validates against the Kubernetes OpenAPI schemas of a current
  release, strictly (an unknown field fails), with ``kubernetes-validate`` (schemas bundled in the
  package, no network). The Prometheus Operator's kinds (ServiceMonitor, PodMonitor) are not Kubernetes
  kinds: they are checked against :data:`MONITORING_SCHEMA`, a strict schema of the fields the chart
  uses, written here (not the operator's full CRD).
- ``values.schema.json``: a typo'd key fails the render.
- The production features: HPA, PDB, NetworkPolicy (evaluated with Kubernetes' semantics), security
  context and writable paths, resources, graceful shutdown, probes, ServiceMonitor.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import kubernetes_validate  # type: ignore[import-untyped]
import pytest
import yaml

CHART = Path(__file__).resolve().parent.parent / "helm" / "gau"
RELEASE = "gau"
NAMESPACE = "shop"
#: The Kubernetes releases the manifests must be valid for: the oldest supported and a current one.
KUBERNETES_VERSIONS = ["1.30", "1.37"]
LAYOUTS = {"monolith": None, "three": "values-split.yaml", "split": "values-split-full.yaml"}
#: The image's VOLUME list (tests/test_chart_image.py checks the Dockerfile against the chart).
WRITABLE_PATHS = {"/tmp", "/app/var/media", "/app/var/prometheus"}  # noqa: S108 - container paths

Manifest = dict[str, Any]


def merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def values_of(layout: str) -> dict[str, Any]:
    name = LAYOUTS[layout]
    return yaml.safe_load((CHART / name).read_text()) if name else {}


def render(values: dict[str, Any] | None = None) -> list[Manifest]:
    """Every manifest of the chart with ``values`` over its defaults (``helm template``)."""
    rendered = _chart().render(values=values or {}, name=RELEASE, namespace=NAMESPACE)
    manifests: list[Manifest] = []
    for name, text in sorted(rendered.items()):
        if name.endswith(".yaml"):
            manifests.extend(doc for doc in yaml.safe_load_all(text) if doc)
    return manifests


@functools.cache
def _chart() -> Any:
    import helm_python

    return helm_python.Chart.load(str(CHART))


@functools.cache
def _rendered(layout: str) -> tuple[Manifest, ...]:
    return tuple(render(values_of(layout)))


def rendered(layout: str) -> list[Manifest]:
    return copy.deepcopy(list(_rendered(layout)))


def of_kind(manifests: list[Manifest], kind: str) -> dict[str, Manifest]:
    return {m["metadata"]["name"]: m for m in manifests if m["kind"] == kind}


def web_deployments(manifests: list[Manifest]) -> dict[str, Manifest]:
    """The components' Deployments (those a Service selects), not the realtime process."""
    services = of_kind(manifests, "Service")
    return {
        name: d
        for name, d in of_kind(manifests, "Deployment").items()
        if name in services and d["metadata"]["labels"]["app.kubernetes.io/component"] != "realtime"
    }


def component_services(manifests: list[Manifest]) -> dict[str, Manifest]:
    """The components' Services (not the realtime process's, nor the worker's metrics Service)."""
    return {
        name: s
        for name, s in of_kind(manifests, "Service").items()
        if s["metadata"]["labels"]["app.kubernetes.io/component"] not in {"realtime", "worker"}
    }


def pod_templates(manifests: list[Manifest]) -> dict[str, dict[str, Any]]:
    """Every pod the chart runs: name -> pod template (Deployments and Jobs)."""
    return {
        f"{m['kind']}/{m['metadata']['name']}": m["spec"]["template"]
        for m in manifests
        if m["kind"] in {"Deployment", "Job"}
    }


# --- validation against the Kubernetes OpenAPI schemas ---------------------------------------------------

_LABELS = {"type": "object", "additionalProperties": {"type": "string"}}
_SELECTOR = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "matchLabels": _LABELS,
        "matchExpressions": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["key", "operator"],
                "properties": {
                    "key": {"type": "string"},
                    "operator": {"enum": ["In", "NotIn", "Exists", "DoesNotExist"]},
                    "values": {"type": "array", "items": {"type": "string"}},
                },
            },
        },
    },
}
_ENDPOINT = {
    "type": "object",
    "additionalProperties": False,
    "required": ["port"],
    "properties": {
        "port": {"type": "string", "minLength": 1},
        "path": {"type": "string", "pattern": "^/"},
        "interval": {"type": "string", "pattern": "^[0-9]+(ms|s|m|h)$"},
        "scrapeTimeout": {"type": "string", "pattern": "^[0-9]+(ms|s|m|h)$"},
        # SafeAuthorization: a type and a Secret key selector (Prometheus Operator API).
        "authorization": {
            "type": "object",
            "additionalProperties": False,
            "required": ["credentials"],
            "properties": {
                "type": {"type": "string"},
                "credentials": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["key"],
                    "properties": {
                        "name": {"type": "string"},
                        "key": {"type": "string"},
                        "optional": {"type": "boolean"},
                    },
                },
            },
        },
    },
}
_MONITOR_SPEC = {
    "type": "object",
    "additionalProperties": False,
    "required": ["selector"],
    "properties": {
        "jobLabel": {"type": "string"},
        "namespaceSelector": {
            "type": "object",
            "additionalProperties": False,
            "properties": {"any": {"type": "boolean"}, "matchNames": {"type": "array", "items": {"type": "string"}}},
        },
        "selector": _SELECTOR,
        "endpoints": {"type": "array", "minItems": 1, "items": _ENDPOINT},
        "podMetricsEndpoints": {"type": "array", "minItems": 1, "items": _ENDPOINT},
    },
}
#: The monitoring.coreos.com/v1 fields the chart uses (ServiceMonitor: ``endpoints``; PodMonitor:
#: ``podMetricsEndpoints``), strictly. Not the Prometheus Operator's CRD, which is not bundled here.
MONITORING_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "properties": {
        "apiVersion": {"const": "monitoring.coreos.com/v1"},
        "kind": {"enum": ["ServiceMonitor", "PodMonitor"]},
        "metadata": {
            "type": "object",
            "additionalProperties": False,
            "required": ["name"],
            "properties": {"name": {"type": "string"}, "labels": _LABELS},
        },
        "spec": _MONITOR_SPEC,
    },
    "allOf": [
        {
            "if": {"properties": {"kind": {"const": "ServiceMonitor"}}},
            "then": {"properties": {"spec": {"required": ["endpoints"], "not": {"required": ["podMetricsEndpoints"]}}}},
            "else": {"properties": {"spec": {"required": ["podMetricsEndpoints"], "not": {"required": ["endpoints"]}}}},
        }
    ],
}


@functools.cache
def _validator(kind: str, api_version: str, version: str) -> Any:
    """A validator of ``kind`` for Kubernetes ``version`` from kubernetes-validate's bundled strict schemas,
    built once (``kubernetes_validate.validate`` rereads and rebuilds them on every call)."""
    from referencing import Registry, Resource

    if api_version.startswith("monitoring.coreos.com/"):
        return jsonschema.Draft202012Validator(MONITORING_SCHEMA)
    utils = kubernetes_validate.utils
    (bundled,) = {v for v in utils.all_versions() if utils.major_minor(v) == version}
    directory = f"kubernetes-json-schema/v{bundled}-local-strict"
    group = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)  # networking.k8s.io/v1 -> networking-v1
    try:
        schema = utils.schema_contents(f"{directory}/{kind.lower()}-{group}.json", version)
    except FileNotFoundError:
        raise kubernetes_validate.SchemaNotFoundError(kind=kind, version=version, api_version=api_version) from None
    definitions = utils.schema_contents(f"{directory}/_definitions.json", version)
    registry: Registry[Any] = Resource.from_contents(definitions) @ (Resource.from_contents(schema) @ Registry())
    return jsonschema.Draft202012Validator(schema, registry=registry)


def validate(manifest: Manifest, version: str) -> None:
    """Raise unless ``manifest`` is valid for Kubernetes ``version`` (strict: unknown fields fail)."""
    _validator(manifest["kind"], manifest["apiVersion"], version).validate(manifest)


def with_monitoring(layout: str) -> dict[str, Any]:
    return merge(values_of(layout), {"metrics": {"enabled": True, "serviceMonitor": {"enabled": True}}})


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_every_manifest_is_valid_kubernetes(layout: str, version: str) -> None:
    manifests = rendered(layout)
    kinds = {m["kind"] for m in manifests}
    assert {"Deployment", "Service", "Ingress", "ConfigMap", "Job"} <= kinds
    assert {"HorizontalPodAutoscaler", "PodDisruptionBudget", "NetworkPolicy"} <= kinds
    for manifest in manifests:
        validate(manifest, version)


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_with_metrics_and_the_service_monitor_every_manifest_is_valid(layout: str) -> None:
    manifests = render(with_monitoring(layout))
    assert {"ServiceMonitor", "PodMonitor"} <= {m["kind"] for m in manifests}
    for manifest in manifests:
        validate(manifest, KUBERNETES_VERSIONS[-1])


def test_the_validation_is_strict() -> None:
    """A misspelt field, a wrong type or an unknown kind in a manifest fails (the check can fail)."""

    manifests = rendered("monolith")
    deployment = next(iter(web_deployments(manifests).values()))
    typo = copy.deepcopy(deployment)
    typo["spec"]["template"]["spec"]["containers"][0]["imagePullPolcy"] = "Always"
    wrong_type = copy.deepcopy(deployment)
    wrong_type["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] = "thirty"
    for broken in (typo, wrong_type):
        with pytest.raises(jsonschema.ValidationError):
            validate(broken, KUBERNETES_VERSIONS[-1])
    with pytest.raises(kubernetes_validate.SchemaNotFoundError):
        validate({**deployment, "apiVersion": "apps/v1beta1"}, KUBERNETES_VERSIONS[-1])
    # The same checks as kubernetes-validate's own entry point.
    kubernetes_validate.validate(deployment, KUBERNETES_VERSIONS[-1], strict=True)
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(typo, KUBERNETES_VERSIONS[-1], strict=True)
    monitor = next(m for m in render(with_monitoring("monolith")) if m["kind"] == "ServiceMonitor")
    monitor["spec"]["endpoints"][0]["intervall"] = "30s"
    with pytest.raises(jsonschema.ValidationError):
        validate(monitor, KUBERNETES_VERSIONS[-1])


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_helm_lint_strict_finds_nothing_above_info(layout: str) -> None:
    """``helm lint --strict`` (the same Go code as the binary) on each layout, with monitoring on."""
    import helm_python

    report = helm_python.lint(
        str(CHART), with_monitoring(layout), strict=True, namespace=NAMESPACE, kube_version="1.37.0"
    )
    assert report["errors"] == []
    assert [m for m in report["messages"] if m["severity"] > 1] == []  # 1 is INFO ("icon is recommended")


# --- values.schema.json ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "complaint"),
    [
        ({"worker": {"replica": 3}}, "'replica' not allowed"),
        ({"compnents": {}}, "'compnents' not allowed"),
        ({"components": {"monolith": {"resoures": {}}}}, "'resoures' not allowed"),
        ({"components": {"monolith": {"apps": ["acount"]}}}, "/components/monolith/apps/0"),
        ({"autoscaling": {"maxReplica": 3}}, "'maxReplica' not allowed"),
        ({"podDisruptionBudget": {"enabled": "sometimes"}}, "/podDisruptionBudget/enabled"),
        ({"gunicorn": {"gracefulTimeout": "25s"}}, "/gunicorn/gracefulTimeout"),
        ({"config": {"GAU_SERVED_APPS": "account"}}, "invalid propertyName 'GAU_SERVED_APPS'"),
        ({"metrics": {"serviceMonitor": {"interval": 30, "enabled": True}}}, "/metrics/serviceMonitor/interval"),
        ({"networkPolicy": {"ingressController": {"namespaceSelector": {"matchLabel": {}}}}}, "'matchLabel'"),
    ],
)
def test_a_typo_in_values_fails_the_render(values: dict[str, Any], complaint: str) -> None:
    from helm_python.errors import HelmValuesError

    with pytest.raises(HelmValuesError) as failure:
        render(values)
    assert complaint in str(failure.value)


@pytest.mark.parametrize(
    ("values", "complaint"),
    [
        ({"components": {"monolith": {"resources": {"requests": {"cpu": None}}}}}, "requests.cpu"),
        ({"autoscaling": {"minReplicas": 5, "maxReplicas": 3}}, "above maxReplicas"),
        ({"metrics": {"serviceMonitor": {"enabled": True}}}, "needs metrics.enabled"),
    ],
)
def test_inconsistent_values_fail_the_render(values: dict[str, Any], complaint: str) -> None:
    from helm_python.errors import HelmRenderError

    with pytest.raises(HelmRenderError) as failure:
        render(values)
    assert complaint in str(failure.value)


def test_the_schema_documents_every_default_key() -> None:
    """Every key of values.yaml is described by the schema (so the defaults cannot drift from it)."""
    schema = json.loads((CHART / "values.schema.json").read_text())
    defaults = yaml.safe_load((CHART / "values.yaml").read_text())
    assert set(defaults) <= set(schema["properties"])
    assert schema["additionalProperties"] is False


# --- autoscaling and disruption budgets ------------------------------------------------------------------


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_each_component_and_the_worker_has_an_autoscaler(layout: str) -> None:
    manifests = rendered(layout)
    hpas = of_kind(manifests, "HorizontalPodAutoscaler")
    deployments = of_kind(manifests, "Deployment")
    scaled = set(web_deployments(manifests)) | {f"{RELEASE}-worker"}
    assert {h["spec"]["scaleTargetRef"]["name"] for h in hpas.values()} == scaled
    for hpa in hpas.values():
        assert hpa["apiVersion"] == "autoscaling/v2"
        target = deployments[hpa["spec"]["scaleTargetRef"]["name"]]
        assert hpa["spec"]["scaleTargetRef"] == {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "name": target["metadata"]["name"],
        }
        assert "replicas" not in target["spec"], "the HPA owns the replica count"
        assert 1 <= hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]
        (cpu,) = [m["resource"] for m in hpa["spec"]["metrics"] if m["resource"]["name"] == "cpu"]
        assert cpu["target"]["type"] == "Utilization"
        container = target["spec"]["template"]["spec"]["containers"][0]
        assert container["resources"]["requests"]["cpu"], "utilization needs a CPU request"
    worker = next(h for h in hpas.values() if h["metadata"]["name"] == f"{RELEASE}-worker")
    assert (worker["spec"]["minReplicas"], worker["spec"]["maxReplicas"]) == (1, 4)


def test_autoscaling_settings_come_from_values_per_component() -> None:
    values = merge(
        values_of("three"),
        {
            "autoscaling": {"maxReplicas": 8, "targetCPUUtilizationPercentage": 60},
            "components": {"media": {"autoscaling": {"minReplicas": 3, "targetMemoryUtilizationPercentage": 75}}},
            "worker": {"autoscaling": {"enabled": False}, "replicas": 3},
        },
    )
    manifests = render(values)
    hpas = of_kind(manifests, "HorizontalPodAutoscaler")
    assert set(hpas) == {f"{RELEASE}-identity", f"{RELEASE}-media", f"{RELEASE}-core"}
    media = hpas[f"{RELEASE}-media"]["spec"]
    assert (media["minReplicas"], media["maxReplicas"]) == (3, 8)
    targets = {m["resource"]["name"]: m["resource"]["target"]["averageUtilization"] for m in media["metrics"]}
    assert targets == {"cpu": 60, "memory": 75}
    identity = hpas[f"{RELEASE}-identity"]["spec"]
    assert (identity["minReplicas"], [m["resource"]["name"] for m in identity["metrics"]]) == (2, ["cpu"])
    assert of_kind(manifests, "Deployment")[f"{RELEASE}-worker"]["spec"]["replicas"] == 3
    for version in KUBERNETES_VERSIONS:
        for manifest in manifests:
            validate(manifest, version)

    fixed = render({"autoscaling": {"enabled": False}, "components": {"monolith": {"replicas": 4}}})
    assert not {h["spec"]["scaleTargetRef"]["name"] for h in of_kind(fixed, "HorizontalPodAutoscaler").values()} & {
        f"{RELEASE}-monolith"
    }
    assert of_kind(fixed, "Deployment")[f"{RELEASE}-monolith"]["spec"]["replicas"] == 4


def _selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    """Kubernetes label selector semantics (``{}`` selects everything)."""
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions") or []:
        key, operator, values = expression["key"], expression["operator"], expression.get("values") or []
        if operator == "In" and labels.get(key) not in values:
            return False
        if operator == "NotIn" and labels.get(key) in values:
            return False
        if operator == "Exists" and key not in labels:
            return False
        if operator == "DoesNotExist" and key in labels:
            return False
    return True


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_replicated_components_have_a_disruption_budget_selecting_their_pods(layout: str) -> None:
    manifests = rendered(layout)
    pdbs = of_kind(manifests, "PodDisruptionBudget")
    hpas = {h["spec"]["scaleTargetRef"]["name"]: h for h in of_kind(manifests, "HorizontalPodAutoscaler").values()}
    deployments = of_kind(manifests, "Deployment")
    for name, deployment in deployments.items():
        minimum = hpas[name]["spec"]["minReplicas"] if name in hpas else deployment["spec"].get("replicas", 1)
        pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
        budgets = [p for p in pdbs.values() if _selects(p["spec"]["selector"], pod_labels)]
        if minimum > 1:
            assert len(budgets) == 1, f"{name} (at least {minimum} replicas) has {len(budgets)} budgets"
            assert budgets[0]["spec"] == {"maxUnavailable": 1, "selector": budgets[0]["spec"]["selector"]}
        else:  # a budget on one pod would block every node drain
            assert not budgets, f"{name} runs {minimum} replica and must have no budget"
    assert f"{RELEASE}-worker" not in pdbs
    assert f"{RELEASE}-beat" not in pdbs


def test_disruption_budgets_follow_values() -> None:
    always = of_kind(render({"podDisruptionBudget": {"enabled": True}}), "PodDisruptionBudget")
    assert set(always) == {f"{RELEASE}-monolith", f"{RELEASE}-worker"}
    never = render({"podDisruptionBudget": {"enabled": False}})
    assert not of_kind(never, "PodDisruptionBudget")
    own = of_kind(
        render({"components": {"monolith": {"podDisruptionBudget": {"minAvailable": "50%"}}}}), "PodDisruptionBudget"
    )
    assert own[f"{RELEASE}-monolith"]["spec"]["minAvailable"] == "50%"
    assert "maxUnavailable" not in own[f"{RELEASE}-monolith"]["spec"]


# --- NetworkPolicy, evaluated -----------------------------------------------------------------------------


def _port_of(pod: dict[str, Any], port: int | str) -> int | None:
    for container in pod["spec"]["containers"]:
        for declared in container.get("ports") or []:
            if port in (declared["containerPort"], declared.get("name")):
                return int(declared["containerPort"])
    return port if isinstance(port, int) else None


def allowed(
    policies: list[Manifest],
    target: dict[str, Any],
    port: int,
    *,
    source_labels: dict[str, str],
    source_namespace: dict[str, str],
) -> bool:
    """Whether a connection to ``port`` of the pod ``target`` (a template, in NAMESPACE) from a pod with
    ``source_labels`` in a namespace with labels ``source_namespace`` is allowed: NetworkPolicy semantics
    (a pod no Ingress policy selects is open; else the union of the selecting policies' rules)."""
    labels = target["metadata"]["labels"]
    selecting = [
        p
        for p in policies
        if "Ingress" in p["spec"].get("policyTypes", ["Ingress"]) and _selects(p["spec"]["podSelector"], labels)
    ]
    if not selecting:
        return True
    same_namespace = source_namespace.get("kubernetes.io/metadata.name") == NAMESPACE
    for policy in selecting:
        for rule in policy["spec"].get("ingress") or []:
            ports = rule.get("ports")
            if ports is not None and not any(_port_of(target, p["port"]) == port for p in ports):
                continue
            peers = rule.get("from")
            if peers is None:
                return True
            for peer in peers:
                namespace_ok = (
                    _selects(peer["namespaceSelector"], source_namespace)
                    if "namespaceSelector" in peer
                    else same_namespace
                )
                pod_ok = _selects(peer["podSelector"], source_labels) if "podSelector" in peer else True
                if namespace_ok and pod_ok:
                    return True
    return False


def _namespace(name: str) -> dict[str, str]:
    return {"kubernetes.io/metadata.name": name}


INGRESS_CONTROLLER = ({"app.kubernetes.io/name": "ingress-nginx"}, _namespace("ingress-nginx"))
PROMETHEUS = ({"app.kubernetes.io/name": "prometheus"}, _namespace("monitoring"))
STRANGERS = {
    "another app in the namespace": ({"app": "shop-frontend"}, _namespace(NAMESPACE)),
    "another Gau release": (
        {
            "app.kubernetes.io/name": "gau",
            "app.kubernetes.io/instance": "other",
            "app.kubernetes.io/component": "worker",
        },
        _namespace(NAMESPACE),
    ),
    "another pod beside the ingress controller": (
        {"app.kubernetes.io/name": "cert-manager"},
        _namespace("ingress-nginx"),
    ),
    "the ingress controller's labels elsewhere": ({"app.kubernetes.io/name": "ingress-nginx"}, _namespace("default")),
    "a pod in the monitoring namespace": PROMETHEUS,
}


@pytest.mark.parametrize("metrics", [False, True], ids=["metrics-off", "metrics-on"])
@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_only_the_ingress_controller_and_the_release_reach_web_pods(layout: str, metrics: bool) -> None:
    values = merge(values_of(layout), {"metrics": {"enabled": metrics, "workerPort": 9400}})
    manifests = render(values)
    policies = list(of_kind(manifests, "NetworkPolicy").values())
    pods = pod_templates(manifests)
    web = {f"Deployment/{name}" for name in web_deployments(manifests)}
    realtime = {f"Deployment/{RELEASE}-realtime"}  # served through the ingress, scraped by no one
    assert realtime <= set(pods)
    http, worker_metrics = 8000, 9400  # web pods are scraped on http (path + bearer), the worker on its own port
    own = {name: (pod["metadata"]["labels"], _namespace(NAMESPACE)) for name, pod in pods.items()}
    # beat only publishes to the broker; the realtime process checks tokens with authz (a call when split)
    callers = web | realtime | {f"Deployment/{RELEASE}-worker"}
    for target_name, target in pods.items():
        assert any(_selects(p["spec"]["podSelector"], target["metadata"]["labels"]) for p in policies), (
            f"{target_name} is selected by no NetworkPolicy: open to every pod"
        )
        is_web = target_name in web
        served = is_web or target_name in realtime

        def reach(source: tuple[dict[str, str], dict[str, str]], port: int, target: dict[str, Any] = target) -> bool:
            return allowed(policies, target, port, source_labels=source[0], source_namespace=source[1])

        assert reach(INGRESS_CONTROLLER, http) is served, target_name
        for source_name, source in own.items():
            assert reach(source, http) is (served and source_name in callers), f"{source_name} -> {target_name}"
        for stranger, source in STRANGERS.items():
            if source == PROMETHEUS:
                continue  # below
            assert not reach(source, http), f"{stranger} -> {target_name}"
            assert not reach(source, 5432), f"{stranger} -> {target_name}:5432"
        is_worker = target_name == f"Deployment/{RELEASE}-worker"
        assert reach(PROMETHEUS, http) is (metrics and is_web), target_name
        assert reach(PROMETHEUS, worker_metrics) is (metrics and is_worker), target_name
        assert not reach(PROMETHEUS, 5432), target_name
        assert not reach(INGRESS_CONTROLLER, worker_metrics), target_name


# --- pods: security context, writable paths, resources, shutdown, probes --------------------------------


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_every_pod_runs_unprivileged_on_a_read_only_root(layout: str) -> None:
    defaults = yaml.safe_load((CHART / "values.yaml").read_text())
    for name, template in pod_templates(rendered(layout)).items():
        spec = template["spec"]
        assert spec["automountServiceAccountToken"] is False, name
        pod = spec["securityContext"]
        assert pod["runAsNonRoot"] is True, name
        assert pod["seccompProfile"] == {"type": "RuntimeDefault"}, name
        assert pod["runAsUser"] == pod["runAsGroup"] == pod["fsGroup"] == defaults["podSecurityContext"]["runAsUser"]
        assert pod["runAsUser"] != 0
        volumes = {v["name"]: v for v in spec["volumes"]}
        assert all(set(v) == {"name", "emptyDir"} for v in volumes.values()), f"{name}: only emptyDirs"
        for container in spec["containers"]:
            where = f"{name}/{container['name']}"
            security = container["securityContext"]
            assert security["readOnlyRootFilesystem"] is True, where
            assert security["allowPrivilegeEscalation"] is False, where
            assert security["capabilities"] == {"drop": ["ALL"]}, where
            assert security["runAsNonRoot"] is True, where
            assert security.get("privileged") is not True, where
            mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
            assert set(mounts) == WRITABLE_PATHS, where
            assert set(mounts.values()) == set(volumes), where
            resources = container["resources"]
            assert resources["requests"]["cpu"], where
            assert resources["requests"]["memory"], where
            assert resources["limits"]["memory"], where
    assert volumes["prometheus"]["emptyDir"]["medium"] == "Memory"


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_web_pods_drain_before_they_stop(layout: str) -> None:
    manifests = rendered(layout)
    (config,) = of_kind(manifests, "ConfigMap").values()
    graceful = int(config["data"]["GUNICORN_GRACEFUL_TIMEOUT"])
    assert int(config["data"]["GUNICORN_TIMEOUT"]) >= graceful > 0
    for name, deployment in web_deployments(manifests).items():
        spec = deployment["spec"]["template"]["spec"]
        (container,) = spec["containers"]
        command = container["lifecycle"]["preStop"]["exec"]["command"]
        assert command[0] == "sleep", name
        sleep = int(command[1])
        assert sleep >= 3, f"{name}: endpoints need a few seconds to leave the load balancers"
        assert spec["terminationGracePeriodSeconds"] >= sleep + graceful, name
        assert deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    worker = of_kind(manifests, "Deployment")[f"{RELEASE}-worker"]["spec"]["template"]["spec"]
    assert worker["terminationGracePeriodSeconds"] >= 60


def test_the_grace_period_follows_gunicorns_graceful_timeout() -> None:
    manifests = render({"gunicorn": {"gracefulTimeout": 90, "timeout": 120}, "shutdown": {"preStopSleepSeconds": 10}})
    (config,) = of_kind(manifests, "ConfigMap").values()
    assert config["data"]["GUNICORN_GRACEFUL_TIMEOUT"] == "90"
    spec = web_deployments(manifests)[f"{RELEASE}-monolith"]["spec"]["template"]["spec"]
    assert spec["containers"][0]["lifecycle"]["preStop"]["exec"]["command"] == ["sleep", "10"]
    assert spec["terminationGracePeriodSeconds"] == 10 + 90 + 5


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_web_pods_have_probes_on_the_health_endpoints(layout: str) -> None:
    for name, deployment in web_deployments(rendered(layout)).items():
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        probes = {kind: container[f"{kind}Probe"]["httpGet"] for kind in ("startup", "readiness", "liveness")}
        assert {kind: probe["path"] for kind, probe in probes.items()} == {
            "startup": "/healthz",
            "readiness": "/readyz",
            "liveness": "/healthz",
        }, name
        assert all(probe["port"] == "http" for probe in probes.values())


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_replicas_are_spread_over_nodes(layout: str) -> None:
    manifests = rendered(layout)
    deployments = of_kind(manifests, "Deployment")
    for name in [*web_deployments(manifests), f"{RELEASE}-worker"]:
        template = deployments[name]["spec"]["template"]
        (spread,) = template["spec"]["topologySpreadConstraints"]
        assert spread["topologyKey"] == "kubernetes.io/hostname"
        assert spread["whenUnsatisfiable"] == "ScheduleAnyway", "preferred: a one-node cluster still schedules"
        selected = [
            n
            for n, d in deployments.items()
            if _selects(spread["labelSelector"], d["spec"]["template"]["metadata"]["labels"])
        ]
        assert selected == [name]
    unspread = render({"topologySpreadConstraints": []})
    assert all(
        "topologySpreadConstraints" not in d["spec"]["template"]["spec"]
        for d in of_kind(unspread, "Deployment").values()
    )


# --- metrics ----------------------------------------------------------------------------------------------


def test_no_monitoring_resources_or_metrics_port_by_default() -> None:
    manifests = rendered("split")
    assert not [m for m in manifests if m["apiVersion"].startswith("monitoring.coreos.com/")]
    for service in of_kind(manifests, "Service").values():
        assert [p["name"] for p in service["spec"]["ports"]] == ["http"]


def test_the_service_monitor_scrapes_the_metrics_port_and_path_from_values() -> None:
    values = merge(
        values_of("three"),
        {
            "metrics": {
                "enabled": True,
                "workerPort": 9464,
                "path": "/internal/metrics",
                "serviceMonitor": {"enabled": True, "interval": "15s", "labels": {"release": "kube-prometheus-stack"}},
            }
        },
    )
    manifests = render(values)
    (monitor,) = of_kind(manifests, "ServiceMonitor").values()
    (pod_monitor,) = of_kind(manifests, "PodMonitor").values()
    assert monitor["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    bearer = {"type": "Bearer", "credentials": {"name": "gau-secrets", "key": "GAU_METRICS_TOKEN"}}
    endpoint = {"port": "http", "path": "/internal/metrics", "interval": "15s", "scrapeTimeout": "10s"}
    assert monitor["spec"]["endpoints"] == [{**endpoint, "authorization": bearer}]
    assert monitor["spec"]["namespaceSelector"] == {"matchNames": [NAMESPACE]}
    services = component_services(manifests)
    assert {
        name
        for name, s in of_kind(manifests, "Service").items()
        if _selects(monitor["spec"]["selector"], s["metadata"]["labels"])
    } == set(services)
    for service in services.values():
        assert [p["name"] for p in service["spec"]["ports"]] == ["http"]
    deployments = of_kind(manifests, "Deployment")
    worker_ports = deployments[f"{RELEASE}-worker"]["spec"]["template"]["spec"]["containers"][0]["ports"]
    assert {"name": "metrics", "containerPort": 9464, "protocol": "TCP"} in worker_ports
    scraped = [
        n
        for n, d in deployments.items()
        if _selects(pod_monitor["spec"]["selector"], d["spec"]["template"]["metadata"]["labels"])
    ]
    assert scraped == [f"{RELEASE}-worker"]
    assert pod_monitor["spec"]["podMetricsEndpoints"][0]["path"] == "/internal/metrics"
    assert pod_monitor["spec"]["podMetricsEndpoints"][0]["authorization"] == bearer
    ingresses = of_kind(manifests, "Ingress").values()  # the components' and the realtime process's
    backends = [
        p["backend"]["service"]["port"] for i in ingresses for r in i["spec"]["rules"] for p in r["http"]["paths"]
    ]
    assert backends
    assert all(port == {"name": "http"} for port in backends), "the ingress never routes metrics"
