"""Notebooks are committed clean: no outputs, no execution counts, one parameters cell, no logic."""
from __future__ import annotations

import ast

import nbformat
import pytest

from notebook_support import FAST_PARAMETERS, NOTEBOOKS, parameter_cells

EXPECTED = {"territory_what_if", "funnel_what_if", "forecast_review", "scoring_review"}


def test_the_four_notebooks_are_there():
    assert EXPECTED <= {p.stem for p in NOTEBOOKS}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_has_no_outputs_and_no_execution_counts(path):
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    dirty = [i for i, cell in enumerate(notebook.cells)
             if cell.cell_type == "code" and (cell.get("outputs") or cell.get("execution_count") is not None)]
    assert dirty == [], f"{path.name}: cells {dirty} hold outputs or execution counts; clear them before committing"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_has_exactly_one_parameters_cell_first(path):
    notebook = nbformat.read(path, as_version=4)
    cells = parameter_cells(notebook)
    assert len(cells) == 1, f"{path.name}: {len(cells)} cells tagged 'parameters'"
    code = [i for i, cell in enumerate(notebook.cells) if cell.cell_type == "code"]
    assert cells[0] == code[0], "the parameters cell is the first code cell"
    # Only assignments of literals: a scheduled run must be able to override every one of them.
    tree = ast.parse(notebook.cells[cells[0]].source)
    for node in tree.body:
        assert isinstance(node, ast.Assign), ast.dump(node)
        ast.literal_eval(node.value)
    assert "data_dir" in {t.id for node in tree.body for t in node.targets}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_test_parameters_exist_in_the_notebook(path):
    """The fast sizes the run test injects must name real parameters (else they do nothing)."""
    notebook = nbformat.read(path, as_version=4)
    tree = ast.parse(notebook.cells[parameter_cells(notebook)[0]].source)
    names = {t.id for node in tree.body for t in node.targets}
    assert set(FAST_PARAMETERS[path.stem]) <= names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_holds_no_logic(path):
    """Notebooks call the library; functions, classes and imports of private helpers stay out."""
    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        for node in ast.walk(ast.parse(cell.source)):
            assert not isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.Lambda)), cell.source
            if isinstance(node, ast.ImportFrom):
                assert not any(alias.name.startswith("_") for alias in node.names), cell.source
    assert notebook.metadata["kernelspec"]["name"] == "python3"
