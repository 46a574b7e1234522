"""Every notebook runs top to bottom (small sample sizes), in the venv's python3 kernel."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

from notebook_support import FAST_PARAMETERS, NOTEBOOKS, run_notebook


@pytest.fixture(scope="module")
def notebook_cache(tmp_path_factory):
    """One sample-data cache for the module: notebooks with the same sizes share the sample."""
    return tmp_path_factory.mktemp("notebook-cache")


def test_python3_kernel_is_this_environment():
    from jupyter_client.kernelspec import KernelSpecManager

    spec = KernelSpecManager().get_kernel_spec("python3")
    # 'python' in argv is replaced by the running interpreter when the kernel starts.
    assert spec.argv[0] in ("python", sys.executable, "python3") or Path(spec.argv[0]).resolve() == Path(sys.executable).resolve()


@pytest.mark.slow
@pytest.mark.timeout(600)
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_top_to_bottom(path, notebook_cache, tmp_path, monkeypatch):
    monkeypatch.setenv("REVOPS_NOTEBOOK_CACHE", str(notebook_cache))
    notebook = run_notebook(path, FAST_PARAMETERS[path.stem], cwd=tmp_path)
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]
    errors = [o for o in outputs if o.get("output_type") == "error"]
    assert errors == []
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) >= 3, f"{path.name} should show its plots; it showed {len(images)}"
    # The injected parameters were used: the data came from the test's cache.
    text = "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream")
    assert str(notebook_cache) in text
