"""Running a notebook with parameters, the way a scheduled papermill run would."""
from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, Mapping

import nbformat

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))

# Small, fast sizes: all four notebooks run in well under two minutes of CPU together.
FAST_PARAMETERS: dict[str, dict[str, Any]] = {
    "territory_what_if": {"n_leads": 500, "n_accounts": 300, "n_reps": 15, "time_limit": 30.0},
    "funnel_what_if": {"n_leads": 5_000, "n_accounts": 60, "n_reps": 15},
    "forecast_review": {"n_leads": 500, "n_accounts": 60, "n_reps": 15, "backtest_origins": 2,
                        "n_simulations": 2_000},
    "scoring_review": {"n_leads": 5_000, "n_accounts": 60, "n_reps": 15,
                       "candidates": ["logistic_regression"], "capacities": [0, 150, 300, 600]},
    "sla_review": {"n_leads": 5_000, "n_accounts": 60, "n_reps": 15},  # the sample funnel_what_if made
    "retention_what_if": {"n_leads": 5_000, "n_accounts": 60, "n_reps": 15},  # the same sample
    "compensation_what_if": {"n_leads": 5_000, "n_accounts": 60, "n_reps": 15},  # the same sample
}


def parameter_cells(notebook: nbformat.NotebookNode) -> list[int]:
    return [i for i, cell in enumerate(notebook.cells)
            if cell.cell_type == "code" and "parameters" in cell.get("metadata", {}).get("tags", [])]


def with_parameters(notebook: nbformat.NotebookNode, parameters: Mapping[str, Any]) -> nbformat.NotebookNode:
    """A copy with a cell assigning ``parameters`` right after the parameters cell (papermill's way)."""
    out = copy.deepcopy(notebook)
    index = parameter_cells(out)[0]
    source = "\n".join(f"{name} = {value!r}" for name, value in parameters.items())
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["tags"] = ["injected-parameters"]
    cell["id"] = "injected-parameters"
    out.cells.insert(index + 1, cell)
    return out


def run_notebook(path: Path, parameters: Mapping[str, Any], cwd: Path, timeout: int = 300) -> nbformat.NotebookNode:
    """Execute top to bottom in the ``python3`` kernel of the running interpreter's environment."""
    from nbclient import NotebookClient

    notebook = with_parameters(nbformat.read(path, as_version=4), parameters)
    client = NotebookClient(notebook, kernel_name="python3", timeout=timeout,
                            resources={"metadata": {"path": str(cwd)}})
    client.execute()
    return notebook
