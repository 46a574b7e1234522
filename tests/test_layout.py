"""The architecture's one hard rule: domain packages never import revops."""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("package", ["scoring", "forecasting", "territory"])
def test_domain_package_does_not_import_revops(package):
    offenders = []
    for path in (ROOT / package).rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            offenders += [f"{path.relative_to(ROOT)}: {n}" for n in names if n.split(".")[0] == "revops"]
    assert offenders == []


def test_models_store_contents_are_ignored():
    ignore = (ROOT / ".gitignore").read_text()
    assert "models/*" in ignore and "!models/README.md" in ignore
