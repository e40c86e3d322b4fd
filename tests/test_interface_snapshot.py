"""Every service interface's signatures, as a JSON snapshot: a contract change shows up in review.

After a deliberate change, regenerate with:
``UPDATE_SNAPSHOTS=1 make pytest PYTEST_ARGS=tests/test_interface_snapshot.py``.
"""

from __future__ import annotations

import inspect
import json
import os
from pathlib import Path
from typing import Any

from gau.config import APP_NAMES
from gau.rpc.errors import _REGISTRY
from gau.rpc.service import service_for_app

SNAPSHOT = Path(__file__).with_name("interfaces.json")


def _annotation(value: Any) -> str:
    text = value if isinstance(value, str) else inspect.formatannotation(value)
    return text.replace("typing.", "")


def describe() -> dict[str, Any]:
    found: dict[str, Any] = {}
    for app in APP_NAMES:
        iface = service_for_app(app)
        methods = {}
        for name, spec in sorted(iface.specs().items()):
            params = {
                p.name: _annotation(p.annotation) + ("" if p.default is p.empty else f" = {p.default!r}")
                for p in list(spec.signature.parameters.values())[1:]
            }
            methods[name] = {
                "params": params,
                "returns": _annotation(spec.signature.return_annotation),
                "idempotent": spec.idempotent,
            }
        errors = sorted(code for code, cls in _REGISTRY.items() if cls.__module__.startswith(f"apps.{app}."))
        found[app] = {"interface": iface.__name__, "methods": methods, "errors": errors}
    return found


def test_interfaces_match_the_snapshot() -> None:
    current = describe()
    if os.environ.get("UPDATE_SNAPSHOTS"):
        SNAPSHOT.write_text(json.dumps(current, indent=2, sort_keys=True) + "\n")
    recorded = json.loads(SNAPSHOT.read_text())
    assert current == recorded, "a service interface changed: review it, then regenerate the snapshot (see docstring)"
