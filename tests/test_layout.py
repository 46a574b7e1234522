"""The architecture's rules, checked on the source: who may import whom.

- An engine (scoring, forecasting, territory) imports neither the hub (revops) nor another engine.
- The parsing layer (parsing) is a leaf: it imports no other package of ours (only numpy, pandas
  and the standard library), and every package may import it.
- The plan job and its steps never import the command line (revops.cli, revops.commands): a
  command and a step share engines, configuration and writers (revops.artifacts), nothing else.
- The hub wires its commands and steps with plain imports, never by a name built at run time
  (importlib with a string), so the wiring can be followed by reading. (An engine's package
  facade may load its public names lazily; that is not wiring.)
"""
import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ENGINES = ("scoring", "forecasting", "territory")


def imports_of(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


@pytest.mark.parametrize("package", ENGINES)
def test_engine_imports_neither_hub_nor_other_engine(package):
    forbidden = {"revops", *ENGINES} - {package}
    offenders = [f"{path.relative_to(ROOT)}: {name}"
                 for path in (ROOT / package).rglob("*.py")
                 for name in imports_of(path) if name.split(".")[0] in forbidden]
    assert offenders == []


def test_parsing_is_a_leaf():
    # pyarrow: a declared dependency pandas reads Parquet with; its kernels read plain numbers.
    allowed = set(sys.stdlib_module_names) | {"numpy", "pandas", "pyarrow", "parsing", "__future__"}
    offenders = [f"{path.relative_to(ROOT)}: {name}"
                 for path in (ROOT / "parsing").rglob("*.py")
                 for name in imports_of(path) if name.split(".")[0] not in allowed]
    assert offenders == []


@pytest.mark.parametrize("package", ["revops", "scoring"])
def test_hub_and_scorer_read_values_through_parsing(package):
    # Every package may import parsing (the engine rule above does not forbid it); these two must.
    users = [path for path in (ROOT / package).rglob("*.py")
             if any(name.split(".")[0] == "parsing" for name in imports_of(path))]
    assert users


def test_plan_and_steps_do_not_import_the_command_line():
    paths = [ROOT / "revops" / "plan.py", *(ROOT / "revops" / "steps").rglob("*.py"),
             *(ROOT / "revops" / "artifacts").rglob("*.py")]
    offenders = [f"{path.relative_to(ROOT)}: {name}" for path in paths for name in imports_of(path)
                 if name == "revops.cli" or name.startswith("revops.commands")]
    assert offenders == []


def test_hub_wires_without_import_by_string():
    offenders = []
    for package in ("revops",):
        for path in (ROOT / package).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            if "importlib.import_module(" in text or "__import__(" in text:
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_models_store_contents_are_ignored():
    ignore = (ROOT / ".gitignore").read_text()
    assert "models/*" in ignore and "!models/README.md" in ignore
