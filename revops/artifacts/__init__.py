"""Writers and MLflow loggers of each step's results, one module per engine.

The command (``revops territory solve``) and the plan's step call the same functions, so both
write the same files with the same keys. A writer takes an engine's typed result and a folder
and returns the paths it wrote; engines return figures, and :func:`save_figures` saves them.
"""
from __future__ import annotations

from pathlib import Path
from typing import Mapping


def save_figures(figures: Mapping[str, object], folder: Path, dpi: int = 110) -> dict[str, Path]:
    """Save matplotlib figures as ``<name>.png`` (no timestamp metadata: stable bytes) and close them."""
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, fig in figures.items():
        path = folder / f"{name}.png"
        fig.savefig(path, dpi=dpi, metadata={"Software": None})
        plt.close(fig)
        paths[name] = path
    return paths
