"""Reading a Prometheus scrape in tests: samples by name and labels, with the official text parser."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

METRICS_TOKEN = "gau-test-metrics-token-0000000000000000000000"  # loopback test servers only


def samples(text: str) -> list[tuple[str, dict[str, str], float]]:
    """Every sample of a scrape as (name, labels, value)."""
    return [
        (sample.name, dict(sample.labels), sample.value)
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    ]


def value(text: str, name: str, **labels: str) -> float:
    """The sum of the samples named ``name`` whose labels include ``labels`` (0 when none)."""
    return sum(v for n, got, v in samples(text) if n == name and all(got.get(k) == w for k, w in labels.items()))


def label_values(text: str, name: str, label: str) -> set[str]:
    """The values ``label`` takes among the samples named ``name``."""
    return {got[label] for n, got, _ in samples(text) if n == name and label in got}


def auth(token: str = METRICS_TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
