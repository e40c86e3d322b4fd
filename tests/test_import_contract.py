"""The import contract is real: lint-imports passes on the tree and fails on a deliberate violation."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def lint(tree: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(LINT_IMPORTS), "--no-cache"], cwd=tree, capture_output=True, text=True, timeout=120)


def copy_tree(dest: Path) -> Path:
    for name in ("gau", "apps"):
        shutil.copytree(ROOT / name, dest / name, ignore=shutil.ignore_patterns("__pycache__", "tests"))
    shutil.copy(ROOT / ".importlinter", dest / ".importlinter")
    return dest


def test_contract_holds_on_the_tree(tmp_path: Path) -> None:
    result = lint(copy_tree(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "BROKEN" not in result.stdout


def test_reaching_into_another_apps_models_breaks_it(tmp_path: Path) -> None:
    tree = copy_tree(tmp_path)
    with (tree / "apps/kanban/selectors.py").open("a") as f:
        f.write("\nfrom apps.account.models import User  # noqa\n")
    result = lint(tree)
    assert result.returncode == 1
    assert "Apps reach each other only through their public services package BROKEN" in result.stdout
    assert "apps.kanban.selectors -> apps.account.models" in result.stdout


def test_importing_another_apps_public_services_is_allowed(tmp_path: Path) -> None:
    tree = copy_tree(tmp_path)
    with (tree / "apps/kanban/selectors.py").open("a") as f:
        f.write("\nfrom apps.account.services import account_service  # noqa\n")
    assert lint(tree).returncode == 0


def test_interfaces_may_not_import_django(tmp_path: Path) -> None:
    tree = copy_tree(tmp_path)
    with (tree / "apps/kanban/services/interface.py").open("a") as f:
        f.write("\nfrom django.db import models  # noqa\n")
    result = lint(tree)
    assert result.returncode == 1
    assert "Interfaces and DTOs import neither Django nor models BROKEN" in result.stdout
